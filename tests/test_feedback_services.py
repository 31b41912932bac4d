"""360 feedback services without HTTP: nominations and their limits, the head's approval with
the automatic manager and upward requests, decline and replacement, "submitted is final",
HR's reopening, and the anonymity rule at threshold − 1, threshold and above for every
output path (report, chart, CSV, competency score, completion counts, notifications, to-dos,
audit)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from perfsite import permissions as can
from perfsite.coaching.services import todos
from perfsite.cycles import services as cycles
from perfsite.errors import Conflict, Invalid, NotAllowed, StateError
from perfsite.extensions import db
from perfsite.feedback.services import answers, completion, nominations, report
from perfsite.feedback.services import settings as settings_service
from perfsite.models import (
    AuditEvent,
    Cycle,
    FeedbackGroup,
    FeedbackRequest,
    FeedbackStatus,
    Notification,
    Phase,
    ReviewKind,
)
from perfsite.reviews.services import scores

from .coaching_factories import NOW
from .factories import hr_admin, make_person
from .feedback_factories import (
    answer,
    ask_directly,
    card_values,
    colleagues,
    feedback_cycle,
    peers_answered,
    release,
)
from .review_factories import write_review

D = Decimal


@pytest.fixture
def fb(org_chart):
    cycle = feedback_cycle(org_chart)
    db.session.commit()
    return org_chart, cycle


# The threshold ------------------------------------------------------------------------------

def test_the_threshold_is_the_cycles_and_never_below_two(fb):
    c, cycle = fb
    assert settings_service.threshold_of(cycle) == 3
    assert settings_service.threshold_of(Cycle(anonymity_threshold=1)) == 2
    assert settings_service.threshold_of(Cycle(anonymity_threshold=0)) == 2
    assert not report.is_shown(FeedbackGroup.PEER, 1, 1)  # a group of one never shows
    assert report.is_shown(FeedbackGroup.PEER, 2, 1)
    assert report.is_shown(FeedbackGroup.MANAGER, 1, 5)  # attributed


def test_the_cycle_refuses_a_threshold_below_two(org_chart):
    cycle = cycles.create_cycle(org_chart.hr, name="2028 H1", start_date=NOW.date(),
                                end_date=NOW.date())
    with pytest.raises(Invalid, match="at least 2"):
        cycles.update_settings(cycle, org_chart.hr, expected_version=cycle.version,
                               anonymity_threshold=1)


# Nominations --------------------------------------------------------------------------------

def test_staff_nominate_peers_from_any_department_and_the_head_approves(fb):
    c, cycle = fb
    extra = colleagues(c, 2)
    made = nominations.nominate(cycle, c.staff, c.staff,
                                usernames=f"colleague, peer, {extra[0].username}", now=NOW)
    assert [r.status for r in made] == ["nominated"] * 3
    assert {r.rater.department_id for r in made} == {c.eng.id, c.sales.id}
    assert not can.can_approve_nominations(c.staff, (c.staff, cycle))
    assert not can.can_approve_nominations(c.sales_head, (c.staff, cycle))
    assert nominations.approve(cycle, c.staff, c.head, now=NOW) == 3
    found = {r.rater_id: r for r in nominations.requests_on(cycle, c.staff)}
    assert all(found[r.rater_id].status == "requested" for r in made)
    # the head's own feedback is requested automatically (attributed)
    assert found[c.head.id].rater_group == "manager"
    db.session.commit()
    events = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("feedback_request.%"))).all()
    assert "feedback_request.nominated" in events and "feedback_request.approved" in events


def test_staff_are_asked_for_upward_feedback_on_their_head(fb):
    c, cycle = fb
    raters = colleagues(c, 3)
    nominations.add_raters(cycle, c.head, c.exec, usernames=",".join(r.username for r in raters),
                           now=NOW)
    found = {r.rater_id: r for r in nominations.requests_on(cycle, c.head)}
    assert found[c.staff.id].rater_group == "report"
    assert found[c.colleague.id].rater_group == "report"
    assert found[c.exec.id].rater_group == "manager"
    assert can.can_give_feedback(c.staff, found[c.staff.id])


def test_nominations_keep_within_the_cycles_limits(fb):
    c, cycle = fb
    raters = colleagues(c, 9)
    with pytest.raises(Invalid, match="At most 8"):
        nominations.nominate(cycle, c.staff, c.staff,
                             usernames=",".join(r.username for r in raters), now=NOW)
    nominations.nominate(cycle, c.staff, c.staff, usernames=raters[0].username, now=NOW)
    with pytest.raises(Invalid, match="at least 3"):
        nominations.approve(cycle, c.staff, c.head, now=NOW)
    with pytest.raises(Invalid, match="on the list already"):
        nominations.nominate(cycle, c.staff, c.staff, usernames=raters[0].username, now=NOW)
    with pytest.raises(Invalid):  # oneself is not among the people offered
        nominations.nominate(cycle, c.staff, c.staff, usernames="staff", now=NOW)
    with pytest.raises(Invalid, match="No person"):
        nominations.nominate(cycle, c.staff, c.staff, usernames="nobody.here", now=NOW)


def test_only_the_person_nominates_and_only_while_feedback_is_open(fb):
    c, cycle = fb
    with pytest.raises(NotAllowed):
        nominations.nominate(cycle, c.staff, c.colleague, usernames="peer", now=NOW)
    cycles.move_phase(cycle, hr_admin(), Phase.CALIBRATION)
    with pytest.raises(Conflict):
        nominations.nominate(cycle, c.staff, c.staff, usernames="peer", now=NOW)


def test_feedback_opens_on_the_cycles_date_while_in_progress(org_chart):
    from datetime import date, timedelta

    c = org_chart
    cycle = feedback_cycle(c, phase=Phase.IN_PROGRESS)
    assert not can.can_nominate_raters(c.staff, (c.staff, cycle))
    settings_service.update_settings(cycle, c.hr, expected_version="", now=NOW,
                                     **{**settings_service.DEFAULTS,
                                        "opens_on": date.today() - timedelta(days=1)})
    assert can.can_nominate_raters(c.staff, (c.staff, cycle))


def test_the_head_removes_a_rater_who_has_not_answered(fb):
    c, cycle = fb
    request, = ask_directly(cycle, c.staff, [c.peer])
    nominations.remove(request, c.head, now=NOW)
    assert request.status == "removed"
    assert not can.can_give_feedback(c.peer, request)


def test_a_rater_declines_and_the_head_picks_a_replacement(fb):
    c, cycle = fb
    request, = ask_directly(cycle, c.staff, [c.peer])
    with pytest.raises(Invalid):
        answers.decline(request, c.peer, reason="  ", now=NOW)
    answers.decline(request, c.peer, reason="I barely work with Liu Yang", now=NOW)
    assert request.status == "declined"
    told = db.session.scalars(select(Notification).where(
        Notification.recipient_id == c.head.id, Notification.kind == "feedback_declined")).all()
    assert len(told) == 1
    assert "pick_replacement" in [t.kind for t in todos.todos_for(c.head, NOW)]
    with pytest.raises(NotAllowed):
        nominations.replace(request, c.staff, username="sales.head", now=NOW)
    replacement = nominations.replace(request, c.head, username="sales.head", now=NOW)
    assert replacement.status == "requested" and replacement.rater_id == c.sales_head.id
    assert replacement.rater_group == "peer" and request.replaced
    assert not can.can_pick_replacement(c.head, request)  # once
    assert "pick_replacement" not in [t.kind for t in todos.todos_for(c.head, NOW)]


# Answering ----------------------------------------------------------------------------------

def test_a_draft_then_a_submission_that_is_final(fb):
    c, cycle = fb
    request, = ask_directly(cycle, c.staff, [c.peer])
    answer(request, [4, 3, None, 5], submit=False)
    db.session.commit()
    assert request.status == "requested" and request.rating_for(
        answers.competencies_of(cycle)[0].id).rating == 4
    with pytest.raises(Invalid) as refused:
        answers.submit(request, c.peer, expected_version=request.version,
                       values=card_values(cycle, [4, 3, None, 5]), now=NOW)
    assert answers.rating_field(answers.competencies_of(cycle)[2]) in refused.value.errors
    db.session.rollback()
    request = db.session.get(FeedbackRequest, request.id)
    answer(request, 4)
    assert request.status == "submitted"
    with pytest.raises(StateError):
        answers.submit(request, c.peer, expected_version=request.version,
                       values=card_values(cycle, 1), now=NOW)
    with pytest.raises(StateError):
        answers.save_draft(request, c.peer, expected_version=request.version,
                           values=card_values(cycle, 1), now=NOW)
    assert {r.rating for r in request.ratings} == {4}


def test_nobody_answers_someone_elses_request(fb):
    c, cycle = fb
    request, = ask_directly(cycle, c.staff, [c.peer])
    for intruder in (c.staff, c.head, c.hr, c.colleague):
        with pytest.raises(NotAllowed):
            answers.submit(request, intruder, expected_version=request.version,
                           values=card_values(cycle, 1), now=NOW)
        assert not can.can_read_feedback(intruder, request)


def test_a_stale_draft_is_a_conflict(fb):
    c, cycle = fb
    request, = ask_directly(cycle, c.staff, [c.peer])
    old = request.version
    answer(request, 3, submit=False)
    with pytest.raises(Conflict):
        answers.save_draft(request, c.peer, expected_version=old, values=card_values(cycle, 2),
                           now=NOW)


def test_hr_reopens_a_submitted_answer_with_a_reason_logged(fb):
    c, cycle = fb
    request, = ask_directly(cycle, c.staff, [c.peer])
    answer(request, 4)
    with pytest.raises(NotAllowed):
        answers.reopen(request, c.head, reason="typo", now=NOW)
    answers.reopen(request, c.hr, reason="Rated the wrong person", now=NOW)
    assert request.status == "requested" and request.reopened_count == 1
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "feedback.reopened")).one()
    assert event.after["reason"] == "Rated the wrong person"
    assert can.can_give_feedback(c.peer, request)


def test_the_audit_log_never_holds_an_answer(fb):
    c, cycle = fb
    request, = ask_directly(cycle, c.staff, [c.peer])
    answer(request, 4, keep_doing="SECRET-KEEP", improve="SECRET-IMPROVE")
    db.session.commit()
    for event in db.session.scalars(select(AuditEvent)):
        text = f"{event.before} {event.after} {event.object_label}"
        assert "SECRET" not in text


# Anonymity: every output path at threshold − 1, threshold and above --------------------------

def _outputs(c, cycle, subject, viewer):
    """Everything built from the answers, as text."""
    found = report.report_for(viewer, subject, cycle)
    breakdown = scores.breakdown(cycle, subject)
    parts = {
        "report": repr(found.rows) + repr(found.groups) if found else "",
        "comments": " ".join(cm.text for g in (found.groups if found else [])
                             for cm in g.comments),
        "chart": str(found.chart()) if found else "",
        "csv": found.csv() if found else "",
        "score": " ".join(i.key for i in breakdown.competency_inputs),
        "completion": repr(completion.completion(cycle)),
        "notifications": " ".join(str(n.params) for n in db.session.scalars(
            select(Notification))),
        "todos": " ".join(t.text for p in (c.staff, c.head, c.colleague, c.hr)
                          for t in todos.todos_for(p, NOW)),
    }
    return found, parts


@pytest.mark.parametrize("group", ["peer", "report"])
@pytest.mark.parametrize("answered", [2, 3, 4])
def test_a_group_shows_only_from_the_threshold_on_everywhere(fb, group, answered):
    c, cycle = fb
    subject = c.head if group == "report" else c.staff
    raters = colleagues(c, answered, department=c.eng if group == "report" else None)
    if group == "report":
        for rater in raters:  # direct reports of the head
            rater.manager_id = c.head.id
    requests = ask_directly(cycle, subject, raters, group)
    for i, request in enumerate(requests):
        answer(request, [5, 1, 5, 1], keep_doing=f"KEEP-{group}-{i}", improve=f"IMPR-{group}-{i}")
    # the manager review, so the competency score exists
    write_review(cycle, subject, c.exec if subject is c.head else c.head, ReviewKind.MANAGER,
                 3, 3) if subject is c.staff else None
    cycles.move_phase(cycle, c.hr, Phase.CALIBRATION)  # review closes: groups are released
    db.session.commit()
    shown = answered >= 3
    label = str(FeedbackGroup(group).label)
    for viewer in (c.head if subject is c.staff else c.exec, c.hr, c.exec):
        found, parts = _outputs(c, cycle, subject, viewer)
        assert found is not None
        assert ([g.group.value for g in found.groups] == [group]) is shown
        assert (FeedbackGroup(group) in found.hidden) is (not shown)
        assert ("KEEP-" in parts["comments"]) is shown
        assert ("KEEP-" in parts["csv"]) is shown
        assert ("1.00" in parts["csv"]) is shown  # the group's averages: 5.00 and 1.00
        assert (label in parts["chart"]) is shown
        assert "KEEP-" not in parts["chart"]
        assert ("fewer than 3 responses" in parts["csv"]) is (not shown)
        if subject is c.staff:
            assert (f"feedback_{group}" in parts["score"]) is shown
        for path in ("completion", "notifications", "todos"):
            assert "KEEP-" not in parts[path] and "IMPR-" not in parts[path]
        for rater in raters:  # never a name beside an anonymous group
            assert rater.display_name not in parts["report"] + parts["csv"] + parts["chart"]


def test_below_the_threshold_the_group_is_left_out_of_the_competency_score(fb):
    c, cycle = fb
    write_review(cycle, c.staff, c.head, ReviewKind.MANAGER, 3, 3)
    requests = peers_answered(c, cycle, c.staff, 2, ratings=5)
    without = scores.breakdown(cycle, c.staff)
    assert [i.key for i in without.competency_inputs] == ["manager"]
    assert without.competencies.value == D("3.00")
    release(cycle)  # two answers: not released
    assert [i.key for i in scores.breakdown(cycle, c.staff).competency_inputs] == ["manager"]
    extra, = ask_directly(cycle, c.staff, colleagues(c, 1, prefix="third"))
    answer(extra, 5)
    release(cycle)
    with_peers = scores.breakdown(cycle, c.staff)
    assert [i.key for i in with_peers.competency_inputs] == ["manager", "feedback_peer"]
    # (100 × 3.00 + 50 × 5.00) / 150 = 550 / 150 = 3.666… -> 3.67
    assert with_peers.competencies.value == D("3.67")
    assert len(requests) == 2


def test_the_peer_weight_comes_from_the_cycles_360_settings(org_chart):
    c = org_chart
    cycle = feedback_cycle(c, phase=Phase.IN_PROGRESS)
    settings_service.update_settings(cycle, c.hr, expected_version="", now=NOW,
                                     **{**settings_service.DEFAULTS, "peers_weight": "100"})
    cycles.move_phase(cycle, hr_admin(), Phase.REVIEW)
    db.session.commit()
    with pytest.raises(Conflict):  # fixed once review opens, like the review settings
        settings_service.update_settings(cycle, c.hr, expected_version=1, now=NOW,
                                         **settings_service.DEFAULTS)
    db.session.rollback()
    cycle = db.session.get(Cycle, cycle.id)
    write_review(cycle, c.staff, c.head, ReviewKind.MANAGER, 3, 3)
    peers_answered(c, cycle, c.staff, 3, ratings=5)
    release(cycle)
    # (100 × 3.00 + 100 × 5.00) / 200 = 4.00
    assert scores.breakdown(cycle, c.staff).competencies.value == D("4.00")


def test_anonymous_comments_come_shuffled_without_dates_and_the_manager_is_named(fb):
    c, cycle = fb
    texts = ["zebra", "apple", "mango", "kiwi"]
    requests = ask_directly(cycle, c.staff, colleagues(c, 4))
    for request, text in zip(requests, texts, strict=True):
        answer(request, 4, keep_doing=text, improve="")
    manager, = ask_directly(cycle, c.staff, [c.head], FeedbackGroup.MANAGER)
    answer(manager, 2, keep_doing="Own your releases", improve="")
    release(cycle)
    found = report.report_for(c.head, c.staff, cycle)
    peers = found.groups[0]
    assert sorted(cm.text for cm in peers.comments) == sorted(texts)
    assert [cm.text for cm in peers.comments] == [cm.text for cm in report.shuffled(
        [report.Comment("keep_doing", t) for t in texts])]
    assert all(cm.author is None for cm in peers.comments)
    assert found.manager.author.id == c.head.id
    assert found.manager_ratings[answers.competencies_of(cycle)[0].id] == D("2.00")


def test_the_subject_sees_the_report_only_when_the_cycle_allows(fb):
    c, cycle = fb
    assert report.report_for(c.staff, c.staff, cycle) is None  # in review
    assert report.report_for(c.sales_head, c.staff, cycle) is None
    assert report.report_for(c.colleague, c.staff, cycle) is None
    assert report.report_for(c.head, c.staff, cycle) is not None
    for phase in (Phase.CALIBRATION, Phase.INTERVIEWS):
        cycles.move_phase(cycle, hr_admin(), phase)
    assert report.report_for(c.staff, c.staff, cycle) is not None
    settings = settings_service.settings_of(cycle)
    settings.subject_sees_report = False
    db.session.add(settings)
    assert report.report_for(c.staff, c.staff, cycle) is None


# Counts and to-dos -----------------------------------------------------------------------------

def test_completion_counts_per_department_without_names(fb):
    c, cycle = fb
    requests = ask_directly(cycle, c.staff, colleagues(c, 3))
    answer(requests[0], 3)
    answers.decline(requests[1], requests[1].rater, reason="Busy", now=NOW)
    ask_directly(cycle, c.peer, [c.staff])
    rows = {r.name: r for r in completion.completion(cycle)}
    assert (rows["Engineering"].requested, rows["Engineering"].submitted,
            rows["Engineering"].declined, rows["Engineering"].waiting) == (3, 1, 1, 1)
    assert rows["Sales"].requested == 1
    only = completion.completion(cycle, department_ids=[c.sales.id])
    assert [r.name for r in only] == ["Sales"]


def test_to_dos_ask_raters_to_give_feedback_and_heads_to_approve(fb):
    c, cycle = fb
    nominations.nominate(cycle, c.staff, c.staff, usernames="peer", now=NOW)
    assert "feedback_approve" in [t.kind for t in todos.todos_for(c.head, NOW)]
    assert "feedback_give" not in [t.kind for t in todos.todos_for(c.peer, NOW)]
    request, = ask_directly(cycle, c.colleague, [c.peer])
    give = [t for t in todos.todos_for(c.peer, NOW) if t.kind == "feedback_give"]
    assert len(give) == 1
    answer(request, 3)
    assert "feedback_give" not in [t.kind for t in todos.todos_for(c.peer, NOW)]


def test_a_person_not_in_the_company_cannot_be_nominated(fb):
    c, cycle = fb
    gone = make_person("gone.person", c.sales, manager=c.sales_head)
    gone.active = False
    db.session.flush()
    with pytest.raises(Invalid):
        nominations.nominate(cycle, c.staff, c.staff, usernames="gone.person", now=NOW)
    assert db.session.scalar(select(FeedbackRequest.id).where(
        FeedbackRequest.rater_id == gone.id)) is None
    assert FeedbackStatus.REQUESTED.value == "requested"


def test_hr_stores_the_scores_again_with_answers_that_came_late(fb):
    c, cycle = fb
    write_review(cycle, c.staff, c.head, ReviewKind.MANAGER, 3, 3)
    stored = scores.get_result(cycle, c.staff)
    assert stored.competency_score == D("3.00")
    peers_answered(c, cycle, c.staff, 3, ratings=5)
    assert scores.get_result(cycle, c.staff).competency_score == D("3.00")  # not per answer
    with pytest.raises(NotAllowed):
        completion.recompute_scores(cycle, c.head, NOW)
    assert completion.recompute_scores(cycle, c.hr, NOW) == 1
    # Before review closes the peers are not released: the stored score stays as it was.
    assert scores.get_result(cycle, c.staff).competency_score == D("3.00")
    cycles.move_phase(cycle, c.hr, Phase.CALIBRATION)
    assert completion.recompute_scores(cycle, c.hr, NOW) == 1
    # (100 × 3.00 + 50 × 5.00) / 150 = 3.67
    assert scores.get_result(cycle, c.staff).competency_score == D("3.67")
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "review_result.computed").order_by(AuditEvent.id.desc())).first()
    assert event.actor_id == c.hr.id


def test_opening_calibration_folds_late_answers_into_the_stored_scores(fb):
    c, cycle = fb
    write_review(cycle, c.staff, c.head, ReviewKind.MANAGER, 3, 3)
    peers_answered(c, cycle, c.staff, 3, ratings=5)
    assert scores.get_result(cycle, c.staff).competency_score == D("3.00")
    cycles.move_phase(cycle, c.hr, Phase.CALIBRATION)
    # (100 × 3.00 + 50 × 5.00) / 150 = 3.67, stored as HR's batch when the phase moved
    assert scores.get_result(cycle, c.staff).competency_score == D("3.67")
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "review_result.computed").order_by(AuditEvent.id.desc())).first()
    assert event.actor_id == c.hr.id
