"""All models, importable from one place: `from perfsite.models import Person`."""

from .audit import AuditEvent
from .coaching import (  # during the cycle
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
from .feedback import (  # 360-degree feedback
    FeedbackGroup,
    FeedbackRating,
    FeedbackRequest,
    FeedbackSettings,
    FeedbackStatus,
)
from .interview import (  # feedback interviews and outcomes
    GoalDraft,
    ImprovementItem,
    ImprovementItemUpdate,
    Interview,
    InterviewNote,
    InterviewNoteRevision,
    InterviewStatus,
    ItemStatus,
    NoteSection,
    Outcome,
    OutcomeRule,
)
from .notify import (  # notifications where people work
    ChannelKind,
    DeliveryStatus,
    NotificationPreference,
    NotifyChannel,
    OutboxMessage,
)
from .org import ROLE_LABELS, Department, LoginSession, OrgImport, Person, PersonRole, Role
from .planning import (  # performance planning
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
from .review import (  # reviews and calibration
    CalibrationMove,
    Competency,
    Review,
    ReviewCompetencyRating,
    ReviewKind,
    ReviewKpiScore,
    ReviewResult,
    ReviewSettings,
    ReviewStatus,
)
from .signin import DirectoryRole, DirectorySync  # company sign-in and directory sync
from .submission import FormSubmission
from .types import UTCDateTime, utcnow

__all__ = [
    "AuditEvent",
    "Cycle",
    "Department",
    "FormSubmission",
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
    # during the cycle
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
    # reviews and calibration
    "CalibrationMove",
    "Competency",
    "Review",
    "ReviewCompetencyRating",
    "ReviewKind",
    "ReviewKpiScore",
    "ReviewResult",
    "ReviewSettings",
    "ReviewStatus",
    # feedback interviews and outcomes
    "GoalDraft",
    "ImprovementItem",
    "ImprovementItemUpdate",
    "Interview",
    "InterviewNote",
    "InterviewNoteRevision",
    "InterviewStatus",
    "ItemStatus",
    "NoteSection",
    "Outcome",
    "OutcomeRule",
    # 360-degree feedback
    "FeedbackGroup",
    "FeedbackRating",
    "FeedbackRequest",
    "FeedbackSettings",
    "FeedbackStatus",
    # notifications where people work
    "ChannelKind",
    "DeliveryStatus",
    "NotificationPreference",
    "NotifyChannel",
    "OutboxMessage",
    # company sign-in and directory sync
    "DirectoryRole",
    "DirectorySync",
]
