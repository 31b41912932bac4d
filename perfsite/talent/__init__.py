"""Resource allocation and the talent review: budget and headcount per strategy target and
department, decided against by resource requests; potential, the 3 × 3 grid, moves with
reasons, agreed development actions, key positions and their successors."""

from flask import Blueprint

bp = Blueprint("talent", __name__, url_prefix="/talent")
