"""The org-chart import and export, as callers use them (the import views, the import job,
the directory sync in perfsite/signin/): the code lives in perfsite/org/importing/ —
reading.py (CSV and XLSX files into rows, within the hostile-file limits), checking.py (the
plan: each row against the org rules, org/rules.py, and the other rows), applying.py (bulk
writes, audit) and exporting.py (CSV export and sample).
"""

from ..errors import (  # noqa: F401  (the import's own errors, caught by name as importer.X)
    Conflict,
    ImportFileError,
    ImportRejected,
    Invalid,
    PlanChanged,
    StateError,
)
from .importing.applying import apply_plan, commit_import, commit_plan, store_upload
from .importing.checking import (
    CHECKING,
    CREATE,
    PROBLEM,
    UNCHANGED,
    UPDATE,
    WRITING,
    ImportPlan,
    Progress,
    RowIssue,
    RowPlan,
    plan_import,
    read_org,
)
from .importing.exporting import SAMPLE_ROWS, export_csv, export_rows, sample_csv, to_csv
from .importing.reading import (
    COLUMNS,
    MAX_BYTES,
    MAX_CELL,
    MAX_ROWS,
    REQUIRED_COLUMNS,
    parse_file,
)

__all__ = [
    "CHECKING", "COLUMNS", "CREATE", "MAX_BYTES", "MAX_CELL", "MAX_ROWS", "PROBLEM",
    "REQUIRED_COLUMNS", "SAMPLE_ROWS", "UNCHANGED", "UPDATE", "WRITING", "Conflict",
    "ImportFileError", "ImportPlan", "ImportRejected", "Invalid", "PlanChanged", "Progress",
    "RowIssue", "RowPlan", "StateError", "apply_plan", "commit_import", "commit_plan",
    "export_csv", "export_rows", "parse_file", "plan_import", "read_org", "sample_csv",
    "store_upload", "to_csv",
]
