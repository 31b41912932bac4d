"""Review settings per cycle: the rating scale's labels, the competencies rated, the weights of
the final score's components, the rating bands and the guidance for calibration.

Rules:
- HR sets them (permissions.can_edit_review_settings) in draft, planning and in progress;
  they are locked once review opens, and for good once the cycle's first review is started
  (a cycle moved back from review keeps its settings).
- Until HR saves them a cycle uses the defaults: a 1–5 scale labelled in English and
  Chinese; collaboration, ownership, customer focus and learning; weights goals 60,
  competencies 30, self 10; bands S, A, B, C, D; guidance S ≤ 10%, A ≤ 20%, D ≥ 5%. The
  defaults are saved when the first review is started, so that the cycle's scores never
  change meaning afterwards.
- The scale runs from 1 to the cycle's `rating_scale_max` (set on the cycle); each point
  has a label in English and in Chinese.
- The component weights are 0–100 with at most two decimals and add up to exactly 100.
- The bands cover the scale without gaps or overlaps: scores have two decimals, so each
  band starts 0.01 above the one below it ends; the lowest starts at 1 and the highest ends
  at the top of the scale. Guidance shares are percentages from 0 to 100.
- A competency has a name, unique in the cycle whatever its letter case; its Chinese name
  and the descriptions are optional.
- HR can copy the settings of the previous cycle that has some.
- Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import permissions as can
from ...audit.services import changed, record
from ...errors import Invalid
from ...extensions import db
from ...models import Competency, Cycle, ReviewSettings
from ...planning.services.common import WeightTotal
from ...rules import check_version, clean_text, to_decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
WEIGHT_FIELDS = ("goals_weight", "competencies_weight", "self_weight")
DEFAULT_WEIGHTS = {"goals_weight": Decimal("60.00"), "competencies_weight": Decimal("30.00"),
                   "self_weight": Decimal("10.00")}

# The 1–5 scale's default labels, in English and Chinese (data HR may change per cycle).
DEFAULT_SCALE = [
    ("Far below expectations", "远低于预期"),
    ("Below expectations", "低于预期"),
    ("Meets expectations", "符合预期"),
    ("Exceeds expectations", "超出预期"),
    ("Far exceeds expectations", "远超预期"),
]

# name, Chinese name, description, Chinese description
DEFAULT_COMPETENCIES = [
    ("Collaboration", "协作", "Works well with others, across teams too; shares what they know.",
     "与他人（包括跨团队）良好合作，乐于分享知识。"),
    ("Ownership", "担当", "Takes responsibility for results and follows through without being "
     "chased.", "对结果负责，主动跟进到底，无需催促。"),
    ("Customer focus", "客户导向", "Understands what customers need and acts on it.",
     "理解客户需求并付诸行动。"),
    ("Learning", "学习成长", "Seeks feedback, learns new skills and passes them on.",
     "主动寻求反馈，学习新技能并与他人分享。"),
]

# code, English, Chinese, lowest score on the 1–5 scale, guidance: at most %, at least %
DEFAULT_BANDS = [
    ("S", "Outstanding", "卓越", "4.50", "10", None),
    ("A", "Exceeds expectations", "优秀", "3.75", "20", None),
    ("B", "Meets expectations", "良好", "3.00", None, None),
    ("C", "Partly meets expectations", "待改进", "2.00", None, None),
    ("D", "Does not meet expectations", "不合格", "1.00", None, "5"),
]


@dataclass(frozen=True)
class ScalePoint:
    value: int
    en: str
    zh: str

    def label_in(self, language: str) -> str:
        return (self.zh or self.en) if language == "zh" else (self.en or self.zh)

    def choice_label(self, language: str) -> str:
        label = self.label_in(language)
        return f"{self.value} – {label}" if label else str(self.value)


@dataclass(frozen=True)
class Band:
    """A rating band: the final scores from `low` to `high` (both included) get `code`."""

    code: str
    label_en: str
    label_zh: str
    low: Decimal
    high: Decimal
    guidance_max: Decimal | None = None
    guidance_min: Decimal | None = None

    def label_in(self, language: str) -> str:
        return (self.label_zh or self.label_en) if language == "zh" else \
            (self.label_en or self.label_zh)

    def holds(self, score: Decimal) -> bool:
        return self.low <= score <= self.high

    def as_json(self) -> dict:
        return {"code": self.code, "label_en": self.label_en, "label_zh": self.label_zh,
                "min": str(self.low), "max": str(self.high),
                "guidance_max": None if self.guidance_max is None else str(self.guidance_max),
                "guidance_min": None if self.guidance_min is None else str(self.guidance_min)}

    def summary(self) -> str:
        """For the audit log: "S 4.50–5.00 ≤10%"."""
        text = f"{self.code} {self.low}–{self.high}"
        if self.guidance_max is not None:
            text += f" ≤{self.guidance_max.normalize():f}%"
        if self.guidance_min is not None:
            text += f" ≥{self.guidance_min.normalize():f}%"
        return text


# Defaults ------------------------------------------------------------------------------------

def default_bands(scale_max: int) -> list[Band]:
    """S, A, B, C, D over a 1–`scale_max` scale: the 1–5 edges stretched to fit."""
    stretch = Decimal(scale_max - 1) / 4
    lows = [(1 + (Decimal(low) - 1) * stretch).quantize(CENT, rounding=ROUND_HALF_UP)
            for _c, _e, _z, low, _gmax, _gmin in DEFAULT_BANDS]
    bands = []
    for i, (code, en, zh, _low, gmax, gmin) in enumerate(DEFAULT_BANDS):
        high = Decimal(scale_max).quantize(CENT) if i == 0 else lows[i - 1] - CENT
        bands.append(Band(code, en, zh, lows[i], high,
                          Decimal(gmax) if gmax else None, Decimal(gmin) if gmin else None))
    return bands


def default_scale_labels(scale_max: int) -> list[dict]:
    if scale_max == len(DEFAULT_SCALE):
        return [{"en": en, "zh": zh} for en, zh in DEFAULT_SCALE]
    return [{"en": "", "zh": ""} for _point in range(scale_max)]


def default_settings(cycle: Cycle) -> ReviewSettings:
    """The defaults for `cycle`, not saved."""
    return ReviewSettings(cycle=cycle, cycle_id=cycle.id,
                          scale_labels=default_scale_labels(cycle.rating_scale_max),
                          bands=[b.as_json() for b in default_bands(cycle.rating_scale_max)],
                          locked_at=None, **DEFAULT_WEIGHTS)


def default_competencies(cycle: Cycle) -> list[Competency]:
    return [Competency(cycle_id=cycle.id, position=i, name=name, name_zh=name_zh,
                       description=description, description_zh=description_zh)
            for i, (name, name_zh, description, description_zh)
            in enumerate(DEFAULT_COMPETENCIES)]


# Reading -------------------------------------------------------------------------------------

def get_settings(cycle: Cycle) -> ReviewSettings | None:
    return db.session.scalar(select(ReviewSettings).where(ReviewSettings.cycle_id == cycle.id))


def settings_for(cycle: Cycle) -> ReviewSettings:
    """The cycle's saved settings, or its defaults (not saved)."""
    return get_settings(cycle) or default_settings(cycle)


def competencies_for(cycle: Cycle, settings: ReviewSettings | None = None) -> list[Competency]:
    """The competencies rated in the cycle: saved ones, or the defaults while the settings
    are not saved."""
    settings = settings if settings is not None else get_settings(cycle)
    if settings is None or settings.id is None:
        return default_competencies(cycle)
    return list(db.session.scalars(select(Competency).where(Competency.cycle_id == cycle.id)
                                   .order_by(Competency.position, Competency.id)))


def scale_of(settings: ReviewSettings) -> list[ScalePoint]:
    """The points of the cycle's scale, 1 first, with their labels."""
    labels = settings.scale_labels or []
    points = []
    for value in range(1, settings.cycle.rating_scale_max + 1):
        entry = labels[value - 1] if value - 1 < len(labels) and \
            isinstance(labels[value - 1], dict) else {}
        points.append(ScalePoint(value, str(entry.get("en") or ""), str(entry.get("zh") or "")))
    return points


def _decimal_or_none(value) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except ArithmeticError:
        return None


def bands_of(settings: ReviewSettings) -> list[Band]:
    """The bands, best first, as stored."""
    bands = []
    for entry in settings.bands or []:
        low, high = _decimal_or_none(entry.get("min")), _decimal_or_none(entry.get("max"))
        if low is None or high is None:
            continue
        bands.append(Band(str(entry.get("code") or "?"), str(entry.get("label_en") or ""),
                          str(entry.get("label_zh") or ""), low, high,
                          _decimal_or_none(entry.get("guidance_max")),
                          _decimal_or_none(entry.get("guidance_min"))))
    return sorted(bands, key=lambda b: b.low, reverse=True)


def band_for(bands: list[Band], score: Decimal | None) -> Band | None:
    """The band whose range holds `score` (a score rounded to two places)."""
    if score is None:
        return None
    return next((band for band in bands if band.holds(score)), None)


def band_by_code(bands: list[Band], code: str | None) -> Band | None:
    return next((band for band in bands if band.code == code), None)


def weights_of(settings: ReviewSettings) -> dict[str, Decimal]:
    return {name: Decimal(getattr(settings, name)) for name in WEIGHT_FIELDS}


def problems(settings: ReviewSettings) -> list[str]:
    """What is wrong with the stored settings (the cycle's scale may have changed since they
    were saved); empty when nothing is."""
    found = []
    try:
        _check_coverage(bands_of(settings), settings.cycle.rating_scale_max)
    except Invalid as error:
        found.append(error.message)
    total = WeightTotal.of(str(_l("The component weights")), weights_of(settings).values())
    if not total.complete:
        found.append(total.message)
    return found


def previous_settings(cycle: Cycle) -> ReviewSettings | None:
    """The settings of the latest cycle before this one that has some."""
    return db.session.scalar(
        select(ReviewSettings).join(Cycle, Cycle.id == ReviewSettings.cycle_id)
        .where(Cycle.id != cycle.id, Cycle.start_date <= cycle.start_date)
        .order_by(Cycle.start_date.desc(), Cycle.id.desc()).limit(1))


# Checking ------------------------------------------------------------------------------------

def _percent(value, field: str) -> Decimal | None:
    number = to_decimal(value, field)
    if number is None:
        return None
    if not 0 <= number <= HUNDRED or number != number.quantize(CENT):
        raise Invalid(_l("A share is a percentage from 0 to 100, with at most two decimals."),
                      field)
    return number.quantize(CENT)


def _score_edge(value, field: str, scale_max: int) -> Decimal:
    number = to_decimal(value, field)
    if number is None:
        raise Invalid(_l("Give the band's lowest and highest score."), field)
    if number != number.quantize(CENT):
        raise Invalid(_l("Scores have at most two decimals."), field)
    if not 1 <= number <= scale_max:
        raise Invalid(_l("Scores run from 1 to %(max)d on this cycle's scale.", max=scale_max),
                      field)
    return number.quantize(CENT)


def clean_weights(weights: dict) -> dict[str, Decimal]:
    cleaned, errors = {}, {}
    for name in WEIGHT_FIELDS:
        try:
            number = to_decimal(weights.get(name), name)
            if number is None:
                raise Invalid(_l("Give a weight from 0 to 100."), name)
            if not 0 <= number <= HUNDRED:
                raise Invalid(_l("A weight is between 0 and 100."), name)
            if number != number.quantize(CENT):
                raise Invalid(_l("Use at most two decimals for a weight."), name)
            cleaned[name] = number.quantize(CENT)
        except Invalid as error:
            errors[name] = error.message
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    total = WeightTotal.of(str(_l("The component weights")), cleaned.values())
    if not total.complete:
        raise Invalid(total.message, "weights")
    return cleaned


def _is_blank(row: dict, keys) -> bool:
    return all(not str(row.get(key) or "").strip() for key in keys)


BAND_KEYS = ("code", "label_en", "label_zh", "low", "high", "guidance_max", "guidance_min")


def clean_bands(rows: list[dict], scale_max: int) -> list[Band]:
    """The bands of the form's rows (blank rows left out), checked one by one and together;
    best first. Errors name the row's field (band_<row>_<key>) or "bands"."""
    bands, errors, codes = [], {}, set()
    for row in rows:
        if _is_blank(row, BAND_KEYS):
            continue
        prefix = f"band_{row['row']}_"
        try:
            code = clean_text(row.get("code"), field=prefix + "code", limit=10,
                              multiline=False, required=_l("Give the band a code, e.g. “A”."))
            if code.lower() in codes:
                raise Invalid(_l("Two bands cannot share a code."), prefix + "code")
            codes.add(code.lower())
            label_en = clean_text(row.get("label_en"), field=prefix + "label_en", limit=60,
                                  multiline=False)
            label_zh = clean_text(row.get("label_zh"), field=prefix + "label_zh", limit=60,
                                  multiline=False)
            low = _score_edge(row.get("low"), prefix + "low", scale_max)
            high = _score_edge(row.get("high"), prefix + "high", scale_max)
            if high < low:
                raise Invalid(_l("A band runs from its lowest score up to its highest."),
                              prefix + "high")
            bands.append(Band(code, label_en, label_zh, low, high,
                              _percent(row.get("guidance_max"), prefix + "guidance_max"),
                              _percent(row.get("guidance_min"), prefix + "guidance_min")))
        except Invalid as error:
            errors.update(error.errors or {error.field: error.message})
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    bands.sort(key=lambda b: b.low, reverse=True)
    _check_coverage(bands, scale_max)
    return bands


def _check_coverage(bands: list[Band], scale_max: int) -> None:
    """Best first: no gap, no overlap, from 1 to the top of the scale."""
    if len(bands) < 2:
        raise Invalid(_l("Give at least two bands."), "bands")
    top = Decimal(scale_max).quantize(CENT)
    if bands[0].high != top:
        raise Invalid(_l("The best band, %(code)s, must end at %(top)s, the top of the scale; "
                         "it ends at %(high)s.", code=bands[0].code, top=top,
                         high=bands[0].high), "bands")
    if bands[-1].low != Decimal("1.00"):
        raise Invalid(_l("The lowest band, %(code)s, must start at 1.00; it starts at "
                         "%(low)s.", code=bands[-1].code, low=bands[-1].low), "bands")
    for better, worse in zip(bands, bands[1:], strict=False):
        if worse.high >= better.low:
            raise Invalid(_l("Bands %(worse)s and %(better)s overlap: %(worse)s ends at "
                             "%(high)s and %(better)s starts at %(low)s.", worse=worse.code,
                             better=better.code, high=worse.high, low=better.low), "bands")
        if worse.high + CENT != better.low:
            raise Invalid(_l("Scores from %(start)s to %(end)s fall in no band: %(worse)s ends "
                             "at %(high)s and %(better)s starts at %(low)s.",
                             start=worse.high + CENT, end=better.low - CENT, worse=worse.code,
                             better=better.code, high=worse.high, low=better.low), "bands")


def clean_scale_labels(labels: list, scale_max: int) -> list[dict]:
    cleaned = []
    for value in range(1, scale_max + 1):
        en, zh = labels[value - 1] if value - 1 < len(labels) else ("", "")
        cleaned.append({
            "en": clean_text(en, field=f"scale_{value}_en", limit=60, multiline=False),
            "zh": clean_text(zh, field=f"scale_{value}_zh", limit=60, multiline=False)})
    return cleaned


COMPETENCY_KEYS = ("name", "name_zh", "description", "description_zh")


def clean_competencies(rows: list[dict], existing: dict[int, Competency]) -> list[dict]:
    """The competencies to keep or add, in order: {"id" (None for a new one), "name", …}.
    Removed and blank new rows are left out. Errors name the row's field."""
    kept, errors, names = [], {}, set()
    for row in rows:
        ident = row.get("id")
        if ident is not None and ident not in existing:
            ident = None  # not one of this cycle's: a new row
        if row.get("remove") or (ident is None and _is_blank(row, COMPETENCY_KEYS)):
            continue
        prefix = f"competency_{row['row']}_"
        try:
            name = clean_text(row.get("name"), field=prefix + "name", limit=120,
                              multiline=False, required=_l("Give the competency a name."))
            if name.lower() in names:
                raise Invalid(_l("Two competencies cannot share a name."), prefix + "name")
            names.add(name.lower())
            kept.append({
                "id": ident, "name": name,
                "name_zh": clean_text(row.get("name_zh"), field=prefix + "name_zh", limit=120,
                                      multiline=False),
                "description": clean_text(row.get("description"), field=prefix + "description",
                                          limit=2000),
                "description_zh": clean_text(row.get("description_zh"),
                                             field=prefix + "description_zh", limit=2000)})
        except Invalid as error:
            errors.update(error.errors or {error.field: error.message})
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    return kept


# Writing -------------------------------------------------------------------------------------

def _snapshot(settings: ReviewSettings, competencies: list[Competency]) -> dict:
    return {
        **{name: f"{Decimal(getattr(settings, name)):.2f}" for name in WEIGHT_FIELDS},
        "bands": [band.summary() for band in bands_of(settings)],
        "scale": [f"{i}: {entry.get('en', '')} / {entry.get('zh', '')}"
                  for i, entry in enumerate(settings.scale_labels or [], start=1)],
        "competencies": [c.name for c in competencies],
    }


def _save_new(settings: ReviewSettings, actor, competencies: list[Competency]) -> None:
    db.session.add(settings)
    for competency in competencies:
        db.session.add(competency)
    db.session.flush()
    record("review_settings.created", settings, actor=actor, label=settings.cycle.name,
           after=_snapshot(settings, competencies))


def ensure_settings(cycle: Cycle, actor, now: datetime) -> ReviewSettings:
    """The cycle's settings saved (the defaults, when HR set none) and locked: called when a
    review is started, so that the scores never change meaning afterwards."""
    settings = get_settings(cycle)
    if settings is None:
        settings = default_settings(cycle)
        settings.updated_at = now
        _save_new(settings, actor, default_competencies(cycle))
    if settings.locked_at is None:
        settings.locked_at = now
    return settings


def update_settings(cycle: Cycle, actor, *, expected_version, scale_labels: list,
                    weights: dict, bands: list[dict], competencies: list[dict],
                    now: datetime) -> ReviewSettings:
    """HR sets how the cycle's reviews are scored (see the module's rules)."""
    settings = settings_for(cycle)
    can.enforce(can.can_edit_review_settings(actor, settings))
    existing = {c.id: c for c in competencies_for(cycle, settings) if c.id is not None}
    errors = {}
    cleaned = {}
    for key, clean in (("scale", lambda: clean_scale_labels(scale_labels,
                                                            cycle.rating_scale_max)),
                       ("weights", lambda: clean_weights(weights)),
                       ("bands", lambda: clean_bands(bands, cycle.rating_scale_max)),
                       ("competencies", lambda: clean_competencies(competencies, existing))):
        try:
            cleaned[key] = clean()
        except Invalid as error:
            errors.update(error.errors or {error.field or key: error.message})
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    if settings.id is not None:
        check_version(settings, expected_version)
    return _apply(settings, actor, cleaned, existing, now, action="review_settings.updated")


def _apply(settings: ReviewSettings, actor, cleaned: dict, existing: dict[int, Competency],
           now: datetime, *, action: str, extra: dict | None = None) -> ReviewSettings:
    cycle = settings.cycle
    is_new = settings.id is None
    before = None if is_new else _snapshot(settings, list(existing.values()))
    settings.scale_labels = cleaned["scale"]
    for name, value in cleaned["weights"].items():
        setattr(settings, name, value)
    settings.bands = [band.as_json() for band in cleaned["bands"]]
    settings.updated_at = now
    if is_new:
        db.session.add(settings)
    kept_ids = {row["id"] for row in cleaned["competencies"] if row["id"] is not None}
    for ident, competency in existing.items():
        if ident not in kept_ids:
            db.session.delete(competency)
    db.session.flush()  # removed names are free again before the new rows take them
    competencies = []
    for position, row in enumerate(cleaned["competencies"]):
        competency = existing.get(row["id"]) if row["id"] is not None else None
        if competency is None:
            competency = Competency(cycle_id=cycle.id)
            db.session.add(competency)
        competency.position = position
        for key in COMPETENCY_KEYS:
            setattr(competency, key, row[key])
        competencies.append(competency)
    db.session.flush()
    after = _snapshot(settings, competencies)
    if is_new:
        record("review_settings.created", settings, actor=actor, label=cycle.name,
               after={**after, **(extra or {})})
    else:
        old, new = changed(before, after)
        if new or extra:
            record(action, settings, actor=actor, label=cycle.name, before=old,
                   after={**new, **(extra or {})})
    return settings


def copy_previous(cycle: Cycle, actor, *, expected_version, now: datetime) -> ReviewSettings:
    """HR starts from the previous cycle's settings: they replace this cycle's."""
    settings = settings_for(cycle)
    can.enforce(can.can_edit_review_settings(actor, settings))
    source = previous_settings(cycle)
    if source is None:
        raise Invalid(_l("No earlier cycle has review settings to copy."))
    theirs = source.cycle.rating_scale_max
    if theirs != cycle.rating_scale_max:
        raise Invalid(_l("%(name)s uses a 1–%(theirs)d scale and this cycle a 1–%(ours)d "
                         "scale, so its bands do not fit; set them here instead.",
                         name=source.cycle.name, theirs=theirs, ours=cycle.rating_scale_max))
    if settings.id is not None:
        check_version(settings, expected_version)
    existing = {c.id: c for c in competencies_for(cycle, settings) if c.id is not None}
    copied = [{"id": None, **{key: getattr(c, key) for key in COMPETENCY_KEYS}}
              for c in competencies_for(source.cycle, source)]
    # Names that stay keep their row (and id); the others are replaced.
    by_name = {c.name.lower(): ident for ident, c in existing.items()}
    for row in copied:
        row["id"] = by_name.get(row["name"].lower())
    cleaned = {"scale": [dict(entry) for entry in source.scale_labels or []],
               "weights": weights_of(source), "bands": bands_of(source),
               "competencies": copied}
    return _apply(settings, actor, cleaned, existing, now, action="review_settings.copied",
                  extra={"from_cycle": source.cycle.name})
