"""A model's state check is one check in Python and in SQL: for every hybrid property of the
models (`PersonalPlan.is_approved`, `FeedbackRequest.awaits_head`, ...), on rows of the demo
put in every state the model knows, the rows the SQL expression picks are the rows whose
Python answer is true. The services ask these instead of comparing state codes
(tests/test_one_rule.py keeps them from starting again)."""

from __future__ import annotations

import enum

import pytest
from sqlalchemy import select
from sqlalchemy.ext.hybrid import HybridExtensionType
from sqlalchemy.orm import class_mapper

from perfsite import models
from perfsite.extensions import db
from perfsite.models import (
    DeliveryStatus,
    FeedbackRequest,
    FeedbackStatus,
    Interview,
    InterviewStatus,
    Kpi,
    Obstacle,
    ObstacleStatus,
    OutboxMessage,
    PersonalPlan,
    PlanStatus,
    ProposalStatus,
    RequestStatus,
    ResourceRequest,
    Review,
    ReviewStatus,
    StrategyTarget,
    TargetStatus,
)

# Each model with state checks: the column its state is in, and the states it may hold.
STATES: dict[type, tuple[str, list[str | None]]] = {
    PersonalPlan: ("status", [s.value for s in PlanStatus]),
    Kpi: ("proposal_status", [None, *(s.value for s in ProposalStatus)]),
    StrategyTarget: ("status", [s.value for s in TargetStatus]),
    Obstacle: ("status", [s.value for s in ObstacleStatus]),
    ResourceRequest: ("status", [s.value for s in RequestStatus]),
    FeedbackRequest: ("status", [s.value for s in FeedbackStatus]),
    Interview: ("status", [s.value for s in InterviewStatus]),
    Review: ("status", [s.value for s in ReviewStatus]),
    OutboxMessage: ("status", [s.value for s in DeliveryStatus]),
}


def _models_with_hybrids() -> dict[type, list[str]]:
    found = {}
    for mapper in db.Model.registry.mappers:
        names = [name for name, attr in mapper.all_orm_descriptors.items()
                 if attr.extension_type is HybridExtensionType.HYBRID_PROPERTY]
        if names:
            found[mapper.class_] = sorted(names)
    return found


CHECKS = [(model, name) for model in STATES
          for name in sorted(n for n, a in class_mapper(model).all_orm_descriptors.items()
                             if a.extension_type is HybridExtensionType.HYBRID_PROPERTY)]


def test_every_model_with_state_checks_is_held_here(app):
    with app.app_context():
        assert set(_models_with_hybrids()) <= set(STATES)


@pytest.fixture
def demo_session(app, demo):
    with app.app_context():
        yield
        db.session.rollback()


def _rows_of(model) -> list:
    rows = list(db.session.scalars(select(model).order_by(model.id).limit(100)))
    if not rows and model is OutboxMessage:  # the demo sends nothing: two of its own
        rows = [OutboxMessage(transport="email", address=f"state{n}@example.com",
                              kind="test", title="State check") for n in range(2)]
        db.session.add_all(rows)
    assert len(rows) >= 2, f"the demo has too few {model.__name__} rows"
    return rows


@pytest.mark.parametrize(("model", "name"), CHECKS,
                         ids=[f"{m.__name__}.{n}" for m, n in CHECKS])
def test_a_state_check_says_the_same_in_python_and_in_sql(demo_session, model, name):
    """The demo's rows of the model, put in turn in each of its states (a feedback request
    replaced and not): the same rows by SQL as by Python, each time."""
    column, states = STATES[model]
    rows = _rows_of(model)
    answers = set()
    for state in states:
        for number, row in enumerate(rows):
            setattr(row, column, state)
            if model is FeedbackRequest:
                row.replaced = number % 2 == 1
        db.session.flush()
        by_sql = set(db.session.scalars(select(model.id).where(getattr(model, name))
                                        .where(model.id.in_([row.id for row in rows]))))
        by_python = {row.id for row in rows if getattr(row, name)}
        assert by_sql == by_python, f"{model.__name__}.{name} in state {state}"
        answers |= {row.id in by_python for row in rows}
    assert answers == {True, False}, f"{model.__name__}.{name} says the same in every state"


def test_the_state_enums_are_string_enums():
    """Python compares `row.status == PlanStatus.APPROVED`, SQL `== "approved"`: the same
    only because every state is a StrEnum."""
    states = [value for value in vars(models).values() if isinstance(value, type)
              and issubclass(value, enum.Enum) and value.__name__.endswith("Status")]
    assert len(states) >= len(STATES)
    assert all(issubclass(state, enum.StrEnum) for state in states)
