"""Performance planning: strategy targets cascaded into department goals and weighted KPIs."""

from flask import Blueprint, flash
from flask_babel import gettext as _
from flask_babel import ngettext

bp = Blueprint("planning", __name__, url_prefix="/planning")


def flash_copy_result(result) -> None:
    """What a bulk copy (planning.services.bulk.CopyResult) did, for the pages that copy."""
    if result.kpis:
        flash(ngettext("%(num)d KPI copied for %(people)s.", "%(num)d KPIs copied for %(people)s.",
                       result.kpis, people=", ".join(result.copied)), "success")
    if result.unaligned:
        flash(ngettext("%(num)d copied KPI has no matching goal this cycle: align it before "
                       "the plans are submitted.",
                       "%(num)d copied KPIs have no matching goal this cycle: align them before "
                       "the plans are submitted.", result.unaligned), "info")
    if result.skipped:
        flash(_("Skipped: %(list)s.", list="; ".join(f"{name} ({why})"
                                                      for name, why in result.skipped)), "info")
