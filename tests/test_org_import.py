"""Importing the org chart from CSV/XLSX (preview, all-or-nothing commit) and exporting it.

Service tests call perfsite.org.importer directly on the `org_chart` company; view tests go
through the test client as the HR admin of the `company` fixture. Commit jobs run inline
under TESTING (import_jobs); the tests that need the real thread say so.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, update

from perfsite.auth.services import start_session
from perfsite.errors import StateError
from perfsite.extensions import db
from perfsite.models import AuditEvent, LoginSession, OrgImport, Person, utcnow
from perfsite.org import import_jobs, importer
from perfsite.org import services as org_services
from perfsite.org.importing import applying, checking, reading

HEADER = "username,display_name,email,employee_number,job_title,department,manager,roles,active"
NEW_PERSON = "wang.lei,王磊,wang.lei@example.com,E1001,Engineer,ENG,head,staff,yes"


def csv_file(*lines: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = "\r\n".join([header, *lines]) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def plan_of(*lines: str, header: str = HEADER, actor=None) -> importer.ImportPlan:
    return importer.plan_import(importer.parse_file("people.csv", csv_file(*lines,
                                                                            header=header)),
                                actor=actor)


def hr_person() -> Person:
    return person("hr")


def row_errors(plan: importer.ImportPlan, number: int) -> dict[str | None, str]:
    row = next(r for r in plan.rows if r.number == number)
    return {issue.column: issue.message for issue in row.errors}


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def person(username: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.username == username))


def apply(*lines: str, header: str = HEADER) -> importer.ImportPlan:
    hr = hr_person()
    plan = plan_of(*lines, header=header, actor=hr)
    importer.apply_plan(plan, actor=hr)
    db.session.commit()
    return plan


# Reading files ---------------------------------------------------------------------------

def test_csv_reads_the_same_with_or_without_bom(app_ctx):
    with_bom = importer.parse_file("a.csv", csv_file(NEW_PERSON, bom=True))
    without = importer.parse_file("a.csv", csv_file(NEW_PERSON))
    assert with_bom == without
    assert with_bom[0]["row"] == 2
    assert with_bom[0]["values"]["username"] == "wang.lei"
    assert with_bom[0]["values"]["display_name"] == "王磊"


def test_xlsx_reads_like_the_csv(app_ctx):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["wang.lei", "王磊", "wang.lei@example.com", 1001, "Engineer", "ENG", "head",
                  "staff", True])
    sheet.append([None] * 9)  # a blank row is skipped
    sheet.append(["zhao.min", "赵敏", "zhao.min@example.com", 1002.0, "", "ENG", "wang.lei",
                  "staff", False])
    buffer = io.BytesIO()
    workbook.save(buffer)

    rows = importer.parse_file("people.xlsx", buffer.getvalue())

    assert [r["row"] for r in rows] == [2, 4]
    assert rows[0]["values"]["employee_number"] == "1001"
    assert rows[0]["values"]["active"] == "yes"
    assert rows[1]["values"]["employee_number"] == "1002"
    assert rows[1]["values"]["active"] == "no"


@pytest.mark.parametrize(("filename", "data", "message"), [
    ("a.csv", "username,display_name,email\r\nli,李,li@example.com".encode("gb18030"),
     "UTF-8"),
    ("a.csv", b"username,display_name,email,dept\r\nli,Li,li@example.com,ENG", "dept"),
    ("a.csv", b"username,email\r\nli,li@example.com", "display_name"),
    ("a.csv", b"username,display_name,email,email\r\nli,Li,li@example.com,x", "more than once"),
    ("a.csv", b"", "empty"),
    ("a.csv", b"username,display_name,email\r\n", "no rows"),
    ("a.xlsx", b"PK\x03\x04 not really a workbook", ".xlsx"),
    ("a.xlsx", b"username,display_name,email\r\n", ".xlsx"),
])
def test_unreadable_files_are_refused_with_a_reason(app_ctx, filename, data, message):
    with pytest.raises(importer.ImportFileError, match=re.escape(message)):
        importer.parse_file(filename, data)


def test_files_over_the_size_and_row_limits_are_refused(app_ctx, monkeypatch):
    with pytest.raises(importer.ImportFileError, match="MB"):
        importer.parse_file("a.csv", b"x" * (importer.MAX_BYTES + 1))
    assert importer.MAX_ROWS >= 50_000 and importer.MAX_BYTES >= 20 * 1024 * 1024
    monkeypatch.setattr(reading, "MAX_ROWS", 2)
    lines = [f"p{i},P {i},p{i}@example.com,,,,,," for i in range(3)]
    with pytest.raises(importer.ImportFileError, match="more than 2 rows"):
        importer.parse_file("a.csv", csv_file(*lines))


# Planning --------------------------------------------------------------------------------

def test_preview_says_create_update_or_unchanged_per_row(org_chart):
    plan = plan_of(
        NEW_PERSON,
        "staff,Liu Yang,staff@example.com,,Senior Engineer,ENG,head,staff,yes",
        "colleague,Sam Okafor,colleague@example.com,,Engineer,ENG,head,staff,yes",
    )
    # staff and colleague carry no employee number in this file: that clears theirs.
    actions = {r.number: r.action for r in plan.rows}
    assert actions == {2: "create", 3: "update", 4: "update"}
    staff_row = plan.rows[1]
    assert staff_row.changes["job_title"] == ("Engineer", "Senior Engineer")
    assert staff_row.changes["employee_number"][1] == ""
    assert not plan.has_errors
    assert audit_count() > 0 and person("wang.lei") is None  # nothing written by a preview


def test_a_missing_column_leaves_that_detail_alone(org_chart):
    plan = plan_of("staff,Liu Yang,staff@example.com", header="username,display_name,email")
    assert plan.rows[0].action == "unchanged"


@pytest.mark.parametrize(("line", "column", "fragment"), [
    ("wang.lei,王磊,wang.lei@example.com,,,NOPE,,,", "department", "NOPE"),
    ("wang.lei,王磊,not-an-email,,,ENG,,,", "email", "not a valid e-mail"),
    ("wang.lei,王磊,staff@example.com,,,ENG,,,", "email", "staff already has"),
    ("wang.lei,王磊,wang.lei@example.com,{staff_number},,ENG,,,", "employee_number",
     "staff already has"),
    ("wang.lei,王磊,wang.lei@example.com,,,ENG,nobody,,", "manager", "nobody"),
    ("wang.lei,王磊,wang.lei@example.com,,,ENG,,boss,", "roles", "boss"),
    ("wang.lei,,wang.lei@example.com,,,ENG,,,", "display_name", "name is required"),
    (",王磊,wang.lei@example.com,,,ENG,,,", "username", "username is required"),
    ("wang lei,王磊,wang.lei@example.com,,,ENG,,,", "username", "letters, digits"),
    ("wang.lei,王磊,wang.lei@example.com,,,ENG,,,maybe", "active", "yes or no"),
    ("wang.lei,王磊,wang.lei@example.com,,,ENG,,,yes,extra", None, "more cells"),
])
def test_each_kind_of_bad_row_is_reported_on_its_column(org_chart, line, column, fragment):
    line = line.replace("{staff_number}", org_chart.staff.employee_number)
    errors = row_errors(plan_of(line), 2)
    assert column in errors, errors
    assert fragment in errors[column]


def test_duplicates_within_the_file_are_reported_on_every_row_involved(org_chart):
    plan = plan_of(
        "wang.lei,王磊,wang.lei@example.com,E1,,ENG,,,",
        "Wang.Lei,王磊,other@example.com,E2,,ENG,,,",
        "zhao.min,赵敏,WANG.LEI@example.com,E1,,ENG,,,",
    )
    assert "row 3" in row_errors(plan, 2)["username"]
    assert "row 2" in row_errors(plan, 3)["username"]
    assert "row 4" in row_errors(plan, 2)["email"]
    assert "row 2" in row_errors(plan, 4)["employee_number"]


def test_a_manager_loop_inside_the_file_is_reported(org_chart):
    plan = plan_of(
        "a.one,A One,a.one@example.com,,,ENG,b.two,,",
        "b.two,B Two,b.two@example.com,,,ENG,a.one,,",
        "c.three,C Three,c.three@example.com,,,ENG,c.three,,",
    )
    for number in (2, 3, 4):
        assert "loop" in row_errors(plan, number)["manager"]
    assert "a.one → b.two → a.one" in row_errors(plan, 2)["manager"]


def test_a_manager_loop_across_file_and_org_chart_is_reported(org_chart):
    # In the org chart staff reports to head; the file puts head under a new person who
    # reports to staff: head → x.new → staff → head.
    plan = plan_of(
        "head,Zhang Min,head@example.com,,,ENG,x.new,head,yes",
        "x.new,X New,x.new@example.com,,,ENG,staff,,",
    )
    assert "loop" in row_errors(plan, 2)["manager"]
    assert "loop" in row_errors(plan, 3)["manager"]


def test_reversing_a_reporting_line_is_not_a_loop_and_applies(org_chart):
    # staff reports to head; the file swaps them. Applied in file order it would pass
    # through a loop; managers are applied first, so it does not.
    apply(
        "head,Zhang Min,head@example.com,,,ENG,staff,head,yes",
        "staff,Liu Yang,staff@example.com,,,ENG,,staff,yes",
        header=HEADER,
    )
    db.session.expire_all()
    assert person("head").manager.username == "staff"
    assert person("staff").manager is None


def test_a_manager_may_be_someone_the_same_file_creates(org_chart):
    apply(
        "zhao.min,赵敏,zhao.min@example.com,E1002,Engineer,ENG,wang.lei,staff,yes",
        "wang.lei,王磊,wang.lei@example.com,E1001,Lead,ENG,head,head;staff,yes",
    )
    zhao = person("zhao.min")
    assert zhao.manager.username == "wang.lei"
    assert person("wang.lei").roles == {"head", "staff"}


def test_assigning_a_deactivated_manager_is_refused(org_chart):
    plan = plan_of("colleague,Sam Okafor,colleague@example.com,,,ENG,head,staff,no",
                   "wang.lei,王磊,wang.lei@example.com,,,ENG,colleague,,")
    assert "deactivated" in row_errors(plan, 3)["manager"]


def test_hr_cannot_deactivate_themselves_or_drop_their_hr_role(org_chart):
    plan = plan_of("hr,Guo Mei,hr@example.com,,,HR,exec,staff,no", actor=org_chart.hr)
    errors = row_errors(plan, 2)
    assert "yourself" in errors["active"]
    assert "HR admin" in errors["roles"]


# Applying --------------------------------------------------------------------------------

def test_new_people_are_created_without_a_password_and_audited(org_chart):
    before = audit_count()
    apply(NEW_PERSON)
    wang = person("wang.lei")
    assert wang.password_hash is None
    assert wang.department.code == "ENG" and wang.manager.username == "head"
    assert wang.employee_number == "E1001" and wang.roles == {"staff"}
    assert audit_count() == before + 1
    latest = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert latest.action == "person.created" and latest.object_id == wang.id


def test_one_bad_row_means_nothing_is_written(org_chart):
    before = audit_count()
    plan = plan_of(NEW_PERSON,
                   "staff,Liu Yang,staff@example.com,,Principal,ENG,head,staff,yes",
                   "zhao.min,赵敏,zhao.min@example.com,,,NOPE,,,")
    with pytest.raises(importer.ImportRejected):
        importer.apply_plan(plan, actor=org_chart.hr)
    db.session.rollback()
    assert person("wang.lei") is None
    assert person("staff").job_title == "Engineer"
    assert audit_count() == before


def test_importing_the_same_file_again_changes_nothing(org_chart):
    lines = (NEW_PERSON, "staff,Liu Yang,staff@example.com,,Principal,SALES,sales.head,staff,yes")
    apply(*lines)
    before = audit_count()
    versions = dict(db.session.execute(select(Person.id, Person.version)).tuples().all())

    again = apply(*lines)

    assert {r.action for r in again.rows} == {"unchanged"}
    assert audit_count() == before
    assert dict(db.session.execute(select(Person.id, Person.version)).tuples().all()) == versions


def test_export_then_import_changes_nothing(org_chart):
    colleague = org_chart.colleague
    org_services.update_person(colleague, org_chart.hr, expected_version=colleague.version,
                               display_name="=HYPERLINK(\"x\")", job_title="'-quoted")
    org_services.deactivate_person(org_chart.peer, org_chart.hr)
    db.session.commit()
    exported = importer.export_csv()
    assert exported.startswith("\ufeff" + ",".join(importer.COLUMNS))
    assert "'=HYPERLINK" in exported  # a spreadsheet will not run it
    before = audit_count()

    plan = importer.plan_import(importer.parse_file("export.csv", exported.encode("utf-8")),
                                actor=org_chart.hr)
    importer.apply_plan(plan, actor=org_chart.hr)
    db.session.commit()

    assert len(plan.rows) == db.session.scalar(select(func.count(Person.id)))
    assert {r.action for r in plan.rows} == {"unchanged"}, [
        (r.number, r.changes, r.errors) for r in plan.rows if r.action != "unchanged"]
    assert audit_count() == before


def test_deactivating_through_the_import_ends_the_persons_sessions(org_chart):
    start_session(org_chart.staff, user_agent="tests")
    db.session.commit()
    apply("staff,Liu Yang,staff@example.com,,,ENG,head,staff,no")
    staff = person("staff")
    assert staff.active is False
    assert db.session.scalar(select(func.count(LoginSession.id)).where(
        LoginSession.person_id == staff.id, LoginSession.revoked_at.is_(None))) == 0
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == \
        "person.deactivated"


def test_an_import_is_committed_once(org_chart):
    org_import = importer.store_upload("people.csv", csv_file(NEW_PERSON), org_chart.hr)
    importer.commit_import(org_import, actor=org_chart.hr)
    db.session.commit()
    assert org_import.committed_at is not None
    assert org_import.committed_by_id == org_chart.hr.id
    assert org_import.commit_result == {"create": 1, "update": 0, "unchanged": 0}
    with pytest.raises(StateError):
        importer.commit_import(org_import, actor=org_chart.hr)


def test_commit_refuses_a_plan_that_changed_since_the_preview(org_chart):
    org_import = importer.store_upload("people.csv", csv_file(NEW_PERSON), org_chart.hr)
    shown = importer.plan_import(org_import.rows, actor=org_chart.hr).fingerprint
    org_services.create_person(org_chart.hr, username="wang.lei", display_name="Someone Else",
                               email="someone@example.com")
    with pytest.raises(importer.PlanChanged):
        importer.commit_import(org_import, actor=org_chart.hr, expected_fingerprint=shown)


# Pages -----------------------------------------------------------------------------------

def upload(client, data: bytes, filename: str = "people.csv"):
    return client.post_form("/org/import", {"file": (io.BytesIO(data), filename)},
                            token_from="/org/import", content_type="multipart/form-data")


def test_upload_shows_a_preview_with_each_rows_problems(login_as):
    hr = login_as("hr")
    response = upload(hr, csv_file(NEW_PERSON, "zhao.min,赵敏,not-an-email,,,NOPE,,,"))
    assert response.status_code == 303
    preview = hr.get(response.headers["Location"])
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert 'id="row-3"' in page and "<code>department</code>" in page and "NOPE" in page
    assert "<code>email</code>" in page
    assert "Commit the import" not in page


def test_an_unreadable_upload_is_refused_next_to_the_file_field(login_as):
    hr = login_as("hr")
    response = upload(hr, b"username,email\r\nx,x@example.com")
    assert response.status_code == 422
    assert "display_name" in response.get_data(as_text=True)
    assert hr.get("/org/import").status_code == 200
    response = upload(hr, b"x", filename="people.txt")
    assert response.status_code == 422


def test_commit_applies_once_even_when_submitted_twice(app, login_as):
    hr = login_as("hr")
    preview_url = upload(hr, csv_file(NEW_PERSON)).headers["Location"]
    page = hr.get(preview_url).get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint"[^>]*value="([0-9a-f]+)"', page).group(1)
    commit_url = preview_url + "/commit"

    first = hr.post_form(commit_url, {"fingerprint": fingerprint}, token_from=preview_url)
    second = hr.post_form(commit_url, {"fingerprint": fingerprint}, token_from=preview_url)

    assert first.status_code == 303 and second.status_code == 303
    assert "already committed" in hr.get(preview_url).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id)).where(
            Person.username == "wang.lei")) == 1
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "person.created", AuditEvent.object_label == "王磊")) == 1


def test_commit_with_rows_broken_since_the_preview_writes_nothing(app, login_as):
    hr = login_as("hr")
    preview_url = upload(hr, csv_file(NEW_PERSON)).headers["Location"]
    page = hr.get(preview_url).get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint"[^>]*value="([0-9a-f]+)"', page).group(1)
    with app.app_context():  # meanwhile someone takes the e-mail address
        org_services.create_person(person("hr"), username="other", display_name="Other",
                                   email="wang.lei@example.com")
        db.session.commit()

    response = hr.post_form(preview_url + "/commit", {"fingerprint": fingerprint},
                            token_from=preview_url)

    assert response.status_code == 422
    assert "Nothing was written" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Person.id).where(Person.username == "wang.lei")) is None
        assert db.session.scalar(select(OrgImport.committed_at)) is None


def test_commit_after_the_org_chart_changed_asks_to_check_again(app, login_as, company):
    hr = login_as("hr")
    preview_url = upload(hr, csv_file(
        "staff,Liu Yang,staff@example.com,,Principal,ENG,head,staff,yes")).headers["Location"]
    page = hr.get(preview_url).get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint"[^>]*value="([0-9a-f]+)"', page).group(1)
    with app.app_context():
        staff = db.session.get(Person, company.staff.id)
        org_services.update_person(staff, person("hr"), expected_version=staff.version,
                                   job_title="Lead")
        db.session.commit()

    response = hr.post_form(preview_url + "/commit", {"fingerprint": fingerprint},
                            token_from=preview_url)

    assert response.status_code == 409
    assert "Lead → Principal" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, company.staff.id).job_title == "Lead"


def test_sample_and_export_download_as_utf8_csv_with_bom(login_as):
    hr = login_as("hr")
    for url in ("/org/import/sample.csv", "/org/export.csv"):
        response = hr.get(url)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        body = response.get_data()
        assert body.startswith(b"\xef\xbb\xbf" + HEADER.encode())
    assert "王磊" in hr.get("/org/import/sample.csv").get_data(as_text=True)
    assert "\nstaff,Liu Yang,staff@example.com" in hr.get("/org/export.csv").get_data(
        as_text=True).replace("\r\n", "\n")


@pytest.mark.parametrize("role", ["staff", "head", "exec"])
def test_only_hr_may_import_or_export(app, login_as, company, role):
    with app.app_context():
        org_import = OrgImport(filename="x.csv", rows=[], created_by_id=company.hr.id)
        db.session.add(org_import)
        db.session.commit()
        import_id = org_import.id
    user = login_as(role)
    for url in ("/org/import", f"/org/import/{import_id}", "/org/import/sample.csv",
                "/org/export.csv"):
        assert user.get(url).status_code == 403, url
    assert upload(user, csv_file(NEW_PERSON)).status_code == 403
    assert user.post_form(f"/org/import/{import_id}/commit",
                          {"fingerprint": "x"}).status_code == 403


def test_posts_without_a_csrf_token_are_refused(app, login_as, company):
    hr = login_as("hr")
    response = hr.client.post("/org/import", data={"file": (io.BytesIO(csv_file(NEW_PERSON)),
                                                            "people.csv")},
                              content_type="multipart/form-data")
    assert response.status_code == 400
    with app.app_context():
        org_import = importer.store_upload("people.csv", csv_file(NEW_PERSON),
                                           db.session.get(Person, company.hr.id))
        db.session.commit()
        import_id = org_import.id
    response = hr.client.post(f"/org/import/{import_id}/commit", data={"fingerprint": "x"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Person.id).where(Person.username == "wang.lei")) is None


def test_preview_queries_do_not_grow_with_the_file(app, login_as, count_queries):
    hr = login_as("hr")

    def preview_with(n):
        lines = [f"p{i},P {i},p{i}@example.com,N{i},,ENG,head,staff,yes" for i in range(n)]
        url = upload(hr, csv_file(*lines)).headers["Location"]
        with count_queries() as counted:
            assert hr.get(url).status_code == 200
        return counted.count

    assert preview_with(3) == preview_with(60)


# Limits: nothing a file contains makes reading it slow or big --------------------------

def xlsx_of(rows_xml: str, shared: list[str] | None = None, *, shared_xml: str | None = None,
            sheet_prefix: str = "", extra_parts: int = 0) -> bytes:
    """A minimal workbook written by hand, to say exactly what its XML holds."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    if shared_xml is None:
        shared_xml = (f'<sst xmlns="{main}">'
                      + "".join(f"<si><t>{text}</t></si>" for text in shared or ()) + "</sst>")
    package = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{package}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{package}.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{package}.sharedStrings+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"))
        archive.writestr("xl/workbook.xml", (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="People" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"))
        archive.writestr("xl/worksheets/sheet1.xml", (
            f'{sheet_prefix}<worksheet xmlns="{main}"><sheetData>{rows_xml}</sheetData>'
            "</worksheet>"))
        archive.writestr("xl/sharedStrings.xml", shared_xml)
        for n in range(extra_parts):
            archive.writestr(f"xl/media/part{n}.bin", b"")
    return buffer.getvalue()


def xlsx_row(number: int, cells: dict[str, object]) -> str:
    """<row> with inline strings, or shared strings for int values."""
    xml = []
    for column, value in cells.items():
        ref = f"{column}{number}"
        if isinstance(value, int):
            xml.append(f'<c r="{ref}" t="s"><v>{value}</v></c>')
        else:
            xml.append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
    return f'<row r="{number}">{"".join(xml)}</row>'


XLSX_HEADER = xlsx_row(1, {"A": "username", "B": "display_name", "C": "email"})


def test_xlsx_values_are_read_as_excel_shows_them(app_ctx):
    # Rich text runs, phonetic guides (not part of the value), formulas (their last value),
    # numbers, booleans, entities, prefixed element names and cells written out of order.
    shared = ['<r><rPr><b/></rPr><t>Wang</t></r><r><t xml:space="preserve"> Lei</t></r>',
              '<t>李娜</t><rPh sb="0" eb="1"><t>リ</t></rPh>', "<t>a&amp;b@example.com</t>"]
    shared_xml = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                  + "".join(f"<si>{s}</si>" for s in shared) + "</sst>")
    header = xlsx_row(1, {"A": "username", "B": "display_name", "C": "email",
                          "D": "employee_number", "E": "active", "F": "job_title"})
    rows = (
        '<row r="2"><c r="B2" t="s"><v>0</v></c><c r="A2" t="inlineStr"><is><t>wang</t>'
        '<rPh><t>ワン</t></rPh></is></c><c r="C2" t="str"><f>LOWER("W@EXAMPLE.COM")</f>'
        '<v>w@example.com</v></c><c r="D2"><v>1001</v></c><c r="E2" t="b"><v>0</v></c>'
        '<c r="F2"><v>1.5</v></c></row>\n'
        '<x:row r="3" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<x:c r="A3" t="inlineStr"><x:is><x:t>li</x:t></x:is></x:c>'
        '<x:c r="B3" t="s"><x:v>1</x:v></x:c><x:c r="C3" t="s"><x:v>2</x:v></x:c></x:row>')
    parsed = importer.parse_file("a.xlsx", xlsx_of(header + rows, shared_xml=shared_xml))
    assert [r["values"] for r in parsed] == [
        {"username": "wang", "display_name": "Wang Lei", "email": "w@example.com",
         "employee_number": "1001", "active": "no", "job_title": "1.5"},
        {"username": "li", "display_name": "李娜", "email": "a&b@example.com",
         "employee_number": "", "active": "", "job_title": ""},
    ]


def test_a_cell_over_500_characters_is_a_row_error_and_is_kept_short(org_chart):
    roles = "staff;" * 100  # 600 characters: no tighter limit than the cell's
    title = "x" * 600  # job titles have their own, tighter limit
    rows = importer.parse_file("a.csv", csv_file(
        f"wang.lei,王磊,wang.lei@example.com,,{title},ENG,,{roles},yes"))

    assert all(len(value) <= importer.MAX_CELL for value in rows[0]["values"].values())
    plan = importer.plan_import(rows, actor=org_chart.hr)
    errors = row_errors(plan, 2)
    assert errors["roles"] == "At most 500 characters."
    assert errors["job_title"] == "At most 120 characters."


def test_a_huge_shared_string_is_kept_short_in_every_cell_that_uses_it(app_ctx):
    # 5 MB of text in one shared string, used by 1,000 cells: read once, cut, never copied.
    rows_xml = XLSX_HEADER + "".join(
        xlsx_row(n, {"A": f"p{n}", "B": 0, "C": f"p{n}@example.com"}) for n in range(2, 1002))
    data = xlsx_of(rows_xml, ["A" * 5_000_000])
    assert len(data) < 100_000

    rows = importer.parse_file("a.xlsx", data)

    assert len(rows) == 1000
    assert {len(r["values"]["display_name"]) for r in rows} == {importer.MAX_CELL}
    assert rows[0]["too_long"] == ["display_name"]
    assert len(json.dumps(rows)) < 1_000_000


def test_a_small_workbook_that_unpacks_to_50_mb_is_refused_before_it_is_read(app_ctx,
                                                                              monkeypatch):
    opened = []
    monkeypatch.setattr(reading, "_expat", lambda *a, **k: opened.append(a) or pytest.fail(
        "the workbook was parsed"))
    data = xlsx_of(XLSX_HEADER + xlsx_row(2, {"A": "li", "B": 0, "C": "li@example.com"}),
                   ["A" * 50 * 1024 * 1024])
    assert len(data) < 200_000

    with pytest.raises(importer.ImportFileError, match="Unpacked"):
        importer.parse_file("bomb.xlsx", data)
    assert not opened


def test_a_workbook_with_thousands_of_parts_is_refused(app_ctx):
    data = xlsx_of(XLSX_HEADER, [], extra_parts=reading.XLSX_MAX_PARTS)
    with pytest.raises(importer.ImportFileError, match="parts"):
        importer.parse_file("a.xlsx", data)


def test_cells_beyond_the_first_columns_are_not_read(app_ctx):
    # Data in column XFD (the 16,384th) and in U (the 21st): neither is read, so neither is
    # an "extra cell" of the row.
    data = xlsx_of(XLSX_HEADER + xlsx_row(2, {"A": "li", "B": "Li", "C": "li@example.com",
                                              "U": "junk", "XFD": "junk"}))
    rows = importer.parse_file("a.xlsx", data)
    assert rows == [{"row": 2, "values": {"username": "li", "display_name": "Li",
                                          "email": "li@example.com"}}]


def test_a_csv_line_with_thousands_of_columns_is_refused(app_ctx):
    data = csv_file("li,Li,li@example.com" + "," * 5000)
    with pytest.raises(importer.ImportFileError, match="columns"):
        importer.parse_file("a.csv", data)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_reading_stops_when_it_takes_too_long(app_ctx, monkeypatch, kind):
    ticks = iter(range(1_000_000))
    monkeypatch.setattr(reading, "_clock", lambda: next(ticks))  # a second per look
    monkeypatch.setattr(reading, "PARSE_SECONDS", 2)
    people = [(f"p{n}", f"P {n}", f"p{n}@example.com") for n in range(5000)]
    if kind == "csv":
        data = csv_file(*(",".join(p) for p in people), header="username,display_name,email")
    else:
        data = xlsx_of(XLSX_HEADER + "".join(
            xlsx_row(n, dict(zip("ABC", p, strict=True))) for n, p in enumerate(people, 2)))
    with pytest.raises(importer.ImportFileError, match="longer than 2 seconds"):
        importer.parse_file(f"a.{kind}", data)


def test_a_file_with_more_text_than_an_import_keeps_is_refused(app_ctx, monkeypatch):
    monkeypatch.setattr(reading, "MAX_TEXT", 100)
    lines = [f"p{n},Person {n},p{n}@example.com" for n in range(10)]
    with pytest.raises(importer.ImportFileError, match="more text"):
        importer.parse_file("a.csv", csv_file(*lines, header="username,display_name,email"))


def test_a_workbook_declaring_entities_is_refused(app_ctx):
    data = xlsx_of(XLSX_HEADER, sheet_prefix='<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>')
    with pytest.raises(importer.ImportFileError, match=".xlsx"):
        importer.parse_file("a.xlsx", data)


def test_control_characters_are_removed_from_every_cell(org_chart):
    line = "wang.lei,Wang\x00 Lei\x1b,wang.lei@example.com,E\x0710,Eng\x00ineer,ENG,head,staff,yes"
    rows = importer.parse_file("a.csv", csv_file(line))
    assert rows[0]["values"]["display_name"] == "Wang Lei"
    assert rows[0]["values"]["employee_number"] == "E10"
    # Excel writes a control character in a cell as _x0000_
    xlsx = importer.parse_file("a.xlsx", xlsx_of(XLSX_HEADER + xlsx_row(
        2, {"A": "li", "B": "L_x0000_i_x001B_ Na", "C": "li@example.com"})))
    assert xlsx[0]["values"]["display_name"] == "Li Na"

    hr = org_chart.hr
    importer.apply_plan(importer.plan_import(rows, actor=hr), actor=hr)
    db.session.commit()  # PostgreSQL would refuse a NUL here
    assert person("wang.lei").job_title == "Engineer"


# Writing in bulk -------------------------------------------------------------------------

@pytest.mark.parametrize("email", [
    "a@example.com", "a..b@example.com", ".a@example.com", "a@x", "a@localhost", "a@foo.test",
    "a@-x.com", "a@example.123", "a@xn--bcher-kva.com", "a@bücher.com", "o'brien@example.com",
    "x" * 65 + "@example.com", "a@" + "x" * 250 + ".com", '"a b"@example.com', "用户@example.com",
    "a@example.com.", "a@exa_mple.com"])
def test_the_e_mail_check_answers_as_email_validator_does(app_ctx, email):
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(email, check_deliverability=False)
        expected = True
    except EmailNotValidError:
        expected = False
    domains: dict[str, bool] = {}
    assert checking._valid_email(email, domains) is expected
    assert checking._valid_email(email, domains) is expected  # the second time from memory


def test_loops_are_found_in_one_pass_over_the_chart():
    assert checking._on_loops({1: 2, 2: 3, 3: 1, 4: 1, 5: None, 6: 6, 7: 8}) == {1, 2, 3, 6}


def test_a_chain_of_new_managers_in_any_order_applies(org_chart):
    apply("c.three,C Three,c.three@example.com,,,ENG,b.two,,",
          "b.two,B Two,b.two@example.com,,,ENG,a.one,,",
          "a.one,A One,a.one@example.com,,,ENG,head,head,")
    assert person("c.three").manager.username == "b.two"
    assert person("b.two").manager.manager.username == "head"
    assert person("a.one").roles == {"head"}


def test_an_import_is_audited_with_its_actor_before_and_after(org_chart):
    hr, staff, colleague = org_chart.hr, org_chart.staff, org_chart.colleague
    versions = {staff.id: staff.version, colleague.id: colleague.version}
    staff_number = staff.employee_number
    first_event = db.session.scalar(select(func.max(AuditEvent.id)))
    org_import = importer.store_upload("people.csv", csv_file(
        NEW_PERSON,
        "staff,Liu Yang,staff@example.com,,Principal,ENG,head,head;staff,yes",
        "colleague,Sam Okafor,colleague@example.com,,Engineer,ENG,head,staff,no",
    ), hr)
    importer.commit_import(org_import, actor=hr)
    db.session.commit()

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > first_event)
                                .order_by(AuditEvent.id)).all()
    assert {e.actor_id for e in events} == {hr.id}
    by_action = {(e.action, e.object_label): e for e in events}
    assert set(by_action) == {("person.created", "王磊"), ("person.updated", "Liu Yang"),
                              ("person.updated", "Sam Okafor"),
                              ("person.deactivated", "Sam Okafor"),
                              ("org_import.committed", "people.csv")}
    created = by_action[("person.created", "王磊")].after
    assert created["manager_id"] == org_chart.head.id and created["roles"] == ["staff"]
    assert created["employee_number"] == "E1001" and created["active"] is True
    updated = by_action[("person.updated", "Liu Yang")]
    assert updated.before == {"employee_number": staff_number,
                              "job_title": "Engineer", "roles": ["staff"]}
    assert updated.after == {"employee_number": None, "job_title": "Principal",
                             "roles": ["head", "staff"]}
    assert by_action[("person.deactivated", "Sam Okafor")].after == {"active": False}
    assert by_action[("org_import.committed", "people.csv")].after == {
        "file": "people.csv", "rows": 3, "create": 1, "update": 2, "unchanged": 0}
    db.session.expire_all()
    assert person("staff").version == versions[staff.id] + 1
    assert person("colleague").version == versions[colleague.id] + 1
    assert person("wang.lei").version == 1


def test_a_person_saved_meanwhile_makes_the_import_write_nothing(org_chart):
    plan = plan_of("staff,Liu Yang,staff@example.com,,Principal,ENG,head,staff,yes",
                   NEW_PERSON, actor=org_chart.hr)
    # Someone saves Liu Yang between the check and the write (their version moves on).
    db.session.execute(update(Person.__table__).where(Person.__table__.c.username == "staff")
                       .values(version=Person.__table__.c.version + 1))
    with pytest.raises(importer.Conflict):
        importer.apply_plan(plan, actor=org_chart.hr)
    db.session.rollback()
    assert person("staff").job_title == "Engineer"
    assert person("wang.lei") is None


def people_file(start: int, stop: int, prefix: str, *, title: str = "Engineer",
                manager: str = "head", chain: bool = False, roles: str = "staff",
                deactivate: int | None = None) -> list[str]:
    lines = []
    for n in range(start, stop):
        boss = f"{prefix}{n - 1}" if chain and n > start else manager
        active = "no" if n == deactivate else "yes"
        lines.append(f"{prefix}{n},P {n},{prefix}{n}@example.com,{prefix.upper()}{n},{title},"
                     f"ENG,{boss},{roles if n % 2 else 'staff'},{active}")
    return lines


def test_an_import_writes_in_the_same_number_of_statements_for_1000_or_10000_rows(
        org_chart, count_queries):
    hr = org_chart.hr

    def statements(size: int, prefix: str) -> int:
        half = size // 2
        first = importer.store_upload("a.csv", csv_file(*people_file(0, half, prefix)), hr)
        importer.commit_import(first, actor=hr)
        db.session.commit()
        # Half updates (titles, roles, one deactivation), half new people in a chain of
        # managers the file itself creates.
        second = importer.store_upload("b.csv", csv_file(
            *people_file(0, half, prefix, title="Lead", roles="head;staff", deactivate=0),
            *people_file(half, size, prefix, chain=True)), hr)
        db.session.commit()
        with count_queries() as counted:
            plan = importer.commit_import(second, actor=hr)
            db.session.commit()
        assert plan.counts() == {"create": half, "update": half, "unchanged": 0}
        return counted.count

    small, large = statements(1_000, "a"), statements(10_000, "b")
    assert small == large < 60
    assert person("b9999").manager.username == "b9998"
    assert person("b0").active is False and person("b1").roles == {"head", "staff"}


def test_the_sample_file_imports_cleanly_on_the_demo_company(app_ctx):
    from perfsite.demo import seed_demo_company

    seed_demo_company()
    db.session.commit()
    hr = person("hr")
    org_import = importer.store_upload("org-chart-sample.csv",
                                       importer.sample_csv().encode("utf-8"), hr)
    plan = importer.plan_import(org_import.rows, actor=hr)
    assert [(r.number, r.errors) for r in plan.rows if r.errors] == []
    importer.commit_import(org_import, actor=hr, expected_fingerprint=plan.fingerprint)
    db.session.commit()
    assert person("zhao.min").manager.username == "wang.lei"
    assert plan.count("create") == len(importer.SAMPLE_ROWS)


# Commit jobs -------------------------------------------------------------------------------

def fingerprint_of(client, preview_url: str) -> str:
    page = client.get(preview_url).get_data(as_text=True)
    return re.search(r'name="fingerprint"[^>]*value="([0-9a-f]+)"', page).group(1)


def poll(client, preview_url: str):
    """What the page's htmx poll gets."""
    return client.client.get(preview_url, headers={"HX-Request": "true",
                                                   "HX-Target": "import-status"})


@pytest.fixture
def threaded(app, monkeypatch):
    """Commit jobs run in a real thread, held before writing until the test releases them."""
    import threading

    monkeypatch.setitem(app.config, "IMPORT_RUN_INLINE", False)
    release = threading.Event()
    apply_plan = applying.apply_plan

    def held(plan, **kwargs):
        assert release.wait(30), "the test never released the job"
        return apply_plan(plan, **kwargs)

    monkeypatch.setattr(applying, "apply_plan", held)
    yield release
    release.set()
    import_jobs.wait_for_jobs()


def test_commit_runs_in_a_thread_while_the_page_polls_its_progress(app, login_as, threaded):
    hr = login_as("hr")
    lines = [f"p{n},P {n},p{n}@example.com,N{n},,ENG,head,staff,yes" for n in range(300)]
    preview_url = upload(hr, csv_file(*lines)).headers["Location"]
    fingerprint = fingerprint_of(hr, preview_url)

    response = hr.post_form(preview_url + "/commit", {"fingerprint": fingerprint},
                            token_from=preview_url)
    assert response.status_code == 303
    page = hr.get(preview_url).get_data(as_text=True)
    assert 'data-hx-trigger="every 1s"' in page and "Committing the import" in page
    assert "Commit the import</button>" not in page

    fragments = []
    for _attempt in range(3000):  # the job is held until a poll has shown its progress
        answer = poll(hr, preview_url)
        assert answer.status_code == 200
        if answer.headers.get("HX-Refresh") == "true":
            break
        fragments.append(answer.get_data(as_text=True))
        threaded.set()
        import_jobs.wait_for_jobs(0.01)
    else:
        pytest.fail("the commit job did not finish")
    assert fragments and "<html" not in fragments[0]
    assert re.search(r"(Checking the rows|Starting|Writing)", fragments[0])
    assert "<progress" in fragments[0]

    done = hr.get(preview_url).get_data(as_text=True)
    assert "300 created, 0 updated, 0 unchanged." in done
    assert 'data-hx-trigger="every 1s"' not in done
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id)).where(
            Person.username.like("p%"))) == 301  # and `peer`
        assert db.session.scalar(select(OrgImport.commit_state)) == "done"


def test_the_writing_reports_its_progress_while_it_writes(app, login_as, monkeypatch):
    """The count moves during the write phase (on SQLite through the side file, as its one
    write lock is the job's), not frozen at 0 until the end."""
    import threading

    monkeypatch.setitem(app.config, "IMPORT_RUN_INLINE", False)
    release, chunks = threading.Event(), []
    insert_many = applying._insert_many

    def held(table, rows):
        if table is applying._person:
            chunks.append(len(rows))
            if len(chunks) == 2:  # the first tenth is written (and reported): wait here
                assert release.wait(30), "the test never released the job"
        return insert_many(table, rows)

    monkeypatch.setattr(applying, "_insert_many", held)
    hr = login_as("hr")
    lines = [f"w{n},W {n},w{n}@example.com,W{n},,ENG,head,staff,yes" for n in range(300)]
    preview_url = upload(hr, csv_file(*lines)).headers["Location"]
    hr.post_form(preview_url + "/commit", {"fingerprint": fingerprint_of(hr, preview_url)},
                 token_from=preview_url)
    try:
        seen = None
        for _attempt in range(3000):
            fragment = poll(hr, preview_url).get_data(as_text=True)
            seen = re.search(r"Writing the changes: (\d+) of (\d+) people", fragment)
            if seen and int(seen.group(1)) > 0:
                break
            import_jobs.wait_for_jobs(0.01)
        assert seen and (int(seen.group(1)), int(seen.group(2))) == (30, 300), fragment
        assert 'value="30"' in fragment and ">10%</progress>" in fragment
    finally:
        release.set()
        import_jobs.wait_for_jobs()
    assert "300 created, 0 updated, 0 unchanged." in hr.get(preview_url).get_data(as_text=True)
    if "sqlite" in str(app.config["SQLALCHEMY_DATABASE_URI"]):
        assert not list((Path(app.instance_path) / "import-progress").glob("*.json"))


def test_a_double_click_on_commit_starts_one_job(app, login_as, threaded):
    hr = login_as("hr")
    preview_url = upload(hr, csv_file(NEW_PERSON)).headers["Location"]
    fingerprint = fingerprint_of(hr, preview_url)

    first = hr.post_form(preview_url + "/commit", {"fingerprint": fingerprint},
                         token_from=preview_url)
    second = hr.post_form(preview_url + "/commit", {"fingerprint": fingerprint},
                          token_from=preview_url)
    assert first.status_code == second.status_code == 303
    assert "being committed already" in hr.get(preview_url).get_data(as_text=True)
    threaded.set()
    import_jobs.wait_for_jobs()

    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id)).where(
            Person.username == "wang.lei")) == 1
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "org_import.committed")) == 1


def test_only_one_of_two_claims_starts_a_job(org_chart, monkeypatch):
    started = []
    monkeypatch.setattr(import_jobs, "run_commit", lambda *args: started.append(args))
    org_import = importer.store_upload("people.csv", csv_file(NEW_PERSON), org_chart.hr)
    db.session.commit()

    assert import_jobs.start_commit(org_import, actor=org_chart.hr, fingerprint="f") is True
    assert import_jobs.start_commit(org_import, actor=org_chart.hr, fingerprint="f") is False
    assert len(started) == 1


def mark_running(import_id: int, *, seconds_ago: int, token: str = "dead") -> None:
    db.session.execute(update(OrgImport).where(OrgImport.id == import_id).values(
        commit_state="running", commit_phase="writing", commit_done=0, commit_total=1,
        commit_token=token, commit_heartbeat_at=utcnow() - timedelta(seconds=seconds_ago)))
    db.session.commit()


def test_a_job_still_reporting_is_shown_and_not_started_again(app, login_as):
    hr = login_as("hr")
    preview_url = upload(hr, csv_file(NEW_PERSON)).headers["Location"]
    fingerprint = fingerprint_of(hr, preview_url)
    import_id = int(preview_url.rsplit("/", 1)[1])
    with app.app_context():
        mark_running(import_id, seconds_ago=5)

    fragment = poll(hr, preview_url).get_data(as_text=True)
    assert "Writing the changes: 0 of 1 people." in fragment and "<html" not in fragment
    response = hr.post_form(preview_url + "/commit", {"fingerprint": fingerprint},
                            token_from=preview_url)
    assert response.status_code == 303
    assert "being committed already" in hr.get(preview_url).get_data(as_text=True)
    with app.app_context():
        assert person("wang.lei") is None


def test_a_job_that_stopped_reporting_can_be_committed_again(app, login_as):
    # A worker died while committing: its transaction never committed, so nothing was written.
    hr = login_as("hr")
    preview_url = upload(hr, csv_file(NEW_PERSON)).headers["Location"]
    import_id = int(preview_url.rsplit("/", 1)[1])
    with app.app_context():
        mark_running(import_id, seconds_ago=3600)

    assert poll(hr, preview_url).headers.get("HX-Refresh") == "true"  # the poll stops
    page = hr.get(preview_url).get_data(as_text=True)
    assert "stopped before it finished" in page and "Commit the import</button>" in page
    response = hr.post_form(preview_url + "/commit",
                            {"fingerprint": fingerprint_of(hr, preview_url)},
                            token_from=preview_url)
    assert response.status_code == 303
    assert "1 created, 0 updated, 0 unchanged." in hr.get(preview_url).get_data(as_text=True)


def test_a_job_whose_claim_was_taken_over_writes_nothing(app, org_chart):
    org_import = importer.store_upload("people.csv", csv_file(NEW_PERSON), org_chart.hr)
    db.session.commit()
    mark_running(org_import.id, seconds_ago=1, token="newer")
    fingerprint = importer.plan_import(org_import.rows, actor=org_chart.hr).fingerprint
    import_id, actor_id = org_import.id, org_chart.hr.id
    # The job runs on a connection of its own: hold no read open that its writes would wait on.
    db.session.rollback()

    import_jobs.run_commit(app, import_id, "older", actor_id, fingerprint)

    db.session.expire_all()
    assert person("wang.lei") is None
    assert org_import.commit_state == "running" and org_import.commit_token == "newer"


def test_a_failed_job_says_why_and_offers_to_commit_again(app, login_as):
    hr = login_as("hr")
    preview_url = upload(hr, csv_file(NEW_PERSON)).headers["Location"]
    import_id = int(preview_url.rsplit("/", 1)[1])
    with app.app_context():
        org_import = db.session.get(OrgImport, import_id)
        import_jobs.start_commit(org_import, actor=person("hr"), fingerprint="not-the-preview")
        db.session.expire_all()
        assert db.session.get(OrgImport, import_id).commit_error == "changed"

    page = hr.get(preview_url).get_data(as_text=True)
    assert "The org chart changed since you opened this preview" in page
    assert "Commit the import</button>" in page
    with app.app_context():
        assert person("wang.lei") is None
