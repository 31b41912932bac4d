"""The demo company: a believable org chart and a cycle in planning.

Idempotent: everything is looked up by its natural key (department code, username, cycle
name) and created only when missing, so running it twice changes nothing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from .auth.services import hash_password
from .cycles import services as cycles
from .extensions import db
from .models import Cycle, Department, Person, Phase, Role
from .org import services as org

DEMO_PASSWORD = "perfsite-demo"

# code, name, parent code
DEPARTMENTS = [
    ("EXEC", "Executive Team", None),
    ("SALES", "Sales", "EXEC"),
    ("ENG", "Engineering", "EXEC"),
    ("MKT", "Marketing", "EXEC"),
    ("FIN", "Finance", "EXEC"),
    ("HR", "Human Resources", "EXEC"),
    ("OPS", "Customer Operations", "EXEC"),
]

# username, name, job title, department, manager username, roles
PEOPLE = [
    ("exec", "Chen Jing", "Chief Executive Officer", "EXEC", None, ["executive"]),
    ("cfo", "Victoria Lang", "Chief Financial Officer", "EXEC", "exec", ["executive", "head"]),
    ("coo", "Huang Lei", "Chief Operating Officer", "EXEC", "exec", ["executive"]),
    ("head", "Zhang Min", "Head of Engineering", "ENG", "exec", ["head"]),
    ("staff", "Liu Yang", "Software Engineer", "ENG", "head", ["staff"]),
    ("sam.okafor", "Sam Okafor", "Senior Software Engineer", "ENG", "head", ["staff"]),
    ("wu.xia", "Wu Xia", "QA Engineer", "ENG", "head", ["staff"]),
    ("priya.nair", "Priya Nair", "Site Reliability Engineer", "ENG", "head", ["staff"]),
    ("zhao.qiang", "Zhao Qiang", "Frontend Engineer", "ENG", "head", ["staff"]),
    ("emma.berg", "Emma Berg", "Product Designer", "ENG", "head", ["staff"]),
    ("sun.hao", "Sun Hao", "Data Engineer", "ENG", "head", ["staff"]),
    ("li.na", "Li Na", "Head of Sales", "SALES", "exec", ["head"]),
    ("peer", "Wang Fang", "Account Manager", "SALES", "li.na", ["staff"]),
    ("tom.reyes", "Tom Reyes", "Account Executive", "SALES", "li.na", ["staff"]),
    ("gao.yan", "Gao Yan", "Sales Operations Analyst", "SALES", "li.na", ["staff"]),
    ("lucas.meyer", "Lucas Meyer", "Key Account Manager", "SALES", "li.na", ["staff"]),
    ("he.jun", "He Jun", "Account Manager", "SALES", "li.na", ["staff"]),
    ("ma.li", "Ma Li", "Head of Marketing", "MKT", "exec", ["head"]),
    ("nina.costa", "Nina Costa", "Content Strategist", "MKT", "ma.li", ["staff"]),
    ("xu.ting", "Xu Ting", "Brand Manager", "MKT", "ma.li", ["staff"]),
    ("omar.haddad", "Omar Haddad", "Digital Marketing Specialist", "MKT", "ma.li", ["staff"]),
    ("zhou.yi", "Zhou Yi", "Market Researcher", "MKT", "ma.li", ["staff"]),
    ("fin.lead", "Deng Hui", "Finance Manager", "FIN", "cfo", ["head"]),
    ("anna.kowalski", "Anna Kowalski", "Accountant", "FIN", "fin.lead", ["staff"]),
    ("luo.bin", "Luo Bin", "Financial Analyst", "FIN", "fin.lead", ["staff"]),
    ("james.park", "James Park", "Payroll Specialist", "FIN", "fin.lead", ["staff"]),
    ("hr.lead", "Yang Lin", "Head of People", "HR", "exec", ["head", "hr_admin"]),
    ("hr", "Guo Mei", "HR Business Partner", "HR", "hr.lead", ["hr_admin"]),
    ("sofia.rossi", "Sofia Rossi", "Recruiter", "HR", "hr.lead", ["staff"]),
    ("tang.wei", "Tang Wei", "Learning & Development Specialist", "HR", "hr.lead", ["staff"]),
    ("ops.lead", "Feng Jie", "Head of Customer Operations", "OPS", "coo", ["head"]),
    ("maria.lopez", "María López", "Support Team Lead", "OPS", "ops.lead", ["staff"]),
    ("hu.peng", "Hu Peng", "Support Specialist", "OPS", "ops.lead", ["staff"]),
    ("kevin.obrien", "Kevin O'Brien", "Support Specialist", "OPS", "ops.lead", ["staff"]),
    ("cao.ying", "Cao Ying", "Onboarding Specialist", "OPS", "ops.lead", ["staff"]),
    ("yuki.tanaka", "Yuki Tanaka", "Operations Analyst", "OPS", "ops.lead", ["staff"]),
    ("shen.yu", "Shen Yu", "Support Specialist", "OPS", "ops.lead", ["staff"]),
    ("pan.rui", "Pan Rui", "Technical Writer", "ENG", "head", ["staff"]),
    ("ali.demir", "Ali Demir", "Backend Engineer", "ENG", "head", ["staff"]),
    ("ye.qing", "Ye Qing", "Executive Assistant", "EXEC", "exec", ["staff"]),
]

HEADS = {"EXEC": "exec", "SALES": "li.na", "ENG": "head", "MKT": "ma.li", "FIN": "fin.lead",
         "HR": "hr.lead", "OPS": "ops.lead"}

CYCLE = {"name": "2027 H1", "start_date": date(2027, 1, 1), "end_date": date(2027, 6, 30)}


def seed_demo_company() -> dict[str, int]:
    """Create what is missing of the demo company; returns how many of each were added."""
    added = {"departments": 0, "people": 0, "cycles": 0}
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    for code, name, parent in DEPARTMENTS:
        if code not in departments:
            departments[code] = org.create_department(
                code=code, name=name,
                parent_id=departments[parent].id if parent else None)
            added["departments"] += 1

    people = {p.username: p for p in db.session.scalars(select(Person))}
    for username, name, title, dept, manager, roles in PEOPLE:
        if username in people:
            continue
        people[username] = org.create_person(
            username=username, display_name=name, job_title=title,
            email=f"{username}@example.com",
            employee_number=f"E{1001 + [p[0] for p in PEOPLE].index(username)}",
            department_id=departments[dept].id,
            manager_id=people[manager].id if manager else None,
            roles=[Role(r) for r in roles],
            password_hash=hash_password(DEMO_PASSWORD),
        )
        added["people"] += 1

    for code, username in HEADS.items():
        department = departments[code]
        if department.head_id is None:
            org.update_department(department, head_id=people[username].id)

    if db.session.scalar(select(Cycle.id).where(Cycle.name == CYCLE["name"])) is None:
        cycle = cycles.create_cycle(**CYCLE)
        cycles.move_phase(cycle, Phase.PLANNING)
        added["cycles"] += 1
    return added
