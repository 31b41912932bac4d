"""Org chart pages through the test client: search, inline edits, object-level access."""

from sqlalchemy import func, select

from perfsite.extensions import db
from perfsite.models import Person

from .factories import make_person


def test_people_search_works_as_a_plain_get_form(login_as, company):
    page = login_as("hr").get("/people?q=okafor").get_data(as_text=True)
    assert "Sam Okafor" in page and "Liu Yang" not in page
    assert "<html" in page


def test_people_search_answers_htmx_with_only_the_results(login_as, company):
    response = login_as("hr").htmx("GET", "/people", {"q": "liu"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Liu Yang" in body and "Sam Okafor" not in body
    assert "<html" not in body and 'id="people-table"' in body
    assert "HX-Request" in response.headers["Vary"]


def test_head_lists_only_their_departments_people(login_as, company):
    page = login_as("head").get("/people").get_data(as_text=True)
    assert "Liu Yang" in page and "Wang Fang" not in page


def test_staff_cannot_open_another_persons_record(login_as, company):
    staff = login_as("staff")
    assert staff.get(f"/people/{company.colleague.id}").status_code == 403
    assert staff.get(f"/people/{company.staff.id}").status_code == 200


def test_head_cannot_open_another_departments_records(login_as, company):
    head = login_as("head")
    assert head.get(f"/people/{company.peer.id}").status_code == 403
    assert head.get(f"/departments/{company.sales.id}").status_code == 403
    assert head.get(f"/departments/{company.eng.id}").status_code == 200
    assert head.get(f"/people/{company.staff.id}").status_code == 200


def test_missing_person_is_404_not_403(login_as, company):
    assert login_as("hr").get("/people/99999").status_code == 404


def test_inline_edit_shows_errors_in_the_row_with_422(login_as, company):
    hr = login_as("hr")
    form = hr.htmx("GET", f"/people/{company.staff.id}/inline").get_data(as_text=True)
    assert "<form" in form and 'hx-post' in form and "<html" not in form
    version = _version(form)
    response = hr.htmx("POST", f"/people/{company.staff.id}/inline",
                       {"display_name": "", "job_title": "X", "department_id": company.eng.id,
                        "version": version}, token_from="/people")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in body and "<tr" in body and "<html" not in body


def test_inline_edit_saves_and_returns_the_row(app, login_as, company):
    hr = login_as("hr")
    version = _version(hr.htmx("GET", f"/people/{company.staff.id}/inline").get_data(as_text=True))
    response = hr.htmx("POST", f"/people/{company.staff.id}/inline",
                       {"display_name": "Liu Yang", "job_title": "Tech Lead",
                        "department_id": company.eng.id, "version": version}, token_from="/people")
    assert response.status_code == 200
    assert "Tech Lead" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, company.staff.id).job_title == "Tech Lead"


def test_inline_edit_without_javascript_redirects_to_the_list(app, login_as, company):
    hr = login_as("hr")
    page = hr.get(f"/people/{company.staff.id}/inline").get_data(as_text=True)
    assert "<html" in page
    response = hr.post_form(f"/people/{company.staff.id}/inline",
                            {"display_name": "Liu Yang", "job_title": "Architect",
                             "department_id": company.eng.id, "version": _version(page)},
                            token_from="/people")
    assert response.status_code == 302


def test_second_editor_is_told_of_the_newer_version_with_409(app, login_as, company):
    hr = login_as("hr")
    stale = _version(hr.get(f"/people/{company.staff.id}/inline").get_data(as_text=True))
    first = hr.htmx("POST", f"/people/{company.staff.id}/inline",
                    {"display_name": "Liu Yang", "job_title": "First", "department_id":
                     company.eng.id, "version": stale}, token_from="/people")
    assert first.status_code == 200
    second = hr.htmx("POST", f"/people/{company.staff.id}/inline",
                     {"display_name": "Liu Yang", "job_title": "Second", "department_id":
                      company.eng.id, "version": stale}, token_from="/people")
    body = second.get_data(as_text=True)
    assert second.status_code == 409
    assert 'value="Second"' in body  # what they typed is kept
    assert "Someone else saved changes" in body
    with app.app_context():
        assert db.session.get(Person, company.staff.id).job_title == "First"


def test_full_edit_conflict_shows_the_saved_values(app, login_as, company):
    hr = login_as("hr")
    page = hr.get(f"/people/{company.staff.id}/edit").get_data(as_text=True)
    stale = _version(page)
    data = {"username": "staff", "display_name": "Liu Yang", "email": "staff@example.com",
            "employee_number": "", "job_title": "Saved first", "department_id": company.eng.id,
            "manager_username": "head", "roles": "staff", "version": stale}
    assert hr.post_form(f"/people/{company.staff.id}/edit", data,
                        token_from="/people").status_code == 302
    response = hr.post_form(f"/people/{company.staff.id}/edit",
                            {**data, "job_title": "Mine"}, token_from="/people")
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Saved first" in body and 'value="Mine"' in body


def test_unknown_manager_username_is_reported_next_to_the_field(login_as, company):
    hr = login_as("hr")
    response = hr.post_form("/people/new", {
        "username": "new.person", "display_name": "New Person", "email": "new@example.com",
        "department_id": company.eng.id, "manager_username": "ghost", "roles": "staff"},
        token_from="/people/new")
    assert response.status_code == 422
    assert "No person has this username." in response.get_data(as_text=True)


def test_double_submitted_new_person_creates_one_record(app, login_as, company):
    hr = login_as("hr")
    data = {"username": "twice", "display_name": "Twice", "email": "twice@example.com",
            "department_id": company.eng.id, "manager_username": "head", "roles": "staff"}
    first = hr.post_form("/people/new", data, token_from="/people/new")
    second = hr.post_form("/people/new", data, token_from="/people/new")
    assert first.status_code == 302 and second.status_code == 422
    with app.app_context():
        assert db.session.scalar(
            select(func.count(Person.id)).where(Person.username == "twice")) == 1


def test_department_inline_edit_rejects_unknown_head(login_as, company):
    hr = login_as("hr")
    form = hr.htmx("GET", f"/departments/{company.eng.id}/inline").get_data(as_text=True)
    response = hr.htmx("POST", f"/departments/{company.eng.id}/inline",
                       {"name": "Engineering", "head_username": "ghost", "version": _version(form)},
                       token_from="/departments")
    assert response.status_code == 422
    assert "No person has this username." in response.get_data(as_text=True)


def test_people_list_query_count_does_not_grow_with_people(app, login_as, company, count_queries):
    hr = login_as("hr")
    # Pages of 5: both sizes fill the first page, so both count the list (a last page
    # shorter than a page is not counted: its rows tell the total, paging.paginate).
    app.config["PAGE_SIZE"] = 5

    def queries():
        with count_queries() as q:
            assert hr.get("/people").status_code == 200
        return q.count

    try:
        queries()  # the department filter's options are kept from the first request on
        small = queries()
        with app.app_context():
            from perfsite.models import Department

            eng = db.session.get(Department, company.eng.id)
            head = db.session.get(Person, company.head.id)
            for i in range(45):
                make_person(f"extra{i}", eng, manager=head)
            db.session.commit()
        assert queries() == small
    finally:
        app.config["PAGE_SIZE"] = 50


def test_a_people_search_shorter_than_a_page_is_not_counted(app, login_as, company,
                                                           count_queries):
    """The first page of a search that finds fewer than a page says the total without a
    second statement; a full page still counts the rest, and says so."""
    hr = login_as("hr")
    with count_queries() as few:
        page = hr.get("/people", query_string={"q": "colleague"}).get_data(as_text=True)
    assert "colleague" in page
    assert not any("count(" in s.lower() for s in few.statements), few.statements
    app.config["PAGE_SIZE"] = 2
    try:
        with count_queries() as full:
            page = hr.get("/people").get_data(as_text=True)
        assert any("count(" in s.lower() for s in full.statements), full.statements
        with app.app_context():
            total = db.session.scalar(select(func.count(Person.id)).where(
                Person.active.is_(True)))
        last = (total + 1) // 2
        assert f"Page 1 of {last}" in page
        with count_queries() as end:  # the last page: its rows and those before it
            page = hr.get("/people", query_string={"page": last}).get_data(as_text=True)
        assert f"Page {last} of {last}" in page
        counted = any("count(" in s.lower() for s in end.statements)
        assert counted == (total % 2 == 0), end.statements  # a full last page is counted
    finally:
        app.config["PAGE_SIZE"] = 50


def test_departments_page_query_count_does_not_grow(app, login_as, company, count_queries):
    hr = login_as("hr")
    with count_queries() as before:
        hr.get("/departments")
    with app.app_context():
        from .factories import make_department

        for i in range(20):
            make_department(f"X{i}", f"Extra {i}")
        db.session.commit()
    with count_queries() as after:
        hr.get("/departments")
    assert after.count == before.count


def _version(html: str) -> str:
    import re

    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
