"""The dashboards' filter: a cycle and a department, read from the query string (GET, no
CSRF: it changes nothing)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Optional

from ..forms import OptionalIntSelectField


class DashboardFilterForm(FlaskForm):
    class Meta:
        csrf = False

    cycle_id = OptionalIntSelectField(_l("Cycle"), validators=[Optional()])
    department_id = OptionalIntSelectField(_l("Department"), validators=[Optional()])
