"""The audit log, for HR: filtered and paginated."""

from flask import Blueprint, current_app, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from .. import permissions as can
from ..extensions import db
from ..models import AuditEvent, Person
from ..web import render
from .services import search_events

bp = Blueprint("audit", __name__)


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    object_type = SelectField(_l("Object"), validators=[Optional()])
    actor = StringField(_l("By (username)"), validators=[Optional(), Length(max=60)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])


@bp.get("/audit")
@can.require(can.can_read_audit)
def index():
    form = AuditFilterForm(request.args)
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    types = db.session.scalars(
        select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type))
    form.action.choices = [("", _l("Any"))] + [(a, a) for a in actions]
    form.object_type.choices = [("", _l("Any"))] + [(t, t) for t in types]
    valid = form.validate()
    actor_id = None
    if valid and form.actor.data:
        actor_id = db.session.scalar(
            select(Person.id).where(Person.username == form.actor.data.strip().lower())) or -1
    stmt = search_events(
        action=form.action.data if valid else None,
        object_type=form.object_type.data if valid else None,
        actor_id=actor_id,
        since=form.since.data if valid else None,
        until=form.until.data if valid else None,
    )
    stmt = stmt.options(selectinload(AuditEvent.actor))  # one query for every actor shown
    page = db.paginate(stmt, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render("audit/index.html", "audit/_events.html", form=form, page=page,
                  status=200 if valid else 422)
