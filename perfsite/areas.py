"""The areas the site is made of, in one list, and what `create_app` registers for each.

An area is a package (perfsite/<area>/) whose blueprint lives in its __init__.py; its view
modules add their routes to that blueprint and import the package, never each other. They
are imported here, so that nothing inside an area has to import its own views.
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

BLUEPRINTS = (
    main.bp, auth.bp, org.bp, cycles.bp, audit.bp,
    planning.bp,  # strategy targets, department goals, people's plans
    coaching.bp,  # during the cycle
    reviews.bp,  # reviews and calibration
    dashboards.bp, exports.bp, exports.reports,  # dashboards, exports, the printable review
    feedback.bp,  # 360-degree feedback
    interviews.bp,  # feedback interviews and outcomes
    notify.bp,  # chat channels, the delivery log, e-mail preferences
)


def register(app: Flask) -> None:
    """Register every area's blueprint on `app`."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
