"""Site-wide behaviour: health check, error pages, language, htmx loading."""

import re
from pathlib import Path

from sqlalchemy import select

from perfsite.extensions import db
from perfsite.models import Person


def test_healthz_answers_without_a_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_error_pages_use_the_site_layout(login_as, company):
    response = login_as("staff").get("/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Not found" in body and 'class="site-header"' in body


def test_unexpected_errors_answer_500_in_the_layout(fresh_app):
    app = fresh_app
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    from perfsite import PUBLIC_ENDPOINTS

    PUBLIC_ENDPOINTS.add("boom")
    try:
        response = app.test_client().get("/boom-for-test")
    finally:
        PUBLIC_ENDPOINTS.discard("boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def test_language_defaults_from_the_browser(client):
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN">' in page.get_data(as_text=True)
    assert "登录" in page.get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "en-GB"})
    assert '<html lang="en">' in page.get_data(as_text=True)


def test_language_choice_is_remembered_on_the_person(app, login_as, company):
    staff = login_as("staff")
    response = staff.post_form("/language", {"locale": "zh_CN", "next": "/"})
    assert response.status_code == 302
    home = staff.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in home
    assert ">首页</a>" in home, "the zh_CN catalogue is loaded, not just the lang attribute"
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.username == "staff"))
        assert person.locale == "zh_CN"
    staff.post_form("/logout")
    again = login_as("staff")
    assert '<html lang="zh-CN">' in again.get("/").get_data(as_text=True)


def test_language_switch_ignores_unknown_locales_and_offsite_next(login_as, company):
    staff = login_as("staff")
    response = staff.post_form("/language", {"locale": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert '<html lang="en">' in staff.get("/").get_data(as_text=True)


def _sri(path) -> str:
    import base64
    import hashlib

    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def test_htmx_is_the_pinned_local_copy_with_its_sri_hash(client, app):
    page = client.get("/login").get_data(as_text=True)
    script = re.search(r'<script src="(/static/vendor/htmx-2\.0\.11\.min\.js)" '
                       r'integrity="(sha384-[^"]+)" defer></script>', page)
    assert script, "htmx is loaded from static/vendor, deferred, with its SRI hash"
    local = Path(app.static_folder, "vendor", "htmx-2.0.11.min.js")
    assert script.group(2) == _sri(local), "the SRI hash must match the local copy"
    assert "cdn.jsdelivr.net" not in page, "no page asks the internet by default"


def test_htmx_from_the_cdn_is_asked_for_with_the_same_hash_and_never_waited_for(fresh_app):
    fresh_app.config["HTMX_FROM_CDN"] = True
    page = fresh_app.test_client().get("/login").get_data(as_text=True)
    tag = re.search(r'<script src="/static/js/htmx-cdn\.js" defer data-cdn="([^"]+)" '
                    r'data-integrity="([^"]+)" data-local="([^"]+)" data-timeout="(\d+)">'
                    r"</script>", page)
    assert tag, "the CDN copy is added by a deferred file, never a blocking <script src=CDN>"
    cdn, integrity, local, timeout = tag.groups()
    assert cdn == "https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js"
    assert local == "/static/vendor/htmx-2.0.11.min.js"
    assert integrity == _sri(Path(fresh_app.static_folder, "vendor", "htmx-2.0.11.min.js"))
    assert int(timeout) <= 2000
    assert not re.search(r'<script src="https://', page)


def test_csrf_token_travels_as_an_htmx_header_from_the_body(login_as, company):
    page = login_as("hr").get("/people").get_data(as_text=True)
    assert re.search(r'<body data-hx-headers=\'\{"X-CSRFToken": "[^"]+"\}\'>', page)


def test_htmx_post_without_the_csrf_header_is_refused(login_as, company):
    hr = login_as("hr")
    response = hr.post(f"/people/{company.staff.id}/inline", data={"display_name": "X"},
                       headers={"HX-Request": "true"})
    assert response.status_code == 400
