"""The 360 report, and the one place the anonymity rule is applied.

Rules (domain.md, "360 anonymity"):
- Rater groups: the manager (attributed), peers and direct reports (anonymous), beside the
  person's own ratings from their submitted self-review.
- An anonymous group shows only its latest release (releases.py: made as the review phase
  closes, when at least the cycle's threshold of answers are in, Cycle.anonymity_threshold,
  never below 2; released again only in steps that isolate no answer). Live answers of
  peers and direct reports are never read here. Without a release nothing of the group is
  given out: no average, no comment, no count; the report keeps only a note (results due
  when review closes, or fewer than the threshold answered), and the group counts for
  nothing in the competency score. Every output (the page, its fragment, the CSV export,
  the chart, the competency score, the final score, the printable review, the interview
  page) is built from `group_results`, so the rule holds everywhere.
- Nothing pairs an anonymous answer with its author: averages per competency, comments
  without names or dates in an order that follows neither time nor id (shuffled by their
  text's hash), no request ids.
- The manager's answer is attributed; without one, the manager column shows the ratings of
  the submitted manager review.
- The competency score (reviews/services/scores.py) takes the peers' and the direct
  reports' averages that pass, weighted by the cycle's 360 settings, beside the manager's
  ratings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ... import permissions as can
from ...charts import Series, bar_chart
from ...extensions import db
from ...i18n import language as reader_language
from ...models import (
    Competency,
    Cycle,
    FeedbackGroup,
    FeedbackRequest,
    Person,
    ReviewKind,
)
from ...reviews.services import scores
from ...reviews.services import settings as review_settings
from . import releases
from .releases import Comment, is_shown, mean, shuffled
from .settings import settings_of, threshold_of

__all__ = ["Comment", "GroupResult", "Report", "build", "feedback_groups", "group_results",
           "is_shown", "mean", "report_for", "shuffled"]

ANONYMOUS = (FeedbackGroup.PEER, FeedbackGroup.REPORT)


@dataclass
class GroupResult:
    """One rater group's part of the report. `shown` is the anonymity rule's answer; a group
    not shown carries nothing else."""

    group: FeedbackGroup
    shown: bool
    averages: dict[int, Decimal | None] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    responses: int | None = None
    author: Person | None = None

    @property
    def label(self):
        return self.group.label


def group_results(cycle: Cycle, person: Person,
                  competencies: list[Competency]) -> dict[FeedbackGroup, GroupResult]:
    """Each rater group asked about `person` in `cycle`: the manager's answer as it stands
    (attributed), the anonymous groups as last released (three queries, however many
    raters)."""
    asked = dict(db.session.execute(
        select(FeedbackRequest.rater_group, func.count(FeedbackRequest.id))
        .where(FeedbackRequest.cycle_id == cycle.id, FeedbackRequest.subject_id == person.id,
               ~FeedbackRequest.is_removed)
        .group_by(FeedbackRequest.rater_group)).all())
    managers = list(db.session.scalars(
        select(FeedbackRequest).where(FeedbackRequest.cycle_id == cycle.id,
                                      FeedbackRequest.subject_id == person.id,
                                      FeedbackRequest.rater_group == FeedbackGroup.MANAGER.value,
                                      FeedbackRequest.is_submitted)
        .options(selectinload(FeedbackRequest.ratings), joinedload(FeedbackRequest.rater))))
    released = releases.latest(cycle, person)
    results: dict[FeedbackGroup, GroupResult] = {}
    for group in FeedbackGroup:
        if not asked.get(group.value) and group not in released:
            continue
        if group.anonymous:
            release = released.get(group)
            if release is None:
                results[group] = GroupResult(group, shown=False)
                continue
            averages, comments = releases.release_figures(release)
            results[group] = GroupResult(
                group, shown=True,
                averages={c.id: averages.get(c.id) for c in competencies if c.id is not None},
                comments=comments, responses=release.responses)
            continue
        if not is_shown(group, len(managers), threshold_of(cycle)):
            results[group] = GroupResult(group, shown=False)
            continue
        averages = {c.id: mean(r.rating for a in managers for r in a.ratings
                               if r.competency_id == c.id)
                    for c in competencies if c.id is not None}
        author = managers[0].rater
        comments = [Comment(kind, getattr(a, kind), author) for a in managers
                    for kind in ("keep_doing", "improve") if getattr(a, kind)]
        results[group] = GroupResult(group, shown=True, averages=averages, comments=comments,
                                     responses=len(managers), author=author)
    return results


@dataclass
class Row:
    competency: Competency
    own: Decimal | None
    manager: Decimal | None
    groups: dict[FeedbackGroup, Decimal | None]


@dataclass
class Report:
    """What the 360 report shows (templates/feedback/_report.html)."""

    cycle: Cycle
    person: Person
    threshold: int
    competencies: list[Competency]
    groups: list[GroupResult]  # shown anonymous groups
    hidden: list[FeedbackGroup]  # anonymous groups not released: a note only
    manager: GroupResult | None
    own: dict[int, Decimal | None]
    manager_ratings: dict[int, Decimal | None]
    manager_source: str  # "feedback", "review" or ""
    pending: bool = False  # review has not closed: no anonymous group is released yet

    def hidden_note(self, group: FeedbackGroup) -> str:
        """Why a group shows nothing, the same words on the page and in the CSV."""
        if self.pending:
            return _("%(group)s: results are shown once the review phase has closed, if at "
                     "least %(n)d have answered.", group=group.label, n=self.threshold)
        return _("%(group)s: fewer than %(n)d responses, so none is shown.",
                 group=group.label, n=self.threshold)

    @property
    def rows(self) -> list[Row]:
        return [Row(c, self.own.get(c.id), self.manager_ratings.get(c.id),
                    {g.group: g.averages.get(c.id) for g in self.groups})
                for c in self.competencies]

    @property
    def has_answers(self) -> bool:
        return bool(self.groups) or self.manager is not None

    def chart(self, chart_id: str = "feedback-chart") -> Markup:
        language = reader_language()
        series = [Series(_("Self"), [self.own.get(c.id) for c in self.competencies]),
                  Series(_("Manager"), [self.manager_ratings.get(c.id)
                                        for c in self.competencies])]
        series += [Series(str(g.label), [g.averages.get(c.id) for c in self.competencies])
                   for g in self.groups]
        return bar_chart(
            chart_id=chart_id,
            title=_("360 feedback on %(name)s, by competency", name=self.person.display_name),
            summary=_("Average ratings on a scale of 1 to %(max)d; groups with fewer than "
                      "%(n)d responses are not shown.", max=self.cycle.rating_scale_max,
                      n=self.threshold),
            categories=[c.name_in(language) for c in self.competencies], series=series,
            max_value=self.cycle.rating_scale_max, category_heading=_("Competency"),
            places=2)

    def csv(self) -> str:
        """The report as CSV: the same figures as the page, nothing more."""
        language = reader_language()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_("Competency"), _("Self"), _("Manager"),
                         *[str(g.label) for g in self.groups]])
        for row in self.rows:
            writer.writerow([_safe(row.competency.name_in(language)), _num(row.own),
                             _num(row.manager), *[_num(row.groups[g.group])
                                                  for g in self.groups]])
        for group in self.hidden:
            writer.writerow([str(group.label), self.hidden_note(group)])
        writer.writerow([])
        writer.writerow([_("Group"), _("Comment"), _("Text")])
        for result in ([self.manager] if self.manager else []) + self.groups:
            for comment in result.comments:
                writer.writerow([str(result.label), str(comment.kind_label), _safe(comment.text)])
        return out.getvalue()


def _num(value) -> str:
    return "" if value is None else f"{value:.2f}"


def _safe(text: str) -> str:
    """No spreadsheet formula out of someone's text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def build(cycle: Cycle, person: Person) -> Report:
    """The report, without asking who reads it (report_for asks)."""
    settings = review_settings.settings_for(cycle)
    competencies = [c for c in review_settings.competencies_for(cycle, settings)]
    results = group_results(cycle, person, competencies)
    reviews = scores.reviews_of(cycle, person)

    def ratings_of(review) -> dict[int, Decimal | None]:
        if review is None or not review.is_submitted:
            return {}
        return {r.competency_id: Decimal(r.rating) for r in review.competency_ratings
                if r.rating is not None}

    manager = results.get(FeedbackGroup.MANAGER)
    manager = manager if manager is not None and manager.shown else None
    if manager is not None:
        manager_ratings, source = manager.averages, "feedback"
    else:
        manager_ratings = ratings_of(reviews.get(ReviewKind.MANAGER.value))
        source = "review" if manager_ratings else ""
    return Report(
        cycle=cycle, person=person, threshold=threshold_of(cycle), competencies=competencies,
        groups=[results[g] for g in ANONYMOUS if g in results and results[g].shown],
        hidden=[g for g in ANONYMOUS if g in results and not results[g].shown],
        manager=manager, own=ratings_of(reviews.get(ReviewKind.SELF.value)),
        manager_ratings=manager_ratings, manager_source=source,
        pending=not releases.released_phase(cycle))


def report_for(viewer, person: Person, cycle: Cycle) -> Report | None:
    """The 360 report on `person` in `cycle` as `viewer` may see it, or None when they may
    not (permissions.can_view_feedback_report)."""
    if not can.can_view_feedback_report(viewer, (person, cycle)):
        return None
    return build(cycle, person)


# The competency score's 360 inputs ----------------------------------------------------------

SOURCE_LABELS = {FeedbackGroup.PEER: _l("The peers' ratings (360), averaged"),
                 FeedbackGroup.REPORT: _l("The direct reports' ratings (360), averaged")}


def feedback_groups(inputs) -> Iterable[scores.CompetencyInput]:
    """The peers' and direct reports' averages that pass the anonymity threshold, weighted
    by the cycle's 360 settings (a competency source, perfsite/areas.py)."""
    competencies = [c for c in inputs.competencies if c.id is not None]
    if not competencies:
        return
    results = group_results(inputs.cycle, inputs.person, competencies)
    settings = settings_of(inputs.cycle)
    language = reader_language()
    for group, weight in ((FeedbackGroup.PEER, settings.peers_weight),
                          (FeedbackGroup.REPORT, settings.reports_weight)):
        result = results.get(group)
        if result is None or not result.shown or not weight:
            continue
        terms = [scores.Term(c.name_in(language), Decimal(1), result.averages[c.id])
                 for c in competencies if result.averages.get(c.id) is not None]
        figure = scores.Figure(f"feedback_{group.value}", SOURCE_LABELS[group], terms)
        if figure.present:
            yield scores.CompetencyInput(f"feedback_{group.value}", group.label, figure,
                                         Decimal(weight))

