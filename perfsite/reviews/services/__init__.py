"""Rules for reviews, one module per topic.

Services are plain functions that take the acting person (and `now` where time matters),
enforce who may do what and what the phase allows (through the predicates of
perfsite/permissions.py), audit every change, flush and never commit.
"""

from . import calibration, completion, reviews, scores, settings

__all__ = ["calibration", "completion", "reviews", "scores", "settings"]
