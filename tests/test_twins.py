"""A predicate and its SQL twin agree: for every twin in perfsite/permissions/twins.py, on
every object of the demo company, for every demo login, the Python answer and the rows the
SQL clause picks are the same. And the check can fail: a twin changed to disagree (its
clause loosened to every row, or tightened to none) is noticed, for every twin."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import false, select, true

from perfsite.extensions import db
from perfsite.models import Cycle, Person, Phase, Role
from perfsite.permissions.twins import TWINS

NAMES = [twin.name for twin in TWINS]


def _add_a_cycle_in_each_phase() -> None:
    """The demo has cycles in a few phases; the phase twins are held on every phase."""
    for number, phase in enumerate(Phase):
        db.session.add(Cycle(name=f"Twin check {phase.value}", phase=phase.value,
                             start_date=date(2030 + number, 1, 1),
                             end_date=date(2030 + number, 6, 30)))
    db.session.flush()


def disagreements(twin, logins, objects) -> list[str]:
    """Where `twin`'s predicate and clause answer differently, for each login."""
    found = []
    for user in logins:
        by_sql = set(db.session.scalars(select(twin.model.id).where(twin.clause(user))))
        by_python = {obj.id for obj in objects if twin.predicate(user, obj)}
        if by_sql != by_python:
            found.append(f"{twin.name} for {user.username}: only in SQL "
                         f"{sorted(by_sql - by_python)}, only in Python "
                         f"{sorted(by_python - by_sql)}")
    return found


@pytest.fixture
def demo_rows(app, demo):
    with app.app_context():
        _add_a_cycle_in_each_phase()
        logins = list(db.session.scalars(select(Person).where(Person.active.is_(True))
                                         .order_by(Person.id)))
        rows = {Person: list(db.session.scalars(select(Person).order_by(Person.id))),
                Cycle: list(db.session.scalars(select(Cycle).order_by(Cycle.id)))}
        yield logins, rows
        db.session.rollback()


def test_the_demo_has_logins_of_every_kind(demo_rows):
    logins, _rows = demo_rows
    roles = {role for person in logins for role in person.roles}
    assert {Role.HR_ADMIN, Role.EXECUTIVE} <= roles and len(logins) > 10
    assert any(p.manager_id for p in logins)


@pytest.mark.parametrize("name", NAMES)
def test_each_predicate_and_its_sql_twin_agree_on_the_whole_demo(demo_rows, name):
    logins, rows = demo_rows
    twin = TWINS[NAMES.index(name)]
    assert not disagreements(twin, logins, rows[twin.model])


@pytest.mark.parametrize("name", NAMES)
def test_a_twin_changed_to_disagree_is_noticed(demo_rows, name):
    """The way the access matrix's loosened-predicate test proves itself: the clause
    loosened to every row and tightened to none are each caught (so the demo holds, for
    every twin, objects it picks and objects it leaves out)."""
    logins, rows = demo_rows
    twin = TWINS[NAMES.index(name)]
    loosened = dataclasses.replace(twin, clause=lambda user: true())
    tightened = dataclasses.replace(twin, clause=lambda user: false())
    assert disagreements(loosened, logins, rows[twin.model]), f"{name} loosened: unnoticed"
    assert disagreements(tightened, logins, rows[twin.model]), f"{name} tightened: unnoticed"
