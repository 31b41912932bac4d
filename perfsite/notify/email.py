"""E-mail to one person: built and sent with Flask-Mailman (Django's e-mail, ported),
plain text and HTML, in the reader's language.

- `compose_one` words one notification; `compose_digest` the daily digest: what waits for
  the person (their to-do list) and the notifications they chose to get once a day. Both
  are rendered from templates/notify/email/, with the site's name, a link per item to its
  page (SITE_URL) and a link to change what the site e-mails them.
- Subjects count with the right plural forms ("1 thing to do", "3 things to do"; Chinese
  has one form).
- `send_email` opens an SMTP connection with the settings of the moment (MAIL_SERVER,
  MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME/PASSWORD; MAIL_BACKEND=console prints instead),
  and turns every failure into DeliveryFailed for the outbox to retry.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_mailman import EmailMultiAlternatives

from ..extensions import mail
from .links import site_link, site_name, site_url
from .vendors import DeliveryFailed


def mail_enabled() -> bool:
    """E-mail goes out when a mail server is configured (or a non-SMTP backend chosen)."""
    config = current_app.config
    return bool(config.get("MAIL_SERVER")) or config.get("MAIL_BACKEND") not in (None, "",
                                                                                "smtp")


def locale_of(person) -> str:
    languages = current_app.config["LANGUAGES"]
    return person.locale if person.locale in languages else current_app.config[
        "BABEL_DEFAULT_LOCALE"]


@dataclass(frozen=True)
class Item:
    """One line of an e-mail: what, where it is done, and whether it is late."""

    text: str
    link: str | None = None
    overdue: bool = False


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def _render(template: str, person, **context) -> tuple[str, str]:
    context = {"person": person, "site_name": site_name(), "site_url": site_url(),
               "preferences_link": site_link("notify.preferences"), **context}
    return (render_template(f"notify/email/{template}.txt", **context),
            render_template(f"notify/email/{template}.html", **context))


def compose_one(person, item: Item) -> Composed:
    """One notification, e-mailed as it happens (in the caller's locale: force_locale)."""
    subject = _("%(site)s: %(what)s", site=site_name(), what=item.text)
    if len(subject) > 190:
        subject = subject[:189] + "…"
    text, html = _render("one", person, item=item)
    return Composed(subject, text, html)


def digest_subject(todos: int, updates: int) -> str:
    parts = []
    if todos:
        parts.append(ngettext("%(num)d thing to do", "%(num)d things to do", todos))
    if updates:
        parts.append(ngettext("%(num)d update", "%(num)d updates", updates))
    return _("%(site)s: %(what)s", site=site_name(),
             what=_("%(first)s, %(second)s", first=parts[0], second=parts[1])
             if len(parts) == 2 else parts[0])


def compose_digest(person, todos: list[Item], updates: list[Item]) -> Composed:
    text, html = _render("digest", person, todos=todos, updates=updates,
                         todo_list_link=site_link("coaching.todo_list"))
    return Composed(digest_subject(len(todos), len(updates)), text, html)


def in_language(person, compose, *args) -> Composed:
    with force_locale(locale_of(person)):
        return compose(person, *args)


def send_email(subject: str, text: str, html: str | None, to: str) -> None:
    """Send one message now; DeliveryFailed when the mail server did not take it."""
    config = current_app.config
    try:
        connection = mail.get_connection(
            backend=config.get("MAIL_BACKEND") or "smtp",
            host=config.get("MAIL_SERVER") or "localhost",
            port=int(config.get("MAIL_PORT") or 25),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            use_tls=bool(config.get("MAIL_USE_TLS")),
            timeout=float(config.get("NOTIFY_HTTP_TIMEOUT") or 10))
        message = EmailMultiAlternatives(subject, text, config.get("MAIL_FROM") or None, [to],
                                         connection=connection)
        if html:
            message.attach_alternative(html, "text/html")
        if not message.send():
            raise DeliveryFailed("the mail server took nothing")
    except DeliveryFailed:
        raise
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(f"e-mail: {type(error).__name__}: {error}"[:300]) from None
