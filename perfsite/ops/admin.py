"""The first run: `flask create-admin`, an HR admin created on the server where nobody is
logged in, and what the empty site says (the login page, the HR admin's first landing).

Rules: the username is free (refused otherwise), the e-mail address is a real one, and the
password passes the site's password policy (auth.services.password_problems). The person
is created by org.services.create_admin_on_server, audited with the command line as actor.
The company may be empty (the first administrator) or not (the way back in when no HR
admin can log in).
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from ..auth.services import hash_password, password_problems
from ..errors import Invalid
from ..extensions import db
from ..models import Person, PersonRole, Role
from ..org import rules as org_rules
from ..org import services as org


def nobody_can_log_in() -> bool:
    """The site has no people yet: the login page says how to create the first admin."""
    return db.session.scalar(select(Person.id).limit(1)) is None


def company_is_empty() -> bool:
    """Nobody but HR admins yet: an HR admin lands on the org chart import."""
    hr_admin = exists().where(PersonRole.person_id == Person.id,
                              PersonRole.role == Role.HR_ADMIN.value)
    return db.session.scalar(select(Person.id).where(~hr_admin).limit(1)) is None


def register(app) -> None:
    app.add_template_global(nobody_can_log_in)
    app.add_template_global(company_is_empty)


def username_taken(username: str) -> bool:
    return db.session.scalar(select(Person.id).where(
        Person.username == username.strip().lower())) is not None


def check_details(display_name: str, username: str, email: str) -> None:
    """Everything but the password, so the command can refuse before asking for one."""
    errors = {}
    if not display_name.strip():
        errors["display_name"] = _l("A full name is required.")
    if not org_rules.USERNAME_PATTERN.match(username.strip()):
        errors["username"] = org_rules.USERNAME_HINT
    elif username_taken(username):
        errors["username"] = _l("This username is taken.")
    try:
        validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        errors["email"] = _l("This is not a valid e-mail address.")
    if errors:
        raise Invalid(errors=errors)


def create_admin(*, display_name: str, username: str, email: str, password: str) -> Person:
    """Create an HR admin who logs in with `password`; flushes, the caller commits."""
    check_details(display_name, username, email)
    problems = password_problems(password, Person(username=username.strip().lower(),
                                                  display_name=display_name.strip()))
    if problems:
        raise Invalid(errors={"password": " ".join(problems)})
    return org.create_admin_on_server(display_name=display_name, username=username,
                                      email=email, password_hash=hash_password(password))
