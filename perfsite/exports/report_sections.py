"""The parts of the printable review that other areas provide: the 360 summary (the feedback
area's report, which applies the anonymity rule and asks who may read it) and the interview
record with its improvement plan and the outcome (the interviews area's records, shown to
whoever may view the interview). A section is None when there is nothing the viewer may
see: the report then says so."""

from __future__ import annotations

from dataclasses import dataclass

from .. import permissions as can
from ..feedback.services.report import report_for
from ..interviews.services.interviews import get_interview
from ..interviews.services.outcomes import get_outcome
from ..models import NoteSection

# The meeting's record as the person reads it: never the head's private preparation.
RECORD_SECTIONS = [NoteSection.STRENGTHS, NoteSection.IMPROVE, NoteSection.OUTCOMES,
                   NoteSection.PERSON, NoteSection.REPLY]


@dataclass
class Sections:
    feedback: object = None  # feedback.services.report.Report
    interview: object = None  # models.Interview (notes and items loaded)
    outcome: object = None  # models.Outcome
    record_sections: tuple = tuple(RECORD_SECTIONS)


def sections_for(viewer, person, cycle) -> Sections:
    interview = get_interview(cycle, person)
    if interview is not None and not can.can_view_interview(viewer, interview):
        interview = None
    outcome = get_outcome(cycle, person) if interview is not None else None
    return Sections(feedback=report_for(viewer, person, cycle), interview=interview,
                    outcome=outcome)
