"""The home page, the language switch and the load balancer's health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)
