"""Company sign-in: OpenID Connect single sign-on, the LDAP / Active Directory password
check, the directory sync, and HR's sign-in settings page."""

from flask import Blueprint

bp = Blueprint("signin", __name__)
