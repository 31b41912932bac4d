"""Secure by default, working by default: `flask check-deploy` names what is wrong for
production in plain words, and a login over plain HTTP with secure cookies says which
setting refuses it instead of a bare 400."""

from __future__ import annotations

import re
import socket
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from perfsite import create_app
from perfsite.ops.deploy import Setup, check

from .conftest import TEST_CONFIG, csrf_from

GOOD_KEY = "k" * 64
PRODUCTION = {"SESSION_COOKIE_SECURE": True, "TRUSTED_PROXIES": 1,
              "RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/0"}


def settings(findings) -> list[str]:
    return [finding.setting for finding in findings]


@pytest.fixture
def production_app(fresh_app):
    fresh_app.config.update(PRODUCTION)
    return fresh_app


def test_the_production_recipe_passes(production_app):
    found = check(production_app, Setup(workers=1, url="https://perf.example.com"),
                  environ={"SECRET_KEY": GOOD_KEY})
    assert found == []


def test_no_secret_key_in_the_environment(production_app):
    found = check(production_app, Setup(workers=1, url="https://perf.example.com"),
                  environ={})
    assert settings(found) == ["SECRET_KEY"]
    assert "secret_key" in found[0].problem and "token_hex" in found[0].fix
    short = check(production_app, Setup(workers=1, url="https://perf.example.com"),
                  environ={"SECRET_KEY": "tests-only"})
    assert settings(short) == ["SECRET_KEY"] and "10 characters" in short[0].problem


def test_several_workers_need_a_shared_database_and_rate_limit_store(tmp_path):
    sqlite_app = create_app({**TEST_CONFIG, **PRODUCTION, "RATELIMIT_STORAGE_URI": "memory://",
                             "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new.db'}"})
    found = check(sqlite_app, Setup(workers=4, url="https://perf.example.com"),
                  environ={"SECRET_KEY": GOOD_KEY})
    assert settings(found) == ["DATABASE_URL", "database schema", "RATELIMIT_STORAGE_URI"]
    sqlite, schema, limits = found
    assert "SQLite" in sqlite.problem and "4 workers" in sqlite.problem
    assert "PostgreSQL" in sqlite.fix
    assert "db upgrade" in schema.fix
    assert "Redis" in limits.fix
    one = check(sqlite_app, Setup(workers=1, url="https://perf.example.com"),
                environ={"SECRET_KEY": GOOD_KEY})
    assert settings(one) == ["database schema"]


def test_secure_cookies_without_https_and_https_without_trusted_proxies(production_app):
    found = check(production_app, Setup(workers=1, url="http://perf.example.com"),
                  environ={"SECRET_KEY": GOOD_KEY})
    assert settings(found) == ["SESSION_COOKIE_SECURE"]
    assert "every login fails" in found[0].problem
    production_app.config["SESSION_COOKIE_SECURE"] = False
    found = check(production_app, Setup(workers=1, url="https://perf.example.com"),
                  environ={"SECRET_KEY": GOOD_KEY})
    assert settings(found) == ["SESSION_COOKIE_SECURE"]
    assert "SESSION_COOKIE_SECURE=1" in found[0].fix
    production_app.config.update(SESSION_COOKIE_SECURE=True, TRUSTED_PROXIES=0)
    found = check(production_app, Setup(workers=1, url="https://perf.example.com"),
                  environ={"SECRET_KEY": GOOD_KEY})
    assert settings(found) == ["TRUSTED_PROXIES"]
    assert "proxy's address" in found[0].problem and "TRUSTED_PROXIES" in found[0].fix
    direct = check(production_app, Setup(workers=1, url="https://perf.example.com",
                                         behind_proxy=False),
                   environ={"SECRET_KEY": GOOD_KEY})
    assert direct == []


@contextmanager
def cdn_serving(body: bytes):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/htmx.min.js"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_cdn_the_server_cannot_reach_or_that_answers_another_file(production_app):
    production_app.config["HTMX_FROM_CDN"] = True
    setup = Setup(workers=1, url="https://perf.example.com")
    vendor = Path(production_app.static_folder, "vendor", "htmx-2.0.11.min.js").read_bytes()
    with cdn_serving(vendor) as url:
        production_app.config["HTMX_CDN_URL"] = url
        assert check(production_app, setup, environ={"SECRET_KEY": GOOD_KEY}) == []
    with cdn_serving(b"alert('not htmx')") as url:
        production_app.config["HTMX_CDN_URL"] = url
        found = check(production_app, setup, environ={"SECRET_KEY": GOOD_KEY})
        assert settings(found) == ["HTMX_FROM_CDN"]
        assert "different file" in found[0].problem
    with socket.socket() as hanging:  # accepts, never answers: a firewall dropping packets
        hanging.bind(("127.0.0.1", 0))
        hanging.listen(8)
        production_app.config["HTMX_CDN_URL"] = f"http://127.0.0.1:{hanging.getsockname()[1]}/"
        found = check(production_app, setup, environ={"SECRET_KEY": GOOD_KEY},
                      cdn_timeout=0.3)
    assert settings(found) == ["HTMX_FROM_CDN"]
    assert "cannot reach" in found[0].problem and "Leave HTMX_FROM_CDN unset" in found[0].fix


def test_the_command_numbers_what_is_wrong_and_fails(production_app, monkeypatch):
    runner = production_app.test_cli_runner()
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    result = runner.invoke(args=["check-deploy", "--workers", "1", "--url",
                                 "https://perf.example.com"])
    assert (result.exit_code, result.output.splitlines()[-1]) == (0, "Nothing wrong found.")
    monkeypatch.delenv("SECRET_KEY")
    result = runner.invoke(args=["check-deploy", "--workers", "1", "--url",
                                 "http://perf.example.com"])
    assert result.exit_code == 1
    assert re.findall(r"^(\d)\. (\S+):", result.output, re.M) == [
        ("1", "SECRET_KEY"), ("2", "SESSION_COOKIE_SECURE")]
    assert "2 things are wrong for production" in result.output


# --- a login over plain HTTP with secure cookies -----------------------------------------------

def test_a_login_over_plain_http_with_secure_cookies_names_the_setting(production_app,
                                                                       company):
    # A browser drops a Secure cookie over http://: no cookie ever comes back.
    browser = production_app.test_client(use_cookies=False)
    token = csrf_from(browser.get("/login").get_data(as_text=True))
    response = browser.post("/login", data={"username": "hr", "password": "perfsite-demo",
                                            "csrf_token": token})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "SESSION_COOKIE_SECURE" in page and "https://" in page


def test_over_https_the_same_login_works(production_app, company):
    browser = production_app.test_client()
    headers = {"X-Forwarded-Proto": "https"}  # as the TLS proxy says (TRUSTED_PROXIES=1)
    token = csrf_from(browser.get("/login", headers=headers).get_data(as_text=True))
    response = browser.post("/login", headers=headers, data={
        "username": "hr", "password": "perfsite-demo", "csrf_token": token})
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
