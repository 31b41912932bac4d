"""Review services without HTTP: the score formulas (hand-computed), bands, settings and their
lock, blind self-reviews, "submitted is final", reopening, phases, calibration, completion."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from perfsite import permissions as can
from perfsite.coaching.services import todos
from perfsite.cycles import services as cycles
from perfsite.errors import Conflict, Invalid, NotAllowed, PhaseError, StateError
from perfsite.extensions import db
from perfsite.models import (
    AuditEvent,
    CalibrationMove,
    Notification,
    Phase,
    Review,
    ReviewKind,
    ReviewResult,
    ReviewSettings,
    ReviewStatus,
)
from perfsite.reviews.services import calibration, completion, reviews, scores
from perfsite.reviews.services import settings as settings_service
from perfsite.reviews.services.scores import Component, Figure, Term, weighted_mean
from perfsite.reviews.services.settings import Band, band_for, default_bands

from .coaching_factories import NOW
from .factories import hr_admin, make_cycle
from .review_factories import review_cycle, review_values, write_review

D = Decimal
SELF, MANAGER = ReviewKind.SELF, ReviewKind.MANAGER


# The arithmetic, by hand ----------------------------------------------------------------------

def terms(*pairs):
    return [Term(f"t{i}", D(str(w)), D(str(v))) for i, (w, v) in enumerate(pairs)]


def test_goal_score_is_the_weighted_mean_of_the_kpi_scores():
    # (75 × 4 + 25 × 3) / 100 = 375 / 100
    assert weighted_mean(terms((75, 4), (25, 3))) == D("3.75")


def test_kpi_weights_of_a_third_each_round_to_two_places():
    # (33.33 × 4 + 33.33 × 3 + 33.34 × 5) / 100 = 400.01 / 100 = 4.0001
    assert weighted_mean(terms(("33.33", 4), ("33.33", 3), ("33.34", 5))) == D("4.00")


def test_rounding_is_half_up_not_half_even():
    # (13.5 × 3 + 86.5 × 4) / 100 = 386.5 / 100 = 3.865: half up gives 3.87 (half even 3.86)
    assert weighted_mean(terms(("13.5", 3), ("86.5", 4))) == D("3.87")
    # (4 + 4 + 4 + 4 + 4 + 4 + 3 + 2) / 8 = 3.625 -> 3.63
    assert weighted_mean(terms(*[(1, 4)] * 6, (1, 3), (1, 2))) == D("3.63")


def test_nothing_to_average_is_no_score_not_a_division_by_zero():
    assert weighted_mean([]) is None
    assert weighted_mean(terms((0, 4))) is None


def _final(weights, values):
    components = [Component(key, key, D(str(w)), Figure(key, key, value=None if v is None
                                                          else D(str(v))))
                  for key, w, v in zip(("goals", "competencies", "self"), weights, values,
                                       strict=True)]
    present = [Term(c.key, c.weight, c.score) for c in components if c.present]
    return Figure("final", "final", present)


def test_final_score_with_every_component():
    # (60 × 3.75 + 30 × 4.00 + 10 × 4.50) / 100 = 390 / 100
    assert _final((60, 30, 10), ("3.75", "4.00", "4.50")).value == D("3.90")


def test_final_score_leaves_a_missing_component_out_and_renormalises():
    # No self-review: (60 × 3.75 + 30 × 4.00) / 90 = 345 / 90 = 3.8333…
    final = _final((60, 30, 10), ("3.75", "4.00", None))
    assert final.value == D("3.83") and final.divisor == D(90)


def test_final_score_with_component_weights_of_a_third():
    # (33.33 × 3.75 + 33.33 × 4.25 + 33.34 × 2.50) / 100 = 349.99 / 100 = 3.4999 -> 3.50
    assert _final(("33.33", "33.33", "33.34"), ("3.75", "4.25", "2.50")).value == D("3.50")
    # without the self score: (33.33 × 3.75 + 33.33 × 4.25) / 66.66 = 266.64 / 66.66 = 4
    final = _final(("33.33", "33.33", "33.34"), ("3.75", "4.25", None))
    assert final.value == D("4.00") and final.divisor == D("66.66")


def test_default_bands_and_their_edges():
    bands = default_bands(5)
    assert [(b.code, b.low, b.high) for b in bands] == [
        ("S", D("4.50"), D("5.00")), ("A", D("3.75"), D("4.49")), ("B", D("3.00"), D("3.74")),
        ("C", D("2.00"), D("2.99")), ("D", D("1.00"), D("1.99"))]
    edges = {"5.00": "S", "4.50": "S", "4.49": "A", "3.75": "A", "3.74": "B", "3.00": "B",
             "2.99": "C", "2.00": "C", "1.99": "D", "1.00": "D"}
    for score, code in edges.items():
        assert band_for(bands, D(score)).code == code, score
    assert band_for(bands, D("0.99")) is None and band_for(bands, None) is None


def test_default_bands_stretch_to_a_ten_point_scale_without_gaps():
    bands = default_bands(10)
    assert [(b.low, b.high) for b in bands] == [
        (D("8.88"), D("10.00")), (D("7.19"), D("8.87")), (D("5.50"), D("7.18")),
        (D("3.25"), D("5.49")), (D("1.00"), D("3.24"))]
    settings_service._check_coverage(bands, 10)  # no gap, no overlap


def band_rows(*rows):
    return [{"row": i, "code": code, "low": low, "high": high}
            for i, (code, low, high) in enumerate(rows)]


@pytest.mark.parametrize(("rows", "message"), [
    ((("A", "3.00", "5.00"), ("B", "1.00", "2.98")),
     "Scores from 2.99 to 2.99 fall in no band: B ends at 2.98 and A starts at 3.00."),
    ((("A", "3.00", "5.00"), ("B", "1.00", "3.00")),
     "Bands B and A overlap: B ends at 3.00 and A starts at 3.00."),
    ((("A", "3.00", "4.50"), ("B", "1.00", "2.99")),
     "The best band, A, must end at 5.00, the top of the scale; it ends at 4.50."),
    ((("A", "3.00", "5.00"), ("B", "1.50", "2.99")),
     "The lowest band, B, must start at 1.00; it starts at 1.50."),
    ((("A", "1.00", "5.00"),), "Give at least two bands."),
])
def test_bands_must_cover_the_scale_without_gaps_or_overlaps(app_ctx, rows, message):
    with pytest.raises(Invalid) as refused:
        settings_service.clean_bands(band_rows(*rows), 5)
    assert refused.value.errors == {"bands": message}


def test_band_rows_are_checked_one_by_one(app_ctx):
    with pytest.raises(Invalid) as refused:
        settings_service.clean_bands(band_rows(("A", "3", "5"), ("a", "1", "2.99"),
                                               ("", "1", "2"), ("C", "4", "2"),
                                               ("D", "0.5", "7")), 5)
    errors = refused.value.errors
    assert str(errors["band_1_code"]) == "Two bands cannot share a code."
    assert "band_2_code" in errors
    assert str(errors["band_3_high"]) == "A band runs from its lowest score up to its highest."
    assert str(errors["band_4_low"]) == "Scores run from 1 to 5 on this cycle's scale."


def test_component_weights_must_add_up_to_100(app_ctx):
    with pytest.raises(Invalid) as refused:
        settings_service.clean_weights({"goals_weight": "33.33", "competencies_weight": "33.33",
                                        "self_weight": "33.33"})
    assert refused.value.field == "weights"
    assert "99.99%; 0.01 short of 100%" in refused.value.message
    assert settings_service.clean_weights({"goals_weight": "33.33",
                                           "competencies_weight": "33.33",
                                           "self_weight": "33.34"})["self_weight"] == D("33.34")


# Reviews, scores and results on the database -------------------------------------------

@pytest.fixture
def run(org_chart):
    """Staff's KPIs: "Portal features" (75) and "Uptime" (25); four default competencies."""
    made = review_cycle(org_chart)
    db.session.commit()
    return made


def test_scores_from_submitted_reviews_match_the_hand_calculation(org_chart, run):
    c = org_chart
    write_review(run.cycle, c.staff, c.head, MANAGER, [4, 3], [4, 3, 4, 5])
    write_review(run.cycle, c.staff, c.staff, SELF, [5, 3], [5, 5, 5, 5])
    result = scores.get_result(run.cycle, c.staff)
    # goals (75 × 4 + 25 × 3) / 100 = 3.75; competencies (4 + 3 + 4 + 5) / 4 = 4.00;
    # self (75 × 5 + 25 × 3) / 100 = 4.50; final (60 × 3.75 + 30 × 4 + 10 × 4.5) / 100 = 3.90
    assert (result.goal_score, result.competency_score, result.self_score,
            result.final_score, result.band) == (D("3.75"), D("4.00"), D("4.50"), D("3.90"), "A")
    breakdown = scores.breakdown(run.cycle, c.staff)
    assert breakdown.final.value == result.final_score and not breakdown.renormalised
    assert [t.label for t in breakdown.goals.terms] == ["Portal features", "Uptime"]


def test_a_missing_self_review_is_left_out_of_the_final_score(org_chart, run):
    c = org_chart
    write_review(run.cycle, c.staff, c.head, MANAGER, [4, 3], [4, 3, 4, 5])
    breakdown = scores.breakdown(run.cycle, c.staff)
    # (60 × 3.75 + 30 × 4.00) / 90 = 3.83
    assert breakdown.final.value == D("3.83") and breakdown.final.divisor == D(90)
    assert breakdown.renormalised and [m.key for m in breakdown.missing] == ["self"]
    assert scores.get_result(run.cycle, c.staff).final_score == D("3.83")


def test_no_final_score_without_a_submitted_manager_review(org_chart, run):
    c = org_chart
    write_review(run.cycle, c.staff, c.staff, SELF, 4, 4)
    assert scores.breakdown(run.cycle, c.staff).final.value is None
    assert scores.get_result(run.cycle, c.staff) is None


def test_the_competency_score_takes_further_sources(org_chart, run, monkeypatch):
    """The extension point the 360 feedback uses: another input, weighted beside the
    manager's average."""
    c = org_chart
    write_review(run.cycle, c.staff, c.head, MANAGER, [4, 3], [4, 4, 4, 4])

    def peers(inputs):
        yield scores.CompetencyInput("peers", "Peers", Figure("peers", "Peers",
                                                              terms((1, 2), (1, 3))), D(50))

    from flask import current_app

    from perfsite import plugins

    monkeypatch.setitem(current_app.extensions, plugins.COMPETENCY_SOURCES,
                        [scores.manager_ratings, peers])
    breakdown = scores.breakdown(run.cycle, c.staff)
    # manager 4.00 (weight 100), peers (2 + 3) / 2 = 2.50 (weight 50):
    # (100 × 4.00 + 50 × 2.50) / 150 = 525 / 150 = 3.50
    assert breakdown.competencies.value == D("3.50")


def test_the_self_review_is_blind_until_submitted(org_chart, run):
    c = org_chart
    review = write_review(run.cycle, c.staff, c.staff, SELF, 4, 4, submit=False)
    head_reads = can.can_read_self_review(c.head, review)
    assert not head_reads and not head_reads.forbidden  # "not submitted yet", not "never"
    assert not can.can_read_self_review(c.hr, review)
    assert can.can_read_self_review(c.staff, review)
    assert can.can_read_self_review(c.sales_head, review).forbidden
    assert can.can_read_self_review(c.colleague, review).forbidden
    reviews.submit(review, c.staff, expected_version=review.version, now=NOW)
    assert can.can_read_self_review(c.head, review) and can.can_read_self_review(c.hr, review)
    assert can.can_read_self_review(c.sales_head, review).forbidden


def test_the_manager_review_is_written_by_who_approves_the_plan(org_chart, run):
    c = org_chart
    review = reviews.review_for(run.cycle, c.staff, MANAGER)
    assert can.can_write_manager_review(c.head, review)
    for other in (c.exec, c.hr, c.sales_head, c.staff, c.colleague):
        assert can.can_write_manager_review(other, review).forbidden, other.username
    with pytest.raises(NotAllowed):
        reviews.save_draft(review, c.exec, expected_version="", values={}, now=NOW)
    # The person reads it only from the feedback interviews on; drafts are the reviewer's.
    write_review(run.cycle, c.staff, c.head, MANAGER, 3, 3, submit=False)
    assert not can.can_read_manager_review(c.hr, review)
    assert can.can_read_manager_review(c.head, review)
    assert not can.can_read_manager_review(c.staff, review)


def test_a_submitted_review_is_final(org_chart, run):
    c = org_chart
    review = write_review(run.cycle, c.staff, c.staff, SELF, 4, 4)
    db.session.commit()
    version = review.version
    with pytest.raises(StateError):
        reviews.save_draft(review, c.staff, expected_version=version,
                           values=review_values(run.cycle, c.staff, 1, 1), now=NOW)
    with pytest.raises(StateError):
        reviews.submit(review, c.staff, expected_version=version, now=NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Review.id))) == 1
    assert {s.score for s in reviews.get_review(run.cycle, c.staff, SELF).kpi_scores} == {4}


def test_submitting_needs_every_kpi_scored_and_every_competency_rated(org_chart, run):
    c = org_chart
    review = write_review(run.cycle, c.staff, c.staff, SELF, [4, None], [4, 4, None, 4],
                          submit=False)
    with pytest.raises(Invalid) as refused:
        reviews.submit(review, c.staff, expected_version=review.version, now=NOW)
    subject = reviews.subject_of(run.cycle, c.staff)
    assert set(refused.value.errors) == {
        f"kpi_{subject.kpis[1].id}_score", f"competency_{subject.competencies[2].id}_rating"}
    assert review.status == ReviewStatus.DRAFT


def test_a_stale_draft_is_told_not_saved_over(org_chart, run):
    c = org_chart
    review = write_review(run.cycle, c.staff, c.staff, SELF, 4, 4, submit=False)
    stale = review.version
    reviews.save_draft(review, c.staff, expected_version=stale,
                       values={"achievements": "first tab"}, now=NOW)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        reviews.save_draft(review, c.staff, expected_version=stale,
                           values={"achievements": "second tab"}, now=NOW)
    assert "changed in another tab" in refused.value.message
    with pytest.raises(Conflict):  # a form that lost its version does not save either
        reviews.save_draft(review, c.staff, expected_version="",
                           values={"achievements": "no version"}, now=NOW)
    db.session.rollback()
    assert reviews.get_review(run.cycle, c.staff, SELF).achievements == "first tab"


def test_scores_are_points_of_the_scale(org_chart, run):
    c = org_chart
    review = reviews.review_for(run.cycle, c.staff, SELF)
    for bad in ("0", "6", "abc", "4.5"):
        with pytest.raises(Invalid):
            reviews.save_draft(review, c.staff, expected_version="",
                               values=review_values(run.cycle, c.staff, bad, 3), now=NOW)


def test_hr_reopens_a_submitted_review_with_a_reason_and_the_author_is_told(org_chart, run):
    c = org_chart
    write_review(run.cycle, c.staff, c.head, MANAGER, [4, 3], [4, 3, 4, 5])
    review = write_review(run.cycle, c.staff, c.staff, SELF, [5, 3], 5)
    assert scores.get_result(run.cycle, c.staff).final_score == D("3.90")
    for who in (c.head, c.staff, c.exec):
        with pytest.raises(NotAllowed):
            reviews.reopen(review, who, reason="x", expected_version=review.version, now=NOW)
    with pytest.raises(Invalid):
        reviews.reopen(review, c.hr, reason=" ", expected_version=review.version, now=NOW)
    reviews.reopen(review, c.hr, reason="Scores swapped by mistake",
                   expected_version=review.version, now=NOW)
    db.session.commit()
    assert review.status == ReviewStatus.DRAFT and review.reopened_count == 1
    assert can.can_write_self_review(c.staff, review)
    assert not can.can_read_self_review(c.head, review)  # blind again
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.reopened"))
    assert event.after["reason"] == "Scores swapped by mistake" and event.actor_id == c.hr.id
    note = db.session.scalar(select(Notification).where(
        Notification.recipient_id == c.staff.id, Notification.kind == "self_review_reopened"))
    assert note is not None
    assert scores.get_result(run.cycle, c.staff).final_score == D("3.83")  # self left out


def test_reviews_are_written_in_the_review_phase_only(org_chart):
    c = org_chart
    running = review_cycle(c, phase=Phase.IN_PROGRESS)
    review = reviews.review_for(running.cycle, c.staff, SELF)
    with pytest.raises(PhaseError):
        reviews.save_draft(review, c.staff, expected_version="", values={}, now=NOW)
    for step in (Phase.REVIEW, Phase.CALIBRATION):
        cycles.move_phase(running.cycle, c.hr, step)
    with pytest.raises(PhaseError):
        reviews.save_draft(review, c.staff, expected_version="", values={}, now=NOW)


def test_review_settings_validate_save_and_lock_when_reviews_start(org_chart, run):
    c = org_chart
    cycle = make_cycle("2027 H2", Phase.PLANNING)
    current = settings_service.settings_for(cycle)
    assert current.id is None and can.can_edit_review_settings(c.hr, current)
    assert can.can_edit_review_settings(c.exec, current).forbidden
    fields = {
        "scale_labels": [("Poor", "差"), ("Fair", "一般"), ("Good", "好"), ("Great", "很好"),
                         ("Superb", "卓越")],
        "weights": {"goals_weight": "70", "competencies_weight": "30", "self_weight": "0"},
        "bands": band_rows(("Top", "4.00", "5.00"), ("Mid", "2.50", "3.99"),
                           ("Low", "1.00", "2.49")),
        "competencies": [{"row": 0, "id": None, "name": "Craft", "name_zh": "技艺",
                          "description": "", "description_zh": ""},
                         {"row": 1, "id": None, "name": "", "name_zh": "",
                          "description": "", "description_zh": ""}],
    }
    saved = settings_service.update_settings(cycle, c.hr, expected_version="", now=NOW,
                                             **fields)
    db.session.commit()
    assert [b.code for b in settings_service.bands_of(saved)] == ["Top", "Mid", "Low"]
    assert [x.name for x in settings_service.competencies_for(cycle)] == ["Craft"]
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.object_type == "review_settings")) == "review_settings.created"
    with pytest.raises(Invalid) as refused:
        settings_service.update_settings(cycle, c.hr, expected_version=saved.version, now=NOW,
                                         **{**fields, "weights": {"goals_weight": "70",
                                                                  "competencies_weight": "20",
                                                                  "self_weight": "0"}})
    assert "weights" in refused.value.errors
    # The running cycle's review phase has opened: its settings are locked.
    locked = settings_service.settings_for(run.cycle)
    with pytest.raises(PhaseError):
        settings_service.update_settings(run.cycle, c.hr, expected_version="", now=NOW,
                                         **fields)
    # Back in progress, but a review was started: locked for good.
    write_review(run.cycle, c.staff, c.staff, SELF, 3, 3, submit=False)
    cycles.move_phase(run.cycle, c.hr, Phase.IN_PROGRESS)
    locked = settings_service.settings_for(run.cycle)
    answer = can.can_edit_review_settings(c.hr, locked)
    assert not answer and "no longer change" in answer.reason


def test_hr_copies_the_previous_cycles_settings(org_chart):
    c = org_chart
    earlier = make_cycle("2026 H1", Phase.PLANNING, start_date=NOW.date() - timedelta(days=400),
                         end_date=NOW.date() - timedelta(days=220))
    settings_service.update_settings(
        earlier, c.hr, expected_version="", now=NOW,
        scale_labels=[("a", ""), ("b", ""), ("c", ""), ("d", ""), ("e", "")],
        weights={"goals_weight": "50", "competencies_weight": "50", "self_weight": "0"},
        bands=band_rows(("Up", "3.00", "5.00"), ("Down", "1.00", "2.99")),
        competencies=[{"row": 0, "id": None, "name": "Grit", "name_zh": "",
                       "description": "", "description_zh": ""}])
    later = make_cycle("2027 H2", Phase.PLANNING)
    copied = settings_service.copy_previous(later, c.hr, expected_version="", now=NOW)
    assert copied.goals_weight == D(50)
    assert [b.code for b in settings_service.bands_of(copied)] == ["Up", "Down"]
    assert [x.name for x in settings_service.competencies_for(later)] == ["Grit"]
    assert db.session.scalar(select(func.count(ReviewSettings.id))) == 2


def test_starting_a_review_saves_the_default_settings(org_chart, run):
    c = org_chart
    assert settings_service.get_settings(run.cycle) is None
    write_review(run.cycle, c.staff, c.staff, SELF, 3, 3, submit=False)
    saved = settings_service.get_settings(run.cycle)
    assert saved is not None and saved.locked_at is not None
    assert [x.name for x in settings_service.competencies_for(run.cycle)] == [
        "Collaboration", "Ownership", "Customer focus", "Learning"]


# Calibration ----------------------------------------------------------------------------------

def _calibrating(c, run):
    write_review(run.cycle, c.staff, c.head, MANAGER, [4, 3], [4, 3, 4, 5])
    write_review(run.cycle, c.colleague, c.head, MANAGER, 2, 2)
    cycles.move_phase(run.cycle, hr_admin(), Phase.CALIBRATION)
    db.session.commit()
    return scores.get_result(run.cycle, c.staff)


def test_hr_moves_a_rating_with_a_reason_and_it_is_audited_and_listed(org_chart, run):
    c = org_chart
    result = _calibrating(c, run)
    assert result.final_band == "A"
    move = calibration.move_rating(result, c.hr, to_band="B", reason="Out of line with peers",
                                   expected_version=result.version, now=NOW)
    db.session.commit()
    assert (result.band, result.calibrated_band, result.final_band) == ("A", "B", "B")
    assert (move.from_band, move.to_band, move.moved_by_id) == ("A", "B", c.hr.id)
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "review_result.calibrated"))
    assert event.before == {"band": "A"}
    assert event.after == {"band": "B", "reason": "Out of line with peers"}
    assert [m.reason for m in calibration.moves_of(run.cycle)] == ["Out of line with peers"]
    # An executive moves it back: the calibration clears, both moves stay.
    calibration.move_rating(result, c.exec, to_band="A", reason="Agreed in the committee",
                            expected_version=result.version, now=NOW + timedelta(minutes=1))
    assert result.calibrated_band is None and result.final_band == "A"
    assert db.session.scalar(select(func.count(CalibrationMove.id))) == 2


def test_calibration_refusals(org_chart, run):
    c = org_chart
    result = _calibrating(c, run)
    for who in (c.head, c.staff, c.sales_head):
        with pytest.raises(NotAllowed):
            calibration.move_rating(result, who, to_band="B", reason="x",
                                    expected_version=result.version, now=NOW)
    with pytest.raises(Invalid):
        calibration.move_rating(result, c.hr, to_band="B", reason="",
                                expected_version=result.version, now=NOW)
    with pytest.raises(Invalid):
        calibration.move_rating(result, c.hr, to_band="Z", reason="x",
                                expected_version=result.version, now=NOW)
    with pytest.raises(Invalid):
        calibration.move_rating(result, c.hr, to_band="A", reason="x",
                                expected_version=result.version, now=NOW)
    with pytest.raises(Conflict):
        calibration.move_rating(result, c.hr, to_band="B", reason="x",
                                expected_version=result.version - 1, now=NOW)
    db.session.rollback()
    cycles.move_phase(run.cycle, c.hr, Phase.INTERVIEWS)
    with pytest.raises(PhaseError):
        calibration.move_rating(result, c.hr, to_band="B", reason="x",
                                expected_version=result.version, now=NOW)
    assert db.session.scalar(select(func.count(CalibrationMove.id))) == 0


def test_the_distribution_counts_final_ratings(org_chart, run):
    c = org_chart
    result = _calibrating(c, run)
    # colleague: goals 2, competencies 2, no self-review: (60 × 2 + 30 × 2) / 90 = 2.00 -> C
    assert scores.get_result(run.cycle, c.colleague).band == "C"
    calibration.move_rating(result, c.hr, to_band="S", reason="x",
                            expected_version=result.version, now=NOW)
    overview = calibration.distributions(run.cycle)
    assert overview.company.counts == {"S": 1, "C": 1}
    assert overview.company.share("S") == D("50.0")
    assert [(d.name, d.total) for d in overview.departments] == [("Engineering", 2)]
    bands = settings_service.bands_of(settings_service.settings_for(run.cycle))
    checks = {check.band.code: check.within
              for check in calibration.guidance_checks(overview.company, bands)}
    assert checks == {"S": False, "A": True, "D": False}  # S ≤ 10%, A ≤ 20%, D ≥ 5%


# Completion, to-dos and nudges ----------------------------------------------------------------

def test_completion_and_the_reviewers_list(org_chart, run):
    c = org_chart
    write_review(run.cycle, c.staff, c.staff, SELF, 4, 4)
    write_review(run.cycle, c.colleague, c.head, MANAGER, 3, 3, submit=False)
    [row] = completion.by_department(run.cycle)
    assert (row.name, row.people, row.self_done, row.manager_done) == ("Engineering", 2, 1, 0)
    def reports(reviewer, sort, descending=False):
        people = db.session.scalars(completion.reports_query(run.cycle, reviewer, sort,
                                                             descending)).all()
        return [(r.person.username, r.self_state.value, r.manager_state.value)
                for r in completion.report_rows(run.cycle, reviewer, people)]

    assert reports(c.head, "name") == [("staff", "submitted", "none"),
                                       ("colleague", "none", "draft")]
    assert reports(c.head, "name", descending=True) == [("colleague", "none", "draft"),
                                                        ("staff", "submitted", "none")]
    assert [r[0] for r in reports(c.head, "manager")] == ["staff", "colleague"]
    assert [r[0] for r in reports(c.head, "self")] == ["colleague", "staff"]
    assert completion.report_counts(run.cycle, c.head) == completion.ReportCounts(2, 0)
    write_review(run.cycle, c.staff, c.head, MANAGER, 3, 3)
    assert completion.report_counts(run.cycle, c.head) == completion.ReportCounts(2, 1)
    assert reports(c.exec, "name") == [] and reports(c.sales_head, "name") == []
    assert completion.report_counts(run.cycle, c.exec) == completion.ReportCounts(0, 0)


def test_to_dos_ask_for_self_reviews_and_manager_reviews(org_chart, run):
    c = org_chart
    staff_todos = [t for t in todos.todos_for(c.staff, NOW) if t.kind == "self_review_write"]
    assert [t.text for t in staff_todos] == ["Write your self-review for 2026 H2"]
    head_todos = [t for t in todos.todos_for(c.head, NOW) if t.kind == "reviews_write"]
    assert [t.text for t in head_todos] == ["Review 2 reports for 2026 H2"]
    write_review(run.cycle, c.staff, c.head, MANAGER, 3, 3)
    write_review(run.cycle, c.staff, c.staff, SELF, 3, 3)
    assert not [t for t in todos.todos_for(c.staff, NOW) if t.kind == "self_review_write"]
    assert [t.text for t in todos.todos_for(c.head, NOW) if t.kind == "reviews_write"] == [
        "Review 1 report for 2026 H2"]


def test_hr_nudges_the_late_ones(org_chart, run):
    c = org_chart
    write_review(run.cycle, c.staff, c.staff, SELF, 4, 4)
    with pytest.raises(NotAllowed):
        completion.nudge(run.cycle, c.head, now=NOW)
    sent = completion.nudge(run.cycle, c.hr, now=NOW)
    assert (sent.people, sent.reviewers) == (1, 1)  # colleague's self-review; the head
    kinds = dict(db.session.execute(select(Notification.recipient_id, Notification.kind)
                                    .where(Notification.kind.like("%nudge"))).tuples().all())
    assert kinds == {c.colleague.id: "self_review_nudge", c.head.id: "manager_review_nudge"}
    assert db.session.scalar(select(AuditEvent.after).where(
        AuditEvent.action == "review.nudged")) == {"department_id": None, "people": 1,
                                                    "reviewers": 1}


def test_the_result_table_keeps_one_row_per_person(org_chart, run):
    c = org_chart
    write_review(run.cycle, c.staff, c.head, MANAGER, 4, 4)
    write_review(run.cycle, c.staff, c.staff, SELF, 4, 4)
    assert db.session.scalar(select(func.count(ReviewResult.id))) == 1


def test_band_summary_for_the_audit_log():
    band = Band("S", "", "", D("4.50"), D("5.00"), D("10"), None)
    assert band.summary() == "S 4.50–5.00 ≤10%"
