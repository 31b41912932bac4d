"""Single sign-on with OpenID Connect against a real provider on localhost
(tests/oidc_provider.py): the code flow with PKCE, state and nonce, the ID token verified
with the provider's keys, refusals, just-in-time creation and signing out there too."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from perfsite import create_app
from perfsite.extensions import db, limiter
from perfsite.models import AuditEvent, LoginSession, Person

from .conftest import TEST_CONFIG, _empty_all_tables
from .factories import hr_admin, make_person
from .oidc_provider import authorize, oidc_provider, oidc_settings, query_of, set_user  # noqa: F401


@pytest.fixture
def sso_app(oidc_provider, database_url):  # noqa: F811
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                      **oidc_settings(oidc_provider)})
    with app.app_context():
        limiter.reset()
        hr_admin()
        make_person("liu.yang", email="liu.yang@example.com", display_name="Liu Yang")
        db.session.commit()
    yield app
    _empty_all_tables(app)


def start(client):
    response = client.get("/login/sso")
    assert response.status_code == 302
    return response.headers["Location"]


def sessions() -> int:
    return db.session.scalar(select(func.count(LoginSession.id)).where(
        LoginSession.revoked_at.is_(None)))


def test_the_login_page_offers_the_company_provider(sso_app):
    page = sso_app.test_client().get("/login").get_data(as_text=True)
    assert "Sign in with Example Corp" in page and 'href="/login/sso"' in page


def test_signing_in_through_the_provider_lands_on_the_home_page(sso_app, oidc_provider):  # noqa: F811
    set_user(oidc_provider, "u-liu", email="liu.yang@example.com", name="Liu Yang")
    client = sso_app.test_client()
    authorize_url = start(client)
    asked = query_of(authorize_url)
    assert authorize_url.startswith(oidc_provider)
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"]
    assert asked["state"] and asked["nonce"] and asked["client_id"] == "perfsite"
    response = client.get(authorize(authorize_url, "u-liu"))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Liu Yang" in home.get_data(as_text=True)
    with sso_app.app_context():
        assert sessions() == 1


def test_a_tampered_state_is_refused(sso_app, oidc_provider):  # noqa: F811
    set_user(oidc_provider, "u-liu", email="liu.yang@example.com")
    client = sso_app.test_client()
    callback = authorize(start(client), "u-liu")
    state = query_of(callback)["state"]
    response = client.get(callback.replace(f"state={state}", "state=forged"))
    assert response.status_code == 400
    assert "could not be completed" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    with sso_app.app_context():
        assert sessions() == 0


def test_a_replayed_code_is_refused(sso_app, oidc_provider):  # noqa: F811
    set_user(oidc_provider, "u-liu", email="liu.yang@example.com")
    first = sso_app.test_client()
    callback = authorize(start(first), "u-liu")
    assert first.get(callback).status_code == 302
    # Someone else replays the code with a state of their own.
    other = sso_app.test_client()
    their_state = query_of(start(other))["state"]
    code = query_of(callback)["code"]
    response = other.get(f"/login/sso/callback?code={code}&state={their_state}")
    assert response.status_code == 400
    assert other.get("/").status_code == 302
    with sso_app.app_context():
        assert sessions() == 1


def test_an_id_token_with_another_nonce_is_refused(sso_app, oidc_provider):  # noqa: F811
    set_user(oidc_provider, "u-liu", email="liu.yang@example.com")
    client = sso_app.test_client()
    callback = authorize(start(client), "u-liu")
    state = query_of(callback)["state"]
    with client.session_transaction() as session:
        key = next(k for k in session if k.startswith("_state_") and k.endswith(state))
        stored = session[key]
        stored["data"]["nonce"] = "not-the-nonce-sent"
        session[key] = stored
    response = client.get(callback)
    assert response.status_code == 400
    with sso_app.app_context():
        assert sessions() == 0


def test_someone_who_matches_nobody_is_refused_and_audited(sso_app, oidc_provider):  # noqa: F811
    set_user(oidc_provider, "u-new", email="newcomer@example.com", name="New Comer")
    client = sso_app.test_client()
    response = client.get(authorize(start(client), "u-new"))
    assert response.status_code == 403
    assert "not an active person in perfsite" in response.get_data(as_text=True)
    with sso_app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "signin.refused"))
        assert event.source == "signin" and event.after["value"] == "newcomer@example.com"
        assert db.session.scalar(select(Person).where(
            Person.email == "newcomer@example.com")) is None


def test_just_in_time_creation_adds_a_person_without_roles(sso_app, oidc_provider):  # noqa: F811
    sso_app.config["OIDC_JIT"] = True
    set_user(oidc_provider, "u-jit", email="wu.xia@example.com", name="吴霞",
             preferred_username="wu.xia")
    client = sso_app.test_client()
    response = client.get(authorize(start(client), "u-jit"))
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    with sso_app.app_context():
        person = db.session.scalar(select(Person).where(Person.email == "wu.xia@example.com"))
        assert person.username == "wu.xia" and person.display_name == "吴霞"
        assert person.roles == set() and person.department_id is None


def test_logging_out_signs_out_at_the_provider_too(sso_app, oidc_provider):  # noqa: F811
    set_user(oidc_provider, "u-liu", email="liu.yang@example.com")
    client = sso_app.test_client()
    assert client.get(authorize(start(client), "u-liu")).status_code == 302
    page = client.get("/").get_data(as_text=True)
    import re
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    target = response.headers["Location"]
    assert target.startswith(f"{oidc_provider}/oauth2/end_session?")
    assert query_of(target)["id_token_hint"]
    assert query_of(target)["post_logout_redirect_uri"].endswith("/login")
    assert client.get("/").status_code == 302
    with sso_app.app_context():
        assert sessions() == 0


def test_a_provider_that_is_down_answers_503(database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                      **oidc_settings("http://127.0.0.1:9")})
    response = app.test_client().get("/login/sso")
    assert response.status_code == 503
    assert "not reachable" in response.get_data(as_text=True)


def test_hr_signed_in_by_the_provider_uses_the_site_as_after_a_password(sso_app,
                                                                        oidc_provider):  # noqa: F811
    set_user(oidc_provider, "u-hr", email="hr@example.com")
    client = sso_app.test_client()
    assert client.get(authorize(start(client), "u-hr")).status_code == 302
    for path in ("/", "/people", "/departments", "/org/sign-in", "/audit"):
        assert client.get(path).status_code == 200, path
    page = client.get("/org/sign-in").get_data(as_text=True)
    assert "Example Corp" in page and "perfsite-client-secret" not in page
