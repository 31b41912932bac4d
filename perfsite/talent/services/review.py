"""The talent review: potential against calibrated performance, on a 3 × 3 grid.

Rules:
- Performance is the person's final (calibrated) rating, its band grouped into one of three
  columns (low / medium / high) as HR set for the cycle; by default the best third of the
  bands (rounded up) is high, the worst third low, the rest medium. A better band never
  sits in a lower column than a worse one.
- Each head assesses the potential (low / medium / high) of the people they manage, with a
  comment, during the talent review (permissions.can_assess_potential); HR writes the
  guidance for each level per cycle, in both languages.
- A person's box is (column of their final rating, potential), unless HR or an executive
  moved them (permissions.can_move_in_grid): then the box they were moved to. Every move
  has a reason, is kept as a TalentMove and audited; moving someone back to where their
  rating and potential put them clears the move.
- Each box suggests a development action; the head records the action agreed, which the
  person's improvement plan (next interview) and outcome recommendation show to the heads.
- Potential, boxes and agreed actions are never shown to the person: every list goes
  through permissions.talent_people_clause, every page through can_see_talent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from ... import permissions as can
from ...audit.services import record
from ...errors import Invalid
from ...extensions import db
from ...models import (
    BOX_NAMES,
    Cycle,
    Level,
    Person,
    PotentialAssessment,
    ReviewResult,
    TalentMove,
    TalentSettings,
)
from ...reviews.services import settings as review_settings
from ...rules import check_version, clean_text, require_reason

DEFAULT_GUIDANCE = {
    "high": {"en": "Learns fast and takes on bigger roles; could grow two levels within a "
                   "few years.",
             "zh": "学习快，能承担更大职责；几年内可晋升两级。"},
    "medium": {"en": "Could take one step up, or grow in scope in the current role.",
               "zh": "可晋升一级，或在当前岗位扩大职责范围。"},
    "low": {"en": "Well placed in the current role; growth is mostly in depth.",
            "zh": "适合当前岗位；成长主要体现在专业深度。"},
}


@dataclass(frozen=True)
class Box:
    """One box of the grid: a performance column and a potential row."""

    performance: Level
    potential: Level

    @property
    def key(self) -> str:
        return f"{self.performance.value}/{self.potential.value}"

    @classmethod
    def parse(cls, key: str | None) -> Box | None:
        try:
            performance, potential = str(key or "").split("/")
            return cls(Level(performance), Level(potential))
        except ValueError:
            return None

    @property
    def name(self):
        return BOX_NAMES[(self.performance, self.potential)]

    @property
    def suggestion(self):
        return SUGGESTIONS[(self.performance, self.potential)]


H, M, L = Level.HIGH, Level.MEDIUM, Level.LOW
# (performance, potential) -> the box's suggested development action
SUGGESTIONS = {
    (H, H): _l("Ready for promotion: nominate for a succession slate."),
    (M, H): _l("Develop: stretch assignment with a mentor."),
    (L, H): _l("Find the blocker: coaching, and a better-fitting role if needed."),
    (H, M): _l("Develop: stretch assignment, broaden the role."),
    (M, M): _l("Develop in role: training on the next skill."),
    (L, M): _l("Improve: improvement plan with clear goals."),
    (H, L): _l("Retain and recognise: expert path, share knowledge."),
    (M, L): _l("Keep engaged: training to stay current."),
    (L, L): _l("Improve: improvement plan; review the fit of the role."),
}
# The grid as drawn: high potential on top, high performance on the right.
ROWS = [Level.HIGH, Level.MEDIUM, Level.LOW]
COLUMNS = [Level.LOW, Level.MEDIUM, Level.HIGH]
ALL_BOXES = [Box(performance, potential) for potential in ROWS for performance in COLUMNS]


# Settings ------------------------------------------------------------------------------------

def default_columns(band_codes: list[str]) -> dict[str, str]:
    """Bands best first -> the best third (rounded up) high, the worst third low."""
    count = len(band_codes)
    top = (count + 1) // 3
    columns = {}
    for i, code in enumerate(band_codes):
        columns[code] = ("high" if i < top else "low" if i >= count - top else "medium")
    return columns


def bands_for(cycle: Cycle):
    return review_settings.bands_of(review_settings.settings_for(cycle))


def settings_for(cycle: Cycle) -> TalentSettings:
    """The cycle's saved talent settings, or its defaults (not saved)."""
    saved = db.session.scalar(select(TalentSettings).where(TalentSettings.cycle_id == cycle.id))
    if saved is not None:
        return saved
    return TalentSettings(cycle=cycle, cycle_id=cycle.id,
                          columns=default_columns([b.code for b in bands_for(cycle)]),
                          guidance=DEFAULT_GUIDANCE)


def columns_of(settings: TalentSettings, band_codes: list[str]) -> dict[str, Level]:
    """Each band's column: as set, and the default for a band the settings do not name."""
    defaults = default_columns(band_codes)
    return {code: Level((settings.columns or {}).get(code) or defaults[code])
            for code in band_codes}


def guidance_in(settings: TalentSettings, level: Level | str, language: str) -> str:
    entry = (settings.guidance or {}).get(Level(level).value) or {}
    other = "en" if language == "zh" else "zh"
    return str(entry.get(language) or entry.get(other) or "")


def _settings_text(columns: dict, guidance: dict) -> dict:
    """For the audit log: the bands of each column, and the guidance texts."""
    found = {level.value: ", ".join(code for code, value in columns.items()
                                    if value == level.value) or "—"
             for level in reversed(list(Level))}
    found["guidance"] = " / ".join(text for entry in guidance.values()
                                   for text in (entry or {}).values() if text)
    return found


def update_settings(cycle: Cycle, actor, *, columns: dict, guidance: dict, expected_version,
                    now: datetime) -> TalentSettings:
    """HR groups the bands into columns and writes the guidance (see the module's rules).
    `columns` is {band code: level}; `guidance` {level: {"en": ..., "zh": ...}}."""
    can.enforce(can.can_edit_talent_settings(actor, cycle))
    settings = settings_for(cycle)
    if settings.id is not None:
        check_version(settings, expected_version)
    codes = [b.code for b in bands_for(cycle)]
    errors: dict[str, object] = {}
    chosen: dict[str, str] = {}
    for code in codes:
        try:
            chosen[code] = Level(str(columns.get(code) or "")).value
        except ValueError:
            errors[f"column-{code}"] = _l("Choose the column of rating %(band)s.", band=code)
    if not errors:
        ranks = [Level(chosen[code]).rank for code in codes]
        for i in range(1, len(ranks)):
            if ranks[i] > ranks[i - 1]:
                errors[f"column-{codes[i]}"] = _l(
                    "Rating %(worse)s cannot sit in a higher column than %(better)s.",
                    worse=codes[i], better=codes[i - 1])
                break
    texts: dict[str, dict[str, str]] = {}
    for level in (lv.value for lv in Level):
        texts[level] = {}
        for language in ("en", "zh"):
            name = f"guidance-{level}-{language}"
            try:
                texts[level][language] = clean_text((guidance.get(level) or {}).get(language),
                                                    field=name, limit=1000)
            except Invalid as error:
                errors[name] = error.message
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    before = _settings_text(settings.columns or {}, settings.guidance or {}) \
        if settings.id is not None else None
    settings.columns, settings.guidance, settings.updated_at = chosen, texts, now
    if settings.id is None:
        db.session.add(settings)
    db.session.flush()
    record("talent_settings.changed", settings, actor=actor, label=cycle.name,
           before=before, after=_settings_text(chosen, texts))
    return settings


# Assessments ---------------------------------------------------------------------------------

def assessment_for(cycle: Cycle, person: Person) -> PotentialAssessment:
    """The person's assessment in the cycle, or a blank one (not saved)."""
    found = db.session.scalar(select(PotentialAssessment).where(
        PotentialAssessment.cycle_id == cycle.id, PotentialAssessment.person_id == person.id))
    return found or PotentialAssessment(cycle=cycle, person=person, cycle_id=cycle.id,
                                        person_id=person.id, comment="", agreed_action="")


def _level(value, field: str, message) -> Level:
    try:
        return Level(str(value or ""))
    except ValueError:
        raise Invalid(message, field) from None


def assess(assessment: PotentialAssessment, actor, *, potential, comment, expected_version,
           now: datetime) -> PotentialAssessment:
    """A head assesses the person's potential, with a comment."""
    can.enforce(can.can_assess_potential(actor, assessment))
    level = _level(potential, "potential", _l("Choose low, medium or high."))
    comment = clean_text(comment, field="comment", limit=2000,
                         required=_l("Say what the assessment rests on."))
    if assessment.id is not None:
        check_version(assessment, expected_version)
    before = {"potential": assessment.potential, "comment": assessment.comment}
    assessment.potential, assessment.comment = level.value, comment
    assessment.assessed_by_id, assessment.assessed_at = actor.id, now
    if assessment.id is None:
        db.session.add(assessment)
    db.session.flush()
    record("potential.assessed", assessment, actor=actor,
           label=f"{assessment.person.display_name} · {assessment.cycle.name}",
           before=before if before["potential"] else None,
           after={"potential": level.value, "comment": comment})
    return assessment


def home_box(assessment: PotentialAssessment, final_band: str | None,
             columns: dict[str, Level]) -> Box | None:
    """Where the rating and potential put the person (before any move)."""
    if final_band is None or final_band not in columns or not assessment.potential:
        return None
    return Box(columns[final_band], Level(assessment.potential))


def box_of(assessment: PotentialAssessment | None, final_band: str | None,
           columns: dict[str, Level]) -> Box | None:
    """The person's box: where they were moved, or where rating and potential put them;
    None while their potential is not assessed or they have no rating."""
    if assessment is None or not assessment.potential:
        return None
    if assessment.is_moved:
        return Box(Level(assessment.moved_performance), Level(assessment.moved_potential))
    return home_box(assessment, final_band, columns)


def move(assessment: PotentialAssessment, actor, *, to_box, reason, expected_version,
         now: datetime, result: ReviewResult | None = None) -> TalentMove:
    """HR or an executive moves the person to another box, with a reason."""
    can.enforce(can.can_move_in_grid(actor, assessment))
    target = Box.parse(to_box)
    if target is None:
        raise Invalid(_l("Choose the box to move to."), "to_box")
    reason = require_reason(reason)
    check_version(assessment, expected_version)
    if result is None:
        result = db.session.scalar(select(ReviewResult).where(
            ReviewResult.cycle_id == assessment.cycle_id,
            ReviewResult.person_id == assessment.person_id))
    columns = columns_of(settings_for(assessment.cycle),
                         [b.code for b in bands_for(assessment.cycle)])
    final_band = result.final_band if result is not None else None
    current = box_of(assessment, final_band, columns)
    if current is None:
        raise Invalid(_l("%(name)s has no calibrated rating to place.",
                         name=assessment.person.display_name), "to_box")
    if target == current:
        raise Invalid(_l("%(name)s is in that box already.",
                         name=assessment.person.display_name), "to_box")
    home = home_box(assessment, final_band, columns)
    if target == home:
        assessment.moved_performance = assessment.moved_potential = None
    else:
        assessment.moved_performance = target.performance.value
        assessment.moved_potential = target.potential.value
    talent_move = TalentMove(assessment=assessment, cycle_id=assessment.cycle_id,
                             from_box=current.key, to_box=target.key, reason=reason,
                             moved_by_id=actor.id, moved_at=now)
    db.session.add(talent_move)
    db.session.flush()
    record("talent.moved", assessment, actor=actor,
           label=f"{assessment.person.display_name} · {assessment.cycle.name}",
           before={"box": current.key}, after={"box": target.key, "reason": reason})
    return talent_move


def agree_action(assessment: PotentialAssessment, actor, *, action, expected_version,
                 now: datetime) -> PotentialAssessment:
    """The head records the development action agreed for the person."""
    can.enforce(can.can_agree_action(actor, assessment))
    check_version(assessment, expected_version)
    action = clean_text(action, field="agreed_action", limit=1000,
                        required=_l("Write the action agreed."))
    before = {"agreed_action": assessment.agreed_action}
    assessment.agreed_action = action
    assessment.agreed_by_id, assessment.agreed_at = actor.id, now
    db.session.flush()
    record("talent.action_agreed", assessment, actor=actor,
           label=f"{assessment.person.display_name} · {assessment.cycle.name}",
           before=before, after={"agreed_action": action})
    return assessment


def agreed_actions(person_ids, viewer) -> dict[int, PotentialAssessment]:
    """The latest agreed action of each person `viewer` may see talent data of (for the
    improvement plan and the outcome recommendation), in one query."""
    ids = list(person_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(PotentialAssessment).join(Person, Person.id == PotentialAssessment.person_id)
        .where(PotentialAssessment.person_id.in_(ids), PotentialAssessment.agreed_action != "",
               can.talent_people_clause(viewer))
        .options(joinedload(PotentialAssessment.cycle))
        .order_by(PotentialAssessment.agreed_at))
    return {row.person_id: row for row in rows}


# The grid ------------------------------------------------------------------------------------

@dataclass
class Entry:
    person: Person
    result: ReviewResult
    assessment: PotentialAssessment | None
    box: Box | None


@dataclass
class Grid:
    columns: dict[str, Level]
    boxes: dict[str, list[Entry]] = field(default_factory=dict)
    unplaced: list[Entry] = field(default_factory=list)

    def count(self, box: Box) -> int:
        return len(self.boxes.get(box.key, ()))

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.boxes.values())

    def entries(self):
        return [entry for box in ALL_BOXES for entry in self.boxes.get(box.key, ())]


def grid(cycle: Cycle, viewer, department_ids=None) -> Grid:
    """The people `viewer` may see with a calibrated result in the cycle, placed in boxes
    (or unplaced while their potential is not assessed), in one query."""
    columns = columns_of(settings_for(cycle), [b.code for b in bands_for(cycle)])
    stmt = (select(ReviewResult, PotentialAssessment)
            .join(Person, Person.id == ReviewResult.person_id)
            .outerjoin(PotentialAssessment, and_(
                PotentialAssessment.cycle_id == ReviewResult.cycle_id,
                PotentialAssessment.person_id == ReviewResult.person_id))
            .where(ReviewResult.cycle_id == cycle.id, ReviewResult.final_score.is_not(None),
                   can.talent_people_clause(viewer))
            .options(joinedload(ReviewResult.person).joinedload(Person.department))
            .order_by(Person.display_name, Person.id))
    if department_ids is not None:
        stmt = stmt.where(Person.department_id.in_(list(department_ids)))
    found = Grid(columns, {box.key: [] for box in ALL_BOXES})
    for result, assessment in db.session.execute(stmt).all():
        box = box_of(assessment, result.final_band, columns)
        entry = Entry(result.person, result, assessment, box)
        if box is None:
            found.unplaced.append(entry)
        else:
            found.boxes[box.key].append(entry)
    return found


def moves_of(cycle: Cycle, viewer, department_ids=None, limit: int = 200) -> list[TalentMove]:
    """The cycle's moves of people `viewer` may see, newest first."""
    stmt = (select(TalentMove)
            .join(PotentialAssessment, PotentialAssessment.id == TalentMove.assessment_id)
            .join(Person, Person.id == PotentialAssessment.person_id)
            .where(TalentMove.cycle_id == cycle.id, can.talent_people_clause(viewer))
            .options(joinedload(TalentMove.moved_by),
                     joinedload(TalentMove.assessment).joinedload(PotentialAssessment.person))
            .order_by(TalentMove.moved_at.desc(), TalentMove.id.desc()).limit(limit))
    if department_ids is not None:
        stmt = stmt.where(Person.department_id.in_(list(department_ids)))
    return list(db.session.scalars(stmt))
