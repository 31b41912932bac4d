"""From an empty server to a company at work, as the README's "Production" section says.

The checkout's files (what a fresh clone has) are built into a wheel, which is installed
into a new virtualenv in a temporary folder, outside the checkout; from there, its `perfsite`
command creates the schema, checks the setup, creates the first HR admin, and gunicorn serves
the installed site. Through HTTP, as a browser behind the TLS proxy would: the empty site's
login page, a static file and a translated page (so the wheel carries templates, static
files, migrations and the compiled catalogue), the admin's first landing on the import, the
departments and the sample org chart imported, an imported person's password reset, and that
person logged in.

Three differences from the README, all for speed or this machine: the wheel is built with the
project's own setuptools (`--no-build-isolation`); the new virtualenv reuses the project's
installed dependencies (a .pth file) instead of downloading them (`--no-deps`); and the
site runs one worker (so without Redis), with the proxy's X-Forwarded-Proto header sent by
the test (no TLS here). The database is PostgreSQL when the run has one, else SQLite.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from perfsite import ROOT

from .conftest import FormParser

PASSWORD = "Orchid-Lantern-42"
README = (ROOT / "README.md").read_text()
PRODUCTION = README[README.index("## Production"):README.index("### Backup and restore")]


def readme_says(command: str) -> str:
    assert command in PRODUCTION, f"the README's production section no longer says {command!r}"
    return command


def fresh_clone(target: Path) -> Path:
    """The files a clone of this checkout would have (tracked, and new files not ignored)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True, check=True)
    for name in listed.stdout.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done


class Site:
    """A browser for the test: keeps cookies, follows no redirect by itself, and arrives
    through the TLS proxy (X-Forwarded-Proto: https), so secure cookies come back."""

    def __init__(self, url: str):
        self.url = url
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def open(self, path, data: bytes | None = None, headers: dict | None = None):
        # As a browser on https://: the origin as Referer (Flask-WTF checks it over HTTPS).
        origin = "https://" + self.url.split("://", 1)[1]
        request = urllib.request.Request(self.url + path, data=data, headers={
            "X-Forwarded-Proto": "https", "Accept-Language": "en", "Referer": origin + "/",
            **({"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
               if self.cookies else {}),
            **(headers or {})})
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "expires=thu, 01 jan 1970" in header.lower() or "max-age=0" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        response.text = response.read().decode()
        return response

    def get(self, path, **kwargs):
        return self.open(path, **kwargs)

    def form(self, path: str, match: str):
        page = self.get(path)
        assert page.status == 200, (path, page.status)
        forms = [f for f in FormParser.parse(page.text)
                 if match in (f.action or "") or match in (f.id or "")]
        assert forms, f"no form matching {match!r} on {path}"
        return forms[0]

    def submit(self, form, values: dict | None = None, files: dict | None = None):
        fields = {**form.fields, **(values or {})}
        if files:
            boundary = uuid.uuid4().hex
            body = b""
            for name, value in fields.items():
                body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
                         f"\r\n\r\n{value}\r\n").encode()
            for name, (filename, content) in files.items():
                body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                         f"filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n").encode()
                body += content + b"\r\n"
            body += f"--{boundary}--\r\n".encode()
            kind = f"multipart/form-data; boundary={boundary}"
        else:
            body = urllib.parse.urlencode(fields).encode()
            kind = "application/x-www-form-urlencoded"
        return self.open(form.action, data=body, headers={"Content-Type": kind})

    def log_in(self, username: str, password: str):
        response = self.submit(self.form("/login", "/login"),
                               {"username": username, "password": password})
        assert response.status == 302, (username, response.status, _words(response.text))
        return response


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))[-800:]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def installed(tmp_path):
    """Steps 1-2: the wheel built from a fresh clone, installed outside the checkout."""
    source = fresh_clone(tmp_path / "clone")
    readme_says("python3 -m pip wheel --no-deps --wheel-dir dist .")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(tmp_path / "dist"), "."], cwd=source)
    wheel = next((tmp_path / "dist").glob("perfsite-*.whl"))
    readme_says("python3 -m venv /srv/perfsite/venv")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    site_packages = Path(run([str(venv / "bin" / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_path('purelib'))"])
                         .stdout.strip())
    # The project's installed dependencies, after the new venv's own site-packages.
    (site_packages / "project-dependencies.pth").write_text(sysconfig.get_path("purelib"))
    readme_says("/srv/perfsite/venv/bin/pip install dist/perfsite-*.whl")
    run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--no-deps", "--quiet", str(wheel)])
    return venv


def test_the_readme_production_recipe_from_an_empty_server_to_a_company_at_work(
        installed, tmp_path, scratch_database):
    venv, work = installed, tmp_path / "server"
    work.mkdir()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PERFSITE_"))},
        # PostgreSQL as the README says when this run has one (TEST_DATABASE_URL), else SQLite.
        "DATABASE_URL": scratch_database("installed").replace("postgresql+psycopg://",
                                                              "postgresql://"),
        "SECRET_KEY": secrets.token_hex(32),
        "RATELIMIT_STORAGE_URI": "memory://",  # one worker here
        "SESSION_COOKIE_SECURE": "1",
        "TRUSTED_PROXIES": "1",
        "SITE_URL": "https://perf.example.com",
        "PERFSITE_INSTANCE": str(work / "instance"),
    }

    def perfsite(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return run([str(venv / "bin" / "perfsite"), *args], cwd=work, env=environment,
                   input=stdin)

    # 3-4: the schema, and the setup checked (nothing wrong with the recipe, one worker).
    readme_says("perfsite db upgrade")
    perfsite("db", "upgrade")
    readme_says("perfsite check-deploy --workers 4")
    checked = perfsite("check-deploy", "--workers", "1")
    assert "Nothing wrong found." in checked.stdout
    # What the wheel put in the package: the site runs from these, not from the checkout.
    package = next(venv.glob("lib/python*/site-packages/perfsite"))
    assert {p.name for p in (package / "bundled").iterdir()} == {"templates", "static",
                                                                  "migrations"}
    assert (package / "translations/zh_Hans_CN/LC_MESSAGES/messages.mo").is_file()

    # 6: gunicorn serves the installed site.
    port = free_port()
    readme_says("--bind 127.0.0.1:8000 'perfsite:create_app()'")
    server = subprocess.Popen(
        [str(venv / "bin" / "python"), "-m", "gunicorn", "--workers", "1", "--bind",
         f"127.0.0.1:{port}", "perfsite:create_app()"],
        cwd=work, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    try:
        site = Site(f"http://127.0.0.1:{port}")
        _wait_until_up(site, server)
        _journey(site, perfsite)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(site: Site, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode()
        try:
            if site.get("/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)  # gunicorn is still starting
    pytest.fail("gunicorn did not answer /healthz within 30 s")


def _journey(site: Site, perfsite) -> None:
    # The empty site says how to create the first administrator.
    login_page = site.get("/login")
    assert login_page.status == 200 and "perfsite create-admin" in login_page.text
    # A static file and a translated page, from the wheel's own files.
    css = site.get("/static/css/site.css")
    assert css.status == 200 and ".flash-info" in css.text
    assert site.get("/static/vendor/htmx-2.0.11.min.js").status == 200
    chinese = site.get("/login", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="zh-CN">' in chinese.text and "登录" in chinese.text

    # 5: the first HR administrator, from the command line.
    readme_says("perfsite create-admin")
    made = perfsite("create-admin", "--name", "Ada Lovelace", "--username", "ada",
                    "--email", "ada@example.com", "--password-stdin", stdin=PASSWORD + "\n")
    assert "HR admin Ada Lovelace (ada) created" in made.stdout
    assert "Nobody can log in yet" not in site.get("/login").text

    # 7: logged in, the admin lands on the import, adds the departments, imports the sample.
    site.log_in("ada", PASSWORD)
    home = site.get("/")
    assert (home.status, home.headers["Location"]) == (302, "/org/import")
    assert "Start here: your company is empty" in site.get("/org/import").text
    for code, name in (("ENG", "Engineering"), ("SALES", "Sales")):
        added = site.submit(site.form("/departments/new", "/departments/new"),
                            {"code": code, "name": name})
        assert added.status in (302, 303), added.text[:500]
    sample = site.get("/org/import/sample.csv")
    assert sample.status == 200 and "zhao.min" in sample.text
    uploaded = site.submit(site.form("/org/import", "/org/import"),
                           files={"file": ("org-chart-sample.csv", sample.text.encode())})
    assert uploaded.status == 303, uploaded.text[:500]
    preview = uploaded.headers["Location"]
    committed = site.submit(site.form(preview, "/commit"))
    assert committed.status == 303
    deadline = time.monotonic() + 30
    while "import-result" not in (page := site.get(preview).text):
        assert time.monotonic() < deadline, "the import was not committed within 30 s"
        time.sleep(0.2)  # the commit job runs in the gunicorn worker
    assert "3 created" in page

    # An imported person gets a one-time password from HR, logs in and chooses their own.
    people = site.get("/people?q=zhao.min").text
    person = re.search(r'href="(/people/\d+)"[^>]*>赵敏', people)
    assert person, "the imported person is listed"
    reset = site.submit(site.form(person[1], "/reset-password"))
    if reset.status in (302, 303):
        reset = site.get(reset.headers["Location"])
    temporary = re.search(r'<p class="secret"><code>([^<]+)</code>', reset.text)[1]
    site.submit(site.form("/", "/logout"))
    zhao = Site(site.url)
    assert zhao.log_in("zhao.min", temporary).headers["Location"] == "/account/password"
    changed = zhao.submit(zhao.form("/account/password", "/account/password"), {
        "current_password": temporary, "new_password": "Lotus-Harbour-7781",
        "confirm": "Lotus-Harbour-7781"})
    assert changed.status == 302
    home = zhao.get("/")
    assert home.status == 200 and "赵敏" in home.text
