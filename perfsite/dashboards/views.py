"""Dashboards: one page per role, filtered by cycle and department.

The filter is a plain GET form (it works as a link and without JavaScript); with htmx it
swaps only the dashboard's body, the same partial the page includes, and pushes the URL.
Views stay thin: the figures come from services/, the charts from charts.py.
"""

from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions as can
from ..models import utcnow
from ..permissions import require
from ..rules import to_id
from ..web import render
from . import bp, charts
from .forms import DashboardFilterForm
from .services import boards, common, figures


def _filter(*, departments: bool = True):
    """The filter form, the cycles offered, the chosen cycle and the department scope."""
    cycles = common.cycles_for(current_user)
    form = DashboardFilterForm(request.args)
    form.cycle_id.choices = [(c.id, c.name) for c in cycles]
    form.department_id.choices = [("", _("All departments"))] + (
        common.department_choices(current_user) if departments else [])
    form.validate()  # an unknown cycle or department is ignored, not an error
    cycle = common.choose_cycle(cycles, None if form.cycle_id.errors else form.cycle_id.data)
    department_id = form.department_id.data if departments and not form.department_id.errors \
        else None
    form.cycle_id.errors, form.department_id.errors = [], []
    form.cycle_id.data = cycle.id if cycle else None
    form.department_id.data = department_id
    return form, cycles, cycle, common.scope_for(current_user, department_id)


def _page(template: str, **context):
    return render(f"dashboards/{template}.html", f"dashboards/_{template}.html",
                  figures=figures, **context)


@bp.get("/")
def index():
    """The viewer's own dashboard: the company's for executives, HR's for HR, the team's for
    heads, everyone else their own."""
    if can.is_executive(current_user):
        return redirect(url_for("dashboards.executive"))
    if can.is_hr(current_user):
        return redirect(url_for("dashboards.hr"))
    if can.is_head(current_user):
        return redirect(url_for("dashboards.team"))
    return redirect(url_for("dashboards.mine"))


@bp.get("/company")
@require(can.can_view_executive_dashboard)
def executive():
    """Is strategy landing: targets, their trend and contributors, goals at risk, ratings
    beside the guidance, completion."""
    form, _cycles, cycle, scope = _filter()
    board = boards.executive(cycle, scope, utcnow()) if cycle else None
    drawn = {}
    if board is not None:
        # Charts over every department show the few needing most attention, the rest one
        # link away (?contributions=<target id>, ?completion=all): the answer stays small.
        expanded = to_id(request.args.get("contributions"))
        all_completion = request.args.get("completion") == "all"
        completion = figures.least_first(board.completion, figures.done_share,
                                         None if all_completion else
                                         figures.SHOWN_DEPARTMENTS)
        contributions = []
        for i, target in enumerate(board.targets):
            if not target.contributions:
                continue
            shown = figures.least_first(
                target.contributions, lambda c: c.progress,
                None if target.target.id == expanded else figures.SHOWN_DEPARTMENTS)
            contributions.append((charts.contribution_chart(target, i, shown), target,
                                  len(shown) < len(target.contributions)))
        drawn = {"targets": charts.target_progress_chart(board.targets) if board.targets
                 else None,
                 "trends": charts.target_trend_charts(board.targets, board.months),
                 "contributions": contributions,
                 "ratings": charts.ratings_chart(board.ratings)
                 if (board.ratings.scope or board.ratings.company).total else None,
                 "completion": charts.completion_chart(completion) if completion else None,
                 "completion_collapsed": len(completion) < len(board.completion),
                 "interviews": charts.interview_chart(completion, board.interviews)
                 if completion and board.interviews else None}
    return _page("executive", form=form, cycle=cycle, board=board, charts=drawn, scope=scope)


@bp.get("/team")
@require(can.can_view_team_dashboard)
def team():
    """Who needs help in my departments."""
    form, _cycles, cycle, scope = _filter()
    board = None
    drawn = {}
    if cycle is not None:
        per_page = current_app.config["PAGE_SIZE"]
        board = boards.team(cycle, scope, utcnow(), to_id(request.args.get("page")) or 1,
                            per_page, current_user._get_current_object())
        drawn = {"statuses": charts.status_chart(board.statuses, board.names)
                 if board.statuses else None,
                 "completion": charts.completion_chart(board.completion)
                 if board.completion else None,
                 "ratings": charts.ratings_chart(board.ratings)
                 if board.ratings.scope and board.ratings.scope.total else None,
                 "feedback": charts.feedback_chart(board.feedback)
                 if any(r.requested for r in board.feedback) else None}
    return _page("team", form=form, cycle=cycle, board=board, charts=drawn, scope=scope,
                 status_labels=charts.status_labels())


@bp.get("/hr")
@require(can.can_view_hr_dashboard)
def hr():
    """Who is late: the cycle's progress by phase and department, laggards, the audit log."""
    form, cycles, cycle, scope = _filter()
    board = boards.hr(cycle, cycles, scope, utcnow(), current_user) if cycle else None
    drawn = {}
    if board is not None and board.progress:
        drawn = {"phases": charts.phase_chart(board.progress)}
    return _page("hr", form=form, cycle=cycle, board=board, charts=drawn, scope=scope)


@bp.get("/me")
@require(can.can_view_my_dashboard)
def mine():
    """My KPIs, what is due, my results across cycles."""
    form, _cycles, cycle, _scope = _filter(departments=False)
    me = current_user._get_current_object()
    board = boards.mine(cycle, me, utcnow())
    drawn = {"kpis": charts.my_kpis_chart(board.kpis) if board.kpis else None,
             "history": charts.history_chart(board.history) if board.history else None}
    return _page("mine", form=form, cycle=cycle, board=board, charts=drawn,
                 status_labels=charts.status_labels())
