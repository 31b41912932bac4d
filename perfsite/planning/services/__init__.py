"""Planning rules, one module per level: targets, goals, plans (and KPIs), progress, bulk.

Services are plain functions that take the acting person, enforce who may do what and
what the cycle's phase allows (through the predicates of perfsite/permissions.py), audit
every change, and never commit.
"""

from . import bulk, goals, plans, progress, targets
from .common import WeightTotal, reason_needed

__all__ = ["WeightTotal", "bulk", "goals", "plans", "progress", "reason_needed", "targets"]
