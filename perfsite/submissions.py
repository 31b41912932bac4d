"""One record per create form, however often it is posted.

Every create form carries a one-time token (`forms.OnceForm`). `submit_once` runs the
creation the first time a token is posted and remembers what it created; a repeat of the
same token (a double click, a resent form, ten parallel posts) creates nothing and is
answered with the first post's record. The token's unique constraint is what stops a race:
of two posts that arrive together, the second's insert fails (PostgreSQL makes it wait for
the first to commit), and it then reads the first's result.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .errors import Invalid
from .extensions import db
from .models import FormSubmission

TOKEN_LENGTH = 64


def _model_for(table: str):
    for mapper in db.Model.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
            return mapper.class_
    return None


def _first_result(submission: FormSubmission):
    model = _model_for(submission.result_type)
    if model is None or submission.result_id is None:
        return None
    return db.session.get(model, submission.result_id)


def submit_once(token, actor, create):
    """Run `create()` once for this form token and return what it created; a repeat of
    the token returns the first post's record instead (None if it created no record)."""
    token = (token or "").strip()
    if not token or len(token) > TOKEN_LENGTH:
        raise Invalid(_l("This form has expired. Reload the page and try again."))
    existing = db.session.scalar(select(FormSubmission).where(FormSubmission.token == token))
    if existing is None:
        submission = FormSubmission(token=token, person_id=actor.id)
        try:
            with db.session.begin_nested():
                db.session.add(submission)
        except IntegrityError:
            existing = db.session.scalar(
                select(FormSubmission).where(FormSubmission.token == token))
        else:
            record = create()
            if record is not None and hasattr(record, "__tablename__"):
                db.session.flush()
                submission.result_type = record.__tablename__
                submission.result_id = record.id
            return record
    if existing is None or existing.person_id != actor.id:
        raise Invalid(_l("This form has expired. Reload the page and try again."))
    return _first_result(existing)
