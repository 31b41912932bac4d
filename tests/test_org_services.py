"""Org chart rules, tested without HTTP."""

import pytest
from sqlalchemy import func, select

from perfsite import permissions
from perfsite.errors import Conflict
from perfsite.extensions import db
from perfsite.models import AuditEvent, Person, Role
from perfsite.org import services as org

from .factories import hr_admin, make_department, make_person


def _events(action):
    """Events of this action, oldest first (the id says the order; rows come unordered)."""
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_creating_a_person_is_audited_with_their_values(org_chart):
    person = make_person("new.hire", org_chart.eng, manager=org_chart.head)
    event = [e for e in _events("person.created") if e.object_id == person.id][0]
    assert event.after["username"] == "new.hire"
    assert event.after["department_id"] == org_chart.eng.id
    assert event.after["roles"] == ["staff"]
    assert event.occurred_at.tzinfo is not None


def test_updating_records_only_what_changed(org_chart):
    org.update_person(org_chart.staff, hr_admin(), job_title="Staff Engineer",
        expected_version=org_chart.staff.version)
    event = _events("person.updated")[-1]
    assert event.before == {"job_title": "Engineer"}
    assert event.after == {"job_title": "Staff Engineer"}


def test_saving_without_changes_writes_no_event(org_chart):
    count = len(_events("person.updated"))
    org.update_person(org_chart.staff, hr_admin(), job_title=org_chart.staff.job_title,
        expected_version=org_chart.staff.version)
    assert len(_events("person.updated")) == count


def test_role_changes_are_audited(org_chart):
    org.update_person(org_chart.staff, hr_admin(), roles={Role.STAFF, Role.HEAD},
        expected_version=org_chart.staff.version)
    event = _events("person.updated")[-1]
    assert event.before == {"roles": ["staff"]}
    assert event.after == {"roles": ["head", "staff"]}


def test_usernames_are_unique_regardless_of_case(org_chart):
    with pytest.raises(org.Invalid) as error:
        org.create_person(hr_admin(), username="HEAD", display_name="X", email="x@example.com")
    assert error.value.field == "username"


def test_emails_are_unique_regardless_of_case(org_chart):
    with pytest.raises(org.Invalid) as error:
        org.create_person(hr_admin(),
            username="someone", display_name="X", email="Head@Example.com")
    assert error.value.field == "email"


def test_nobody_manages_themselves(org_chart):
    with pytest.raises(org.Invalid) as error:
        org.update_person(org_chart.staff, hr_admin(), manager_id=org_chart.staff.id,
            expected_version=org_chart.staff.version)
    assert error.value.field == "manager_id"


def test_a_chain_of_managers_cannot_loop(org_chart):
    # exec manages head manages staff; making staff exec's manager closes a loop.
    with pytest.raises(org.Invalid) as error:
        org.update_person(org_chart.exec, hr_admin(), manager_id=org_chart.staff.id,
            expected_version=org_chart.exec.version)
    assert "loop" in str(error.value)


def test_a_department_cannot_move_under_its_own_subtree(org_chart):
    team = make_department("PLAT", "Platform", parent=org_chart.eng)
    with pytest.raises(org.Invalid) as error:
        org.update_department(org_chart.eng, hr_admin(), parent_id=team.id,
            expected_version=org_chart.eng.version)
    assert error.value.field == "parent_id"


def test_making_someone_head_gives_them_the_head_role(org_chart):
    org.update_department(org_chart.eng, hr_admin(), head_id=org_chart.colleague.id,
        expected_version=org_chart.eng.version)
    assert org_chart.colleague.has_role(Role.HEAD)


def test_a_department_with_people_cannot_be_deactivated(org_chart):
    with pytest.raises(org.Invalid):
        org.deactivate_department(org_chart.eng, hr_admin())
    empty = make_department("EMPTY", "Empty")
    org.deactivate_department(empty, hr_admin())
    assert empty.active is False
    assert _events("department.deactivated")[-1].object_id == empty.id


def test_deactivating_keeps_the_person_and_their_records(org_chart):
    org.deactivate_person(org_chart.staff, hr_admin())
    db.session.flush()
    assert db.session.get(Person, org_chart.staff.id).active is False
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.object_id == org_chart.staff.id, AuditEvent.object_type == "person")) >= 2


def test_saving_over_a_newer_version_is_refused(org_chart):
    stale_version = org_chart.staff.version
    org.update_person(org_chart.staff, hr_admin(), job_title="First edit",
        expected_version=org_chart.staff.version)
    db.session.flush()
    with pytest.raises(Conflict):
        org.update_person(org_chart.staff, hr_admin(),
            expected_version=stale_version, job_title="Second")


def test_head_manages_the_subtree_of_their_departments(org_chart):
    team = make_department("PLAT", "Platform", parent=org_chart.eng)
    member = make_person("platform.dev", team)
    head, sales_head = org_chart.head, org_chart.sales_head
    assert team.id in permissions.managed_department_ids(head)
    assert permissions.can_view_person(head, member)
    assert not permissions.can_view_person(sales_head, member)
    assert not permissions.can_view_person(org_chart.staff, org_chart.colleague)
    assert permissions.can_view_person(org_chart.staff, org_chart.staff)
    assert permissions.can_view_person(org_chart.exec, member)


def test_people_search_is_scoped_to_what_the_viewer_may_list(org_chart):
    head_sees = db.session.scalars(org.search_people(org_chart.head)).all()
    assert {p.username for p in head_sees} == {"head", "staff", "colleague"}
    hr_sees = db.session.scalars(org.search_people(org_chart.hr, query="WANG")).all()
    assert [p.username for p in hr_sees] == ["peer"]
