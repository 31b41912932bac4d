"""Logging in and out, sessions that end on the server, throttling, passwords."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from perfsite import create_app
from perfsite.auth import services as auth
from perfsite.extensions import db
from perfsite.models import LoginSession, Person, utcnow
from perfsite.org import services as org

from .conftest import TEST_CONFIG, Browserless
from .factories import hr_admin


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
    temporary = re.search(r"<code>([0-9a-f-]+)</code>", page.get_data(as_text=True)).group(1)
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
    org.deactivate_person(org_chart.staff, hr_admin())
    assert auth.authenticate("staff", "perfsite-demo") is None


# --- the throttle behind a proxy -----------------------------------------

def from_address(app, address: str, forwarded_for: str | None = None) -> Browserless:
    """A client whose connection comes from `address` (optionally through a proxy)."""
    client = Browserless(app.test_client())
    client.environ_base["REMOTE_ADDR"] = address
    if forwarded_for:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client


def fail_logins(client, username: str, times: int) -> list[int]:
    token = client.token("/login")
    return [client.post("/login", data={"username": username, "password": f"wrong-{i}",
                                        "csrf_token": token}).status_code
            for i in range(times)]


@pytest.fixture
def proxied_app(app, database_url, company):
    """The site behind one reverse proxy (TRUSTED_PROXIES=1), on the test's database."""
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                       "TRUSTED_PROXIES": 1})


def test_with_one_trusted_proxy_each_forwarded_address_is_throttled_separately(proxied_app):
    # Every request arrives from the proxy at 10.0.0.2; the client is in X-Forwarded-For.
    attacker = from_address(proxied_app, "10.0.0.2", forwarded_for="203.0.113.66")
    assert fail_logins(attacker, "staff", 6)[-1] == 429
    colleague = from_address(proxied_app, "10.0.0.2", forwarded_for="198.51.100.7")
    assert colleague.login("staff").status_code == 302


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_escape_the_throttle(app,
                                                                                     company):
    statuses = []
    for i in range(6):
        client = from_address(app, "10.0.0.66", forwarded_for=f"192.0.2.{i}")
        statuses += fail_logins(client, "staff", 1)
    assert statuses[:5] == [401] * 5 and statuses[5] == 429


def test_an_attacker_cannot_lock_a_colleague_out_from_another_address(app, company):
    attacker = from_address(app, "10.0.0.66")
    statuses = fail_logins(attacker, "staff", 20)
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert from_address(app, "10.0.0.5").login("staff").status_code == 302
    # The attacker's own address stays throttled for that account, right password or not.
    assert attacker.login("staff").status_code == 429


def test_one_address_trying_many_accounts_is_stopped_at_a_much_higher_threshold(app, company):
    limit = int(app.config["LOGIN_FAILURE_LIMITS_PER_ADDRESS"].split()[0])
    per_account = int(app.config["LOGIN_FAILURE_LIMITS_PER_ACCOUNT_AND_ADDRESS"].split()[0])
    assert limit >= 10 * per_account
    sprayer = from_address(app, "10.0.0.99")
    token = sprayer.token("/login")
    statuses = [sprayer.post("/login", data={"username": f"nobody{i}", "password": "wrong-one",
                                             "csrf_token": token}).status_code
                for i in range(limit + 1)]
    assert statuses[:limit] == [401] * limit and statuses[limit] == 429
    refused = sprayer.login("staff")
    assert refused.status_code == 429
    assert "Too many failed logins from your network address" in refused.get_data(as_text=True)
    assert from_address(app, "10.0.0.5").login("staff").status_code == 302


def test_a_throttled_login_answers_429_with_a_clear_message_on_the_login_page(app, company):
    client = from_address(app, "10.0.0.66")
    fail_logins(client, "staff", 5)
    response = client.login("staff", "still-wrong")
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Too many failed logins for this username from your computer" in page
    assert re.search(r"Wait \d+ minutes?, then try again\.", page)
    assert 'name="username"' in page  # the login form itself, ready for later
    assert int(response.headers["Retry-After"]) > 0


def test_only_failed_logins_count_towards_the_throttle(app, company):
    client = from_address(app, "10.0.0.5")
    for _ in range(8):
        assert client.login("staff").status_code == 302
        client.post_form("/logout")


# --- sessions that expire (idle and absolute) ---------------------------------------------

def age_session(app, username: str, idle: timedelta = timedelta(0),
                age: timedelta | None = None) -> None:
    """Make the person's live login session look `idle` unused and `age` old."""
    with app.app_context():
        row = db.session.scalar(
            select(LoginSession).join(Person).where(Person.username == username,
                                                    LoginSession.revoked_at.is_(None)))
        now = utcnow()
        row.last_seen_at = now - idle
        row.created_at = now - (age if age is not None else idle)
        db.session.commit()


def session_row(app, username: str) -> LoginSession:
    with app.app_context():
        row = db.session.scalar(
            select(LoginSession).join(Person).where(Person.username == username)
            .order_by(LoginSession.id.desc()))
        db.session.expunge(row)
        return row


def test_a_session_unused_for_the_idle_time_ends_and_the_login_page_says_why(app, login_as):
    client = login_as("staff")
    age_session(app, "staff", idle=timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1))
    response = client.get("/people")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session expired after 8 hours of inactivity; log in again." in page
    assert session_row(app, "staff").revoked_at is not None
    # Said once; logging in again works.
    assert "inactivity" not in client.get("/login").get_data(as_text=True)
    assert client.login("staff").status_code == 302


def test_a_session_in_use_ends_after_its_absolute_lifetime(app, login_as):
    client = login_as("staff")
    age_session(app, "staff", idle=timedelta(minutes=5),
                age=timedelta(days=app.config["SESSION_MAX_DAYS"], minutes=1))
    response = client.get("/")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session expired: a login lasts at most 7 days; log in again." in page


def test_a_session_used_within_the_idle_time_stays_and_is_marked_as_used(app, login_as):
    client = login_as("staff")
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 1)
    age_session(app, "staff", idle=idle, age=timedelta(days=1))
    before = utcnow()
    assert client.get("/").status_code == 200
    assert session_row(app, "staff").last_seen_at >= before - timedelta(seconds=1)
    assert client.get("/").status_code == 200


def test_last_use_is_written_at_most_once_a_minute(app, login_as, count_queries):
    client = login_as("staff")
    age_session(app, "staff", idle=timedelta(seconds=20))
    with count_queries() as recent:
        client.get("/")
    age_session(app, "staff", idle=timedelta(minutes=2))
    with count_queries() as stale:
        client.get("/")

    def updates(counter):
        return [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE LOGIN")]

    assert updates(recent) == []
    assert len(updates(stale)) == 1


def test_an_expired_session_answers_htmx_with_401_and_hx_redirect_to_the_explanation(app,
                                                                                     login_as):
    client = login_as("hr")
    age_session(app, "hr", idle=timedelta(hours=9))
    response = client.get("/people?q=zh", headers={"HX-Request": "true",
                                                   "HX-Current-URL": "http://localhost/people"})
    assert response.status_code == 401
    target = response.headers["HX-Redirect"]
    assert target.startswith("/login?next=")
    assert "of inactivity" in client.get(target).get_data(as_text=True)


def test_session_expiry_follows_the_configuration(org_chart, app):
    token = auth.start_session(org_chart.staff)
    db.session.commit()
    row = db.session.scalar(select(LoginSession).where(LoginSession.person_id
                                                       == org_chart.staff.id))
    now = utcnow()
    app.config.update(SESSION_IDLE_MINUTES=30, SESSION_MAX_DAYS=1)
    try:
        assert auth.expiry_reason(row, now + timedelta(minutes=29)) is None
        assert auth.expiry_reason(row, now + timedelta(minutes=31)) == "idle"
        row.last_seen_at = now + timedelta(hours=24)
        assert auth.expiry_reason(row, now + timedelta(hours=24, minutes=1)) == "lifetime"
        assert "30 minutes of inactivity" in auth.expired_message("idle")
        assert auth.person_for_session_token(token).id == org_chart.staff.id
    finally:
        app.config.update(SESSION_IDLE_MINUTES=480, SESSION_MAX_DAYS=7)


# --- the password policy --------------------------------------------------------------------

def test_the_common_passwords_list_is_long_and_read_once():
    listed = auth.common_passwords()
    assert len(listed) >= 1000
    assert auth.common_passwords() is listed
    assert {"123456", "password", "qwerty", "iloveyou", "trustno1"} <= listed
    assert all(p == p.lower().strip() and p for p in listed)


@pytest.mark.parametrize("password", ["Password123", "QWERTYUIOP", "1q2w3e4r5t6y",
                                      "Sunshine2024!", "liverpool1!!", "perfsite-demo",
                                      "administrator"])
def test_password_policy_refuses_common_passwords(org_chart, password):
    problems = auth.password_problems(password, org_chart.staff)
    assert any("most common passwords" in p for p in problems)


def test_password_policy_refuses_the_username_and_parts_of_the_name(org_chart):
    staff = org_chart.staff  # username "staff", display name "Liu Yang"
    name_rule = "Do not use your name or username in the password."
    assert name_rule in auth.password_problems("my-STAFF-pass-9", staff)
    assert name_rule in auth.password_problems("Yang-of-the-north-7", staff)
    assert name_rule in auth.password_problems("old-liu-river-road", staff)
    # Parts shorter than three characters are too common to refuse ("Li Na").
    sales_head = org_chart.sales_head  # "sales.head", "Li Na"
    assert name_rule in auth.password_problems("the-sales-floor-77", sales_head)
    assert auth.password_problems("light-north-tuna-77", sales_head) == []


def test_password_policy_refuses_the_previous_password(login_as, company):
    c = login_as("staff")

    def change(current, new):
        return c.post_form("/account/password", {"current_password": current,
                                                 "new_password": new, "confirm": new},
                           token_from="/account/password")

    assert change("perfsite-demo", "first-new-one-for-me").status_code == 302
    assert change("first-new-one-for-me", "second-new-one-for-me").status_code == 302
    back = change("second-new-one-for-me", "first-new-one-for-me")
    assert back.status_code == 422
    page = back.get_data(as_text=True)
    assert "This was your previous password: choose a new one." in page
    assert 'id="new_password-error"' in page


def test_after_an_hr_reset_the_password_before_it_stays_the_previous_one(org_chart):
    staff = org_chart.staff  # password "perfsite-demo"
    previous = "This was your previous password: choose a new one."
    auth.reset_password(staff, hr_admin())
    assert previous in auth.password_problems("perfsite-demo", staff)
    # Leaving the temporary password does not make the temporary one "previous".
    staff.password_hash = auth.hash_password("temporary-one-123")
    auth.change_password(staff, "temporary-one-123", "brand-new-and-fine")
    assert previous in auth.password_problems("perfsite-demo", staff)
    assert previous not in auth.password_problems("temporary-one-123", staff)


def test_current_password_check_is_throttled_per_person_and_address(login_as, company):
    c = login_as("staff")

    def change(current, new="a-much-better-one-42"):
        return c.post_form("/account/password", {"current_password": current,
                                                 "new_password": new, "confirm": new},
                           token_from="/account/password")

    # Policy refusals with the right current password do not count.
    assert [change("perfsite-demo", "short").status_code for _ in range(6)] == [422] * 6
    assert [change(f"wrong-{i}").status_code for i in range(5)] == [422] * 5
    throttled = change("perfsite-demo")
    assert throttled.status_code == 429
    page = throttled.get_data(as_text=True)
    assert "The current password was wrong too many times." in page
    assert 'id="current_password-error"' in page
    # Another person at the same address is not affected.
    assert login_as("colleague").get("/account/password").status_code == 200
