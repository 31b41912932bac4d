"""A large company for measuring the site: `flask seed-scale --people 10000`.

Into an empty database (it refuses one with people in it) it writes, with bulk inserts
(COPY on PostgreSQL), a company of N people in about 60 departments (a tree: the Executive
Team, seven divisions, teams beneath them), every person with a manager, and:
- "2026 H2" in progress: 8 published targets, 5 goals per department aligned to them, an
  approved plan of 5 KPIs for everyone, check-ins on most KPIs, obstacles, resource
  requests (some escalated), coaching comments, notifications;
- "2027 H1" in planning: targets and goals, plans in every state for some of the people;
- an audit log of about 25 events per person (`--audit-events` sets the number).

The demo logins of README.md exist with the demo password: exec (the CEO, heads the
Executive Team), hr (HR admin), head (heads Engineering, a division with teams beneath),
staff (in Engineering), peer (in Sales). Everything is derived from a fixed seed, so two
runs make the same company. Rows are written as they are, not through the services: the
values follow the services' rules (weights add up to 100, plans approved by the
responsible head, KPIs aligned to their department's goals), and the stored aggregates
are computed at the end from what was written.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, text

from .auth.services import hash_password
from .coaching.services.checkins import refresh_latest
from .dashboards.services import trends
from .demo import DEMO_PASSWORD
from .extensions import db
from .models import (
    AuditEvent,
    CheckIn,
    CoachingComment,
    Cycle,
    Department,
    DepartmentGoal,
    DepartmentPlan,
    Kpi,
    Notification,
    Obstacle,
    Person,
    PersonalPlan,
    PersonRole,
    ResourceRequest,
    StrategyTarget,
    TargetRevision,
)
from .permissions.org import bump_org_version
from .planning.services.progress import refresh_goal_sums

DIVISIONS = [  # code, name, teams beneath
    ("ENG", "Engineering", 8), ("SALES", "Sales", 8), ("MKT", "Marketing", 7),
    ("FIN", "Finance", 7), ("HR", "Human Resources", 7), ("OPS", "Customer Operations", 8),
    ("RND", "Research", 7),
]
TEAM_WORDS = ["Platform", "Payments", "Mobile", "Data", "Quality", "Security", "Cloud", "Growth",
              "North", "South", "East", "West", "Partners", "Enterprise", "Retail", "Online"]
FIRST = ["Chen", "Li", "Wang", "Zhang", "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
         "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Gao", "Lin", "Luo", "Anna", "James", "Maria",
         "David", "Sofia", "Omar", "Priya", "Lucas", "Emma", "Noah", "Nina", "Tom", "Sam",
         "Eva", "Ivan", "Lena", "Marco", "Aisha", "Kenji", "Yuki"]
LAST = ["Jing", "Min", "Yang", "Fang", "Na", "Lei", "Wei", "Hui", "Jun", "Ting", "Yan", "Hao",
        "Qiang", "Xia", "Lin", "Bin", "Mei", "Yi", "Okafor", "Berg", "Nair", "Reyes", "Meyer",
        "Costa", "Haddad", "Park", "Kowalski", "Lang", "Novak", "Silva", "Tanaka", "Schmidt",
        "Rossi", "Dubois", "Khan", "Ali", "Moreau", "Smith", "Brown", "Garcia"]
TITLES = ["Software Engineer", "Account Manager", "Analyst", "Specialist", "Consultant",
          "Coordinator", "Designer", "Accountant", "Engineer", "Researcher", "Associate",
          "Support Agent", "Product Manager", "Team Lead"]
TARGETS = ["Grow revenue", "Raise customer satisfaction", "Cut unplanned downtime",
           "Ship the new platform", "Lower cost to serve", "Enter two new markets",
           "Raise employee engagement", "Improve forecast accuracy"]
GOAL_WORDS = ["Deliver", "Improve", "Reduce", "Launch", "Grow", "Automate", "Stabilise",
              "Simplify", "Measure", "Expand"]
KPI_WORDS = ["tickets closed", "features shipped", "deals won", "uptime", "reviews done",
             "defects fixed", "leads qualified", "reports delivered", "trainings given",
             "customer calls", "cost saved", "experiments run"]

AUDIT_ACTIONS = ["kpi.actual_set", "check_in.posted", "kpi.created", "kpi.updated",
                 "plan.submitted", "plan.approved", "plan.created", "person.updated",
                 "goal.updated", "obstacle.raised", "resource_request.raised",
                 "coaching.commented"]

CHUNK = 5000


class NotEmpty(Exception):
    """The database has people in it already."""


def seed_scale(people: int = 10_000, audit_events: int | None = None,
               seed: int = 11) -> dict[str, int]:
    """Write the large company (see the module's docstring); returns rows per table."""
    if db.session.scalar(select(Person.id).limit(1)) is not None:
        raise NotEmpty()
    people = max(people, 200)  # two people at least in every department
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    writer = _Writer()
    password_hash = hash_password(DEMO_PASSWORD)

    # Departments: the Executive Team, divisions beneath it, teams beneath those.
    departments = [{"id": 1, "code": "EXEC", "name": "Executive Team", "parent_id": None}]
    for code, name, teams in DIVISIONS:
        division_id = len(departments) + 1
        departments.append({"id": division_id, "code": code, "name": name, "parent_id": 1})
        for k in range(teams):
            departments.append({"id": len(departments) + 1, "code": f"{code}-{k + 1:02d}",
                                "name": f"{name} {TEAM_WORDS[k]}", "parent_id": division_id})
    by_code = {d["code"]: d for d in departments}

    # People: spread evenly, the first of each department heads it.
    persons, roles = [], []
    share = people // len(departments)
    dept_ids = [d["id"] for d in departments]
    members: dict[int, list[int]] = {d: [] for d in dept_ids}
    for i in range(people):
        person_id = i + 1
        department_id = dept_ids[min(i // share, len(dept_ids) - 1)] if share else 1
        members[department_id].append(person_id)
        persons.append({
            "id": person_id, "username": f"p{person_id:05d}",
            "display_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "email": f"p{person_id:05d}@example.com", "employee_number": f"S{person_id:06d}",
            "job_title": rng.choice(TITLES), "department_id": department_id,
            "manager_id": None, "active": True, "password_hash": None,
            "must_change_password": False, "created_at": now - timedelta(days=400)})
    heads = {d: ids[0] for d, ids in members.items() if ids}
    for d in departments:
        d["head_id"] = heads.get(d["id"])
    for p in persons:
        head = heads[p["department_id"]]
        if p["id"] == head:
            parent = by_code_id(departments, p["department_id"])["parent_id"]
            p["manager_id"] = heads.get(parent) if parent else None
        else:
            p["manager_id"] = head
    # The demo logins.
    named = {
        "exec": (heads[1], "Chen Jing", "Chief Executive Officer"),
        "head": (heads[by_code["ENG"]["id"]], "Zhang Min", "Head of Engineering"),
        "staff": (members[by_code["ENG"]["id"]][1], "Liu Yang", "Software Engineer"),
        "hr": (members[by_code["HR"]["id"]][1], "Guo Mei", "HR Business Partner"),
        "peer": (members[by_code["SALES"]["id"]][1], "Wang Fang", "Account Manager"),
    }
    for username, (person_id, name, title) in named.items():
        p = persons[person_id - 1]
        p.update(username=username, display_name=name, job_title=title,
                 email=f"{username}@example.com", password_hash=password_hash)
    for p in persons:
        roles.append({"person_id": p["id"], "role": "staff"})
    for head in set(heads.values()):
        roles.append({"person_id": head, "role": "head"})
    roles.append({"person_id": named["exec"][0], "role": "executive"})
    roles.append({"person_id": named["hr"][0], "role": "hr_admin"})
    exec_id = named["exec"][0]

    # The head_id foreign key points at people: departments first without heads.
    writer.add(Department, [{**d, "head_id": None} for d in departments])
    writer.add(Person, persons)
    writer.flush()
    for d in departments:
        db.session.execute(Department.__table__.update().where(
            Department.__table__.c.id == d["id"]).values(head_id=d["head_id"]))
    writer.add(PersonRole, roles)

    # Cycles, targets, goals, department plans.
    cycles = [
        {"id": 1, "name": "2026 H2", "start_date": date(2026, 7, 1),
         "end_date": date(2026, 12, 31), "phase": "in_progress"},
        {"id": 2, "name": "2027 H1", "start_date": date(2027, 1, 1),
         "end_date": date(2027, 6, 30), "phase": "planning"},
    ]
    writer.add(Cycle, [{**c, "created_at": now - timedelta(days=180)} for c in cycles])
    targets, revisions, goals, dplans = [], [], [], []
    goals_of: dict[tuple[int, int], list[dict]] = {}
    for cycle in cycles:
        for title in TARGETS:
            target_id = len(targets) + 1
            target = {"id": target_id, "cycle_id": cycle["id"], "title": title,
                      "description": "", "deadline": cycle["end_date"], "owner_id": exec_id,
                      "status": "published", "revision": 1, "metric_type": "percentage",
                      "baseline": Decimal(0), "target_value": Decimal(100), "unit": "%",
                      "created_at": now - timedelta(days=170), "published_at":
                      now - timedelta(days=169)}
            targets.append(target)
            revisions.append({"id": target_id, "target_id": target_id, "revision": 1,
                              "snapshot": {"title": title, "status": "published"},
                              "reason": "", "changed_by_id": exec_id,
                              "changed_at": target["published_at"]})
        cycle_targets = [t["id"] for t in targets if t["cycle_id"] == cycle["id"]]
        for index, d in enumerate(departments):
            own = []
            for k in range(5):
                goal = {"id": len(goals) + 1, "cycle_id": cycle["id"], "department_id": d["id"],
                        "target_id": cycle_targets[(index + k) % len(cycle_targets)],
                        "supports_goal_id": None,
                        "title": f"{GOAL_WORDS[(index + k) % len(GOAL_WORDS)]} "
                                 f"{KPI_WORDS[(index * 3 + k) % len(KPI_WORDS)]} ({k + 1})",
                        "weight": Decimal(20), "metric_type": "numeric",
                        "baseline": Decimal(0), "target_value": Decimal(100), "unit": "",
                        "needs_realignment": False, "created_at": now - timedelta(days=160)}
                goals.append(goal)
                own.append(goal)
            goals_of[(cycle["id"], d["id"])] = own
            dplans.append({"id": len(dplans) + 1, "cycle_id": cycle["id"],
                           "department_id": d["id"], "status": "ready",
                           "ready_at": now - timedelta(days=150)})
    writer.add(StrategyTarget, targets)
    writer.add(TargetRevision, revisions)
    writer.add(DepartmentGoal, goals)
    writer.add(DepartmentPlan, dplans)

    # Plans and KPIs: everyone in the running cycle, some in the one being planned.
    plans, kpis = [], []
    running_kpis = []  # (kpi row, person row)
    for p in persons:
        approver = p["manager_id"] or exec_id
        plan_id = len(plans) + 1
        plans.append({"id": plan_id, "cycle_id": 1, "person_id": p["id"], "status": "approved",
                      "return_comment": "", "revision": 0,
                      "submitted_at": now - timedelta(days=140),
                      "approved_at": now - timedelta(days=138), "approved_by_id": approver,
                      "created_at": now - timedelta(days=145)})
        for k, goal in enumerate(goals_of[(1, p["department_id"])]):
            actual = (Decimal(rng.randrange(0, 120)) if rng.random() < 0.85 else None)
            kpi = {"id": len(kpis) + 1, "plan_id": plan_id, "goal_id": goal["id"],
                   "title": f"{KPI_WORDS[(p['id'] + k) % len(KPI_WORDS)].capitalize()} "
                            f"({k + 1})",
                   "weight": Decimal(20), "actual_value": actual, "origin": "assigned",
                   "proposal_status": None, "head_comment": "", "metric_type": "numeric",
                   "baseline": Decimal(0), "target_value": Decimal(100), "unit": "",
                   "due_date": date(2026, 12, 15), "created_at": now - timedelta(days=145)}
            kpis.append(kpi)
            running_kpis.append((kpi, p))
    planning_states = ["draft", "submitted", "approved", "returned"]
    for p in persons:
        if p["id"] % 5 >= 2 and p["username"] not in ("staff", "head"):
            continue
        status = planning_states[p["id"] % 4]
        plan_id = len(plans) + 1
        plans.append({"id": plan_id, "cycle_id": 2, "person_id": p["id"], "status": status,
                      "return_comment": "Please add a learning goal." if status == "returned"
                      else "", "revision": 0,
                      "submitted_at": now - timedelta(days=3) if status != "draft" else None,
                      "approved_at": now - timedelta(days=1) if status == "approved" else None,
                      "approved_by_id": p["manager_id"] if status == "approved" else None,
                      "created_at": now - timedelta(days=10)})
        for k, goal in enumerate(goals_of[(2, p["department_id"])][:4]):
            kpis.append({"id": len(kpis) + 1, "plan_id": plan_id, "goal_id": goal["id"],
                         "title": f"{KPI_WORDS[(p['id'] + k) % len(KPI_WORDS)].capitalize()} "
                                  f"({k + 1})",
                         "weight": Decimal(25), "actual_value": None, "origin": "assigned",
                         "proposal_status": None, "head_comment": "", "metric_type": "numeric",
                         "baseline": Decimal(0), "target_value": Decimal(100), "unit": "",
                         "due_date": date(2027, 6, 15), "created_at": now - timedelta(days=10)})
    writer.add(PersonalPlan, plans)
    writer.add(Kpi, kpis)

    # Check-ins on the running cycle's KPIs that have an actual; obstacles and requests.
    check_ins, obstacles, requests, comments, notifications = [], [], [], [], []
    for kpi, p in running_kpis:
        if kpi["actual_value"] is None:
            continue
        count = 1 + (kpi["id"] % 3 == 0)
        for n in range(count):
            created = now - timedelta(days=rng.randrange(1, 60), minutes=rng.randrange(1440))
            if n == count - 1:
                created = now - timedelta(days=kpi["id"] % 20, minutes=5)
            entry = {"id": len(check_ins) + 1, "kpi_id": kpi["id"], "author_id": p["id"],
                     "actual_value": kpi["actual_value"],
                     "status": ["on_track", "on_track", "at_risk", "off_track"][kpi["id"] % 4],
                     "confidence": 1 + kpi["id"] % 5, "note": "Steady progress.", "late": False,
                     "created_at": created}
            check_ins.append(entry)
        if entry["id"] % 40 == 0 and p["manager_id"]:
            comments.append({"id": len(comments) + 1, "check_in_id": entry["id"],
                             "person_id": p["id"], "author_id": p["manager_id"],
                             "body": "Good work; let us talk about the next step.",
                             "created_at": entry["created_at"] + timedelta(hours=2),
                             "read_at": None if entry["id"] % 80 else now})
        if entry["status"] == "off_track" and entry["id"] % 7 == 0 and p["manager_id"]:
            status = ["open", "in_hand", "resolved"][entry["id"] % 3]
            obstacles.append({
                "id": len(obstacles) + 1, "cycle_id": 1, "kpi_id": kpi["id"],
                "check_in_id": entry["id"], "raised_by_id": p["id"],
                "owner_id": p["manager_id"], "status": status,
                "description": "Waiting on another team.",
                "resolution": "Unblocked." if status == "resolved" else "",
                "resolved_by_id": p["manager_id"] if status == "resolved" else None,
                "resolved_at": now if status == "resolved" else None,
                "created_at": entry["created_at"]})
        if entry["status"] == "at_risk" and entry["id"] % 11 == 0 and p["manager_id"]:
            status = ["open", "approved", "declined", "approved", "open", "declined",
                      "approved", "open", "approved", "declined", "escalated"][
                          entry["id"] // 11 % 11]
            requests.append({
                "id": len(requests) + 1, "cycle_id": 1, "kpi_id": kpi["id"],
                "check_in_id": entry["id"], "raised_by_id": p["id"],
                "owner_id": p["manager_id"], "status": status, "kind": "tools",
                "what": "A second screen", "why": "Faster reviews.", "needed_by": None,
                "decision_comment": "" if status == "open" else "Decided.",
                "decided_by_id": p["manager_id"] if status in ("approved", "declined")
                else None,
                "decided_at": now if status in ("approved", "declined") else None,
                "escalated_to_id": exec_id if status == "escalated" else None,
                "escalated_at": now if status == "escalated" else None,
                "created_at": entry["created_at"]})
            if status != "open":
                notifications.append({"id": len(notifications) + 1, "recipient_id": p["id"],
                                      "kind": f"request_{status}",
                                      "params": {"actor": "Head", "what": "A second screen",
                                                 "executive": "Chen Jing"},
                                      "subject": f"request:{len(requests)}",
                                      "created_at": now, "read_at": None})
    writer.add(CheckIn, check_ins)
    writer.add(Obstacle, obstacles)
    writer.add(ResourceRequest, requests)
    writer.add(CoachingComment, comments)
    writer.add(Notification, notifications)

    # The audit log: what the work above would have written, and more history.
    total = audit_events if audit_events is not None else 25 * people
    events = []
    start = now - timedelta(days=300)
    span = int((now - start).total_seconds())
    for i in range(total):
        action = AUDIT_ACTIONS[i % len(AUDIT_ACTIONS)]
        kpi = kpis[(i * 7919) % len(kpis)]
        actor = persons[(i * 104729) % len(persons)]["id"]
        events.append({"id": i + 1, "occurred_at": start + timedelta(seconds=span * i // total),
                       "actor_id": actor, "action": action, "object_type": "kpi",
                       "object_id": kpi["id"], "object_label": kpi["title"],
                       "before": {"actual_value": "10.0000"},
                       "after": {"actual_value": "20.0000"}})
        if len(events) >= CHUNK * 4:
            writer.add(AuditEvent, events)
            events = []
    writer.add(AuditEvent, events)
    writer.flush()
    refresh_goal_sums(db.session.connection())  # what the ORM keeps on every KPI write
    refresh_latest(db.session.connection())  # what every check-in keeps on its KPI
    trends.refresh(db.session.connection())  # the dashboards' trend points, likewise
    bump_org_version(db.session.connection())  # the departments written around the ORM
    writer.reset_sequences()
    counts = dict(writer.counts)
    counts["audit_event"] = total
    return counts


def by_code_id(departments: list[dict], department_id: int) -> dict:
    return departments[department_id - 1]


class _Writer:
    """Bulk inserts: COPY on PostgreSQL, executemany elsewhere. Every column is given
    (defaults filled in), since COPY applies none of the models' Python defaults."""

    def __init__(self):
        self.pending: list[tuple] = []
        self.counts: dict[str, int] = {}
        self.postgresql = db.session.get_bind().dialect.name == "postgresql"

    def add(self, model, rows: list[dict]) -> None:
        if rows:
            self.pending.append((model.__table__, rows))
            self.counts[model.__tablename__] = self.counts.get(model.__tablename__, 0) + len(rows)
        if sum(len(r) for _t, r in self.pending) >= CHUNK * 4:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        for table, rows in pending:
            complete = [_complete(table, row) for row in rows]
            if self.postgresql:
                self._copy(table, complete)
            else:
                for at in range(0, len(complete), CHUNK):
                    db.session.execute(insert(table), complete[at:at + CHUNK])

    def _copy(self, table, rows: list[dict]) -> None:
        columns = [c.name for c in table.columns]
        json_columns = {c.name for c in table.columns if isinstance(c.type, db.JSON)}
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([json.dumps(row[c]) if c in json_columns
                                    and row[c] is not None else row[c] for c in columns])

    def reset_sequences(self) -> None:
        """Ids were given explicitly: the next id the database hands out follows them."""
        if not self.postgresql:
            return
        for table in db.metadata.sorted_tables:
            if "id" in table.columns and table.name in self.counts:
                db.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"))
        db.session.execute(text("ANALYZE"))


_DEFAULTS: dict[str, dict] = {}


def _complete(table, row: dict) -> dict:
    defaults = _DEFAULTS.get(table.name)
    if defaults is None:
        defaults = {}
        for column in table.columns:
            default = column.default
            if default is not None and default.is_scalar:
                defaults[column.name] = default.arg
            elif default is not None and default.is_callable:
                defaults[column.name] = default.arg(None)
            else:
                defaults[column.name] = None
        _DEFAULTS[table.name] = defaults
    return {**defaults, **row}


def table_counts() -> dict[str, int]:
    """Rows per table, for the command's report."""
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}
