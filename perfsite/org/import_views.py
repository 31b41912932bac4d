"""Org chart import (CSV/XLSX with preview) and export. Routes live on the org blueprint.

Upload parses the file and keeps its rows (OrgImport); the preview checks them against the
org chart as it is now; commit checks again, then hands the writing to a job
(import_jobs.py) that applies all rows or none while the preview page shows its progress.
The same URL answers the page and, for the htmx poll, only the progress fragment.

Any HR admin may preview and commit any import, not only the one who uploaded it: keeping
the org chart is the HR team's job and a colleague may finish what another started. The
audit log records who committed each change, and an import is applied at most once.
"""

from math import ceil

from flask import Response, abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only
from wtforms import HiddenField
from wtforms.validators import DataRequired

from .. import permissions as can
from ..extensions import db
from ..models import Department, OrgImport, utcnow
from ..web import is_htmx, load, render
from . import bp, import_jobs, importer
from .forms import ImportForm

PREVIEW_PAGE_SIZE = 100
RECENT_IMPORTS = 10
PREVIEW_FILTERS = ("all", "problems", "changes")
STATUS_ID = "import-status"  # the element the page polls while a commit runs


class CommitImportForm(FlaskForm):
    """The commit button. It carries what the preview showed, so that a change to the org
    chart since then is noticed instead of committed unseen."""

    fingerprint = HiddenField(validators=[DataRequired()])


def _administers(user, org_import) -> bool:
    return can.can_administer_org(user)


@bp.get("/org/import")
@can.require(can.can_administer_org)
def import_start():
    return _start_page(ImportForm())


@bp.post("/org/import")
@can.require(can.can_administer_org)
def import_upload():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        # Read one byte past the limit: enough to tell "too large" without reading it all.
        data = upload.read(importer.MAX_BYTES + 1)
        try:
            org_import = importer.store_upload(upload.filename or "", data,
                                               current_user._get_current_object())
        except importer.ImportFileError as error:
            db.session.rollback()
            form.file.errors.append(error.message)
        else:
            db.session.commit()
            return redirect(url_for("org.import_preview", import_id=org_import.id), 303)
    return _start_page(form, status=422)


def _start_page(form: ImportForm, status: int = 200):
    recent = db.session.scalars(
        select(OrgImport)
        .options(load_only(OrgImport.id, OrgImport.filename, OrgImport.created_at,
                           OrgImport.committed_at, OrgImport.created_by_id,
                           OrgImport.commit_state, OrgImport.commit_heartbeat_at,
                           OrgImport.commit_phase, OrgImport.commit_done,
                           OrgImport.commit_total, OrgImport.commit_error,
                           OrgImport.commit_started_at, OrgImport.committed_by_id),
                 joinedload(OrgImport.created_by))
        .order_by(OrgImport.created_at.desc(), OrgImport.id.desc())
        .limit(RECENT_IMPORTS)
    ).all()
    departments = db.session.execute(
        select(Department.code, Department.name).where(Department.active.is_(True))
        .order_by(Department.code)
    ).all()
    return render("org/import.html", form=form, departments=departments,
                  recent=[(item, import_jobs.status(item)) for item in recent],
                  max_rows=importer.MAX_ROWS, max_mb=importer.MAX_BYTES // (1024 * 1024),
                  max_cell=importer.MAX_CELL, status=status)


@bp.get("/org/import/<int:import_id>")
@can.require(can.can_administer_org)
def import_preview(import_id):
    org_import = load(OrgImport, import_id, _administers)
    job = import_jobs.status(org_import)
    polling = is_htmx() and request.headers.get("HX-Target") == STATUS_ID
    if job.under_way:
        return render("org/import_preview.html", fragment="org/_import_status.html",
                      org_import=org_import, job=job, plan=None)
    if polling:
        # The job ended: the whole page shows how (the result, or why nothing was written).
        response = make_response("", 200)
        response.headers["HX-Refresh"] = "true"
        return response
    plan = importer.plan_import(org_import.rows, actor=current_user._get_current_object())
    return _preview_page(org_import, plan, job=job, problem=job.message)


def _preview_page(org_import: OrgImport, plan: importer.ImportPlan, status: int = 200,
                  problem: str | None = None, job=None):
    show = request.args.get("show", "all")
    if show not in PREVIEW_FILTERS:
        show = "all"
    rows = plan.rows
    if show == "problems":
        rows = [r for r in rows if r.errors]
    elif show == "changes":
        rows = [r for r in rows if r.action in (importer.CREATE, importer.UPDATE)]
    pages = max(1, ceil(len(rows) / PREVIEW_PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    shown = rows[(page - 1) * PREVIEW_PAGE_SIZE:page * PREVIEW_PAGE_SIZE]
    form = CommitImportForm()
    form.fingerprint.data = plan.fingerprint
    return render("org/import_preview.html", org_import=org_import, plan=plan, rows=shown,
                  total=len(rows), show=show, page=page, pages=pages, form=form,
                  job=job or import_jobs.status(org_import), problem=problem, status=status)


@bp.post("/org/import/<int:import_id>/commit")
@can.require(can.can_administer_org)
def import_commit(import_id):
    org_import = load(OrgImport, import_id, _administers)
    form = CommitImportForm()
    if not form.validate_on_submit():
        abort(400)
    preview_url = url_for("org.import_preview", import_id=org_import.id)
    job = import_jobs.status(org_import)
    if org_import.committed_at is not None:
        flash(_("This import was already committed; nothing was applied again."), "info")
        return redirect(preview_url, 303)
    if job.under_way:
        flash(_("This import is being committed already."), "info")
        return redirect(preview_url, 303)
    actor = current_user._get_current_object()
    # Check now, in the request, so that a problem is answered here beside the rows; the
    # job checks again in its own transaction before it writes.
    plan = importer.plan_import(org_import.rows, actor=actor)
    if plan.has_errors:
        return _preview_page(org_import, plan, status=422, problem=_(
            "Nothing was written: some rows have problems now. Fix them in your file and "
            "upload it again."))
    if plan.fingerprint != form.fingerprint.data:
        return _preview_page(org_import, plan, status=409, problem=_(
            "The org chart changed since you opened this preview, so nothing was written. "
            "Check the rows below and commit again."))
    if not import_jobs.start_commit(org_import, actor=actor, fingerprint=plan.fingerprint):
        flash(_("This import is being committed already, or was committed."), "info")
    return redirect(preview_url, 303)


@bp.get("/org/import/sample.csv")
@can.require(can.can_administer_org)
def import_sample():
    return _csv_download(importer.sample_csv(), "org-chart-sample.csv")


@bp.get("/org/export.csv")
@can.require(can.can_administer_org)
def export_people():
    return _csv_download(importer.export_csv(), f"org-chart-{utcnow().date().isoformat()}.csv")


def _csv_download(text: str, filename: str) -> Response:
    # A text/ mimetype gets "; charset=utf-8"; the text starts with a BOM for Excel.
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
