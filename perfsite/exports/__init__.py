"""Exports (CSV and XLSX) and the printable review report (issue 13)."""

from flask import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/exports")
# The printable review: the results page on paper (report_views.py).
reports = Blueprint("reports", __name__, url_prefix="/reports")
