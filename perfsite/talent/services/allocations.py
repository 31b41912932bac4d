"""Resource allocation: budget and headcount per strategy target, split across departments,
and what approved resource requests draw on it.

Rules:
- An executive gives a published target of the cycle a budget (an amount of money, at most
  two decimals, in one currency) and a headcount (whole positions), and splits them across
  the departments whose goals support the target (permissions.can_allocate).
- The departments' shares never add up to more than the target's allocation: the error
  says which (budget or headcount) is over and by how much. A target's allocation never
  drops below what its departments share, a department's share never below what approved
  requests drew on it.
- Committed is the sum of the approved requests drawing on a department's allocation;
  remaining = allocated − committed. Money is Decimal end to end, never a float.
- An approved request with an amount or headcount draws on one allocation of its cycle,
  for the raiser's department or one above it. Beyond what that allocation has left, only
  an executive approves, with a reason (permissions.can_exceed_allocation); the reason is
  kept on the request and audited.
- Every change is audited. Once the cycle closes nothing changes (phase
  "allocate_resources").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ... import permissions as can
from ...audit.services import record
from ...errors import Invalid
from ...extensions import db
from ...models import (
    CURRENCIES,
    Cycle,
    Department,
    DepartmentAllocation,
    DepartmentGoal,
    ResourceRequest,
    StrategyTarget,
    TargetAllocation,
)
from ...rules import check_version, require_reason, to_decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_HEADCOUNT = 100_000


# Cleaning ------------------------------------------------------------------------------------

def clean_money(value, field: str) -> Decimal:
    """An amount of money: empty is 0; not negative, at most two decimals."""
    amount = to_decimal(value, field)
    if amount is None:
        return ZERO
    if amount < 0:
        raise Invalid(_l("An amount cannot be negative."), field)
    if amount != amount.quantize(CENT):
        raise Invalid(_l("Use at most two decimals for money."), field)
    return amount.quantize(CENT)


def clean_headcount(value, field: str) -> int:
    """A number of positions: empty is 0; a whole number, not negative."""
    text = "" if value is None else str(value).strip()
    if not text:
        return 0
    try:
        number = int(text)
    except ValueError:
        raise Invalid(_l("Enter a whole number of positions."), field) from None
    if number < 0:
        raise Invalid(_l("A headcount cannot be negative."), field)
    if number > MAX_HEADCOUNT:
        raise Invalid(_l("This number is too large."), field)
    return number


def clean_currency(value, field: str = "currency") -> str:
    code = str(value or "").strip().upper()
    if code not in CURRENCIES:
        raise Invalid(_l("Choose a currency."), field)
    return code


def positions(count: int):
    """"1 position", "3 positions": a headcount in words."""
    return lazy_ngettext("%(num)d position", "%(num)d positions", count)


def money(amount: Decimal, currency: str) -> str:
    """"CNY 1,250,000.00": how amounts are shown (and exported as text)."""
    return f"{currency} {amount:,.2f}"


# Reading -------------------------------------------------------------------------------------

def allocation_of(target: StrategyTarget) -> TargetAllocation | None:
    return db.session.scalar(select(TargetAllocation)
                             .where(TargetAllocation.target_id == target.id)
                             .options(joinedload(TargetAllocation.shares)))


def supporting_departments(target: StrategyTarget) -> list[Department]:
    """The departments with a goal aligned to `target` in its cycle, by name."""
    return list(db.session.scalars(
        select(Department).where(Department.id.in_(
            select(DepartmentGoal.department_id).where(DepartmentGoal.target_id == target.id)))
        .order_by(Department.name)))


def committed(allocation_ids) -> dict[int, tuple[Decimal, int]]:
    """{department allocation id: (amount, headcount)} drawn by approved requests, in one
    GROUP BY query."""
    ids = list(allocation_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ResourceRequest.allocation_id,
               func.coalesce(func.sum(ResourceRequest.amount), 0),
               func.coalesce(func.sum(ResourceRequest.headcount), 0))
        .where(ResourceRequest.allocation_id.in_(ids),
               ResourceRequest.is_approved)
        .group_by(ResourceRequest.allocation_id)).all()
    return {alloc_id: (Decimal(amount).quantize(CENT), int(heads))
            for alloc_id, amount, heads in rows}


@dataclass
class Figure:
    """Allocated, committed and remaining, for one department's share or a whole target."""

    currency: str
    budget: Decimal
    headcount: int
    committed_budget: Decimal = ZERO
    committed_headcount: int = 0

    @property
    def remaining_budget(self) -> Decimal:
        return self.budget - self.committed_budget

    @property
    def remaining_headcount(self) -> int:
        return self.headcount - self.committed_headcount

    @property
    def over(self) -> bool:
        return self.remaining_budget < 0 or self.remaining_headcount < 0


@dataclass
class ShareRow:
    share: DepartmentAllocation
    figure: Figure


@dataclass
class TargetRow:
    target: StrategyTarget
    allocation: TargetAllocation | None
    figure: Figure | None
    shares: list[ShareRow] = field(default_factory=list)

    @property
    def unsplit_budget(self) -> Decimal:
        return self.figure.budget - sum((r.figure.budget for r in self.shares), ZERO)

    @property
    def unsplit_headcount(self) -> int:
        return self.figure.headcount - sum(r.figure.headcount for r in self.shares)


def overview(cycle: Cycle, department_ids=None) -> list[TargetRow]:
    """Every published or retired target of the cycle with its allocation, and each
    department's share with what is committed and remaining (or only the shares of
    `department_ids`), in three queries whatever the size of the company."""
    targets = list(db.session.scalars(
        select(StrategyTarget).where(StrategyTarget.cycle_id == cycle.id,
                                     ~StrategyTarget.is_draft)
        .order_by(StrategyTarget.title)))
    allocations = {a.target_id: a for a in db.session.scalars(
        select(TargetAllocation).where(TargetAllocation.cycle_id == cycle.id))}
    shares = list(db.session.scalars(
        select(DepartmentAllocation).where(DepartmentAllocation.cycle_id == cycle.id)
        .options(joinedload(DepartmentAllocation.department))
        .join(Department, Department.id == DepartmentAllocation.department_id)
        .order_by(Department.name)))
    drawn = committed(s.id for s in shares)
    rows = []
    for target in targets:
        allocation = allocations.get(target.id)
        if allocation is None:
            rows.append(TargetRow(target, None, None))
            continue
        share_rows = []
        for share in shares:
            if share.target_allocation_id != allocation.id:
                continue
            amount, heads = drawn.get(share.id, (ZERO, 0))
            share_rows.append(ShareRow(share, Figure(allocation.currency, share.budget,
                                                     share.headcount, amount, heads)))
        total = Figure(allocation.currency, allocation.budget, allocation.headcount,
                       sum((r.figure.committed_budget for r in share_rows), ZERO),
                       sum(r.figure.committed_headcount for r in share_rows))
        if department_ids is not None:
            share_rows = [r for r in share_rows if r.share.department_id in department_ids]
            if not share_rows:
                continue
        rows.append(TargetRow(target, allocation, total, share_rows))
    return rows


def department_shares(cycle: Cycle, department: Department) -> list[ShareRow]:
    """A department's allocations in the cycle (for its plan), with their figures."""
    shares = list(db.session.scalars(
        select(DepartmentAllocation)
        .where(DepartmentAllocation.cycle_id == cycle.id,
               DepartmentAllocation.department_id == department.id)
        .options(joinedload(DepartmentAllocation.target_allocation)
                 .joinedload(TargetAllocation.target))
        .order_by(DepartmentAllocation.id)))
    drawn = committed(s.id for s in shares)
    return [ShareRow(s, Figure(s.target_allocation.currency, s.budget, s.headcount,
                               *drawn.get(s.id, (ZERO, 0)))) for s in shares]


def _ancestors(department_id: int | None) -> list[int]:
    """The department and every one above it, nearest first."""
    parents = dict(db.session.execute(select(Department.id, Department.parent_id))
                   .tuples().all())
    found: list[int] = []
    while department_id is not None and department_id not in found:
        found.append(department_id)
        department_id = parents.get(department_id)
    return found


def drawable(request: ResourceRequest) -> list[ShareRow]:
    """The allocations an approval of `request` may draw on: its cycle's, for the raiser's
    department or one above it; the one of the target the request's KPI serves first."""
    departments = _ancestors(request.raised_by.department_id)
    if not departments:
        return []
    shares = list(db.session.scalars(
        select(DepartmentAllocation)
        .where(DepartmentAllocation.cycle_id == request.cycle_id,
               DepartmentAllocation.department_id.in_(departments))
        .options(joinedload(DepartmentAllocation.department),
                 joinedload(DepartmentAllocation.target_allocation)
                 .joinedload(TargetAllocation.target))))
    drawn = committed(s.id for s in shares)
    goal = request.kpi.goal
    target_id = goal.target_id if goal is not None else None
    shares.sort(key=lambda s: (s.target_allocation.target_id != target_id,
                               departments.index(s.department_id), s.id))
    return [ShareRow(s, Figure(s.target_allocation.currency, s.budget, s.headcount,
                               *drawn.get(s.id, (ZERO, 0)))) for s in shares]


# Changing ------------------------------------------------------------------------------------

def _snapshot(allocation: TargetAllocation) -> dict:
    return {"currency": allocation.currency, "budget": str(allocation.budget),
            "headcount": allocation.headcount}


def allocate(target: StrategyTarget, actor, *, currency, budget, headcount, expected_version,
             now: datetime) -> TargetAllocation:
    """Set the target's budget and headcount (creating its allocation the first time)."""
    can.enforce(can.can_allocate(actor, target))
    errors = {}
    values = {}
    for name, clean in (("currency", clean_currency), ("budget", clean_money),
                        ("headcount", clean_headcount)):
        try:
            values[name] = clean({"currency": currency, "budget": budget,
                                  "headcount": headcount}[name], name)
        except Invalid as error:
            errors[name] = error.message
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    allocation = allocation_of(target)
    if allocation is None:
        allocation = TargetAllocation(cycle_id=target.cycle_id, target=target,
                                      updated_by_id=actor.id, updated_at=now, **values)
        db.session.add(allocation)
        db.session.flush()
        record("allocation.created", allocation, actor=actor, label=target.title,
               after=_snapshot(allocation))
        return allocation
    check_version(allocation, expected_version)
    shared_budget = sum((s.budget for s in allocation.shares), ZERO)
    shared_heads = sum(s.headcount for s in allocation.shares)
    if values["budget"] < shared_budget:
        errors["budget"] = _l("The departments share %(shared)s of it already: lower their "
                              "shares first (%(short)s short).",
                              shared=money(shared_budget, values["currency"]),
                              short=money(shared_budget - values["budget"], values["currency"]))
    if values["headcount"] < shared_heads:
        errors["headcount"] = _l("The departments share %(shared)s of it already: lower their "
                                 "shares first (%(short)s short).",
                                 shared=positions(shared_heads),
                                 short=positions(shared_heads - values["headcount"]))
    if values["currency"] != allocation.currency and committed(s.id for s in allocation.shares):
        errors["currency"] = _l("Requests have drawn on this allocation in %(currency)s: "
                                "its currency stays.", currency=allocation.currency)
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    before = _snapshot(allocation)
    for name, value in values.items():
        setattr(allocation, name, value)
    allocation.updated_by_id = actor.id
    allocation.updated_at = now
    db.session.flush()
    after = _snapshot(allocation)
    if after != before:
        record("allocation.changed", allocation, actor=actor, label=target.title,
               before=before, after=after)
    return allocation


def _shares_text(allocation: TargetAllocation, shares) -> dict:
    """For the audit log: each department's share in words ("Engineering: CNY 60,000.00 ·
    2"), by department name."""
    return {"shares": sorted(f"{s.department.name}: {money(s.budget, allocation.currency)} · "
                             f"{s.headcount}" for s in shares
                             if s.budget or s.headcount)}


def split(allocation: TargetAllocation, actor, *, shares: dict, expected_version,
          now: datetime) -> list[DepartmentAllocation]:
    """Split the target's allocation across its supporting departments: `shares` is
    {department id: (budget, headcount)}; a department left out or given nothing loses
    its share (unless requests drew on it)."""
    target = allocation.target
    can.enforce(can.can_allocate(actor, target))
    check_version(allocation, expected_version)
    supporting = {d.id: d for d in supporting_departments(target)}
    existing = {s.department_id: s for s in allocation.shares}
    drawn = committed(s.id for s in existing.values())
    errors: dict[str, object] = {}
    wanted: dict[int, tuple[Decimal, int]] = {}
    for department_id, (budget, headcount) in shares.items():
        if department_id not in supporting and department_id not in existing:
            raise Invalid(_l("Only departments whose goals support this target get a share."))
        try:
            wanted[department_id] = (clean_money(budget, f"budget-{department_id}"),
                                     clean_headcount(headcount, f"headcount-{department_id}"))
        except Invalid as error:
            errors.update(error.errors)
    for department_id, share in existing.items():
        amount, heads = drawn.get(share.id, (ZERO, 0))
        budget, headcount = wanted.get(department_id, (ZERO, 0))
        name = share.department.name
        if budget < amount:
            errors.setdefault(f"budget-{department_id}", _l(
                "Requests drew %(drawn)s on %(department)s's share already.",
                drawn=money(amount, allocation.currency), department=name))
        if headcount < heads:
            errors.setdefault(f"headcount-{department_id}", _l(
                "Requests drew %(drawn)s on %(department)s's share already.",
                drawn=positions(heads), department=name))
    total_budget = sum((b for b, _h in wanted.values()), ZERO)
    total_heads = sum(h for _b, h in wanted.values())
    if total_budget > allocation.budget:
        errors.setdefault("budget", _l(
            "The departments' budgets add up to %(total)s, %(over)s more than the target's "
            "%(allocated)s.", total=money(total_budget, allocation.currency),
            over=money(total_budget - allocation.budget, allocation.currency),
            allocated=money(allocation.budget, allocation.currency)))
    if total_heads > allocation.headcount:
        errors.setdefault("headcount", _l(
            "The departments' headcounts add up to %(total)d, %(over)d more than the "
            "target's %(allocated)d.", total=total_heads,
            over=total_heads - allocation.headcount, allocated=allocation.headcount))
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    before = _shares_text(allocation, existing.values())
    for department_id, (budget, headcount) in wanted.items():
        share = existing.get(department_id)
        if share is None:
            if not budget and not headcount:
                continue
            share = DepartmentAllocation(target_allocation=allocation,
                                         cycle_id=allocation.cycle_id,
                                         department_id=department_id, updated_at=now)
            db.session.add(share)
            existing[department_id] = share
        if (share.budget, share.headcount) != (budget, headcount):
            share.budget, share.headcount, share.updated_at = budget, headcount, now
    for department_id, share in list(existing.items()):
        if department_id not in wanted and share.id is not None:
            share.budget, share.headcount, share.updated_at = ZERO, 0, now
    # The split changes the target's allocation too: a stale split form is refused.
    allocation.updated_at = now
    allocation.updated_by_id = actor.id
    db.session.flush()
    after = _shares_text(allocation, existing.values())
    if after != before:
        record("allocation.split", allocation, actor=actor, label=target.title,
               before=before, after=after)
    return list(existing.values())


def draw(request: ResourceRequest, actor, *, allocation_id, amount, headcount,
         over_reason: str = "") -> dict:
    """Check and record what an approval of `request` draws on (called by the decision,
    which audits it): the allocation, the amount and headcount, and the reason when it goes
    beyond what is left. Returns what the audit event records."""
    amount = clean_money(amount, "amount") if str(amount or "").strip() else None
    headcount = clean_headcount(headcount, "headcount") if str(headcount or "").strip() \
        else None
    if not amount and not headcount:
        if allocation_id:
            raise Invalid(_l("Say how much of the allocation the request takes."), "amount")
        return {}
    choices = {row.share.id: row for row in drawable(request)}
    row = choices.get(allocation_id) if allocation_id else None
    if row is None:
        raise Invalid(_l("Choose the allocation the request draws on."), "allocation_id")
    share = db.session.get(DepartmentAllocation, row.share.id, with_for_update=True)
    can.enforce(can.phase(request.cycle, "allocate_resources"))  # locked once closed
    over_budget = (amount or ZERO) - row.figure.remaining_budget
    over_heads = (headcount or 0) - row.figure.remaining_headcount
    reason = ""
    if over_budget > 0 or over_heads > 0:
        if not can.can_exceed_allocation(actor, request):
            parts = []
            if over_budget > 0:
                parts.append(money(over_budget, row.figure.currency))
            if over_heads > 0:
                parts.append(str(positions(over_heads)))
            raise Invalid(_l("This is %(over)s more than the allocation has left; an "
                             "executive approves beyond it. Escalate the request.",
                             over=" + ".join(parts)), "amount")
        reason = require_reason(over_reason, "over_allocation_reason")
    request.allocation_id = share.id
    request.amount = amount
    request.headcount = headcount
    request.over_allocation_reason = reason
    return {"draws_on": f"{share.target_allocation.target.title} · {share.department.name}",
            "amount": str(amount) if amount is not None else None,
            "headcount": headcount, "over_allocation_reason": reason or None}
