"""The demo company's talent review and allocations (the closed "2026 H1" and the running
"2026 H2"), and their pages in both languages."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from perfsite.extensions import db
from perfsite.models import (
    KeyPosition,
    Person,
    PotentialAssessment,
    RequestStatus,
    ResourceRequest,
    TalentMove,
)
from perfsite.talent.services import allocations, review, succession

from .conftest import demo_login


def test_the_closed_cycle_has_a_filled_grid_moves_successors_and_drawn_allocations(app, demo):
    closed = demo["2026 H1"]
    with app.test_request_context():
        from perfsite.models import Cycle

        cycle = db.session.get(Cycle, closed)
        hr = db.session.scalar(select(Person).where(Person.username == "hr"))
        grid = review.grid(cycle, hr)
        assert grid.total >= 20 and not grid.unplaced
        assert sum(1 for box in review.ALL_BOXES if grid.count(box)) >= 6
        moves = list(db.session.scalars(select(TalentMove).where(TalentMove.cycle_id == closed)))
        assert len(moves) == 2 and all(m.reason for m in moves)
        assert db.session.scalar(select(PotentialAssessment.id).where(
            PotentialAssessment.agreed_action != "", PotentialAssessment.cycle_id == closed))
        positions = succession.positions(hr)
        assert [len(p.successors) for p in positions if p.title == "Head of Engineering"] == [1]
        assert [p.title for p in succession.without_ready_successor(positions)] == \
            ["Head of Engineering", "Head of Sales"]
        drawn = list(db.session.scalars(select(ResourceRequest).where(
            ResourceRequest.cycle_id == closed, ResourceRequest.allocation_id.is_not(None))))
        assert len(drawn) == 2 and {r.status for r in drawn} == {RequestStatus.APPROVED.value}
        row, = allocations.overview(cycle)
        assert row.figure.committed_budget == Decimal("900000.00")
        assert any(share.figure.over for share in row.shares)  # Sales, by the executive
        assert db.session.scalar(select(KeyPosition.id)) is not None


def test_demo_pages_in_both_languages(app, demo):
    closed, running = demo["2026 H1"], demo["2026 H2"]
    hr = demo_login(app, "hr")
    exec_ = demo_login(app, "exec")
    head = demo_login(app, "head")
    staff = demo_login(app, "staff")
    request_id = None
    with app.app_context():
        request_id = db.session.scalar(select(ResourceRequest.id).where(
            ResourceRequest.cycle_id == running, ResourceRequest.status == "open"))
    for language, words in (("en", ("Talent review", "Star")),
                            ("zh_CN", ("人才盘点", "明星"))):
        for client in (hr, exec_, head, staff):
            client.post("/language", data={"locale": language,
                                           "csrf_token": client.token("/")})
        html = hr.get(f"/talent/cycles/{closed}/review").get_data(as_text=True)
        assert all(word in html for word in words), language
        assert exec_.get(f"/talent/cycles/{closed}/allocations").status_code == 200
        assert head.get(f"/coaching/requests/{request_id}").status_code == 200
        assert head.get(f"/talent/cycles/{closed}/review").status_code == 200
        assert staff.get(f"/talent/cycles/{closed}/review").status_code == 403
