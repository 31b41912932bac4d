"""Reviews: review settings per cycle, self and manager reviews, scores, calibration and
completion."""

from flask import Blueprint

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
