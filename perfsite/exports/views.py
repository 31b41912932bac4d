"""Exports: a cycle's goals and KPIs, check-ins, review completion and final results, as
CSV or XLSX (`?format=xlsx`), narrowed by `?department_id=`. Each is streamed (see
writers.py) under the same permissions as the pages (permissions: dashboards and exports).
"""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user

from .. import permissions as can
from ..dashboards.services.common import scope_for
from ..models import Cycle
from ..rules import to_id
from ..web import load
from . import bp, services, writers

TYPES = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _answer(export: services.Export) -> Response:
    kind = request.args.get("format", "csv")
    kind = kind if kind in TYPES else "csv"
    if kind == "xlsx":
        body = writers.xlsx_stream(export.title, export.header, export.rows, export.kinds,
                                   export.zone)
    else:
        body = writers.csv_stream(export.header, export.rows, export.zone)
    # Not stream_with_context: each partition opens its own short session (services.py).
    response = Response(body, content_type=TYPES[kind])
    response.headers["Content-Disposition"] = f'attachment; filename="{export.name}.{kind}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _scope():
    return scope_for(current_user, to_id(request.args.get("department_id")))


@bp.get("/<int:cycle_id>/goals")
def goals(cycle_id):
    cycle = load(Cycle, cycle_id, can.can_export)
    return _answer(services.goals(cycle, _scope()))


@bp.get("/<int:cycle_id>/check-ins")
def check_ins(cycle_id):
    cycle = load(Cycle, cycle_id, can.can_export)
    return _answer(services.check_ins(cycle, _scope()))


@bp.get("/<int:cycle_id>/completion")
def completion(cycle_id):
    cycle = load(Cycle, cycle_id, can.can_export_completion)
    return _answer(services.review_completion(cycle, _scope()))


@bp.get("/<int:cycle_id>/results")
def results(cycle_id):
    cycle = load(Cycle, cycle_id, can.can_export_results)
    return _answer(services.results(cycle, _scope(), current_user._get_current_object()))
