"""The first run: from an empty database to the first HR admin at work.

`flask create-admin` makes an HR admin on the server (the password checked by the password
policy, the audit log naming the command line); the empty site's login page says so; an
HR admin of an empty company lands on the org chart import.
"""

from __future__ import annotations

from sqlalchemy import select

from perfsite.extensions import db
from perfsite.models import AuditEvent, Person, Role

from .conftest import Browserless

PASSWORD = "Orchid-Lantern-42"


def create_admin(app, *args, password=PASSWORD):
    return app.test_cli_runner().invoke(args=[
        "create-admin", "--name", "Ada Lovelace", "--username", "ada",
        "--email", "ada@example.com", "--password-stdin", *args], input=password + "\n")


def test_create_admin_makes_an_hr_admin_audited_as_the_command_line(app, client):
    result = create_admin(app)
    assert result.exit_code == 0, result.output
    assert "HR admin Ada Lovelace (ada) created" in result.output
    with app.app_context():
        ada = db.session.scalar(select(Person).where(Person.username == "ada"))
        assert ada.roles == {Role.HR_ADMIN} and ada.email == "ada@example.com"
        event = db.session.scalar(select(AuditEvent))
        assert (event.action, event.actor_id, event.source, event.object_id) == (
            "person.created", None, "cli", ada.id)
        assert event.actor_label == "command line"
    assert client.login("ada", PASSWORD).status_code == 302
    audit = client.get("/audit").get_data(as_text=True)
    assert "command line" in audit


def test_create_admin_refuses_a_username_that_exists_and_changes_nothing(app, company):
    result = create_admin(app, "--username", "HR")  # the company's HR admin, any case
    assert result.exit_code == 1
    assert "username: This username is taken." in result.output
    with app.app_context():
        assert db.session.scalar(select(Person).where(Person.email == "ada@example.com")) \
            is None


def test_create_admin_holds_the_password_to_the_policy(app):
    for password, problem in [("short", "Use at least 10 characters."),
                              ("password1234", "too easy to guess"),
                              ("lovelace-2026-x", "Do not use your name")]:
        result = create_admin(app, password=password)
        assert result.exit_code == 1, password
        assert problem in result.output
    with app.app_context():
        assert db.session.scalar(select(Person.id)) is None


def test_create_admin_asks_for_what_is_not_given(app):
    result = app.test_cli_runner().invoke(args=["create-admin"], input="\n".join([
        "Ada Lovelace", "ada", "ada@example.com", PASSWORD, PASSWORD]) + "\n")
    assert result.exit_code == 0, result.output
    assert "Full name:" in result.output and "Repeat for confirmation" in result.output


def test_the_empty_sites_login_page_says_how_to_create_the_first_admin(app, client):
    page = client.get("/login").get_data(as_text=True)
    assert "Nobody can log in yet" in page and "perfsite create-admin" in page
    assert create_admin(app).exit_code == 0
    assert "Nobody can log in yet" not in client.get("/login").get_data(as_text=True)


def test_an_hr_admin_of_an_empty_company_lands_on_the_import(app):
    assert create_admin(app).exit_code == 0
    ada = Browserless(app.test_client())
    response = ada.login("ada", PASSWORD)
    assert response.headers["Location"] == "/"
    home = ada.get("/")
    assert (home.status_code, home.headers["Location"]) == (302, "/org/import")
    page = ada.get("/org/import").get_data(as_text=True)
    assert "Start here: your company is empty" in page
    assert "Add your departments" in page


def test_a_company_with_people_shows_the_home_page(app, login_as):
    hr = login_as("hr")
    assert hr.get("/").status_code == 200
    assert "Start here" not in hr.get("/org/import").get_data(as_text=True)
