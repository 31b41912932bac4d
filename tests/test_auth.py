"""Logging in and out, sessions that end on the server, throttling, passwords."""

from sqlalchemy import select

from perfsite.auth import services as auth
from perfsite.extensions import db
from perfsite.models import LoginSession, Person
from perfsite.org import services as org


def test_wrong_password_and_unknown_user_get_the_same_answer(client, company):
    wrong = client.login("staff", "not-the-password")
    unknown = client.login("nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    message = "Wrong username or password."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_login_throttled_with_429_after_repeated_failures(client, company):
    statuses = [client.login("staff", f"wrong-{i}").status_code for i in range(8)]
    assert statuses[:5] == [401] * 5
    assert 429 in statuses[5:]
    # The right password does not get through a throttled username either.
    assert client.login("staff").status_code == 429


def test_successful_logins_are_not_throttled(app, company):
    for _ in range(12):
        c = app.test_client()
        from .conftest import Browserless

        assert Browserless(c).login("staff").status_code == 302


def test_login_starts_a_new_session(client, company):
    client.get("/login")
    before = client.get_cookie("session").value
    client.login("staff")
    assert client.get_cookie("session").value != before


def test_logout_ends_the_session_on_the_server(app, client, company):
    client.login("staff")
    copied = client.get_cookie("session").value
    assert client.get("/").status_code == 200
    client.post_form("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_deactivation_ends_every_session_of_that_person(app, login_as, company):
    staff_client = login_as("staff")
    assert staff_client.get("/").status_code == 200
    hr = login_as("hr")
    hr.post_form(f"/people/{company.staff.id}/deactivate", token_from="/people")
    response = staff_client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert staff_client.login("staff").status_code == 401


def test_next_redirect_is_followed_only_within_the_site(client, company):
    token = client.token("/login?next=/people")
    ok = client.post("/login", data={"username": "hr", "password": "perfsite-demo",
                                     "csrf_token": token, "next": "/people"})
    assert ok.headers["Location"].endswith("/people")


def test_offsite_next_redirect_is_ignored(client, company):
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        c = client
        token = c.token("/login")
        response = c.post("/login", data={"username": "hr", "password": "perfsite-demo",
                                          "csrf_token": token, "next": evil})
        assert response.status_code == 302
        assert "evil" not in response.headers["Location"]
        c.post_form("/logout")


def test_login_requires_csrf_token(client, company):
    response = client.post("/login", data={"username": "staff", "password": "perfsite-demo"})
    assert response.status_code == 400


def test_pages_require_login_and_come_back_after(client, company):
    response = client.get("/people?q=a")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_expired_session_answers_htmx_with_a_redirect_to_login(client, company):
    response = client.get("/people?q=zh", headers={"HX-Request": "true",
                                                   "HX-Current-URL": "http://localhost/people"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert response.get_data(as_text=True) == ""


def test_change_password_enforces_the_policy(login_as, company):
    c = login_as("staff")
    weak = c.post_form("/account/password", {"current_password": "perfsite-demo",
                                             "new_password": "short", "confirm": "short"},
                       token_from="/account/password")
    assert weak.status_code == 422
    assert "at least 10 characters" in weak.get_data(as_text=True)
    wrong_current = c.post_form("/account/password", {
        "current_password": "nope", "new_password": "a-much-better-one-42",
        "confirm": "a-much-better-one-42"}, token_from="/account/password")
    assert wrong_current.status_code == 422
    assert "current password is wrong" in wrong_current.get_data(as_text=True)
    good = c.post_form("/account/password", {"current_password": "perfsite-demo",
                                             "new_password": "a-much-better-one-42",
                                             "confirm": "a-much-better-one-42"},
                       token_from="/account/password")
    assert good.status_code == 302
    c.post_form("/logout")
    assert c.login("staff", "a-much-better-one-42").status_code == 302


def test_password_policy_rejects_names_and_trivial_passwords(org_chart):
    staff = org_chart.staff
    assert auth.password_problems("staff-password-1", staff)
    assert auth.password_problems("aaaaaaaaaaaa", staff)
    assert auth.password_problems("password123", staff)
    assert auth.password_problems("correct horse battery", staff) == []


def test_hr_reset_forces_a_new_password_at_next_login(app, login_as, company):
    hr = login_as("hr")
    page = hr.post_form(f"/people/{company.staff.id}/reset-password",
                        token_from=f"/people/{company.staff.id}")
    assert page.status_code == 200
    import re

    temporary = re.search(r"<code>([0-9a-f-]+)</code>", page.get_data(as_text=True)).group(1)
    from .conftest import Browserless

    staff = Browserless(app.test_client())
    assert staff.login("staff", "perfsite-demo").status_code == 401
    response = staff.login("staff", temporary)
    assert response.headers["Location"].endswith("/account/password")
    assert staff.get(f"/people/{company.staff.id}").status_code == 302


def test_passwords_are_stored_as_argon2_hashes(org_chart):
    person = db.session.get(Person, org_chart.staff.id)
    assert person.password_hash.startswith("$argon2id$")
    assert "perfsite-demo" not in person.password_hash


def test_session_rows_are_revoked_not_deleted(org_chart):
    staff = org_chart.staff
    token = auth.start_session(staff)
    db.session.flush()
    assert auth.person_for_session_token(token).id == staff.id
    auth.end_session(token)
    assert auth.person_for_session_token(token) is None
    row = db.session.scalar(select(LoginSession).where(LoginSession.person_id == staff.id))
    assert row.revoked_at is not None


def test_deactivated_person_cannot_authenticate(org_chart):
    org.deactivate_person(org_chart.staff)
    assert auth.authenticate("staff", "perfsite-demo") is None
