"""Pages of resource allocation and the talent review.

- The talent home: each cycle's allocation overview and talent review, the key positions.
- Allocation: the overview per target and department (chart, table, CSV/XLSX), and an
  executive's allocation and split of one target.
- Talent review: the 3 × 3 grid (server-drawn SVG, the names in a table beside), filtered
  by department; one person's potential, box, moves and agreed action; HR's settings; key
  positions and their successors.

Views stay thin: `load` with the predicate (404/403), the service through `attempt`
(which commits once), the page again with the errors beside the fields (422/409).
"""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import permissions as can
from ..charts import GridCell, Series, grid_chart, horizontal_bar_chart
from ..exports import writers
from ..extensions import db
from ..forms import EmptyForm
from ..models import (
    Cycle,
    Department,
    KeyPosition,
    Level,
    Person,
    StrategyTarget,
    Successor,
    utcnow,
)
from ..reviews.services import scores
from ..submissions import submit_once
from ..web import attempt, load, load_cycle, render, status_of
from . import bp
from .forms import (
    AgreedActionForm,
    AllocationForm,
    DepartmentFilterForm,
    KeyPositionForm,
    MoveForm,
    PotentialForm,
    SplitForm,
    SuccessorForm,
    TalentSettingsForm,
)
from .services import allocations, review, succession
from .services.review import ALL_BOXES, COLUMNS, ROWS, Box

TYPES = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


@bp.app_template_global("money")
def money(amount, currency: str) -> str:
    """"CNY 1,250,000.00" (the allocation pages, the department plan, resource requests)."""
    return allocations.money(amount, currency)


@bp.app_template_global("box_name")
def box_name(key: str) -> str:
    box = Box.parse(key)
    return str(box.name) if box else key


@bp.app_template_global("guidance_in")
def guidance_in(settings, level, lang: str) -> str:
    return review.guidance_in(settings, level, lang)


def _departments(ids=None) -> list[tuple]:
    stmt = select(Department.id, Department.name).where(Department.active.is_(True))
    if ids is not None:
        stmt = stmt.where(Department.id.in_(list(ids)))
    return [(d_id, name) for d_id, name in db.session.execute(stmt.order_by(Department.name))]


def _filter(choices) -> DepartmentFilterForm:
    form = DepartmentFilterForm(request.args)
    form.department_id.choices = [(None, _("All departments"))] + choices
    if not form.validate():
        form.department_id.data = None
    return form


# The talent home ------------------------------------------------------------------------------

@bp.get("/")
@can.require(lambda user: can.can_view_talent_review(user) or can.can_view_allocations(user))
def index():
    """Each cycle's allocation overview (executives, HR) and talent review."""
    cycles = [c for c in db.session.scalars(select(Cycle).order_by(Cycle.start_date.desc(),
                                                                    Cycle.id.desc()))
              if can.can_use_cycle(current_user, c)]
    return render("talent/index.html", cycles=cycles)


# Allocation ---------------------------------------------------------------------------------------

def _overview_chart(rows) -> object | None:
    shown = [r for r in rows if r.figure is not None]
    if not shown:
        return None
    categories = [r.target.title for r in shown]
    return horizontal_bar_chart(
        chart_id="allocation-chart", title=_("Budget allocated and committed per target"),
        summary=", ".join(
            f"{r.target.title}: {allocations.money(r.figure.budget, r.figure.currency)} / "
            f"{allocations.money(r.figure.committed_budget, r.figure.currency)}" for r in shown),
        categories=categories, category_heading=_("Target"), places=2,
        series=[Series(_("Allocated"), [r.figure.budget for r in shown]),
                Series(_("Committed"), [r.figure.committed_budget for r in shown])])


@bp.get("/cycles/<int:cycle_id>/allocations")
def allocations_page(cycle_id):
    """Per target and department: allocated, committed and remaining, as a chart and a
    table, with the exports."""
    cycle = load(Cycle, cycle_id, lambda user, _c: can.can_view_allocations(user))
    form = _filter(_departments())
    department_id = form.department_id.data
    rows = allocations.overview(cycle, {department_id} if department_id else None)
    return render("talent/allocations.html", cycle=cycle, rows=rows, form=form,
                  department_id=department_id, chart=_overview_chart(rows))


@bp.get("/cycles/<int:cycle_id>/allocations/export")
def export_allocations(cycle_id):
    """The overview as CSV (or XLSX with ?format=xlsx): one row per department share, and
    one per target for what is not split."""
    cycle = load(Cycle, cycle_id, lambda user, _c: can.can_view_allocations(user))
    department_id = _filter(_departments()).department_id.data
    rows = allocations.overview(cycle, {department_id} if department_id else None)
    header = [_("Target"), _("Department"), _("Currency"), _("Budget allocated"),
              _("Budget committed"), _("Budget remaining"), _("Headcount allocated"),
              _("Headcount committed"), _("Headcount remaining")]

    def lines():
        for row in rows:
            if row.figure is None:
                continue
            for share in row.shares:
                f = share.figure
                yield [row.target.title, share.share.department.name, f.currency, f.budget,
                       f.committed_budget, f.remaining_budget, f.headcount,
                       f.committed_headcount, f.remaining_headcount]
            if department_id is None:
                f = row.figure
                yield [row.target.title, _("All departments"), f.currency, f.budget,
                       f.committed_budget, f.remaining_budget, f.headcount,
                       f.committed_headcount, f.remaining_headcount]

    kind = request.args.get("format", "csv")
    kind = kind if kind in TYPES else "csv"
    body = (writers.xlsx_stream(_("Allocations"), header, lines()) if kind == "xlsx"
            else writers.csv_stream(header, lines()))
    response = Response(body, content_type=TYPES[kind])
    response.headers["Content-Disposition"] = \
        f'attachment; filename="allocations-{cycle.id}.{kind}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _allocation_page(target, allocation_form=None, split_form=None, status=200):
    allocation = allocations.allocation_of(target)
    row = next((r for r in allocations.overview(target.cycle) if r.target.id == target.id),
               None)
    if allocation_form is None:
        allocation_form = AllocationForm(
            formdata=None, version=allocation.version if allocation else "",
            currency=allocation.currency if allocation else "CNY",
            budget=allocation.budget if allocation else "",
            headcount=allocation.headcount if allocation else "")
    if split_form is None:
        split_form = SplitForm(formdata=None, version=allocation.version if allocation else "")
    shares = {r.share.department_id: r for r in (row.shares if row else [])}
    departments = allocations.supporting_departments(target)
    known = {d.id for d in departments}
    departments += [r.share.department for r in shares.values()
                    if r.share.department_id not in known]
    posted = request.form if request.method == "POST" else {}
    split_rows = [{
        "department": d, "figure": shares[d.id].figure if d.id in shares else None,
        "budget": posted.get(f"budget-{d.id}", shares[d.id].share.budget if d.id in shares
                             else ""),
        "headcount": posted.get(f"headcount-{d.id}", shares[d.id].share.headcount
                                if d.id in shares else "")} for d in departments]
    return render("talent/allocate.html", status=status, target=target,
                  allocation=allocation, row=row, form=allocation_form, split_form=split_form,
                  split_rows=split_rows, allowed=can.can_allocate(current_user, target))


@bp.route("/targets/<int:target_id>/allocation", methods=["GET", "POST"])
def allocate(target_id):
    """An executive allocates budget and headcount to a target."""
    target = load(StrategyTarget, target_id, can.can_allocate)
    if request.method == "GET":
        return _allocation_page(target)
    form = AllocationForm()
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: allocations.allocate(
            target, current_user, currency=form.currency.data, budget=form.budget.data,
            headcount=form.headcount.data, expected_version=form.version.data, now=utcnow()),
            current=allocations.allocation_of(target))
        if status == 200:
            flash(_("The allocation of “%(target)s” is saved.", target=target.title),
                  "success")
            return redirect(url_for("talent.allocate", target_id=target.id))
    return _allocation_page(target, allocation_form=form, status=status)


@bp.post("/targets/<int:target_id>/allocation/split")
def split(target_id):
    """An executive splits the target's allocation across its supporting departments."""
    target = load(StrategyTarget, target_id, can.can_allocate)
    allocation = allocations.allocation_of(target)
    form = SplitForm()
    status = status_of(form)
    if allocation is None:
        form.form_errors.append(_("Allocate a budget and headcount to the target first."))
        return _allocation_page(target, split_form=form, status=409)
    if form.validate_on_submit():
        ids = {d.id for d in allocations.supporting_departments(target)} | \
            {s.department_id for s in allocation.shares}
        shares = {d_id: (request.form.get(f"budget-{d_id}", ""),
                         request.form.get(f"headcount-{d_id}", "")) for d_id in ids}
        status, _result = attempt(form, lambda: allocations.split(
            allocation, current_user, shares=shares, expected_version=form.version.data,
            now=utcnow()), current=allocation)
        if status == 200:
            flash(_("The split of “%(target)s” is saved.", target=target.title), "success")
            return redirect(url_for("talent.allocate", target_id=target.id))
    return _allocation_page(target, split_form=form, status=status)


# The talent review ------------------------------------------------------------------------------

def _tone(box: Box) -> str:
    total = box.performance.rank + box.potential.rank
    return "low" if total <= 1 else "high" if total >= 3 else "medium"


def _grid_chart(grid, cycle) -> object:
    level_names = {Level.LOW: _("Low"), Level.MEDIUM: _("Medium"), Level.HIGH: _("High")}
    cells = [GridCell(ROWS.index(box.potential), COLUMNS.index(box.performance),
                      str(box.name), grid.count(box), _tone(box))
             for box in ALL_BOXES]
    return grid_chart(
        chart_id="talent-grid", title=_("Talent review · %(cycle)s", cycle=cycle.name),
        summary=", ".join(f"{box.name}: {grid.count(box)}" for box in ALL_BOXES),
        cells=cells, column_labels=[level_names[c] for c in COLUMNS],
        row_labels=[level_names[r] for r in ROWS], x_title=_("Performance"),
        y_title=_("Potential"))


@bp.get("/cycles/<int:cycle_id>/review")
@can.require(can.can_view_talent_review)
def review_page(cycle_id):
    """The 3 × 3 grid of the people the viewer may see, counts per box, the names in a
    table beside; the moves made; the key positions without a ready successor."""
    cycle = load_cycle(cycle_id)
    scope = can.people_scope(current_user)
    form = _filter(_departments(scope))
    department_id = form.department_id.data
    ids = can.subtree_ids([department_id]) if department_id else None
    grid = review.grid(cycle, current_user, ids)
    positions = succession.positions(current_user, ids)
    return render("talent/review.html", cycle=cycle, form=form, grid=grid,
                  chart=_grid_chart(grid, cycle), boxes=ALL_BOXES,
                  moves=review.moves_of(cycle, current_user, ids),
                  uncovered=succession.without_ready_successor(positions),
                  department_id=department_id,
                  settings=review.settings_for(cycle), lang=language())


def _person_page(cycle, person, *, potential_form=None, move_form=None, action_form=None,
                 status=200):
    assessment = review.assessment_for(cycle, person)
    result = scores.result_for(cycle, person)
    settings = review.settings_for(cycle)
    columns = review.columns_of(settings, [b.code for b in review.bands_for(cycle)])
    box = review.box_of(assessment, result.final_band if result.id else None, columns)
    version = assessment.version if assessment.id else ""
    potential_form = potential_form or PotentialForm(
        formdata=None, version=version, potential=assessment.potential or "medium",
        comment=assessment.comment)
    move_form = move_form or MoveForm(formdata=None, version=version,
                                      to_box=box.key if box else "")
    move_form.to_box.choices = [(b.key, f"{b.name} ({_('performance')}: "
                                        f"{b.performance.label}, {_('potential')}: "
                                        f"{b.potential.label})") for b in ALL_BOXES]
    action_form = action_form or AgreedActionForm(formdata=None, version=version,
                                                  agreed_action=assessment.agreed_action)
    moves = [m for m in review.moves_of(cycle, current_user) if m.assessment_id == assessment.id]
    return render("talent/person.html", status=status, cycle=cycle, person=person,
                  assessment=assessment, result=result, box=box, moves=moves,
                  potential_form=potential_form, move_form=move_form,
                  action_form=action_form, settings=settings, lang=language(),
                  levels=list(reversed(list(Level))))


def _person(cycle_id, person_id):
    cycle = load_cycle(cycle_id)
    person = load(Person, person_id, can.can_see_talent)
    return cycle, person


@bp.get("/cycles/<int:cycle_id>/people/<int:person_id>")
def person_page(cycle_id, person_id):
    """One person's potential, box, moves and agreed action."""
    cycle, person = _person(cycle_id, person_id)
    return _person_page(cycle, person)


def _after_save(cycle, person, message):
    flash(message, "success")
    return redirect(url_for("talent.person_page", cycle_id=cycle.id, person_id=person.id))


@bp.post("/cycles/<int:cycle_id>/people/<int:person_id>/potential")
def assess(cycle_id, person_id):
    cycle = load_cycle(cycle_id)
    person = load(Person, person_id)
    assessment = review.assessment_for(cycle, person)
    can.ensure(can.can_assess_potential(current_user, assessment))
    form = PotentialForm()
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: review.assess(
            assessment, current_user, potential=form.potential.data,
            comment=form.comment.data, expected_version=form.version.data, now=utcnow()),
            current=assessment if assessment.id else None)
        if status == 200:
            return _after_save(cycle, person, _("%(name)s's potential is saved.",
                                                name=person.display_name))
    return _person_page(cycle, person, potential_form=form, status=status)


@bp.post("/cycles/<int:cycle_id>/people/<int:person_id>/move")
def move(cycle_id, person_id):
    cycle = load_cycle(cycle_id)
    person = load(Person, person_id)
    assessment = review.assessment_for(cycle, person)
    can.ensure(can.can_move_in_grid(current_user, assessment))
    form = MoveForm()
    form.to_box.choices = [(b.key, b.key) for b in ALL_BOXES]
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: review.move(
            assessment, current_user, to_box=form.to_box.data, reason=form.reason.data,
            expected_version=form.version.data, now=utcnow()),
            current=assessment if assessment.id else None)
        if status == 200:
            return _after_save(cycle, person, _("%(name)s is moved.", name=person.display_name))
    return _person_page(cycle, person, move_form=form, status=status)


@bp.post("/cycles/<int:cycle_id>/people/<int:person_id>/action")
def agree(cycle_id, person_id):
    cycle = load_cycle(cycle_id)
    person = load(Person, person_id)
    assessment = review.assessment_for(cycle, person)
    can.ensure(can.can_agree_action(current_user, assessment))
    form = AgreedActionForm()
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: review.agree_action(
            assessment, current_user, action=form.agreed_action.data,
            expected_version=form.version.data, now=utcnow()),
            current=assessment if assessment.id else None)
        if status == 200:
            return _after_save(cycle, person, _("The agreed action is saved."))
    return _person_page(cycle, person, action_form=form, status=status)


@bp.route("/cycles/<int:cycle_id>/settings", methods=["GET", "POST"])
def settings(cycle_id):
    """HR groups the bands into the grid's columns and writes the potential guidance."""
    cycle = load(Cycle, cycle_id, can.can_edit_talent_settings)
    current = review.settings_for(cycle)
    bands = review.bands_for(cycle)
    form = TalentSettingsForm(formdata=None, version=current.version or "") \
        if request.method == "GET" else TalentSettingsForm()
    status = status_of(form) if request.method == "POST" else 200
    if request.method == "POST" and form.validate_on_submit():
        columns = {b.code: request.form.get(f"column-{b.code}", "") for b in bands}
        guidance = {level.value: {lang: request.form.get(f"guidance-{level.value}-{lang}", "")
                                  for lang in ("en", "zh")} for level in Level}
        status, _result = attempt(form, lambda: review.update_settings(
            cycle, current_user, columns=columns, guidance=guidance,
            expected_version=form.version.data, now=utcnow()),
            current=current if current.id else None)
        if status == 200:
            flash(_("The talent review settings are saved."), "success")
            return redirect(url_for("talent.review_page", cycle_id=cycle.id))
    posted = request.form if request.method == "POST" else None
    columns = review.columns_of(current, [b.code for b in bands])
    return render("talent/settings.html", status=status, cycle=cycle, form=form, bands=bands,
                  columns={b.code: (posted.get(f"column-{b.code}") if posted else
                                    columns[b.code].value) for b in bands},
                  guidance={level.value: {lang: (posted.get(f"guidance-{level.value}-{lang}")
                                                 if posted else
                                                 ((current.guidance or {}).get(level.value)
                                                  or {}).get(lang, ""))
                                          for lang in ("en", "zh")} for level in Level},
                  levels=list(reversed(list(Level))), lang=language())


# Key positions ------------------------------------------------------------------------------

def _positions_page(mark_form=None, successor_forms=None, status=200):
    positions = succession.positions(current_user)
    forms = successor_forms or {}
    return render("talent/positions.html", status=status, positions=positions,
                  uncovered=succession.without_ready_successor(positions),
                  mark_form=mark_form or KeyPositionForm(formdata=None),
                  successor_form=lambda p: forms.get(p.id) or SuccessorForm(
                      formdata=None, prefix=f"s{p.id}"))


@bp.get("/key-positions")
@can.require(can.can_view_key_positions)
def key_positions():
    """Key positions with their successors; those without a successor ready now first."""
    return _positions_page()


@bp.post("/key-positions")
@can.require(can.can_mark_key_positions)
def mark_key_position():
    form = KeyPositionForm()
    status = status_of(form)
    if form.validate_on_submit():
        status, position = attempt(form, lambda: submit_once(
            form.form_token.data, current_user, lambda: succession.mark_named(
                current_user, holder_username=form.holder_username.data,
                title=form.title.data, now=utcnow())))
        if status == 200:
            flash(_("The position is marked as key."), "success")
            return redirect(url_for("talent.key_positions"))
    return _positions_page(mark_form=form, status=status)


@bp.post("/key-positions/<int:position_id>/successors")
def name_successor(position_id):
    position = load(KeyPosition, position_id, can.can_name_successor)
    form = SuccessorForm(prefix=f"s{position.id}")
    status = status_of(form)
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: submit_once(
            form.form_token.data, current_user, lambda: succession.name_successor(
                position, current_user, candidate_username=form.candidate_username.data or "",
                readiness=form.readiness.data, now=utcnow())))
        if status == 200:
            flash(_("The successor is named."), "success")
            return redirect(url_for("talent.key_positions"))
    return _positions_page(successor_forms={position.id: form}, status=status)


@bp.post("/successors/<int:successor_id>/remove")
def remove_successor(successor_id):
    successor = load(Successor, successor_id,
                     lambda user, s: can.can_name_successor(user, s.position))
    form = EmptyForm()
    if form.validate_on_submit():
        status, _result = attempt(form, lambda: succession.remove_successor(
            successor, current_user))
        if status == 200:
            flash(_("The successor is removed."), "success")
    return redirect(url_for("talent.key_positions"))
