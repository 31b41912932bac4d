"""Rules for the in-progress part of a cycle, one module per topic.

Services are plain functions that take the acting person (and `now` where time matters,
so tests use a fixed clock), enforce who may do what and what the phase allows (through
the predicates of perfsite/permissions.py), audit every change, and never commit.
"""

from . import checkins, notes, notifications, obstacles, reminders, requests, todos

__all__ = ["checkins", "notes", "notifications", "obstacles", "reminders", "requests", "todos"]
