"""Performance cycles: HR creates them and moves them through their phases."""

from flask import Blueprint

bp = Blueprint("cycles", __name__, url_prefix="/cycles")
