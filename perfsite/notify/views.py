"""Pages: HR's chat channels (add, edit, send a test message), HR's delivery log (retry
now), and everyone's e-mail preferences.

Views stay thin: `load` with the access check, the service through `attempt` (one
commit), and a test message or a retry is then tried at once (after that commit, through
the outbox like any delivery), so that HR sees whether it arrived.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import permissions as can
from ..extensions import db
from ..models import DeliveryStatus, Department, NotifyChannel, OutboxMessage, utcnow
from ..models.notify import DELIVERY_STATUS_LABELS
from ..paging import window
from ..rules import to_id
from ..submissions import submit_once
from ..web import attempt, load, render, status_of
from . import bp, channels, outbox, preferences
from .email import mail_enabled
from .forms import ChannelForm, RetryForm, preferences_form


@bp.context_processor
def labels():
    return {"kind_labels": dict(channels.KIND_CHOICES),
            "status_labels": {status.value: label
                              for status, label in DELIVERY_STATUS_LABELS.items()}}


def _me():
    return current_user._get_current_object()


def _department_choices() -> list[tuple[str, str]]:
    departments = db.session.execute(
        select(Department.id, Department.name).where(Department.active.is_(True))
        .order_by(Department.name)).all()
    return [("", _("The whole company"))] + [(str(i), name) for i, name in departments]


def _prepare(form: ChannelForm) -> ChannelForm:
    form.kind.choices = [(code, str(label)) for code, label in channels.KIND_CHOICES]
    form.department_id.choices = _department_choices()
    return form


def _fields(form: ChannelForm) -> dict:
    return {"kind": form.kind.data, "name": form.name.data,
            "department_id": form.department_id.data, "locale": form.locale.data,
            "url": form.url.data, "secret": form.secret.data}


# Channels ------------------------------------------------------------------------------------

@bp.get("/channels")
@can.require(can.can_manage_channels)
def channel_list():
    found = db.session.scalars(select(NotifyChannel).order_by(
        NotifyChannel.active.desc(), NotifyChannel.name)).all()
    return render("notify/channels.html", channels=found, action_form=RetryForm(),
                  readable={c.id: channels.readable(c) for c in found},
                  mail_on=mail_enabled())


@bp.route("/channels/new", methods=["GET", "POST"])
@can.require(can.can_manage_channels)
def new_channel():
    form = _prepare(ChannelForm())
    status = status_of(form)
    if form.validate_on_submit():
        status, channel = attempt(form, lambda: submit_once(
            form.form_token.data, current_user,
            lambda: channels.create_channel(current_user, **_fields(form))))
        if channel is not None:
            flash(_("Channel %(name)s added. Send it a test message to see it arrive.",
                    name=channel.name), "success")
            return redirect(url_for("notify.channel_list"))
    return render("notify/channel_form.html", form=form, channel=None, status=status)


@bp.route("/channels/<int:channel_id>/edit", methods=["GET", "POST"])
def edit_channel(channel_id):
    channel = load(NotifyChannel, channel_id, lambda user, _c: can.can_manage_channels(user))
    form = _prepare(ChannelForm(obj=channel))
    if request.method == "GET":
        form.version.data = channel.version
    status = status_of(form)
    if form.validate_on_submit():
        fields = _fields(form)
        status, _result = attempt(form, lambda: channels.update_channel(
            channel, current_user, expected_version=form.version.data,
            url=fields.pop("url"), secret=fields.pop("secret"),
            remove_secret=form.remove_secret.data, active=form.active.data, **fields),
            current=channel)
        if status == 200:
            flash(_("Changes saved."), "success")
            return redirect(url_for("notify.channel_list"))
    return render("notify/channel_form.html", form=form, channel=channel, status=status)


@bp.post("/channels/<int:channel_id>/test")
def test_channel(channel_id):
    channel = load(NotifyChannel, channel_id, can.can_send_test)
    form = RetryForm()
    if not form.validate_on_submit():
        flash(_("This form has expired. Reload the page and try again."), "error")
        return redirect(url_for("notify.channel_list"))
    status, message = attempt(form, lambda: channels.send_test(channel, _me(), utcnow()))
    if message is None:
        for error in form.form_errors:
            flash(error, "error")
        return redirect(url_for("notify.channel_list"))
    outbox.deliver_now(message.id)
    _tell(message.id)
    return redirect(url_for("notify.deliveries"))


def _tell(message_id: int) -> None:
    """Say how the attempt just made went, by the message as it now is."""
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is not None and message.is_sent:
        flash(_("The message arrived."), "success")
        return
    if message is not None and message.last_error:
        flash(_("It did not arrive: %(error)s. It will be tried again.",
                error=message.last_error), "error")
    else:
        flash(_("The message is on its way."), "info")


# Delivery log --------------------------------------------------------------------------------

@bp.get("/deliveries")
@can.require(can.can_view_deliveries)
def deliveries():
    stmt = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(),
                                          OutboxMessage.id.desc())
    status = request.args.get("status", "")
    if status == "failed":
        stmt = stmt.where(OutboxMessage.last_error != "",
                          OutboxMessage.is_retryable)
    elif status in {s.value for s in DeliveryStatus}:
        stmt = stmt.where(OutboxMessage.status == status)
    page = window(stmt.options(joinedload(OutboxMessage.recipient)),
                  to_id(request.args.get("page")) or 1, current_app.config["PAGE_SIZE"])
    channel_names = dict(db.session.execute(select(NotifyChannel.id, NotifyChannel.name)).all())
    return render("notify/deliveries.html", page=page, shown=status,
                  channel_names=channel_names, action_form=RetryForm(),
                  statuses=[s.value for s in DeliveryStatus])


@bp.post("/deliveries/<int:message_id>/retry")
def retry_delivery(message_id):
    message = load(OutboxMessage, message_id, can.can_retry_delivery)
    form = RetryForm()
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: outbox.retry(message, _me(), utcnow()))
        if status == 200:
            outbox.deliver_now(message_id)
            _tell(message_id)
        else:
            for error in form.form_errors:
                flash(error, "error")
    return redirect(url_for("notify.deliveries", status=request.args.get("status", "")))


# E-mail preferences --------------------------------------------------------------------------

@bp.route("/preferences", methods=["GET", "POST"], endpoint="preferences")
def preferences_page():
    me = _me()
    can.ensure(can.can_edit_preferences(me, me))
    form = preferences_form(preferences.modes_of(me))
    status = status_of(form)
    if form.validate_on_submit():
        choices = {kind.code: form[kind.code].data for kind in preferences.KINDS}
        status, _result = attempt(form, lambda: preferences.save(me, me, choices))
        if status == 200:
            flash(_("Your e-mail preferences are saved."), "success")
            return redirect(url_for("notify.preferences"))
    return render("notify/preferences.html", form=form, kinds=preferences.KINDS,
                  status=status, mail_on=mail_enabled())
