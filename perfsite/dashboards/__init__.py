"""Dashboards: each role's questions answered at a glance, with charts (issue 13)."""

from flask import Blueprint

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")
