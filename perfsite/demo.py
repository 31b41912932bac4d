"""The demo company: a believable org chart; "2027 H1" in planning; "2026 H2" in review (after
its check-ins), with `staff`'s self-review to write and `head`'s reviews waiting; "2026 H1"
closed, with every review, score and some calibrated ratings.

Idempotent: everything is looked up by its natural key (department code, username, cycle
name) and created only when missing, so running it twice changes nothing.

In another language (`seed_demo_company(lang="zh_CN")`, `flask seed-demo --lang zh_CN`) the
same company is written in it: every text below (names, departments, targets, KPI titles,
units, comments) goes through that language's table (demo_zh.TEXTS) while it is seeded, and
the demo's people read the site in it. Codes, usernames and choices stay the same, so the
demo logins are the same in every language.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import func, select

from . import permissions as can
from .auth.services import hash_password
from .cycles import services as cycles
from .extensions import db
from .models import Cycle, Department, KeyPosition, Person, PersonRole, Phase, Role
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


def _hr_admin(password_hash) -> tuple[Person, bool]:
    """The HR admin the demo acts as: the first one there is, or the demo's own `hr`
    (Guo Mei), bootstrapped into an empty company. Returns (admin, created)."""
    admin = db.session.scalar(select(Person).join(PersonRole)
                              .where(PersonRole.role == Role.HR_ADMIN.value)
                              .order_by(Person.id).limit(1))
    if admin is not None:
        return admin, False
    username, name, title, _dept, _manager, _roles = next(p for p in PEOPLE if p[0] == "hr")
    number = 1001 + [p[0] for p in PEOPLE].index("hr")
    return org.bootstrap_admin(username=username, display_name=name, job_title=title,
                               email=f"{username}@example.com", employee_number=f"E{number}",
                               password_hash=password_hash), True


# The demo in another language ------------------------------------------------------------

LANGUAGES = ("en", "zh_CN")
_language = {"code": "en"}


def _texts() -> dict[str, str]:
    if _language["code"] == "zh_CN":
        from .demo_zh import TEXTS

        return TEXTS
    return {}


def _t(text: str) -> str:
    """A text written in a function below, in the language being seeded."""
    return _texts().get(text, text)


def _in_language(value):
    """A table of the demo's with every text in the language being seeded (what is no text,
    such as a code or a username, is in no language's table and stays)."""
    if isinstance(value, str):
        return _t(value)
    if isinstance(value, tuple):
        return tuple(_in_language(v) for v in value)
    if isinstance(value, list):
        return [_in_language(v) for v in value]
    if isinstance(value, dict):
        return {_in_language(k): _in_language(v) for k, v in value.items()}
    return value


# The module's tables that hold texts (read by the functions below when they run).
TABLES = ("DEPARTMENTS", "PEOPLE", "CYCLE", "TARGETS", "GOALS", "KPIS", "RUNNING_CYCLE",
          "RUNNING_GOALS", "RUNNING_KPIS", "CLOSED_CYCLE", "CLOSED_TARGET", "CLOSED_PLANS",
          "CALIBRATIONS", "CLOSED_FEEDBACK", "CLOSED_NOTES", "CLOSED_ITEMS")


@contextmanager
def demo_language(lang: str) -> Iterator[None]:
    """While seeding: the tables in `lang`, and `_t` answering in it; as they were after."""
    if lang not in LANGUAGES:
        raise ValueError(f"the demo speaks {', '.join(LANGUAGES)}, not {lang}")
    module = globals()
    saved = {name: module[name] for name in TABLES}
    _language["code"] = lang
    try:
        module.update({name: _in_language(table) for name, table in saved.items()})
        yield
    finally:
        module.update(saved)
        _language["code"] = "en"


def seed_demo_company(lang: str = "en") -> dict[str, int]:
    """Create what is missing of the demo company, in `lang` (en or zh_CN); returns how many
    of each were added."""
    with demo_language(lang):
        added = _seed_demo_company()
        if lang != "en":  # the demo's people read the site in the demo's language
            usernames = [p[0] for p in PEOPLE]
            for person in db.session.scalars(select(Person).where(
                    Person.username.in_(usernames), Person.locale.is_(None))):
                person.locale = lang
            db.session.flush()
    return added


def _seed_demo_company() -> dict[str, int]:
    added = {"departments": 0, "people": 0, "cycles": 0}
    # One argon2 hash for every demo account (their password is published anyway): hashing
    # forty times at production cost made the first `make run` wait half a minute.
    password_hash = hash_password(DEMO_PASSWORD)
    hr, created = _hr_admin(password_hash)
    added["people"] += created
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    for code, name, parent in DEPARTMENTS:
        if code not in departments:
            departments[code] = org.create_department(
                hr, code=code, name=name,
                parent_id=departments[parent].id if parent else None)
            added["departments"] += 1

    people = {p.username: p for p in db.session.scalars(select(Person))}
    for number, (username, name, title, dept, manager, roles) in enumerate(PEOPLE, start=1001):
        if username in people:
            continue
        people[username] = org.create_person(
            hr, username=username, display_name=name, job_title=title,
            email=f"{username}@example.com",
            employee_number=f"E{number}",
            department_id=departments[dept].id,
            manager_id=people[manager].id if manager else None,
            roles=[Role(r) for r in roles],
            password_hash=password_hash,
        )
        added["people"] += 1

    if created:  # the bootstrapped admin joins their department and manager now
        org.update_person(hr, hr, expected_version=hr.version,
                          department_id=departments["HR"].id, manager_id=people["hr.lead"].id)
    for code, username in HEADS.items():
        department = departments[code]
        if department.head_id is None:
            org.update_department(department, hr, expected_version=department.version,
                                  head_id=people[username].id)

    if db.session.scalar(select(Cycle.id).where(Cycle.name == CYCLE["name"])) is None:
        cycle = cycles.create_cycle(hr, **CYCLE)
        cycles.move_phase(cycle, hr, Phase.PLANNING)
        added["cycles"] += 1
    added.update(seed_planning())  # planning
    added.update(seed_coaching())  # during the cycle, then its reviews
    added.update(seed_closed_cycle())  # a closed cycle with results
    added.update(seed_feedback())  # 360 feedback in both
    added.update(seed_interviews())  # feedback interviews: one scheduled now
    return added


# Planning ------------------------------------------------------------------------
#
# The demo cycle gets published strategy targets, goals for every department (ready plans),
# approved plans for most people, one plan submitted and waiting for `head` (Sam Okafor's,
# with a proposal to decide), and a draft for `staff` whose KPI weights add up to 90.

# key, title, metric, baseline, target, unit, owner, description
TARGETS = [
    ("revenue", "Grow annual recurring revenue to 52 M CNY", "numeric", "40", "52", "M CNY",
     "cfo", "Recurring revenue at the end of June, from the finance dashboard."),
    ("csat", "Raise customer satisfaction to 90%", "percentage", "82", "90", "%", "coo",
     "Share of support surveys answered 4 or 5."),
    ("resolution", "Cut average ticket resolution time to 20 hours", "numeric", "30", "20",
     "hours", "coo", "Mean time from a ticket opening to its resolution."),
    ("portal", "Launch the customer self-service portal", "milestone", "0", "1", "", "exec",
     "Customers manage accounts, invoices and tickets themselves."),
]

# department, title, serves (target key, ("supports", dept, goal title) or None), metric,
# baseline, target, unit, weight, contributing departments
GOALS = [
    ("SALES", "Close 6 M CNY of new business", "revenue", "numeric", "0", "6", "M CNY", "60", []),
    ("SALES", "Renew 95% of key accounts", "revenue", "percentage", "88", "95", "%", "40", []),
    ("ENG", "Ship the self-service portal", "portal", "milestone", "0", "1", "", "50",
     ["OPS", "MKT"]),
    ("ENG", "Fix customer-reported bugs within 3 days", "resolution", "numeric", "7", "3",
     "days", "30", []),
    ("ENG", "Keep platform uptime at 99.9%", None, "percentage", "99.5", "99.9", "%", "20", []),
    ("MKT", "Generate 1,200 qualified leads", "revenue", "numeric", "700", "1200", "leads",
     "60", []),
    ("MKT", "Drive portal adoption to 40% of customers",
     ("supports", "ENG", "Ship the self-service portal"), "percentage", "0", "40", "%", "40", []),
    ("FIN", "Close the books within 5 working days", None, "numeric", "9", "5", "days", "50",
     []),
    ("FIN", "Forecast revenue within 5% accuracy", "revenue", "percentage", "12", "5",
     "% error", "50", []),
    ("HR", "Hire 15 engineers and sales staff", "revenue", "numeric", "0", "15", "hires", "50",
     []),
    ("HR", "Train every head in coaching conversations", "csat", "percentage", "20", "100", "%",
     "50", []),
    ("OPS", "Resolve tickets within 20 hours on average", "resolution", "numeric", "30", "20",
     "hours", "60", ["ENG"]),
    ("OPS", "Raise support CSAT to 90%", "csat", "percentage", "82", "90", "%", "40", []),
    ("EXEC", "Run a monthly strategy review", None, "numeric", "0", "6", "reviews", "100", []),
]

# department -> the KPIs each of its people gets: title, goal title, metric, baseline,
# target, unit, weight (adding up to 100)
KPIS = {
    "SALES": [("New business closed", "Close 6 M CNY of new business", "numeric", "0", "1.2",
               "M CNY", "50"),
              ("Key accounts renewed", "Renew 95% of key accounts", "percentage", "85", "95",
               "%", "30"),
              ("Pipeline reviews held", "Close 6 M CNY of new business", "numeric", "0", "12",
               "reviews", "20")],
    "ENG": [("Portal features delivered on time", "Ship the self-service portal", "milestone",
             "0", "1", "", "40"),
            ("Customer bugs fixed within 3 days", "Fix customer-reported bugs within 3 days",
             "percentage", "60", "90", "%", "30"),
            ("Incidents resolved within the SLO", "Keep platform uptime at 99.9%", "percentage",
             "90", "99", "%", "20"),
            ("Support auto-triage shipped", "Resolve tickets within 20 hours on average",
             "milestone", "0", "1", "", "10")],
    "MKT": [("Qualified leads generated", "Generate 1,200 qualified leads", "numeric", "0",
             "300", "leads", "60"),
            ("Portal adoption campaigns run", "Drive portal adoption to 40% of customers",
             "numeric", "0", "4", "campaigns", "40")],
    "FIN": [("Close tasks done on time", "Close the books within 5 working days",
             "percentage", "70", "100", "%", "60"),
            ("Forecast variance", "Forecast revenue within 5% accuracy", "percentage", "12",
             "5", "%", "40")],
    "HR": [("Hires closed", "Hire 15 engineers and sales staff", "numeric", "0", "5", "hires",
            "60"),
           ("Coaching workshops delivered", "Train every head in coaching conversations",
            "numeric", "0", "6", "workshops", "40")],
    "OPS": [("Average resolution time", "Resolve tickets within 20 hours on average",
             "numeric", "30", "20", "hours", "60"),
            ("CSAT of my tickets", "Raise support CSAT to 90%", "percentage", "82", "90", "%",
             "40")],
    "EXEC": [("Strategy reviews prepared", "Run a monthly strategy review", "numeric", "0",
              "6", "reviews", "100")],
}

WAITING_FOR_HEAD = "sam.okafor"  # submitted, with a proposal for `head` to decide
DRAFT_AT_90 = "staff"


def seed_planning() -> dict[str, int]:
    """Fill the demo cycle's planning (idempotent: looks up by title and person)."""
    from decimal import Decimal

    from .models import DepartmentGoal, PersonalPlan, StrategyTarget
    from .planning.services import goals as goal_services
    from .planning.services import plans as plan_services
    from .planning.services import targets as target_services

    added = {"targets": 0, "goals": 0, "plans": 0}
    cycle = db.session.scalar(select(Cycle).where(Cycle.name == CYCLE["name"]))
    if cycle is None or not can.is_allowed(cycle, "edit_plans"):
        return added  # planning data is only seeded while the demo cycle is in planning
    people = {p.username: p for p in db.session.scalars(select(Person))}
    departments = {d.code: d for d in db.session.scalars(select(Department))}

    existing = {t.title: t for t in db.session.scalars(
        select(StrategyTarget).where(StrategyTarget.cycle_id == cycle.id))}
    targets = {}
    for key, title, metric, baseline, target, unit, owner, description in TARGETS:
        if title not in existing:
            existing[title] = target_services.create_target(
                cycle, people[owner], title=title, description=description, metric_type=metric,
                baseline=Decimal(baseline), target_value=Decimal(target), unit=unit,
                deadline=CYCLE["end_date"], owner_id=people[owner].id)
            target_services.publish_target(existing[title], people[owner],
                                           expected_version=existing[title].version)
            added["targets"] += 1
        targets[key] = existing[title]

    goals = {(g.department_id, g.title): g for g in db.session.scalars(
        select(DepartmentGoal).where(DepartmentGoal.cycle_id == cycle.id))}
    for code, title, serves, metric, baseline, target, unit, weight, helpers in GOALS:
        department = departments[code]
        if (department.id, title) in goals:
            continue
        head = people[HEADS[code]]
        alignment = {"target_id": None, "supports_goal_id": None}
        if isinstance(serves, tuple):
            alignment["supports_goal_id"] = goals[(departments[serves[1]].id, serves[2])].id
        elif serves:
            alignment["target_id"] = targets[serves].id
        goals[(department.id, title)] = goal_services.create_goal(
            cycle, department, head, title=title, metric_type=metric,
            baseline=Decimal(baseline), target_value=Decimal(target), unit=unit,
            weight=Decimal(weight), due_date=CYCLE["end_date"],
            contributor_ids=[departments[c].id for c in helpers], **alignment)
        added["goals"] += 1
    for code, department in departments.items():
        plan = goal_services.department_plan(cycle.id, department.id)
        if (plan is None or not plan.is_ready) and code in HEADS:
            if goal_services.goal_weight_total(cycle.id, department).complete:
                goal_services.mark_plan_ready(cycle, department, people[HEADS[code]])

    planned = set(db.session.scalars(
        select(PersonalPlan.person_id).where(PersonalPlan.cycle_id == cycle.id)))
    goal_ids = {title: g.id for (_d, title), g in goals.items()}
    for username, _name, _title, code, manager, _roles in PEOPLE:
        person = people[username]
        if person.id in planned or manager is None:
            continue  # nobody above the CEO approves their plan
        approver = people[manager]
        plan = plan_services.plan_for(cycle, person)
        templates = KPIS[code]
        if code != "ENG" or username == "priya.nair":
            kept = templates
        else:  # only the SRE serves Operations' goal; the others' first KPI takes its 10
            kept = [(t, g, m, b, v, u, str(Decimal(w) + 10) if i == 0 else w)
                    for i, (t, g, m, b, v, u, w) in enumerate(templates[:3])]
        if username == DRAFT_AT_90:
            kept = [(t, g, m, b, v, u, w) for t, g, m, b, v, u, w in templates[:3]]  # 90
        if username == WAITING_FOR_HEAD:
            kept = [(t, g, m, b, v, u, w) for t, g, m, b, v, u, w in templates[:3]]
        for title, goal_title, metric, baseline, target, unit, weight in kept:
            plan_services.assign_kpi(
                plan, approver, title=title, goal_id=goal_ids[goal_title], metric_type=metric,
                baseline=Decimal(baseline), target_value=Decimal(target), unit=unit,
                weight=Decimal(weight), due_date=CYCLE["end_date"])
        added["plans"] += 1
        if username == DRAFT_AT_90:
            continue
        if username == WAITING_FOR_HEAD:
            plan_services.propose_kpi(
                plan, person, title=_t("Mentor two junior engineers"),
                goal_id=goal_ids[_t("Keep platform uptime at 99.9%")], metric_type="numeric",
                baseline=Decimal(0), target_value=Decimal(2), unit=_t("people"),
                weight=Decimal(10), due_date=CYCLE["end_date"])
            plan_services.submit_plan(plan, person, expected_version=plan.version)
            continue
        plan_services.submit_plan(plan, person, expected_version=plan.version)
        plan_services.approve_plan(plan, approver, expected_version=plan.version)
    return added


# During the cycle -------------------------------------------------------------------
#
# "2027 H1" is in planning, where nobody checks in, so an earlier cycle "2026 H2" runs in
# progress: Engineering has approved plans, a few check-ins, an open obstacle and an open
# resource request raised by `staff` for `head`, and one obstacle that is overdue.

RUNNING_CYCLE = {"name": "2026 H2", "start_date": date(2026, 7, 1),
                 "end_date": date(2026, 12, 31)}
RUNNING_GOALS = [("Launch the developer portal beta", "60"), ("Cut incidents by half", "40")]
# username -> (KPI title, goal index, weight, baseline, target, unit)
RUNNING_KPIS = {
    "staff": [("Portal pages shipped", 0, "70", "0", "20", "pages"),
              ("On-call incidents closed within a day", 1, "30", "50", "90", "%")],
    "sam.okafor": [("Portal API endpoints live", 0, "60", "0", "30", "endpoints"),
                   ("Post-mortems written", 1, "40", "0", "6", "reports")],
    "wu.xia": [("Automated portal test coverage", 0, "100", "20", "80", "%")],
}


def seed_coaching() -> dict[str, int]:
    """The running demo cycle (idempotent: skipped when "2026 H2" exists)."""
    from datetime import timedelta
    from decimal import Decimal

    from .coaching.services import checkins, obstacles, requests
    from .models import utcnow
    from .planning.services import goals as goal_services
    from .planning.services import plans as plan_services
    from .planning.services import targets as target_services

    added = {"running cycles": 0}
    if db.session.scalar(select(Cycle.id).where(Cycle.name == RUNNING_CYCLE["name"])):
        return added
    people = {p.username: p for p in db.session.scalars(select(Person))}
    eng = db.session.scalar(select(Department).where(Department.code == "ENG"))
    head, executive = people["head"], people["exec"]
    hr = db.session.scalar(select(Person).join(PersonRole)
                           .where(PersonRole.role == Role.HR_ADMIN.value).order_by(Person.id))
    cycle = cycles.create_cycle(hr, **RUNNING_CYCLE)
    cycles.move_phase(cycle, hr, Phase.PLANNING)
    target = target_services.create_target(
        cycle, executive, title=_t("Open the platform to partners"), metric_type="milestone",
        baseline=Decimal(0), target_value=Decimal(1), owner_id=executive.id,
        deadline=RUNNING_CYCLE["end_date"])
    target_services.publish_target(target, executive, expected_version=target.version)
    goals = [goal_services.create_goal(cycle, eng, head, title=title, metric_type="numeric",
                                       baseline=Decimal(0), target_value=Decimal(1),
                                       weight=Decimal(weight), target_id=target.id,
                                       supports_goal_id=None)
             for title, weight in RUNNING_GOALS]
    # resource allocation: what the head decides Sam Okafor's request against
    from .talent.services import allocations

    allocation = allocations.allocate(target, executive, currency="CNY", budget="500000.00",
                                      headcount=2, expected_version="", now=utcnow())
    allocations.split(allocation, executive, shares={eng.id: ("400000.00", 2)},
                      expected_version=allocation.version, now=utcnow())
    kpis = {}
    for username, rows in RUNNING_KPIS.items():
        person = people[username]
        plan = plan_services.plan_for(cycle, person)
        kpis[username] = [plan_services.assign_kpi(
            plan, head, title=title, goal_id=goals[goal].id, metric_type="numeric",
            baseline=Decimal(baseline), target_value=Decimal(target_value), unit=unit,
            weight=Decimal(weight), due_date=RUNNING_CYCLE["end_date"])
            for title, goal, weight, baseline, target_value, unit in rows]
        plan_services.submit_plan(plan, person, expected_version=plan.version)
        plan_services.approve_plan(plan, head, expected_version=plan.version)
    cycles.move_phase(cycle, hr, Phase.IN_PROGRESS)

    now = utcnow()
    staff, sam = people["staff"], people["sam.okafor"]
    checkins.post_check_in(kpis["staff"][0], staff, actual_value="6", status="on_track",
                           confidence=4, note=_t("Docs and search pages are live."),
                           now=now - timedelta(days=20))
    checkins.post_check_in(
        kpis["staff"][0], staff, actual_value="8", status="at_risk", confidence=3,
        note=_t("Waiting for the design review."), now=now - timedelta(days=3),
        obstacle=_t("The design team has no slot for the portal review this month."),
        request={"kind": "training", "what": _t("Accessibility testing course"),
                 "why": _t("The portal must pass an accessibility audit before launch."),
                 "needed_by": None})
    checkins.post_check_in(kpis["sam.okafor"][0], sam, actual_value="12", status="on_track",
                           confidence=4, note=_t("Auth and billing endpoints done."),
                           now=now - timedelta(days=12))
    obstacles.raise_obstacle(kpis["sam.okafor"][0], sam, now=now - timedelta(days=12),
                             description=_t("The partner sandbox keeps expiring our API keys."))
    requests.raise_request(kpis["sam.okafor"][1], sam, kind="tools",
                           what=_t("Incident timeline tool licence"),
                           why=_t("Writing post-mortems by hand takes a day each."), now=now)
    added["running cycles"] += 1
    _open_reviews(cycle, hr, people, now)
    return added


# Reviews -------------------------------------------------------------------------------------
#
# "2026 H2" moves on to review once its check-ins are in (check-ins stay possible there, as
# late updates): Sam Okafor has submitted his self-review, Wu Xia has a draft, `staff` has
# theirs to write, and `head` has all three manager reviews waiting.

def _open_reviews(cycle: Cycle, hr: Person, people: dict, now) -> None:
    from datetime import timedelta

    from .models import ReviewKind

    cycles.move_phase(cycle, hr, Phase.REVIEW)
    sam, wu = people["sam.okafor"], people["wu.xia"]
    _write_review(cycle, sam, sam, ReviewKind.SELF, [4, 5], [4, 4, 3, 5],
                  now - timedelta(days=1), submit=True,
                  achievements=_t("Auth, billing and search endpoints are live for partners."),
                  obstacles=_t("The partner sandbox kept expiring our keys for two weeks."),
                  learning=_t("Running incident reviews without blame."))
    _write_review(cycle, wu, wu, ReviewKind.SELF, [3], [4, None, None, None], now,
                  submit=False, achievements=_t("Test coverage went from 20% to 55%."))


def _write_review(cycle, person, author, kind, kpi_scores, ratings, now, *, submit: bool,
                  **texts):
    """Save (and submit) a review with scores in the order of the plan's KPIs and ratings in
    the order of the cycle's competencies (None leaves one empty)."""
    from .reviews.services import reviews
    from .reviews.services.reviews import competency_field, kpi_field

    review = reviews.review_for(cycle, person, kind)
    subject = reviews.subject_of(cycle, person)
    values = dict(texts)
    for kpi, score in zip(subject.kpis, kpi_scores, strict=False):
        values[kpi_field(kpi.id, "score")] = score
    for competency, rating in zip(subject.competencies, ratings, strict=False):
        values[competency_field(competency, "rating")] = rating
    reviews.save_draft(review, author, expected_version=review.version or "", values=values,
                       now=now)
    if submit:
        reviews.submit(review, author, expected_version=review.version, now=now)
    return review


# A closed cycle with results -------------------------------------------------------------------
#
# "2026 H1" is closed: Engineering, Sales and Customer Operations (heads included) had approved
# plans with two KPIs each, checked in, wrote self-reviews and were reviewed by whoever
# approves their plan; HR and an executive calibrated two ratings. Sun Hao never submitted a
# self-review, so his final score leaves that component out.

CLOSED_CYCLE = {"name": "2026 H1", "start_date": date(2026, 1, 1),
                "end_date": date(2026, 6, 30)}
CLOSED_TARGET = ("Grow recurring revenue to 40 M CNY", "numeric", "32", "40", "M CNY")
# department -> (goal, [(KPI title, metric, baseline, target, unit, weight), …])
CLOSED_PLANS = {
    "ENG": ("Deliver the platform roadmap",
            [("Roadmap features shipped on schedule", "numeric", "0", "10", "features", "60"),
             ("Incidents resolved within the SLA", "percentage", "80", "95", "%", "40")]),
    "SALES": ("Grow new business",
              [("New contracts signed", "numeric", "0", "12", "contracts", "60"),
               ("Key accounts renewed", "percentage", "80", "95", "%", "40")]),
    "OPS": ("Faster, friendlier support",
            [("Tickets resolved within a day", "percentage", "70", "90", "%", "60"),
             ("Satisfaction with my tickets", "percentage", "80", "90", "%", "40")]),
}
# The reviews: manager's KPI scores, manager's ratings of the four competencies, the
# person's own KPI scores (None: no self-review submitted).
PROFILES = {
    "S": ([5, 5], [5, 4, 5, 5], [5, 4]),  # goals 5.00, competencies 4.75, self 4.60 -> 4.89
    "A": ([4, 4], [4, 4, 4, 5], [4, 5]),  # 4.00, 4.25, 4.40 -> 4.12
    "B+": ([4, 3], [4, 3, 4, 3], [4, 4]),  # 3.60, 3.50, 4.00 -> 3.61
    "B": ([3, 3], [3, 3, 4, 3], [3, 4]),  # 3.00, 3.25, 3.40 -> 3.12
    "C": ([2, 3], [3, 2, 3, 2], [3, 3]),  # 2.40, 2.50, 3.00 -> 2.49
    "C, no self-review": ([3, 2], [3, 2, 3, 2], None),  # 2.60, 2.50 -> (156 + 75) / 90 = 2.57
    "D": ([1, 2], [2, 1, 2, 2], [3, 2]),  # 1.40, 1.75, 2.60 -> 1.63
}
CLOSED_PEOPLE = {
    "head": "A", "staff": "A", "sam.okafor": "S", "wu.xia": "B", "priya.nair": "A",
    "zhao.qiang": "B", "emma.berg": "B+", "sun.hao": "C, no self-review", "pan.rui": "B",
    "ali.demir": "D",
    "li.na": "B", "peer": "A", "tom.reyes": "S", "gao.yan": "B", "lucas.meyer": "C",
    "he.jun": "B",
    "ops.lead": "A", "maria.lopez": "B", "hu.peng": "B+", "kevin.obrien": "C", "cao.ying": "A",
    "yuki.tanaka": "B", "shen.yu": "S",
}
# username, calibrated by, to, why
CALIBRATIONS = [
    ("tom.reyes", "hr", "A", "Two of his four renewals slipped into July; S is above the "
     "guidance of 10% company-wide."),
    ("kevin.obrien", "exec", "B", "Covered two vacant support seats for three months; the "
     "ticket figures do not show it."),
]
# What a manager's KPI score says about the actual reached (share of baseline -> target).
REACHED = {5: "1.1", 4: "1", 3: "0.85", 2: "0.6", 1: "0.4"}


def seed_closed_cycle() -> dict[str, int]:
    """The closed demo cycle with its results (idempotent: skipped when "2026 H1" exists)."""
    from datetime import timedelta
    from decimal import Decimal

    from .coaching.services import checkins
    from .models import ReviewKind, utcnow
    from .planning.services import goals as goal_services
    from .planning.services import plans as plan_services
    from .planning.services import targets as target_services
    from .reviews.services import calibration, scores

    added = {"closed cycles": 0}
    if db.session.scalar(select(Cycle.id).where(Cycle.name == CLOSED_CYCLE["name"])):
        return added
    people = {p.username: p for p in db.session.scalars(select(Person))}
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    hr = db.session.scalar(select(Person).join(PersonRole)
                           .where(PersonRole.role == Role.HR_ADMIN.value).order_by(Person.id))
    executive = people["exec"]
    moment = utcnow() - timedelta(days=200)
    cycle = cycles.create_cycle(hr, **CLOSED_CYCLE)
    cycles.move_phase(cycle, hr, Phase.PLANNING)
    title, metric, baseline, target_value, unit = CLOSED_TARGET
    target = target_services.create_target(
        cycle, executive, title=title, metric_type=metric, baseline=Decimal(baseline),
        target_value=Decimal(target_value), unit=unit, owner_id=executive.id,
        deadline=CLOSED_CYCLE["end_date"])
    target_services.publish_target(target, executive, expected_version=target.version)
    members = {code: [] for code in CLOSED_PLANS}
    for username, _name, _title, code, manager, _roles in PEOPLE:
        if username in CLOSED_PEOPLE and manager is not None:
            members[code].append(username)
    kpis = {}
    for code, (goal_title, templates) in CLOSED_PLANS.items():
        goal = goal_services.create_goal(
            cycle, departments[code], people[HEADS[code]], title=goal_title,
            metric_type="numeric", baseline=Decimal(0), target_value=Decimal(100),
            weight=Decimal(100), target_id=target.id, supports_goal_id=None)
        for username in members[code]:
            person = people[username]
            approver = people[next(p[4] for p in PEOPLE if p[0] == username)]
            plan = plan_services.plan_for(cycle, person)
            kpis[username] = [plan_services.assign_kpi(
                plan, approver, title=kpi_title, goal_id=goal.id, metric_type=kpi_metric,
                baseline=Decimal(low), target_value=Decimal(high), unit=kpi_unit,
                weight=Decimal(weight), due_date=CLOSED_CYCLE["end_date"])
                for kpi_title, kpi_metric, low, high, kpi_unit, weight in templates]
            plan_services.submit_plan(plan, person, expected_version=plan.version)
            plan_services.approve_plan(plan, approver, expected_version=plan.version)
    seed_closed_allocation(target, people, departments, moment)  # resource allocation
    cycles.move_phase(cycle, hr, Phase.IN_PROGRESS)
    for username, person_kpis in kpis.items():
        manager_scores = PROFILES[CLOSED_PEOPLE[username]][0]
        for kpi, score in zip(person_kpis, manager_scores, strict=True):
            reached = kpi.baseline + (kpi.target_value - kpi.baseline) * Decimal(REACHED[score])
            checkins.post_check_in(kpi, people[username], actual_value=str(reached),
                                   status="on_track" if score >= 3 else "off_track",
                                   confidence=score, now=moment + timedelta(days=150))
    seed_closed_requests(kpis, people, moment + timedelta(days=120))  # drawn on allocations
    cycles.move_phase(cycle, hr, Phase.REVIEW)
    written = moment + timedelta(days=185)
    for username in kpis:
        person = people[username]
        manager_scores, ratings, own = PROFILES[CLOSED_PEOPLE[username]]
        if own is not None:
            _write_review(cycle, person, person, ReviewKind.SELF, own, [4, 4, 4, 4], written,
                          submit=True, achievements=_t("Delivered what the plan asked for."))
        reviewer = people[next(p[4] for p in PEOPLE if p[0] == username)]
        _write_review(cycle, person, reviewer, ReviewKind.MANAGER, manager_scores, ratings,
                      written + timedelta(days=3), submit=True,
                      overall=_t("A fair picture of the half year; see the KPI comments."))
    cycles.move_phase(cycle, hr, Phase.CALIBRATION)
    for username, by, band, reason in CALIBRATIONS:
        result = scores.get_result(cycle, people[username])
        calibration.move_rating(result, people[by], to_band=band, reason=reason,
                                expected_version=result.version,
                                now=written + timedelta(days=4))
    cycles.move_phase(cycle, hr, Phase.INTERVIEWS)
    # Interviews a week ago (a closed cycle's meetings are behind us), after calibration;
    # the talent review after them.
    seed_closed_interviews(cycle, people, hr, written + timedelta(days=8))
    seed_talent_review(cycle, people, hr, written + timedelta(days=10))  # the talent review
    cycles.move_phase(cycle, hr, Phase.CLOSED)
    added["closed cycles"] += 1
    return added


# Resource allocation and the talent review -------------------------------------------
#
# In "2026 H1" the executive allocated budget and headcount to the target and split it
# across Engineering, Sales and Customer Operations; two requests were approved against the
# shares, one beyond Sales' share by the executive, with a reason. After calibration the
# heads assessed their people's potential, HR and an executive moved two people in the
# grid, heads agreed development actions, and HR marked two key positions (one with a
# successor). The running "2026 H2" has an allocation to decide Sam Okafor's request against.

# department code -> budget (CNY), headcount
CLOSED_SHARES = {"ENG": ("900000.00", 3), "SALES": ("600000.00", 2), "OPS": ("300000.00", 1)}
# raiser, KPI index, kind, what, why, amount, headcount, decided by, reason beyond the share
CLOSED_REQUESTS = [
    ("priya.nair", 1, "tools", "Load-test environment", "The SLA target needs load tests "
     "before each release.", "250000.00", 1, "head", ""),
    ("tom.reyes", 0, "budget", "Trade fair stand in Shanghai", "Three of our key accounts "
     "exhibit there.", "650000.00", 0, "exec", "The fair brings two renewals worth more "
     "than the overrun."),
]
# username -> potential (the heads' assessments); the rest of the people rated are medium
POTENTIALS = {
    "sam.okafor": "high", "priya.nair": "high", "tom.reyes": "high", "shen.yu": "high",
    "head": "high", "staff": "medium", "cao.ying": "high", "ali.demir": "low",
    "lucas.meyer": "low", "sun.hao": "low", "kevin.obrien": "medium", "wu.xia": "low",
}
# username, moved by, to box (performance/potential), reason
TALENT_MOVES = [
    ("kevin.obrien", "hr", "medium/high", "Ran the support desk alone for three months; "
     "ready for more."),
    ("tom.reyes", "exec", "high/medium", "Two renewals slipped; his potential is to be "
     "confirmed next cycle."),
]
AGREED_ACTIONS = {
    "sam.okafor": "Nominate for the succession slate of Head of Engineering.",
    "ali.demir": "Improvement plan: pair on code reviews for a quarter.",
    "priya.nair": "Stretch assignment: lead the on-call rota redesign.",
}
# holder, position title, [(successor, readiness)]
KEY_POSITIONS = [
    ("head", "Head of Engineering", [("sam.okafor", "one_two_years")]),
    ("li.na", "Head of Sales", []),
]


def seed_closed_allocation(target, people, departments, moment) -> None:
    from .talent.services import allocations

    executive = people["exec"]
    allocation = allocations.allocate(target, executive, currency="CNY", budget="2000000.00",
                                      headcount=6, expected_version="", now=moment)
    allocations.split(allocation, executive, expected_version=allocation.version, now=moment,
                      shares={departments[code].id: share
                              for code, share in CLOSED_SHARES.items()})


def seed_closed_requests(kpis, people, moment) -> None:
    from .coaching.services import requests
    from .talent.services import allocations

    for (username, index, kind, what, why, amount, heads, decider, reason) in CLOSED_REQUESTS:
        item = requests.raise_request(kpis[username][index], people[username], kind=kind,
                                      what=_t(what), why=_t(why), now=moment)
        share = allocations.drawable(item)[0].share
        if reason:
            requests.decide(item, people[approver_username(username)], decision="escalate",
                            comment=_t("More than our share."),
                            escalate_to_id=people[decider].id,
                            expected_version=item.version, now=moment)
        requests.decide(item, people[decider], decision="approve", comment=_t("Approved."),
                        expected_version=item.version, now=moment, allocation_id=share.id,
                        amount=amount, headcount=heads or None,
                        over_reason=_t(reason) if reason else "")


def approver_username(username: str) -> str:
    return next(p[4] for p in PEOPLE if p[0] == username)


def seed_talent_review(cycle, people, hr, moment) -> None:
    from .models import PersonalPlan
    from .talent.services import review, succession

    settings = review.settings_for(cycle)
    review.update_settings(cycle, hr, columns=dict(settings.columns),
                           guidance=review.DEFAULT_GUIDANCE, expected_version="", now=moment)
    rated = list(db.session.scalars(
        select(Person.username).join(PersonalPlan, PersonalPlan.person_id == Person.id)
        .where(PersonalPlan.cycle_id == cycle.id).order_by(Person.username)))
    assessments = {}
    for username in rated:
        assessment = review.assessment_for(cycle, people[username])
        assessments[username] = review.assess(
            assessment, people[approver_username(username)],
            potential=POTENTIALS.get(username, "medium"),
            comment=_t("Assessed after calibration, against the guidance."),
            expected_version="", now=moment)
    for username, by, box, reason in TALENT_MOVES:
        assessment = assessments[username]
        review.move(assessment, people[by], to_box=box, reason=_t(reason),
                    expected_version=assessment.version, now=moment)
    for username, action in AGREED_ACTIONS.items():
        assessment = assessments[username]
        review.agree_action(assessment, people[approver_username(username)], action=_t(action),
                            expected_version=assessment.version, now=moment)
    for holder, title, successors in KEY_POSITIONS:
        if db.session.scalar(select(KeyPosition.id).where(
                KeyPosition.holder_id == people[holder].id)):
            continue
        position = succession.mark(people[holder], hr, title=_t(title), now=moment)
        for candidate, readiness in successors:
            succession.name_successor(position, hr, candidate_id=people[candidate].id,
                                      readiness=readiness, now=moment)


# 360 feedback ------------------------------------------------------------------------
#
# In "2026 H2" (review) Wang Fang's raters are approved (`staff` among them) and so are
# `head`'s (his direct reports, `staff` too, are asked for upward feedback): `staff` has
# those two requests waiting and has not nominated anyone yet. In the closed "2026 H1",
# `head` has his 360 results: three peers answered (shown) and two direct reports (below
# the threshold of 3: not shown), besides his manager.

CLOSED_FEEDBACK = {
    # rater -> (group, ratings of the four competencies, keep doing, improve)
    "li.na": ("peer", [4, 4, 3, 5], "Shares the roadmap with Sales early.",
              "Say no to late scope changes sooner."),
    "ma.li": ("peer", [5, 4, 4, 4], "Makes launches easy to explain.", ""),
    "fin.lead": ("peer", [4, 3, 4, 4], "", "Budget requests arrive late in the quarter."),
    "sam.okafor": ("report", [5, 5, 4, 4], "Protects our focus time.", "More 1:1s."),
    "wu.xia": ("report", [3, 4, 4, 3], "", "Explain priorities when they change."),
    "exec": ("manager", [4, 4, 4, 5], "Steady delivery of the portal.",
             "Grow a deputy for the team."),
}


def seed_feedback() -> dict[str, int]:
    """360 feedback in the running and the closed demo cycles (idempotent: each cycle is
    skipped once it has feedback requests)."""
    from datetime import timedelta

    from .feedback.services import nominations
    from .models import FeedbackRating, FeedbackRequest, utcnow
    from .reviews.services import settings as review_settings

    added = {"feedback requests": 0}
    people = {p.username: p for p in db.session.scalars(select(Person))}
    running = db.session.scalar(select(Cycle).where(Cycle.name == RUNNING_CYCLE["name"]))
    now = utcnow()

    def has_feedback(cycle) -> bool:
        return db.session.scalar(select(FeedbackRequest.id).where(
            FeedbackRequest.cycle_id == cycle.id).limit(1)) is not None

    if running is not None and can.is_allowed(running, "write_reviews") \
            and not has_feedback(running):
        peer, head = people["peer"], people["head"]
        nominations.nominate(running, peer, peer, usernames="staff, tom.reyes, gao.yan",
                             now=now)
        nominations.approve(running, peer, people["li.na"], now=now)
        nominations.add_raters(running, head, people["exec"],
                               usernames="li.na, ma.li, ops.lead", now=now)
        added["feedback requests"] += db.session.scalar(
            select(func.count(FeedbackRequest.id)).where(FeedbackRequest.cycle_id == running.id))

    closed = db.session.scalar(select(Cycle).where(Cycle.name == CLOSED_CYCLE["name"]))
    if closed is not None and not has_feedback(closed):
        # Written directly: the cycle is closed, where the services accept no answer.
        competencies = review_settings.competencies_for(closed)
        moment = now - timedelta(days=20)
        for username, (group, ratings, keep, improve) in CLOSED_FEEDBACK.items():
            request = FeedbackRequest(
                cycle_id=closed.id, subject_id=people["head"].id,
                rater_id=people[username].id, rater_group=group, status="submitted",
                nominated_by_id=people["exec"].id, keep_doing=keep, improve=improve,
                created_at=moment, updated_at=moment, submitted_at=moment,
                ratings=[FeedbackRating(competency_id=c.id, rating=r)
                         for c, r in zip(competencies, ratings, strict=False)])
            db.session.add(request)
            added["feedback requests"] += 1
        db.session.flush()
        # Released as if the review phase had closed with them in (releases.py), and the
        # head's stored scores take the released groups in: one figure everywhere.
        from .feedback.services import releases

        releases.publish(closed, people["hr"], moment)
    return added


# Feedback interviews and outcomes --------------------------------------------------------------
# In the closed "2026 H1" every interview was held and completed, with notes, an improvement
# plan and outcomes the executives approved; `staff` agreed, `sun.hao` (rated C) disagreed
# and HR upheld the rating. In the running "2026 H2" (still in review) `head` has scheduled
# the interview with `staff` for next week; its notes wait for the interviews phase.

CLOSED_NOTES = {
    "strengths": "Delivers what was agreed; clear written updates.",
    "improve": "Raise risks earlier; share work in progress sooner.",
    "outcomes": "Agreed the plan below; goals for next cycle drafted together.",
}
CLOSED_ITEMS = {
    "staff": [("Present the portal design at the engineering forum", "A slot in the forum",
               "staff", "done"),
              ("Pair with Sam on code reviews every week", "Time in the sprint plan", "head",
               "in_progress")],
    "sun.hao": [("Agree weekly priorities with the head", "A 30-minute 1:1 each week", "head",
                 "open")],
}


def seed_closed_interviews(cycle, people, hr, moment) -> None:
    """Interviews held, completed and acknowledged in the closed cycle, with outcomes."""
    from datetime import timedelta

    from .interviews.services import interviews, outcomes
    from .models import PersonalPlan

    persons = [people[u] for u in db.session.scalars(
        select(Person.username).join(PersonalPlan, PersonalPlan.person_id == Person.id)
        .where(PersonalPlan.cycle_id == cycle.id).order_by(Person.username))]
    for i, person in enumerate(persons):
        head = db.session.get(Person, approver_of(person))
        interview = interviews.interview_for(cycle, person)
        interviews.schedule(interview, head, starts_at=moment + timedelta(hours=i),
                            duration_minutes=45, place=_t("Meeting room 3"), meeting_link="",
                            expected_version="", now=moment)
        for section, text in CLOSED_NOTES.items():
            interviews.save_note(interview, head, section, text, expected_version="",
                                 now=moment)
        for action, support, owner, status in CLOSED_ITEMS.get(person.username, []):
            interviews.add_item(interview, head, action=action, support=support,
                                owner_id=(person if owner != "head" else head).id,
                                due_date=(moment + timedelta(days=90)).date(), status=status)
        if person.username == "staff":
            interviews.add_goal_draft(interview, head, title=_t("Lead the portal's public API"),
                                      description=_t("Design review passed; first partner live."))
        db.session.flush()
        interviews.complete(interview, head, expected_version=interview.version, now=moment)
        db.session.flush()
        disagrees = person.username == "sun.hao"
        interviews.acknowledge(interview, person, agreement="disagree" if disagrees else "agree",
                               comment=_t("My KPIs were cut mid-cycle.") if disagrees else "",
                               expected_version=interview.version, now=moment)
        db.session.flush()
        if disagrees:
            interviews.resolve_appeal(interview, hr, decision="upheld", band=None,
                                      reason=_t("The revised KPIs were agreed in May."),
                                      expected_version=interview.version, now=moment)
    for dept_id, _name, _count in outcomes.pending_by_department(cycle):
        outcomes.approve_department(cycle, people["exec"], dept_id, moment)
    db.session.flush()


def approver_of(person) -> int:
    from . import permissions as can

    return can.reviewer_id(person)


def seed_interviews() -> dict[str, int]:
    """`head`'s interview with `staff` scheduled in the running cycle (idempotent)."""
    from datetime import timedelta

    from .models import Interview, utcnow

    added = {"interviews": 0}
    running = db.session.scalar(select(Cycle).where(Cycle.name == RUNNING_CYCLE["name"]))
    people = {p.username: p for p in db.session.scalars(
        select(Person).where(Person.username.in_(["head", "staff"])))}
    if running is None or len(people) < 2 or db.session.scalar(select(Interview.id).where(
            Interview.cycle_id == running.id, Interview.person_id == people["staff"].id)):
        return added
    # The cycle is still in review: the interview is booked ahead (the services schedule
    # in the interviews phase; the notes wait for it).
    now = utcnow()
    starts = (now + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    db.session.add(Interview(cycle_id=running.id, person_id=people["staff"].id,
                             head_id=people["head"].id, starts_at=starts, duration_minutes=60,
                             place=_t("Meeting room 2"), meeting_link="", created_at=now,
                             updated_at=now))
    db.session.flush()
    added["interviews"] += 1
    return added
