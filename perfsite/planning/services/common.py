"""What every planning service shares: errors, weights, measured values, phases, reasons.

Rules:
- Weights are Decimal with at most two decimals, from 0 to 100, and a set of them (a
  person's KPIs, a department's goals) adds up to exactly 100: 33.33 x 3 = 99.99 is 0.01
  short. The message names the set and says by how much it is off.
- A milestone is done or not: its baseline is 0 and its target 1.
- During planning, plans and goals are edited freely; in progress and review only as a
  revision with a reason; in any other phase (draft, calibration, interviews, closed)
  nothing changes (permissions.py folds the phase into each action's predicate).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from ...errors import Conflict, Invalid, NotAllowed, PhaseError
from ...models import Cycle, MetricType
from ...rules import check_version, clean_text, require_reason, to_decimal

__all__ = ["Conflict", "Invalid", "NotAllowed", "PhaseError", "WeightTotal", "check_version",
           "require_reason", "to_decimal"]

HUNDRED = Decimal("100.00")
CENT = Decimal("0.01")
# Measured values are stored with four decimals; normalising before comparing keeps
# "40" and "40.0000" the same value (no phantom revision, no false re-alignment flag).
VALUE_PLACES = Decimal("0.0001")


def reason_needed(cycle: Cycle) -> bool:
    """After planning, a change to a plan or goal is a revision and needs a reason."""
    from ... import permissions

    return permissions.revision_needs_reason(cycle)


def reason_for(cycle: Cycle, reason: str | None) -> str:
    """Planning needs no reason; a revision in progress or review does."""
    if reason_needed(cycle):
        return require_reason(reason)
    return clean_text(reason, field="reason", limit=2000)


# Values ---------------------------------------------------------------------------------

def clean_weight(value) -> Decimal:
    weight = to_decimal(value, "weight")
    if weight is None:
        raise Invalid(_l("Give a weight from 0 to 100."), "weight")
    if weight < 0 or weight > HUNDRED:
        raise Invalid(_l("A weight is between 0 and 100."), "weight")
    if weight != weight.quantize(CENT):
        raise Invalid(_l("Use at most two decimals for a weight."), "weight")
    return weight.quantize(CENT)


def clean_measure(metric_type, baseline, target_value) -> tuple[str, Decimal, Decimal]:
    """(metric_type, baseline, target_value), checked; a milestone is 0 -> 1."""
    try:
        metric = MetricType(metric_type)
    except ValueError:
        raise Invalid(_l("Choose how this is measured."), "metric_type") from None
    if metric is MetricType.MILESTONE:
        return metric.value, Decimal(0).quantize(VALUE_PLACES), Decimal(1).quantize(VALUE_PLACES)
    baseline = to_decimal(baseline, "baseline")
    target_value = to_decimal(target_value, "target_value")
    if target_value is None:
        raise Invalid(_l("Give the value to reach."), "target_value")
    if baseline is None:
        baseline = Decimal(0)
    return metric.value, baseline.quantize(VALUE_PLACES), target_value.quantize(VALUE_PLACES)


def clean_actual(metric_type: str, value) -> Decimal | None:
    """A milestone's actual is 1 (done) or 0 (not yet); other metrics any number."""
    if value is None or value == "":
        return None
    number = to_decimal(value, "actual_value")
    if MetricType(metric_type) is MetricType.MILESTONE:
        number = Decimal(1) if number else Decimal(0)
    return number.quantize(VALUE_PLACES)


def clean_title(title: str | None) -> str:
    return clean_text(title, field="title", limit=200, multiline=False,
                      required=_l("A title is required."))


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
        total = _plain(self.total)
        if self.complete:
            return str(_l("%(owner)s add up to 100%%.", owner=self.owner))
        if self.short:
            return str(_l("%(owner)s add up to %(total)s%%; %(missing)s short of 100%%.",
                          owner=self.owner, total=total, missing=_plain(self.missing)))
        return str(_l("%(owner)s add up to %(total)s%%; over by %(over)s.",
                      owner=self.owner, total=total, over=_plain(-self.missing)))

    def require_complete(self) -> None:
        if not self.complete:
            raise Invalid(self.message, "weights")


def kpi_owner_label(person) -> str:
    return str(_l("%(name)s's KPIs", name=person.display_name))


def goal_owner_label(department) -> str:
    return str(_l("%(department)s's goals", department=department.name))


def _plain(value: Decimal) -> str:
    """A weight as people write it: "50", "12.5" (decimals only when there are any)."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text
