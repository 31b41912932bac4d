"""Data factories that go through the services, so audit and rules apply as in real use."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from perfsite.auth.services import hash_password
from perfsite.cycles import services as cycles
from perfsite.extensions import db
from perfsite.models import Cycle, Department, Person, PersonRole, Phase, Role
from perfsite.org import services as org

PASSWORD = "perfsite-demo"
_seq = itertools.count(1)


def hr_admin() -> Person:
    """The company's first HR admin, who acts for the factories (made when missing)."""
    admin = db.session.scalar(select(Person).join(PersonRole)
                              .where(PersonRole.role == Role.HR_ADMIN.value)
                              .order_by(Person.id).limit(1))
    if admin is None:
        if PASSWORD not in _hash_cache:
            _hash_cache[PASSWORD] = hash_password(PASSWORD)
        admin = org.bootstrap_admin(username="hr", display_name="Guo Mei",
                                    email="hr@example.com", employee_number="T00000",
                                    job_title="HR Business Partner",
                                    password_hash=_hash_cache[PASSWORD])
    return admin


def make_department(code: str | None = None, name: str | None = None, parent=None,
                    head=None) -> Department:
    n = next(_seq)
    return org.create_department(hr_admin(), code=code or f"D{n}", name=name or f"Department {n}",
                                 parent_id=parent.id if parent else None,
                                 head_id=head.id if head else None)


_hash_cache: dict[str, str] = {}


def make_person(username: str | None = None, department=None, manager=None, roles=("staff",),
                password: str = PASSWORD, **fields) -> Person:
    n = next(_seq)
    username = username or f"person{n}"
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return org.create_person(
        hr_admin(),
        username=username,
        display_name=fields.pop("display_name", username.replace(".", " ").title()),
        email=fields.pop("email", f"{username}@example.com"),
        employee_number=fields.pop("employee_number", f"T{n:05d}"),
        job_title=fields.pop("job_title", "Engineer"),
        department_id=department.id if department else None,
        manager_id=manager.id if manager else None,
        roles=[Role(r) for r in roles],
        password_hash=_hash_cache[password],
        **fields,
    )


def make_cycle(name: str | None = None, phase: Phase = Phase.PLANNING, **settings) -> Cycle:
    actor = hr_admin()
    cycle = cycles.create_cycle(actor, name=name or f"Cycle {next(_seq)}",
                                start_date=settings.pop("start_date", date(2027, 1, 1)),
                                end_date=settings.pop("end_date", date(2027, 6, 30)), **settings)
    for step in list(Phase)[1:Phase(phase).index + 1]:
        cycles.move_phase(cycle, actor, step)
    return cycle


@dataclass
class Company:
    exec_team: Department
    eng: Department
    sales: Department
    exec: Person
    hr: Person
    head: Person
    staff: Person
    colleague: Person
    sales_head: Person
    peer: Person
    cycle: Cycle

    def ids(self):
        """Plain ids, safe to use after the session that made the objects is gone."""
        return {k: getattr(self, k).id for k in self.__dataclass_fields__}


def make_company() -> Company:
    """EXEC heads the company; ENG (head, staff, colleague) and SALES (sales_head, peer)."""
    hr = hr_admin()
    exec_team = make_department("EXEC", "Executive Team")
    exec_person = make_person("exec", exec_team, roles=("executive",), display_name="Chen Jing")
    org.update_department(exec_team, hr, expected_version=exec_team.version,
                          head_id=exec_person.id)
    hr_dept = make_department("HR", "Human Resources", parent=exec_team)
    org.update_person(hr, hr, expected_version=hr.version, department_id=hr_dept.id,
                      manager_id=exec_person.id)
    eng = make_department("ENG", "Engineering", parent=exec_team)
    head = make_person("head", eng, manager=exec_person, roles=("head",), display_name="Zhang Min")
    org.update_department(eng, hr, expected_version=eng.version, head_id=head.id)
    staff = make_person("staff", eng, manager=head, display_name="Liu Yang")
    colleague = make_person("colleague", eng, manager=head, display_name="Sam Okafor")
    sales = make_department("SALES", "Sales", parent=exec_team)
    sales_head = make_person("sales.head", sales, manager=exec_person, roles=("head",),
                             display_name="Li Na")
    org.update_department(sales, hr, expected_version=sales.version, head_id=sales_head.id)
    peer = make_person("peer", sales, manager=sales_head, display_name="Wang Fang")
    cycle = make_cycle("2027 H1", Phase.PLANNING)
    db.session.flush()
    return Company(exec_team=exec_team, eng=eng, sales=sales, exec=exec_person, hr=hr, head=head,
                   staff=staff, colleague=colleague, sales_head=sales_head, peer=peer, cycle=cycle)


def attached(company: Company) -> Company:
    """The same company with each record loaded into this session (for a test that made it
    in one app context and works with it in another)."""
    people = {n: db.session.get(Person, getattr(company, n).id)
              for n in ("exec", "hr", "head", "staff", "colleague", "sales_head", "peer")}
    departments = {n: db.session.get(Department, getattr(company, n).id)
                   for n in ("exec_team", "eng", "sales")}
    return Company(cycle=db.session.get(Cycle, company.cycle.id), **people, **departments)
