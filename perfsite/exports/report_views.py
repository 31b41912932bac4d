"""The printable review: one person's cycle on paper (the browser prints it, or saves it as
PDF, with static/css/print.css): their goals and KPIs with weights, progress and scores,
the scores with the formula, the 360 summary, the interview record and the improvement
plan. The same permission as the results page (permissions.can_print_review).
"""

from __future__ import annotations

from flask import render_template
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from .. import permissions as can
from ..models import Cycle, Person, Review, ReviewKind
from ..planning.services import progress
from ..reviews.services import reviews, scores
from ..reviews.services import settings as settings_service
from ..web import load, render
from . import report_sections, reports


@reports.get("/<int:cycle_id>/people/<int:person_id>")
def review(cycle_id, person_id):
    cycle = load(Cycle, cycle_id, can.can_use_cycle)
    person = load(Person, person_id)
    result = scores.result_for(cycle, person)
    allowed = can.can_print_review(current_user, result)
    can.ensure(allowed)
    locale = get_locale()
    context = {"cycle": cycle, "person": person, "result": result, "allowed": allowed,
               "lang": locale.language if locale else "en",
               "is_self": person.id == current_user.id}
    if allowed:
        subject = reviews.subject_of(cycle, person)
        saved = scores.reviews_of(cycle, person)
        found = {kind: saved.get(kind.value) or Review.blank(cycle, person, kind)
                 for kind in ReviewKind}
        viewer = current_user._get_current_object()
        context.update(
            subject=subject, scale={p.value: p for p in subject.scale},
            kpi_progress={k.id: progress.of(k) for k in subject.kpis},
            breakdown=scores.breakdown(cycle, person, settings=subject.settings,
                                       kpis=subject.kpis, competencies=subject.competencies,
                                       reviews=saved),
            self_review=found[ReviewKind.SELF], manager=found[ReviewKind.MANAGER],
            readable={kind: can.can_read_review(viewer, r) for kind, r in found.items()},
            bands=settings_service.bands_of(subject.settings),
            moves=list(result.moves) if result.id else [],
            sections=report_sections.sections_for(viewer, person, cycle))
        # The results page's formula, opened: a printed page cannot open a <details>.
        context["formula"] = Markup(render_template("reviews/_formula.html", **context).replace(
            '<details class="formula card" id="formula">',
            '<details class="formula card" id="formula" open>', 1))
    return render("reports/review.html", **context)
