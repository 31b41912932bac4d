"""Rules for the in-progress part of a cycle, one module per topic.

Services are plain functions that take the acting person (and `now` where time matters,
so tests use a fixed clock), enforce who may do what and what the phase allows, audit
every change, and never commit.
"""

from . import checkins, notes, notifications, obstacles, reminders, requests, todos
from .common import CoachingError, ConflictError, NotAllowed, PhaseError

__all__ = ["CoachingError", "ConflictError", "NotAllowed", "PhaseError", "checkins", "notes",
           "notifications", "obstacles", "reminders", "requests", "todos"]
