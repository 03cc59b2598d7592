"""Staff upload order and shipping files at ``/admin/<brand_slug>/import``: a dry-run preview
(counts and the first failed rows), then the import itself; the result lists failed rows and
links the imported orders. Jobs run beside the request (``tracking.orders.imports.jobs``)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracking.db import get_session
from tracking.orders import listing
from tracking.orders.imports import generic, jobs
from tracking.orders.imports.messages import FORMAT_LABELS, file_error_text, reason_text
from tracking.orders.imports.run import FORMATS, ImportFileError, detect_format, readable
from tracking.security import order_token
from tracking.web.staff.auth import staff_page

bp = Blueprint("admin_import", __name__, url_prefix="/admin")


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
    file_id = jobs.store_file(brand.slug, fmt, upload.filename, raw, history=history)
    jobs.start(file_id, "preview")
    return redirect(url_for(".job", brand_slug=brand.slug, file_id=file_id), code=303)


@bp.post("/<brand_slug>/import/<file_id>/confirm")
@staff_page
def confirm(brand, user, file_id: str):
    data = jobs.status(file_id, brand.slug)
    if data is None:
        abort(404)
    preview = data["jobs"].get("preview") or {}
    if preview.get("state") != "done":
        abort(409)
    jobs.start(file_id, "import")
    return redirect(url_for(".job", brand_slug=brand.slug, file_id=file_id), code=303)


@bp.get("/<brand_slug>/import/<file_id>")
@staff_page
def job(brand, user, file_id: str):
    data = jobs.status(file_id, brand.slug)
    if data is None:
        abort(404)
    kind = "import" if "import" in data["jobs"] else "preview"
    current = data["jobs"][kind]
    links = {}
    if kind == "import" and current.get("state") == "done":
        numbers = (current["report"] or {}).get("numbers", [])[:50]
        found = listing.by_numbers(get_session(), brand.slug, numbers)
        for number in (n for n in numbers if n in found):  # in the report's order
            token = order_token(brand.slug, found[number].public_id)
            links[number] = url_for("portal.order_page", brand_slug=brand.slug, token=token)
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
        reason_text=reason_text,
        failure=file_error_text(current.get("error") or "", current.get("params") or {}),
        format_label=FORMAT_LABELS.get(data["format"], data["format"]),
    )
