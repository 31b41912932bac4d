"""The org chart: people, departments and roles; its import and export."""

from flask import Blueprint

bp = Blueprint("org", __name__)
