"""Exporting the org chart to CSV in the import's columns, and the sample file."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import (
    Department,
    Person,
    PersonRole,
)
from .checking import roles_text, yes_no
from .reading import COLUMNS, reads_as_formula

# Employee numbers and usernames that the demo company (perfsite/demo.py) does not use, so
# that the sample imports cleanly there.
SAMPLE_ROWS = [
    ("wang.lei", "王磊", "wang.lei@example.com", "S9001", "Engineering manager", "ENG", "",
     "head;staff", "yes"),
    ("zhao.min", "赵敏", "zhao.min@example.com", "S9002", "Software engineer", "ENG",
     "wang.lei", "staff", "yes"),
    ("sarah.ng", "Sarah Ng", "sarah.ng@example.com", "S9003", "Account manager", "SALES",
     "", "staff", "yes"),
]

# Exporting -------------------------------------------------------------------------------

def export_rows() -> list[list[str]]:
    """Everyone, active or not, in the import's columns, so that re-importing changes nothing."""
    manager = aliased(Person)
    people = db.session.execute(
        select(Person.id, Person.username, Person.display_name, Person.email,
               Person.employee_number, Person.job_title, Department.code, manager.username,
               Person.active)
        .outerjoin(Department, Person.department_id == Department.id)
        .outerjoin(manager, Person.manager_id == manager.id)
        .order_by(Person.username)
    ).all()
    roles: dict[int, set[str]] = {}
    for person_id, role in db.session.execute(select(PersonRole.person_id, PersonRole.role)):
        roles.setdefault(person_id, set()).add(role)
    return [
        [username, name, email, number or "", title or "", code or "", manager_name or "",
         roles_text(roles.get(person_id, ())), yes_no(active)]
        for person_id, username, name, email, number, title, code, manager_name, active in people
    ]


def _quote_formula(cell: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + cell if reads_as_formula(cell) else cell


def to_csv(rows) -> str:
    """CSV text with a BOM, so that Excel opens Chinese names correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_quote_formula(str(cell)) for cell in row])
    return "\ufeff" + buffer.getvalue()


def export_csv() -> str:
    return to_csv(export_rows())


def sample_csv() -> str:
    return to_csv(SAMPLE_ROWS)
