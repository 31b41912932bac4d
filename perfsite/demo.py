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
    # One argon2 hash for every demo account (their password is published anyway): hashing
    # forty times at production cost made the first `make run` wait half a minute.
    password_hash = None
    for number, (username, name, title, dept, manager, roles) in enumerate(PEOPLE, start=1001):
        if username in people:
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        people[username] = org.create_person(
            username=username, display_name=name, job_title=title,
            email=f"{username}@example.com",
            employee_number=f"E{number}",
            department_id=departments[dept].id,
            manager_id=people[manager].id if manager else None,
            roles=[Role(r) for r in roles],
            password_hash=password_hash,
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
    added.update(seed_planning())  # planning (issue 3)
    added.update(seed_coaching())  # during the cycle (issue 4)
    return added


# Planning (issue 3) ------------------------------------------------------------------------
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
    if cycle is None or cycle.phase != Phase.PLANNING.value:
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
            target_services.publish_target(existing[title], people[owner])
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
        if (plan is None or plan.status != "ready") and code in HEADS:
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
        plan = plan_services.get_or_create_plan(cycle, person, approver)
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
                plan, person, title="Mentor two junior engineers",
                goal_id=goal_ids["Keep platform uptime at 99.9%"], metric_type="numeric",
                baseline=Decimal(0), target_value=Decimal(2), unit="people",
                weight=Decimal(10), due_date=CYCLE["end_date"])
            plan_services.submit_plan(plan, person)
            continue
        plan_services.submit_plan(plan, person)
        plan_services.approve_plan(plan, approver)
    return added


# During the cycle (issue 4) -------------------------------------------------------------------
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
    cycle = cycles.create_cycle(**RUNNING_CYCLE)
    cycles.move_phase(cycle, Phase.PLANNING)
    target = target_services.create_target(
        cycle, executive, title="Open the platform to partners", metric_type="milestone",
        baseline=Decimal(0), target_value=Decimal(1), owner_id=executive.id,
        deadline=RUNNING_CYCLE["end_date"])
    target_services.publish_target(target, executive)
    goals = [goal_services.create_goal(cycle, eng, head, title=title, metric_type="numeric",
                                       baseline=Decimal(0), target_value=Decimal(1),
                                       weight=Decimal(weight), target_id=target.id,
                                       supports_goal_id=None)
             for title, weight in RUNNING_GOALS]
    kpis = {}
    for username, rows in RUNNING_KPIS.items():
        person = people[username]
        plan = plan_services.get_or_create_plan(cycle, person, head)
        kpis[username] = [plan_services.assign_kpi(
            plan, head, title=title, goal_id=goals[goal].id, metric_type="numeric",
            baseline=Decimal(baseline), target_value=Decimal(target_value), unit=unit,
            weight=Decimal(weight), due_date=RUNNING_CYCLE["end_date"])
            for title, goal, weight, baseline, target_value, unit in rows]
        plan_services.submit_plan(plan, person)
        plan_services.approve_plan(plan, head)
    cycles.move_phase(cycle, Phase.IN_PROGRESS)

    now = utcnow()
    staff, sam = people["staff"], people["sam.okafor"]
    checkins.post_check_in(kpis["staff"][0], staff, actual_value="6", status="on_track",
                           confidence=4, note="Docs and search pages are live.",
                           now=now - timedelta(days=20))
    checkins.post_check_in(
        kpis["staff"][0], staff, actual_value="8", status="at_risk", confidence=3,
        note="Waiting for the design review.", now=now - timedelta(days=3),
        obstacle="The design team has no slot for the portal review this month.",
        request={"kind": "training", "what": "Accessibility testing course",
                 "why": "The portal must pass an accessibility audit before launch.",
                 "needed_by": None})
    checkins.post_check_in(kpis["sam.okafor"][0], sam, actual_value="12", status="on_track",
                           confidence=4, note="Auth and billing endpoints done.",
                           now=now - timedelta(days=12))
    obstacles.raise_obstacle(kpis["sam.okafor"][0], sam, now=now - timedelta(days=12),
                             description="The partner sandbox keeps expiring our API keys.")
    requests.raise_request(kpis["sam.okafor"][1], sam, kind="tools",
                           what="Incident timeline tool licence",
                           why="Writing post-mortems by hand takes a day each.", now=now)
    added["running cycles"] += 1
    return added
