"""The areas the site is made of, in one list, and what `create_app` registers for each.

An area is a package (perfsite/<area>/) whose blueprint lives in its __init__.py; its view
modules add their routes to that blueprint and import the package, never each other. They
are imported here, so that nothing inside an area has to import its own views.

`plug_in(app)` lists what each area plugs into the others (perfsite/plugins.py): score
sources, phase hooks, to-do collectors and notification hooks. Nothing is plugged in by
importing a module; what is not listed here does not happen.
"""

from __future__ import annotations

from flask import Flask

from . import (
    audit,
    auth,
    coaching,
    cycles,
    dashboards,
    exports,
    feedback,
    interviews,
    main,
    notify,
    org,
    planning,
    reviews,
    signin,
    talent,
)

# The view modules: each adds its routes to its area's blueprint.
from .audit import views as _audit_views  # noqa: F401
from .auth import views as _auth_views  # noqa: F401
from .coaching import views as _coaching_views  # noqa: F401
from .cycles import views as _cycles_views  # noqa: F401
from .dashboards import views as _dashboards_views  # noqa: F401
from .exports import report_views as _report_views  # noqa: F401
from .exports import views as _exports_views  # noqa: F401
from .feedback import views as _feedback_views  # noqa: F401
from .interviews import views as _interviews_views  # noqa: F401
from .main import views as _main_views  # noqa: F401
from .notify import views as _notify_views  # noqa: F401
from .org import import_views as _org_import_views  # noqa: F401
from .org import views as _org_views  # noqa: F401
from .planning import department_views as _department_views  # noqa: F401
from .planning import plan_views as _plan_views  # noqa: F401
from .planning import target_views as _target_views  # noqa: F401
from .planning import views as _planning_views  # noqa: F401
from .reviews import views as _reviews_views  # noqa: F401
from .signin import views as _signin_views  # noqa: F401
from .talent import views as _talent_views  # noqa: F401

BLUEPRINTS = (
    main.bp, auth.bp, org.bp, cycles.bp, audit.bp,
    planning.bp,  # strategy targets, department goals, people's plans
    coaching.bp,  # during the cycle
    reviews.bp,  # reviews and calibration
    dashboards.bp, exports.bp, exports.reports,  # dashboards, exports, the printable review
    feedback.bp,  # 360-degree feedback
    interviews.bp,  # feedback interviews and outcomes
    notify.bp,  # chat channels, the delivery log, e-mail preferences
    talent.bp,  # resource allocation and the talent review
    signin.bp,  # single sign-on, the directory sync, HR's sign-in settings
)


def register(app: Flask) -> None:
    """Register every area's blueprint on `app`."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def plug_in(app: Flask) -> None:
    """What each area adds to the others, for `app`, in the order it runs."""
    from .coaching.services import checkins, kept_todos
    from .coaching.services import todos as coaching_todos  # noqa: F401  (collects the rest)
    from .dashboards.services import kept_figures, trends
    from .feedback.services import completion as feedback_completion
    from .feedback.services import report as feedback_report
    from .feedback.services import todos as feedback_todos
    from .interviews.services import interviews as interview_services
    from .interviews.services import todos as interview_todos
    from .models import Phase
    from .notify import group, personal
    from .permissions import ENTERED_PHASES
    from .plugins import (
        COMPETENCY_SOURCES,
        NOTIFICATION_HOOKS,
        PHASE_HOOKS,
        TODO_COLLECTORS,
        add,
    )
    from .reviews.services import scores

    # The final score's competency inputs: the manager's ratings, then the 360 groups that
    # pass the anonymity threshold.
    add(app, COMPETENCY_SOURCES, scores.manager_ratings)
    add(app, COMPETENCY_SOURCES, feedback_report.feedback_groups)

    # As a cycle moves forward into a phase, in the same transaction:
    # interviews: earlier interviews' goal drafts become proposals as planning opens;
    add(app, PHASE_HOOKS, (Phase.PLANNING, interview_services.propose_goal_drafts))
    # 360 feedback: late answers folded into the stored scores as calibration opens;
    add(app, PHASE_HOOKS, (Phase.CALIBRATION, feedback_completion.fold_in_late_answers))
    # notify: every chat channel hears each phase a cycle enters.
    for phase in ENTERED_PHASES:
        add(app, PHASE_HOOKS, (phase, group.announce_phase))

    # To-dos beside planning's, coaching's and reviews' own (coaching/services/todos.py).
    add(app, TODO_COLLECTORS, feedback_todos.collect)
    add(app, TODO_COLLECTORS, interview_todos.collect)

    # Every in-app notification is also e-mailed, as each person chose (perfsite/notify).
    add(app, NOTIFICATION_HOOKS, personal.on_notification)

    # Kept figures, written in the same flush as what moves them (issue 21): each KPI's
    # latest check-in (should a check-in be removed) and the dashboards' trend points.
    checkins.listen()
    kept_todos.listen()  # everyone's to-do counts, kept by the transaction that moves them
    trends.listen()
    # each department's summary figures per cycle, kept likewise (the dashboards read them)
    kept_figures.listen()
