"""All models, importable from one place: `from perfsite.models import Person`."""

from .audit import AuditEvent
from .cycle import PHASE_ORDER, Cycle, Phase
from .org import ROLE_LABELS, Department, LoginSession, OrgImport, Person, PersonRole, Role
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
]
