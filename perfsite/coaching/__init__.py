"""During the cycle: check-ins, obstacles, resource requests, coaching,
to-dos, notifications and e-mailed reminders."""

from flask import Blueprint

bp = Blueprint("coaching", __name__, url_prefix="/coaching")
