"""Signing in with the company directory (LDAP / AD) and the directory sync, against a
real OpenLDAP server started for each test (tests/ldap_server.py). Nothing is mocked."""

from __future__ import annotations

import pytest
from ldap3 import MODIFY_ADD, MODIFY_REPLACE
from sqlalchemy import func, select

from perfsite import create_app
from perfsite.extensions import db, limiter
from perfsite.models import (
    AuditEvent,
    Department,
    DirectoryRole,
    DirectorySync,
    LoginSession,
    Person,
    Role,
)

from .conftest import TEST_CONFIG, Browserless, _empty_all_tables
from .factories import hr_admin, make_person
from .ldap_server import (  # noqa: F401  (fixtures)
    EXEC_GROUP,
    HR_GROUP,
    PASSWORD,
    dn_of,
    ldap_directory,
    tls_directory,
)

WRONG = "Wrong username or password."


@pytest.fixture
def ldap_app(ldap_directory, database_url):  # noqa: F811
    """The site pointed at the test directory; "hr" keeps a local password (break glass)."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                      **ldap_directory.settings(LOCAL_LOGIN_USERS=["hr"])})
    with app.app_context():
        limiter.reset()
        hr_admin()
        db.session.commit()
    yield app
    _empty_all_tables(app)


def sync(app, *args):
    return app.test_cli_runner().invoke(args=["sync-directory", *args])


def person(username: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.username == username))


def client_for(app) -> Browserless:
    return Browserless(app.test_client())


# Signing in -------------------------------------------------------------------------------

def test_a_synced_person_signs_in_with_the_directory_password(ldap_app):
    assert sync(ldap_app).exit_code == 0
    client = client_for(ldap_app)
    response = client.login("wxia", PASSWORD)
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and "吴霞" in home.get_data(as_text=True)
    with ldap_app.app_context():
        assert person("wxia").directory_dn == dn_of("wxia")
        assert db.session.scalar(select(func.count(LoginSession.id))) == 1


def test_wrong_password_unknown_user_and_locked_account_look_the_same(ldap_app):
    assert sync(ldap_app).exit_code == 0
    pages = []
    for username, password in (("wxia", "not-the-password"), ("nobody", PASSWORD),
                               ("locked", PASSWORD)):
        response = client_for(ldap_app).login(username, password)
        assert response.status_code == 401, username
        page = response.get_data(as_text=True)
        assert WRONG in page
        pages.append(page.replace(username, "USER"))
    with ldap_app.app_context():
        assert db.session.scalar(select(func.count(LoginSession.id))) == 0


def test_directory_failures_go_through_the_login_throttle(ldap_app):
    assert sync(ldap_app).exit_code == 0
    client = client_for(ldap_app)
    statuses = [client.login("locked", PASSWORD).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    # The right password does not get past the throttle either.
    assert client.login("locked", PASSWORD).status_code == 429


def test_a_local_password_no_longer_works_for_directory_people(ldap_app):
    with ldap_app.app_context():
        make_person("lyang")  # a local account with the demo password, before the directory
        db.session.commit()
    assert client_for(ldap_app).login("lyang", "perfsite-demo").status_code == 401
    # The break-glass HR administrator still signs in locally.
    assert client_for(ldap_app).login("hr", "perfsite-demo").status_code == 302


def test_hr_resets_no_password_of_someone_the_directory_signs_in(ldap_app):
    assert sync(ldap_app).exit_code == 0
    hr = client_for(ldap_app)
    assert hr.login("hr", "perfsite-demo").status_code == 302
    with ldap_app.app_context():
        wxia = person("wxia")
        before = wxia.password_hash
        wxia_id = wxia.id
    page = hr.get(f"/people/{wxia_id}").get_data(as_text=True)
    assert "吴霞" in page and "Reset password" not in page
    response = hr.post_form(f"/people/{wxia_id}/reset-password")
    assert response.status_code == 302
    told = hr.get(response.headers["Location"]).get_data(as_text=True)
    assert "reset in the directory, not here" in told
    with ldap_app.app_context():
        assert person("wxia").password_hash == before
    # Someone who keeps a perfsite password beside the directory (LOCAL_LOGIN_USERS): HR
    # resets it as anyone's.
    ldap_app.config["LOCAL_LOGIN_USERS"] = ["hr", "wxia"]
    assert "Reset password" in hr.get(f"/people/{wxia_id}").get_data(as_text=True)


def test_directory_down_answers_503_and_never_falls_back(ldap_app, ldap_directory):  # noqa: F811
    with ldap_app.app_context():
        make_person("lyang")
        db.session.commit()
    ldap_directory.stop()
    for password in (PASSWORD, "perfsite-demo"):
        response = client_for(ldap_app).login("lyang", password)
        assert response.status_code == 503
        assert "not reachable" in response.get_data(as_text=True)
    with ldap_app.app_context():
        assert db.session.scalar(select(func.count(LoginSession.id))) == 0
    # The local break-glass account is not the directory's: it still works.
    assert client_for(ldap_app).login("hr", "perfsite-demo").status_code == 302


def test_someone_the_directory_knows_but_perfsite_does_not_is_told_so(ldap_app):
    response = client_for(ldap_app).login("wfang", PASSWORD)
    assert response.status_code == 403
    assert "directory sync" in response.get_data(as_text=True)


# Group roles --------------------------------------------------------------------------------

def test_directory_groups_grant_roles_shown_as_such_and_not_removable(ldap_app):
    assert sync(ldap_app).exit_code == 0
    with ldap_app.app_context():
        gmei, cjing = person("gmei"), person("cjing")
        assert gmei.has_role(Role.HR_ADMIN) and cjing.has_role(Role.EXECUTIVE)
        granted = {(r.person_id, r.role, r.group_dn) for r in db.session.scalars(
            select(DirectoryRole))}
        assert granted == {(gmei.id, "hr_admin", HR_GROUP), (cjing.id, "executive", EXEC_GROUP)}
        gmei_id = gmei.id
    hr = client_for(ldap_app)
    assert hr.login("hr", "perfsite-demo").status_code == 302
    page = hr.get(f"/people/{gmei_id}").get_data(as_text=True)
    assert "cn=hr,ou=Groups,dc=example,dc=com" in page
    form = hr.form(f"/people/{gmei_id}/edit", "edit")
    values = {k: v for k, v in form.fields.items() if k != "roles"}
    values["roles"] = "staff"
    response = form.client.client.post(form.action or form.page, data=values)
    assert response.status_code == 422
    assert "comes from the directory group" in response.get_data(as_text=True)
    with ldap_app.app_context():
        assert person("gmei").has_role(Role.HR_ADMIN)


def test_a_role_goes_when_the_group_membership_goes(ldap_app, ldap_directory):  # noqa: F811
    assert sync(ldap_app).exit_code == 0
    admin = ldap_directory.admin()
    admin.modify(HR_GROUP, {"member": [(MODIFY_REPLACE, [dn_of("wfang")])]})
    # At the next login of the old member ...
    assert client_for(ldap_app).login("gmei", PASSWORD).status_code == 302
    with ldap_app.app_context():
        assert not person("gmei").has_role(Role.HR_ADMIN)
        assert not person("wfang").has_role(Role.HR_ADMIN)
    # ... and for everyone at the next sync.
    assert sync(ldap_app).exit_code == 0
    with ldap_app.app_context():
        assert person("wfang").has_role(Role.HR_ADMIN)
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_id == person("gmei").id,
            AuditEvent.action == "person.updated").order_by(AuditEvent.id.desc())).first()
        assert event.source == "directory" and event.actor_id is None


# The directory sync ---------------------------------------------------------------------

def test_sync_brings_in_people_departments_managers_and_roles(ldap_app):
    result = sync(ldap_app)
    assert result.exit_code == 0, result.output
    with ldap_app.app_context():
        names = set(db.session.scalars(select(Department.name)))
        assert {"Executive", "Human Resources", "Engineering", "Sales"} <= names
        wxia = person("wxia")
        assert wxia.display_name == "吴霞" and wxia.job_title == "测试工程师"
        assert wxia.manager.username == "zmin" and wxia.department.name == "Engineering"
        assert wxia.employee_number == "E005" and wxia.email == "wxia@example.com"
        assert person("zmin").manager.username == "cjing"
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "person.created", AuditEvent.object_id == wxia.id)).all()
        assert [(e.actor_id, e.source, e.actor_label) for e in events] == [
            (None, "directory", "directory sync")]
        last = db.session.scalar(select(DirectorySync))
        assert last.outcome == "applied" and last.counts["create"] == 7
        assert last.counts["departments"] == 4 and last.started_by_id is None
    again = sync(ldap_app)
    assert again.exit_code == 0 and "unchanged" in again.output
    with ldap_app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "person.updated")) == 0


def test_dry_run_prints_the_preview_and_writes_nothing(ldap_app):
    result = sync(ldap_app, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "create: wxia" in result.output and "new department: Engineering" in result.output
    assert "dry run" in result.output
    with ldap_app.app_context():
        assert person("wxia") is None
        assert db.session.scalar(select(func.count(Department.id))) == 0
        assert db.session.scalar(select(func.count(DirectorySync.id))) == 0


def test_a_leaver_and_a_moved_manager(ldap_app, ldap_directory):  # noqa: F811
    assert sync(ldap_app).exit_code == 0
    leaver = client_for(ldap_app)
    assert leaver.login("lyang", PASSWORD).status_code == 302
    admin = ldap_directory.admin()
    assert admin.delete(dn_of("lyang"))
    assert admin.modify(dn_of("wxia"), {"manager": [(MODIFY_REPLACE, [dn_of("gmei")])]})
    result = sync(ldap_app)
    assert result.exit_code == 0, result.output
    with ldap_app.app_context():
        lyang = person("lyang")
        assert lyang is not None and not lyang.active  # deactivated, never deleted
        assert person("wxia").manager.username == "gmei"
        assert db.session.scalar(select(func.count(LoginSession.id)).where(
            LoginSession.revoked_at.is_(None))) == 0
        last = db.session.scalars(select(DirectorySync).order_by(DirectorySync.id.desc())).first()
        assert last.counts["deactivated"] == 1
    assert leaver.get("/").status_code == 302  # the open session has ended


def test_deactivated_in_the_directory_cannot_sign_in_after_the_next_sync(ldap_app,
                                                                         ldap_directory):  # noqa: F811
    ldap_app.config["LDAP_DISABLED_FILTER"] = "(employeeType=disabled)"
    assert sync(ldap_app).exit_code == 0
    signed_in = client_for(ldap_app)
    assert signed_in.login("wfang", PASSWORD).status_code == 302
    ldap_directory.admin().modify(dn_of("wfang"), {"employeeType": [(MODIFY_ADD, ["disabled"])]})
    assert sync(ldap_app).exit_code == 0
    assert signed_in.get("/").status_code == 302
    response = client_for(ldap_app).login("wfang", PASSWORD)
    assert response.status_code == 401 and WRONG in response.get_data(as_text=True)
    with ldap_app.app_context():
        assert not person("wfang").active


def test_a_problem_in_the_directory_changes_nothing(ldap_app, ldap_directory):  # noqa: F811
    ldap_directory.admin().modify(dn_of("wfang"), {"mail": [(MODIFY_REPLACE,
                                                            ["wxia@example.com"])]})
    result = sync(ldap_app)
    assert result.exit_code != 0 and "email" in result.output
    with ldap_app.app_context():
        assert db.session.scalar(select(func.count(Person.id))) == 1  # hr only
        assert db.session.scalar(select(func.count(Department.id))) == 0
        last = db.session.scalar(select(DirectorySync))
        assert last.outcome == "rejected" and last.problems


def test_sync_with_the_directory_down_says_so(ldap_app, ldap_directory):  # noqa: F811
    ldap_directory.stop()
    result = sync(ldap_app)
    assert result.exit_code != 0 and "could not be reached" in result.output
    with ldap_app.app_context():
        assert db.session.scalar(select(DirectorySync)).outcome == "unreachable"


# HR's pages ---------------------------------------------------------------------------------

def test_hr_syncs_now_and_reads_the_last_sync_on_the_org_page(ldap_app):
    hr = client_for(ldap_app)
    assert hr.login("hr", "perfsite-demo").status_code == 302
    response = hr.form("/org/sign-in", "directory-sync").submit()
    assert response.status_code == 302
    with ldap_app.app_context():
        last = db.session.scalar(select(DirectorySync))
        assert last.outcome == "applied" and last.started_by_id == person("hr").id
        assert person("wxia") is not None
    people = hr.get("/people").get_data(as_text=True)
    assert "Directory sync" in people and "Added: 7" in people and "Sync now" in people


def test_the_settings_page_tests_the_directory_and_shows_no_secret(ldap_app, ldap_directory):  # noqa: F811
    hr = client_for(ldap_app)
    assert hr.login("hr", "perfsite-demo").status_code == 302
    page = hr.get("/org/sign-in").get_data(as_text=True)
    assert ldap_directory.url in page and "cn=perfsite,ou=Services" in page
    tested = hr.form("/org/sign-in", "sign-in/test").submit().get_data(as_text=True)
    assert "Works" in tested and "7 person entries" in tested and "1 member" in tested
    assert "service-secret-1" not in page + tested
    ldap_directory.stop()
    tested = hr.form("/org/sign-in", "sign-in/test").submit().get_data(as_text=True)
    assert "Does not work" in tested


def test_only_hr_syncs_the_directory(ldap_app):
    with ldap_app.app_context():
        make_person("staff1")
        db.session.commit()
    staff = client_for(ldap_app)
    assert staff.login("staff1", "perfsite-demo").status_code == 401  # not LOCAL_LOGIN_USERS
    ldap_app.config["LOCAL_LOGIN_USERS"] = ["hr", "staff1"]
    assert staff.login("staff1", "perfsite-demo").status_code == 302
    assert staff.post_form("/org/directory-sync").status_code == 403
    with ldap_app.app_context():
        assert db.session.scalar(select(func.count(DirectorySync.id))) == 0


# Encrypted connections ------------------------------------------------------------------

@pytest.fixture
def tls_app(tls_directory, database_url):  # noqa: F811
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                      **tls_directory.settings(LOCAL_LOGIN_USERS=["hr"])})
    with app.app_context():
        limiter.reset()
        hr_admin()
        db.session.commit()
    yield app
    _empty_all_tables(app)


@pytest.mark.parametrize("how", ["starttls", "ldaps"])
def test_the_directory_over_tls_with_the_company_ca(tls_app, tls_directory, how):  # noqa: F811
    tls_app.config.update(LDAP_CA_FILE=str(tls_directory.certificates["ca"]),
                          LDAP_STARTTLS=how == "starttls",
                          LDAP_URLS=[tls_directory.url if how == "starttls"
                                     else tls_directory.ldaps_url])
    assert sync(tls_app).exit_code == 0
    assert client_for(tls_app).login("wxia", PASSWORD).status_code == 302
    # A server whose certificate another CA signed is not talked to: 503, nobody let in.
    tls_app.config["LDAP_CA_FILE"] = str(tls_directory.certificates["other_ca"])
    response = client_for(tls_app).login("wxia", PASSWORD)
    assert response.status_code == 503


def test_check_deploy_names_unsafe_sign_in_settings(ldap_app):
    from perfsite.ops.deploy import Setup, check

    settings = {finding.setting for finding in check(ldap_app, Setup(workers=1), environ={})}
    assert "LDAP_URL" in settings  # plain ldap:// without StartTLS
    assert "LOCAL_LOGIN_USERS" not in settings  # "hr" is the break-glass account
    ldap_app.config.update(LDAP_STARTTLS=True, LOCAL_LOGIN_USERS=[],
                           OIDC_ISSUER="http://sso.example.com")
    settings = {finding.setting for finding in check(ldap_app, Setup(workers=1), environ={})}
    assert {"LOCAL_LOGIN_USERS", "OIDC_ISSUER"} <= settings and "LDAP_URL" not in settings


def test_people_signed_in_by_the_directory_use_the_site_as_anyone(ldap_app):
    """HR by directory group, and staff, reach their pages as after a password login; the
    password page points to the directory instead of changing a perfsite password."""
    assert sync(ldap_app).exit_code == 0
    hr = client_for(ldap_app)
    assert hr.login("gmei", PASSWORD).status_code == 302
    for path in ("/", "/people", "/departments", "/org/sign-in", "/audit", "/cycles/"):
        assert hr.get(path).status_code == 200, path
    staff = client_for(ldap_app)
    assert staff.login("wxia", PASSWORD).status_code == 302
    assert staff.get("/").status_code == 200
    assert staff.get("/people").status_code == 403
    page = staff.get("/account/password").get_data(as_text=True)
    assert "company directory password" in page and 'name="new_password"' not in page


def test_direct_bind_with_a_dn_template(ldap_app):
    assert sync(ldap_app).exit_code == 0
    ldap_app.config.update(
        LDAP_BIND_MODE="direct",
        LDAP_USER_DN="uid={username},ou=Engineering,ou=People,dc=example,dc=com")
    assert client_for(ldap_app).login("wxia", PASSWORD).status_code == 302
    assert client_for(ldap_app).login("wxia", "wrong-password-1").status_code == 401
    # A username that would break out of the DN template is escaped, not obeyed.
    assert client_for(ldap_app).login("wxia,ou=Sales", PASSWORD).status_code == 401
