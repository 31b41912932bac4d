"""Time the org-chart import of a 10,000-row CSV file, then of a 10,000-row XLSX file (other
people): upload and preview, then commit (the background job, polled as the page does).
Prints one JSON line.

usage: python bench/import_timing.py DATABASE_URL [ROWS]
The database must be empty: it is migrated and given the small test company first.
"""

import atexit
import csv
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "PERFSITE_INSTANCE" not in os.environ:  # run alone: a folder of its own, removed after
    os.environ["PERFSITE_INSTANCE"] = tempfile.mkdtemp(prefix="perfsite-bench-")
    atexit.register(shutil.rmtree, os.environ["PERFSITE_INSTANCE"], True)
os.environ.setdefault("SECRET_KEY", "bench-only")

from perfsite import create_app  # noqa: E402
from perfsite.extensions import db  # noqa: E402
from tests.conftest import Browserless  # noqa: E402
from tests.factories import make_company  # noqa: E402

HEADER = ["username", "display_name", "email", "employee_number", "job_title", "department",
          "manager", "roles", "active"]


def rows(n, prefix="i"):
    for i in range(n):
        boss = f"{prefix}{i // 10 * 10}" if i % 10 else "head"  # teams of ten, the lead first
        yield [f"{prefix}{i}", f"Imported Person {prefix}{i}", f"{prefix}{i}@example.com",
               f"{prefix.upper()}{i:06d}", "Engineer", "ENG", boss,
               "head;staff" if i % 10 == 0 else "staff", "yes"]


def csv_file(count: int, prefix: str) -> tuple[bytes, str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows(count, prefix))
    return buffer.getvalue().encode(), "people.csv"


def xlsx_file(count: int, prefix: str) -> tuple[bytes, str]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("People")
    sheet.append(HEADER)
    for row in rows(count, prefix):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), "people.xlsx"


def time_import(client, payload: bytes, filename: str) -> dict:
    """Upload and preview, then commit and poll the status as the page does: seconds."""
    started = time.perf_counter()
    upload = client.post_form("/org/import", {"file": (io.BytesIO(payload), filename)},
                              token_from="/org/import", content_type="multipart/form-data")
    assert upload.status_code == 303, upload.status_code
    preview_url = upload.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    previewed = time.perf_counter()
    fingerprint = re.search(r'name="fingerprint"[^>]*value="([0-9a-f]+)"', page).group(1)
    token = client.token(preview_url)
    commit_started = time.perf_counter()
    answer = client.client.post(preview_url + "/commit",
                                data={"fingerprint": fingerprint, "csrf_token": token})
    assert answer.status_code == 303, answer.status_code
    while True:  # the page's own poll, until the job says it is over
        status = client.client.get(preview_url, headers={"HX-Request": "true",
                                                         "HX-Target": "import-status"})
        if status.headers.get("HX-Refresh"):
            break
        if time.perf_counter() - commit_started > 300:
            raise SystemExit("the import did not finish in 5 minutes")
        time.sleep(0.2)
    committed = time.perf_counter()
    return {"preview_s": round(previewed - started, 2),
            "commit_s": round(committed - commit_started, 2)}


def main():
    url = sys.argv[1].replace("postgresql://", "postgresql+psycopg://", 1)
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_STORAGE_URI": "memory://",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        make_company()
        db.session.commit()
    client = Browserless(app.test_client())
    assert client.login("hr").status_code == 302
    from perfsite.org import import_jobs

    result = {"rows": count}
    # two files of new people: CSV first, then XLSX (other usernames)
    for kind, make, prefix in (("csv", csv_file, "i"), ("xlsx", xlsx_file, "x")):
        payload, filename = make(count, prefix)
        result[kind] = time_import(client, payload, filename)
        import_jobs.wait_for_jobs()
    with app.app_context():
        from sqlalchemy import func, select

        from perfsite.models import OrgImport, Person

        result["people"] = db.session.scalar(select(func.count(Person.id)))
        result["states"] = sorted(set(db.session.scalars(select(OrgImport.commit_state))))
        db.engine.dispose()
    print(json.dumps(result), flush=True)


main()
