"""Feedback interviews and outcomes: scheduling, the interview page with notes that save as
one types, improvement plans and next cycle's goal drafts, acknowledgement and appeals,
outcome rules and approvals, and closing the cycle."""

from flask import Blueprint

bp = Blueprint("interviews", __name__, url_prefix="/interviews")
