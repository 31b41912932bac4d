"""Data for the resource-allocation and talent-review tests, made through the services so
the rules and the audit apply."""

from __future__ import annotations

from perfsite.coaching.services import requests
from perfsite.cycles import services as cycles
from perfsite.extensions import db
from perfsite.models import Phase
from perfsite.reviews.services import calibration
from perfsite.talent.services import allocations, review, succession

from .coaching_factories import NOW, Running, running_cycle
from .factories import Company, hr_admin
from .interview_factories import interview_cycle


def allocated_cycle(c: Company, name: str = "2026 H2", budget="100000.00", headcount=3,
                    eng_budget="60000.00", eng_headcount=2) -> Running:
    """The running cycle (its target "Grow revenue" is served by Engineering's goals) with
    an allocation, split to Engineering."""
    run = running_cycle(c, name=name)
    allocation = allocations.allocate(run.target, c.exec, currency="CNY", budget=budget,
                                      headcount=headcount, expected_version="", now=NOW)
    allocations.split(allocation, c.exec, shares={c.eng.id: (eng_budget, eng_headcount)},
                      expected_version=allocation.version, now=NOW)
    return run


def raise_request(run, person, **fields):
    fields = {"kind": "budget", "what": "Load-test rig", "why": "The portal must scale",
              **fields}
    return requests.raise_request(run.kpi, person, now=NOW, **fields)


def talent_cycle(c: Company, name: str = "2026 H2", calibrate_colleague_to: str | None = None):
    """A cycle in its feedback interviews: staff's final score 4.00 (band A), colleague's
    3.00 (band B, at its lower edge) unless calibration moved them."""
    if calibrate_colleague_to is None:
        return interview_cycle(c, name=name)
    run = interview_cycle(c, name=name, phase=Phase.CALIBRATION)
    result = calibration.results_query(run.cycle)
    for found in db.session.scalars(result):
        if found.person_id == c.colleague.id:
            calibration.move_rating(found, c.hr, to_band=calibrate_colleague_to,
                                    reason="Calibrated", expected_version=found.version,
                                    now=NOW)
    cycles.move_phase(run.cycle, hr_admin(), Phase.INTERVIEWS)
    return run


def assessed(cycle, person, head, potential="high", comment="Learns fast"):
    assessment = review.assessment_for(cycle, person)
    return review.assess(assessment, head, potential=potential, comment=comment,
                         expected_version=assessment.version or "", now=NOW)


# For the access matrix (tests/test_access_matrix.py): colleague's position marked key by
# HR, with staff named as a successor. (The talent routes' cycle is the company's cycle:
# the predicates refuse by person before any phase is asked.)

def _matrix_objects(company, app) -> dict:
    from perfsite.models import Person

    with app.app_context():
        hr = db.session.get(Person, company.hr.id)
        position = succession.mark(db.session.get(Person, company.colleague.id), hr,
                                   title="Tech lead", now=NOW)
        successor = succession.name_successor(position, hr, candidate_id=company.staff.id,
                                              readiness="one_two_years", now=NOW)
        db.session.commit()
        return {"position_id": position.id, "successor_id": successor.id}


def matrix_value(name: str):
    def value(company, app):
        if not hasattr(company, "_talent_matrix"):
            company._talent_matrix = _matrix_objects(company, app)
        return company._talent_matrix[name]

    return value


def live_successor(company, app) -> int:
    """The matrix's successor id; named again when an allowed request removed it, so that
    each role asks about a successor that exists (a 404 never counts as allowed)."""
    from perfsite.models import KeyPosition, Person, Successor

    successor_id = matrix_value("successor_id")(company, app)
    with app.app_context():
        if db.session.get(Successor, successor_id) is None:
            position = db.session.get(KeyPosition, company._talent_matrix["position_id"])
            successor = succession.name_successor(
                position, db.session.get(Person, company.hr.id),
                candidate_id=company.staff.id, readiness="one_two_years", now=NOW)
            db.session.commit()
            company._talent_matrix["successor_id"] = successor.id
    return company._talent_matrix["successor_id"]
