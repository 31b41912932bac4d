"""What every planning service shares: errors, weights, measured values, phases, reasons.

Rules:
- Weights are Decimal with at most two decimals, from 0 to 100, and a set of them (a
  person's KPIs, a department's goals) adds up to exactly 100: 33.33 x 3 = 99.99 is 0.01
  short. The message names the set and says by how much it is off.
- A milestone is done or not: its baseline is 0 and its target 1.
- During planning, plans and goals are edited freely; in progress and review only as a
  revision with a reason; in any other phase (draft, calibration, interviews, closed)
  nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from ...cycles.services import PhaseError, is_allowed, require_phase
from ...models import Cycle, MetricType
from ...org.services import ConflictError

__all__ = ["ConflictError", "NotAllowed", "PhaseError", "PlanningError", "WeightTotal"]

HUNDRED = Decimal("100.00")
CENT = Decimal("0.01")
# Measured values are stored with four decimals; normalising before comparing keeps
# "40" and "40.0000" the same value (no phantom revision, no false re-alignment flag).
VALUE_PLACES = Decimal("0.0001")


class PlanningError(ValueError):
    """A planning rule was broken; `field` names the form field to blame (or None)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


class NotAllowed(PlanningError):
    """The actor may not do this (the view answers 403)."""


def check_version(obj, expected_version) -> None:
    """Refuse to save over a newer version. None skips the check (services called from
    code); anything else that is not the current version, even garbage, is a conflict."""
    if expected_version is None:
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ConflictError(obj) from None
    if expected != obj.version:
        raise ConflictError(obj)


def require_reason(reason: str | None, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise PlanningError(_l("Give a reason: it is kept with the change."), field)
    return reason


# Phases ---------------------------------------------------------------------------------

def change_mode(cycle: Cycle) -> str:
    """"plan" in the planning phase, "revise" in progress and review (changes need a
    reason); any other phase raises PhaseError."""
    if is_allowed(cycle, "edit_plans"):
        return "plan"
    require_phase(cycle, "revise_plans")
    return "revise"


def may_change(cycle: Cycle) -> bool:
    return is_allowed(cycle, "edit_plans") or is_allowed(cycle, "revise_plans")


def reason_needed(cycle: Cycle) -> bool:
    return not is_allowed(cycle, "edit_plans")


# Values ---------------------------------------------------------------------------------

def to_decimal(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise PlanningError(_l("Enter a number."), field) from None
    if not number.is_finite():
        raise PlanningError(_l("Enter a number."), field)
    if abs(number) >= Decimal("1e14"):
        raise PlanningError(_l("This number is too large."), field)
    return number


def clean_weight(value) -> Decimal:
    weight = to_decimal(value, "weight")
    if weight is None:
        raise PlanningError(_l("Give a weight from 0 to 100."), "weight")
    if weight < 0 or weight > HUNDRED:
        raise PlanningError(_l("A weight is between 0 and 100."), "weight")
    if weight != weight.quantize(CENT):
        raise PlanningError(_l("Use at most two decimals for a weight."), "weight")
    return weight.quantize(CENT)


def clean_measure(metric_type, baseline, target_value) -> tuple[str, Decimal, Decimal]:
    """(metric_type, baseline, target_value), checked; a milestone is 0 -> 1."""
    try:
        metric = MetricType(metric_type)
    except ValueError:
        raise PlanningError(_l("Choose how this is measured."), "metric_type") from None
    if metric is MetricType.MILESTONE:
        return metric.value, Decimal(0).quantize(VALUE_PLACES), Decimal(1).quantize(VALUE_PLACES)
    baseline = to_decimal(baseline, "baseline")
    target = to_decimal(target_value, "target_value")
    if target is None:
        raise PlanningError(_l("Give the value to reach."), "target_value")
    if baseline is None:
        baseline = Decimal(0)
    return metric.value, baseline.quantize(VALUE_PLACES), target.quantize(VALUE_PLACES)


def clean_actual(metric_type: str, value) -> Decimal | None:
    """A milestone's actual is 1 (done) or 0 (not yet); other metrics any number."""
    if value is None or value == "":
        return None
    number = to_decimal(value, "actual_value")
    if MetricType(metric_type) is MetricType.MILESTONE:
        number = Decimal(1) if number else Decimal(0)
    return number.quantize(VALUE_PLACES)


def clean_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise PlanningError(_l("A title is required."), "title")
    if len(title) > 200:
        raise PlanningError(_l("Keep the title under 200 characters."), "title")
    return title


# Weights ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeightTotal:
    """The sum of one set of weights and how far it is from 100.

    `owner` names the set in the messages ("Liu Yang's KPIs", "Engineering's goals").
    """

    owner: str
    total: Decimal

    @classmethod
    def of(cls, owner: str, weights) -> WeightTotal:
        total = sum((Decimal(w) for w in weights), Decimal("0.00")).quantize(CENT)
        return cls(owner=owner, total=total)

    @property
    def complete(self) -> bool:
        return self.total == HUNDRED

    @property
    def missing(self) -> Decimal:
        """How much is still to be given (negative when over)."""
        return HUNDRED - self.total

    @property
    def short(self) -> bool:
        return self.total < HUNDRED

    @property
    def message(self) -> str:
        total = f"{self.total:.2f}"
        if self.complete:
            return str(_l("%(owner)s add up to 100%%.", owner=self.owner))
        if self.short:
            return str(_l("%(owner)s add up to %(total)s%%; %(missing)s short of 100%%.",
                          owner=self.owner, total=total, missing=f"{self.missing:.2f}"))
        return str(_l("%(owner)s add up to %(total)s%%; over by %(over)s.",
                      owner=self.owner, total=total, over=f"{-self.missing:.2f}"))

    def require_complete(self) -> None:
        if not self.complete:
            raise PlanningError(self.message, "weights")


def kpi_owner_label(person) -> str:
    return str(_l("%(name)s's KPIs", name=person.display_name))


def goal_owner_label(department) -> str:
    return str(_l("%(department)s's goals", department=department.name))
