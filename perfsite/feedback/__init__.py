"""360-degree feedback: nominations, rater cards, the anonymous 360 report and its place in
the competency score."""

from flask import Blueprint

bp = Blueprint("feedback", __name__, url_prefix="/feedback")
