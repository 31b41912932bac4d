"""The rules on a person's fields and on the chart of managers, applied alike by the org
services (org/services.py), the person form (org/forms.py), the first admin (ops/admin.py)
and the org import (org/importer.py), which check them for one person or for a whole file.
A leaf module: it imports nothing of the site's, so every one of them may import it.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")
USERNAME_HINT = _l("Use letters, digits, dots, dashes and underscores only.")
# The longest each field may be (the database's column sizes).
PERSON_LIMITS = {"username": 60, "display_name": 120, "email": 254, "employee_number": 30,
                 "job_title": 120}


def managers_in_loops(managers: dict[int, int | None]) -> set[int]:
    """Everyone who manages themselves through a chain of managers, in one pass over the
    chart `managers` (person id -> manager id; each person has one manager, so every walk
    ends in nobody or in a loop). The bulk form of manager_would_loop (the org import)."""
    finished: set[int] = set()
    looped: set[int] = set()
    for start in managers:
        if start in finished:
            continue
        path: list[int] = []
        on_path: set[int] = set()
        current = start
        while current is not None and current not in finished and current not in on_path:
            path.append(current)
            on_path.add(current)
            current = managers.get(current)
        if current is not None and current in on_path:
            looped.update(path[path.index(current):])
        finished.update(path)
    return looped
