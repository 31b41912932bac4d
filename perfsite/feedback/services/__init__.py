"""Rules for 360 feedback, one module per topic.

Services are plain functions that take the acting person (and `now` where time matters),
enforce who may do what through the predicates of perfsite/permissions.py, audit every
change, flush and never commit. The anonymity rule lives in report.py: every page, export,
chart, aggregate and score reads answers through it.
"""

from . import answers, completion, nominations, releases, report, settings, todos

__all__ = ["answers", "completion", "nominations", "releases", "report", "settings", "todos"]
