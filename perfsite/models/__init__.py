"""All models, importable from one place: `from perfsite.models import Person`."""

from .audit import AuditEvent
from .coaching import (  # during the cycle (issue 4)
    CheckIn,
    CheckInStatus,
    CoachingComment,
    Notification,
    Obstacle,
    ObstacleStatus,
    PrivateNote,
    ReminderLog,
    RequestKind,
    RequestStatus,
    ResourceRequest,
)
from .cycle import PHASE_ORDER, Cycle, Phase
from .org import ROLE_LABELS, Department, LoginSession, OrgImport, Person, PersonRole, Role
from .planning import (  # performance planning (issue 3)
    DepartmentGoal,
    DepartmentPlan,
    DepartmentPlanStatus,
    GoalContributor,
    Kpi,
    KpiOrigin,
    MetricType,
    PersonalPlan,
    PlanStatus,
    ProposalStatus,
    StrategyTarget,
    TargetRevision,
    TargetStatus,
)
from .types import UTCDateTime, utcnow

__all__ = [
    "AuditEvent",
    "Cycle",
    "Department",
    "LoginSession",
    "OrgImport",
    "PHASE_ORDER",
    "Person",
    "PersonRole",
    "Phase",
    "ROLE_LABELS",
    "Role",
    "UTCDateTime",
    "utcnow",
    # performance planning
    "DepartmentGoal",
    "DepartmentPlan",
    "DepartmentPlanStatus",
    "GoalContributor",
    "Kpi",
    "KpiOrigin",
    "MetricType",
    "PersonalPlan",
    "PlanStatus",
    "ProposalStatus",
    "StrategyTarget",
    "TargetRevision",
    "TargetStatus",
    # during the cycle (issue 4)
    "CheckIn",
    "CheckInStatus",
    "CoachingComment",
    "Notification",
    "Obstacle",
    "ObstacleStatus",
    "PrivateNote",
    "ReminderLog",
    "RequestKind",
    "RequestStatus",
    "ResourceRequest",
]
