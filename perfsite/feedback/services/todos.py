"""The 360 feedback to-dos (collected by perfsite/coaching/services/todos.py), each asking
the predicate that governs it:
- give feedback: the rater's asked requests (permissions.can_give_feedback), one to-do per
  cycle ("give feedback to N colleagues");
- approve nominations: the head of a person whose nominations await approval
  (can_approve_nominations), one per person;
- pick a replacement: the head of a person whose rater declined (can_pick_replacement),
  one per declined request.
A fixed number of queries for any number of people."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _
from flask_babel import lazy_ngettext as ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ... import permissions as can
from ...coaching.services.todos import Todo
from ...extensions import db
from ...models import Cycle, FeedbackRequest


def _requests(where):
    return db.session.scalars(
        select(FeedbackRequest).join(Cycle, Cycle.id == FeedbackRequest.cycle_id)
        .where(where, can.phase_clause("give_feedback"))
        .options(joinedload(FeedbackRequest.cycle), joinedload(FeedbackRequest.subject),
                 joinedload(FeedbackRequest.rater))
        .order_by(FeedbackRequest.id)).all()


def collect(people, now):
    """(person id, Todo) for the 360 feedback of `people` (a to-do collector,
    perfsite/areas.py)."""
    # Feedback to give.
    waiting: dict[tuple[int, int], int] = defaultdict(int)
    cycles = {}
    for request in _requests(FeedbackRequest.rater_id.in_(list(people))
                             & FeedbackRequest.is_open):
        if can.can_give_feedback(people[request.rater_id], request):
            waiting[(request.rater_id, request.cycle_id)] += 1
            cycles[request.cycle_id] = request.cycle
    for (rater_id, cycle_id), count in waiting.items():
        yield rater_id, Todo(
            "feedback_give", f"feedback_give:{cycle_id}:{count}",
            ngettext("Give 360 feedback to %(num)d colleague for %(cycle)s",
                     "Give 360 feedback to %(num)d colleagues for %(cycle)s", count,
                     cycle=cycles[cycle_id].name),
            "feedback.give", {"cycle_id": cycle_id})
    # Nominations to approve and raters to replace, for the heads among `people`.
    pending = _requests(
        FeedbackRequest.awaits_head)
    approvals = {}
    can.prime_raters_fixed({(r.subject_id, r.cycle_id) for r in pending})
    for request in pending:
        head_id = can.approver_id(request.subject)
        head = people.get(head_id)
        if head is None:
            continue
        if request.awaiting_approval:
            key = (head.id, request.cycle_id, request.subject_id)
            if key not in approvals and can.can_approve_nominations(
                    head, (request.subject, request.cycle)):
                approvals[key] = request
        elif can.can_pick_replacement(head, request):
            yield head.id, Todo(
                "pick_replacement", f"pick_replacement:{request.id}",
                _("%(rater)s declined to give feedback on %(name)s: pick a replacement",
                  rater=request.rater.display_name, name=request.subject.display_name),
                "feedback.raters", {"cycle_id": request.cycle_id,
                                    "person_id": request.subject_id})
    for (head_id, cycle_id, subject_id), request in approvals.items():
        yield head_id, Todo(
            "feedback_approve", f"feedback_approve:{cycle_id}:{subject_id}",
            _("Approve the raters %(name)s nominated for %(cycle)s",
              name=request.subject.display_name, cycle=request.cycle.name),
            "feedback.raters", {"cycle_id": cycle_id, "person_id": subject_id})
