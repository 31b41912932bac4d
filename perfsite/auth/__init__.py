"""Logging in and out, server-side sessions, passwords and the login throttle."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
