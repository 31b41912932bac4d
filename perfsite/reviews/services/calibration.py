"""Calibration: the distribution of final ratings by department beside the company's and the
guidance, and moves of a person's rating, each with its reason.

Rules:
- HR or an executive moves a person's final rating to another of the cycle's bands, with a
  reason, while the cycle is in calibration (permissions.can_calibrate); afterwards the
  calibrated rating is the final one (for the feedback interview and beyond).
- The computed rating (the band of the final score) is kept beside the calibrated one:
  moving a rating back to its computed band clears the calibration, and the move is kept
  all the same.
- Every move is kept as a CalibrationMove (who, from, to, why, when) and audited.
- The distribution counts people with a final rating (the calibrated one where there is
  one), per department and for the whole company, as shares of the people counted;
  guidance is "at most" or "at least" a share per band.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ... import permissions as can
from ...audit.services import record
from ...errors import Invalid
from ...extensions import db
from ...models import CalibrationMove, Cycle, Department, Person, ReviewResult
from ...rules import check_version, require_reason
from . import settings as settings_service
from .settings import Band

SHARE_PLACES = Decimal("0.1")


def share(count: int, total: int) -> Decimal:
    """`count` of `total` as a percentage with one decimal, half up."""
    if not total:
        return Decimal(0)
    return (Decimal(count) * 100 / Decimal(total)).quantize(SHARE_PLACES,
                                                            rounding=ROUND_HALF_UP)


@dataclass
class Distribution:
    """How many people got each band, and what share of those counted that is."""

    name: str
    counts: dict[str, int]
    department_id: int | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, code: str) -> int:
        return self.counts.get(code, 0)

    def share(self, code: str) -> Decimal:
        return share(self.count(code), self.total)


@dataclass(frozen=True)
class GuidanceCheck:
    band: Band
    share: Decimal
    within: bool


def guidance_checks(distribution: Distribution, bands: list[Band]) -> list[GuidanceCheck]:
    """For each band with guidance: the distribution's share, and whether it keeps to it."""
    checks = []
    for band in bands:
        if band.guidance_max is None and band.guidance_min is None:
            continue
        value = distribution.share(band.code)
        within = ((band.guidance_max is None or value <= band.guidance_max)
                  and (band.guidance_min is None or value >= band.guidance_min))
        checks.append(GuidanceCheck(band, value, within))
    return checks


@dataclass
class Overview:
    company: Distribution
    departments: list[Distribution] = field(default_factory=list)


def _final_band():
    return func.coalesce(ReviewResult.calibrated_band, ReviewResult.band)


def distributions(cycle: Cycle, department_id: int | None = None) -> Overview:
    """The company's distribution and each department's (or only the one asked for), from
    the stored results in two queries."""
    rows = db.session.execute(
        select(Person.department_id, _final_band(), func.count(ReviewResult.id))
        .join(Person, Person.id == ReviewResult.person_id)
        .where(ReviewResult.cycle_id == cycle.id, ReviewResult.final_score.is_not(None),
               _final_band().is_not(None))
        .group_by(Person.department_id, _final_band())).all()
    company: dict[str, int] = {}
    by_department: dict[int | None, dict[str, int]] = {}
    for dept_id, code, count in rows:
        company[code] = company.get(code, 0) + count
        by_department.setdefault(dept_id, {})[code] = count
    names = dict(db.session.execute(
        select(Department.id, Department.name)
        .where(Department.id.in_([d for d in by_department if d is not None] or [0])))
        .tuples().all())
    departments = [Distribution(names.get(dept_id, str(_l("No department"))), counts,
                                dept_id)
                   for dept_id, counts in by_department.items()
                   if department_id is None or dept_id == department_id]
    departments.sort(key=lambda d: d.name)
    return Overview(Distribution(str(_l("Company")), company), departments)


def results_query(cycle: Cycle, department_id: int | None = None):
    """A select() of the cycle's results with a final score (people and their departments
    loaded), by department and name."""
    stmt = (select(ReviewResult).join(Person, Person.id == ReviewResult.person_id)
            .outerjoin(Department, Department.id == Person.department_id)
            .where(ReviewResult.cycle_id == cycle.id, ReviewResult.final_score.is_not(None))
            .options(joinedload(ReviewResult.person).joinedload(Person.department))
            .order_by(Department.name, Person.display_name, ReviewResult.id))
    if department_id is not None:
        stmt = stmt.where(Person.department_id == department_id)
    return stmt


def without_final_score(cycle: Cycle, department_id: int | None = None, limit: int = 100
                        ) -> tuple[int, list]:
    """The people in the cycle's reviews who have no final score (a review missing, so no
    result to calibrate): how many, and the first `limit` of them by department and name
    with their reviews (completion.PersonRow), for the calibration page to list instead
    of leaving them out. Three queries."""
    from .completion import people_query, rows_of

    scored = (select(ReviewResult.id).where(ReviewResult.cycle_id == cycle.id,
                                            ReviewResult.person_id == Person.id,
                                            ReviewResult.final_score.is_not(None)).exists())
    stmt = people_query(cycle, department_id).where(~scored)
    count = db.session.scalar(select(func.count()).select_from(
        stmt.with_only_columns(Person.id).order_by(None).subquery()))
    people = list(db.session.scalars(stmt.limit(limit))) if count else []
    return count, rows_of(cycle, people)


def moves_of(cycle: Cycle, department_id: int | None = None, limit: int = 200
             ) -> list[CalibrationMove]:
    """The cycle's calibration moves, newest first, with who moved whose rating."""
    stmt = (select(CalibrationMove).join(ReviewResult, ReviewResult.id == CalibrationMove.result_id)
            .join(Person, Person.id == ReviewResult.person_id)
            .where(ReviewResult.cycle_id == cycle.id)
            .options(joinedload(CalibrationMove.moved_by),
                     joinedload(CalibrationMove.result).joinedload(ReviewResult.person))
            .order_by(CalibrationMove.moved_at.desc(), CalibrationMove.id.desc()).limit(limit))
    if department_id is not None:
        stmt = stmt.where(Person.department_id == department_id)
    return list(db.session.scalars(stmt))


def move_rating(result: ReviewResult, actor, *, to_band: str, reason: str, expected_version,
                now: datetime) -> CalibrationMove:
    """Move the person's final rating to `to_band`, with a reason (see the module's rules)."""
    can.enforce(can.can_calibrate(actor, result))
    bands = settings_service.bands_of(settings_service.settings_for(result.cycle))
    target = settings_service.band_by_code(bands, (to_band or "").strip())
    if target is None:
        raise Invalid(_l("Choose one of the cycle's ratings."), "to_band")
    reason = require_reason(reason)
    check_version(result, expected_version)
    before = result.final_band
    if target.code == before:
        raise Invalid(_l("%(name)s is rated %(band)s already.",
                         name=result.person.display_name, band=before), "to_band")
    result.calibrated_band = None if target.code == result.band else target.code
    result.calibrated_at = now
    move = CalibrationMove(result=result, from_band=before, to_band=target.code,
                           reason=reason, moved_by_id=actor.id, moved_at=now)
    db.session.add(move)
    db.session.flush()
    record("review_result.calibrated", result, actor=actor,
           label=f"{result.person.display_name} · {result.cycle.name}",
           before={"band": before}, after={"band": target.code, "reason": reason})
    return move
