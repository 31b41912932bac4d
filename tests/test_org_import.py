"""Importing the org chart from CSV/XLSX (preview, all-or-nothing commit) and exporting it.

Service tests call perfsite.org.importer directly on the `org_chart` company; view tests go
through the test client as the HR admin of the `company` fixture.
"""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from perfsite.auth.services import start_session
from perfsite.extensions import db
from perfsite.models import AuditEvent, LoginSession, OrgImport, Person
from perfsite.org import importer

HEADER = "username,display_name,email,employee_number,job_title,department,manager,roles,active"
NEW_PERSON = "wang.lei,王磊,wang.lei@example.com,E1001,Engineer,ENG,head,staff,yes"


def csv_file(*lines: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = "\r\n".join([header, *lines]) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def plan_of(*lines: str, header: str = HEADER, actor=None) -> importer.ImportPlan:
    return importer.plan_import(importer.parse_file("people.csv", csv_file(*lines,
                                                                            header=header)),
                                actor=actor)


def row_errors(plan: importer.ImportPlan, number: int) -> dict[str | None, str]:
    row = next(r for r in plan.rows if r.number == number)
    return {issue.column: issue.message for issue in row.errors}


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def person(username: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.username == username))


def apply(*lines: str, header: str = HEADER) -> importer.ImportPlan:
    plan = plan_of(*lines, header=header)
    importer.apply_plan(plan)
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
    monkeypatch.setattr(importer, "MAX_ROWS", 2)
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
        importer.apply_plan(plan)
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
    from perfsite.org import services

    services.update_person(org_chart.colleague, display_name="=HYPERLINK(\"x\")",
                           job_title="'-quoted")
    services.deactivate_person(org_chart.peer)
    db.session.commit()
    exported = importer.export_csv()
    assert exported.startswith("\ufeff" + ",".join(importer.COLUMNS))
    assert "'=HYPERLINK" in exported  # a spreadsheet will not run it
    before = audit_count()

    plan = importer.plan_import(importer.parse_file("export.csv", exported.encode("utf-8")))
    importer.apply_plan(plan)
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
    importer.commit_import(org_import)
    db.session.commit()
    assert org_import.committed_at is not None
    with pytest.raises(importer.OrgError):
        importer.commit_import(org_import)


def test_commit_refuses_a_plan_that_changed_since_the_preview(org_chart):
    org_import = importer.store_upload("people.csv", csv_file(NEW_PERSON), org_chart.hr)
    shown = importer.plan_import(org_import.rows).fingerprint
    from perfsite.org import services

    services.create_person(username="wang.lei", display_name="Someone Else",
                           email="someone@example.com")
    with pytest.raises(importer.PlanChanged):
        importer.commit_import(org_import, expected_fingerprint=shown)


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
        from perfsite.org import services

        services.create_person(username="other", display_name="Other",
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
        from perfsite.org import services

        services.update_person(db.session.get(Person, company.staff.id), job_title="Lead")
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
