"""The audit log: every change, who made it, before and after (HR reads it)."""

from flask import Blueprint

bp = Blueprint("audit", __name__)
