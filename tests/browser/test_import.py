"""The org-chart import in Chromium: upload, preview, commit, progress while it runs, result."""

from __future__ import annotations

import threading

from perfsite.org import import_jobs
from perfsite.org.importing import applying

from .conftest import check_accessibility, expect, login

HEADER = "username,display_name,email,employee_number,job_title,department,manager,roles,active"


def test_hr_imports_2000_people_and_watches_the_commit_progress(page, live_server, monkeypatch,
                                                                tmp_path):
    # The commit runs in a real background thread, held after checking the rows, before it
    # writes, until the page has shown that progress (2,000 rows are otherwise over in a
    # moment).
    monkeypatch.setitem(live_server.app.config, "IMPORT_RUN_INLINE", False)
    release = threading.Event()
    apply_plan = applying.apply_plan

    def held(plan, **kwargs):
        release.wait(30)
        return apply_plan(plan, **kwargs)

    monkeypatch.setattr(applying, "apply_plan", held)
    people = tmp_path / "people.csv"
    people.write_text("\n".join([HEADER, *(
        f"imp{n},Imported Person {n},imp{n}@example.com,IMP{n:05d},Engineer,ENG,"
        f"{'head' if n % 20 == 0 else f'imp{n - n % 20}'},staff,yes" for n in range(2000))]),
        encoding="utf-8")

    try:
        login(page, "hr")
        page.goto("/org/import")
        page.set_input_files("input[type=file]", str(people))
        with page.expect_navigation():
            page.get_by_role("button", name="Upload and preview").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Import preview: people.csv")
        expect(page.locator(".facts")).to_contain_text("2000")
        expect(page.locator("#import-rows tbody tr")).to_have_count(100)  # the first page
        check_accessibility(page)

        with page.expect_navigation():
            page.get_by_role("button", name="Commit the import").click()
        status = page.locator("#import-status")
        expect(status).to_contain_text("Writing the changes: 0 of 2000 people.")
        expect(status.locator("progress")).to_be_visible()
        check_accessibility(page)

        release.set()
        # The poll notices the end and the page reloads to show the result.
        expect(page.locator("#import-result")).to_have_text(
            "2000 created, 0 updated, 0 unchanged.")
        expect(page.locator("#import-status")).to_have_count(0)
        expect(page.locator(".facts")).to_contain_text("Guo Mei")
    finally:
        release.set()
        import_jobs.wait_for_jobs()
