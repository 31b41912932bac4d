"""Org chart import (CSV/XLSX with preview) and export. Routes live on the org blueprint."""

from flask import abort

from .. import permissions as can
from .views import bp


@bp.get("/org/import")
@can.require(can.can_administer_org)
def import_start():
    abort(404)


@bp.get("/org/export.csv")
@can.require(can.can_administer_org)
def export_people():
    abort(404)
