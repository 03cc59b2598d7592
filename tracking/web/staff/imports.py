"""Staff upload order and shipping files at ``/admin/<brand_slug>/import``: a dry-run preview
(counts and the first failed rows), then the import itself; the result lists failed rows and
links the imported orders. The web only queues the jobs; the worker runs them
(``tracking.orders.imports.jobs``), and the job page shows their rows, polling while they wait
or run."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracking.db import get_session
from tracking.orders import listing
from tracking.orders.imports import generic, jobs
from tracking.orders.imports.messages import FORMAT_LABELS, file_error_text, reason_text
from tracking.orders.imports.run import FORMATS, ImportFileError, detect_format, readable
from tracking.security import order_token
from tracking.sync import heartbeat
from tracking.web.staff.auth import staff_page

bp = Blueprint("admin_import", __name__, url_prefix="/admin")
# A job queued this long (seconds) while no worker was seen lately: the page says so.
STALL_SECONDS = 60


def _form(brand, user, error: str = "", fmt: str = "", status: int = 200):
    html = render_template(
        "admin/import.html",
        brand=brand,
        user=user,
        formats=FORMAT_LABELS,
        fmt=fmt,
        error=error,
        history=request.form.get("history") == "1",
    )
    return html, status


@bp.get("/<brand_slug>/import")
@staff_page
def import_form(brand, user):
    return _form(brand, user)


@bp.get("/<brand_slug>/import/template.csv")
@staff_page
def template_csv(brand, user):
    return Response(
        generic.TEMPLATE.encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=todoku-orders-template.csv"},
    )


@bp.post("/<brand_slug>/import")
@staff_page
def upload(brand, user):
    fmt = request.form.get("format", "")
    upload = request.files.get("file")
    if fmt not in FORMATS and fmt != "auto":
        return _form(brand, user, _("Please choose the kind of file."), status=422)
    if upload is None or not upload.filename:
        return _form(brand, user, _("Please choose a file."), fmt, 422)
    raw = upload.read()
    if not raw.strip():
        return _form(brand, user, _("The file is empty."), fmt, 422)
    chosen = fmt
    try:
        if fmt == "auto":
            fmt = detect_format(raw) or ""
            if not fmt:
                message = _("This file's columns match none of the formats.")
                return _form(brand, user, message, "", 422)
        readable(raw, fmt)  # refused here, before anything is stored
    except ImportFileError as exc:
        return _form(brand, user, file_error_text(exc.code, exc.params), chosen, 422)
    history = request.form.get("history") == "1"  # "Import as history": no customer mail
    file_id = jobs.enqueue_preview(
        get_session(), brand.slug, fmt, upload.filename, raw, history=history
    )
    return redirect(url_for(".job", brand_slug=brand.slug, file_id=file_id), code=303)


@bp.post("/<brand_slug>/import/<file_id>/confirm")
@staff_page
def confirm(brand, user, file_id: str):
    outcome = jobs.confirm(get_session(), brand.slug, file_id)
    if outcome == "missing":
        abort(404)
    if outcome in ("not_ready", "gone"):
        # Not importable now (its preview still runs, or the file is no longer kept): the job
        # page says which, in the staff member's language, instead of a bare 409.
        return _job_page(brand, user, file_id, 409)
    return redirect(url_for(".job", brand_slug=brand.slug, file_id=file_id), code=303)


@bp.get("/<brand_slug>/import/<file_id>")
@staff_page
def job(brand, user, file_id: str):
    return _job_page(brand, user, file_id)


def _job_page(brand, user, file_id: str, status: int = 200):
    session = get_session()
    data = jobs.view(session, brand.slug, file_id)
    if data is None:
        abort(404)
    kind = "import" if "import" in data["jobs"] else "preview"
    current = data["jobs"][kind]
    links = {}
    if kind == "import" and current["state"] == "done":
        numbers = (current["report"] or {}).get("numbers", [])[:50]
        found = listing.by_numbers(session, brand.slug, numbers)
        for number in (n for n in numbers if n in found):  # in the report's order
            token = order_token(brand.slug, found[number].public_id)
            links[number] = url_for("portal.order_page", brand_slug=brand.slug, token=token)
    # Waiting a while, and no worker seen lately: say so plainly.
    stalled = (
        current["state"] == "queued"
        and current["waited"] > STALL_SECONDS
        and heartbeat.worker_silent(session)
    )
    template = (
        "admin/_import_job.html" if request.headers.get("HX-Request") else "admin/import_job.html"
    )
    return render_template(
        template,
        brand=brand,
        user=user,
        data=data,
        kind=kind,
        job=current,
        file_id=file_id,
        links=links,
        stalled=stalled,
        max_attempts=jobs.MAX_ATTEMPTS,
        reason_text=reason_text,
        failure=file_error_text(current["error"] or "", current["params"] or {}),
        format_label=FORMAT_LABELS.get(data["format"], data["format"]),
    ), status
