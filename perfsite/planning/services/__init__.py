"""Planning rules, one module per level: targets, goals, plans (and KPIs), progress, bulk.

Services are plain functions that take the acting person, enforce who may do what and
what the cycle's phase allows, audit every change, and never commit.
"""

from . import bulk, goals, plans, progress, targets
from .common import (
                     ConflictError,
                     NotAllowed,
                     PhaseError,
                     PlanningError,
                     WeightTotal,
                     may_change,
                     reason_needed,
)

__all__ = ["ConflictError", "NotAllowed", "PhaseError", "PlanningError", "WeightTotal", "bulk",
           "goals", "may_change", "plans", "progress", "reason_needed", "targets"]
