"""The audit log, for HR: filtered, paginated, and worded for reading (readable.py)."""

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from .. import permissions as can
from ..extensions import db
from ..models import AuditEvent, Person
from ..paging import window
from ..rules import to_id
from ..web import render
from . import bp
from .readable import action_choices, describe, object_choices
from .services import search_events


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    object_type = SelectField(_l("Object"), validators=[Optional()])
    # a people picker (templates/_macros/people_picker.html): a username, found by name
    actor = StringField(_l("By (username)"), validators=[Optional(), Length(max=60)],
                        description=_l("Their username; search by name to find it."))
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])


@bp.get("/audit")
@can.require(can.can_read_audit)
def index():
    form = AuditFilterForm(request.args)
    # The choices are every kind of event the site writes: no scan of the log for them.
    form.action.choices = [("", _l("Any"))] + action_choices()
    form.object_type.choices = [("", _l("Any"))] + object_choices()
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
        reader=current_user,
    )
    stmt = stmt.options(selectinload(AuditEvent.actor))  # one query for every actor shown
    # Not counted: a total would scan the whole log on every request (paging.py).
    page = window(stmt, to_id(request.args.get("page")) or 1, current_app.config["PAGE_SIZE"])
    return render("audit/index.html", "audit/_events.html", form=form, page=page,
                  events=describe(page.items), status=200 if valid else 422)
