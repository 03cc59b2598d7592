"""Staff upload order and shipping files at ``/admin/<brand_slug>/import``: a dry-run preview
(counts and the first failed rows), then the import itself; the result lists failed rows and
links the imported orders. Jobs run beside the request (``tracking.orders.imports.jobs``)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracking.db import get_session
from tracking.orders import listing
from tracking.orders.imports import generic, jobs
from tracking.orders.imports.run import FORMATS, ImportFileError, detect_format, readable
from tracking.security import order_token
from tracking.web.staff.auth import staff_page

bp = Blueprint("admin_import", __name__, url_prefix="/admin")

FORMAT_LABELS = {
    "generic": _l("Todoku CSV (one row per item)"),
    "shopify": _l("Shopify order export"),
    "rakuten": _l("Rakuten RMS order file (受注データ)"),
    "rakuten-shipping": _l("Rakuten shipping report (発送完了報告)"),
}

# A row error's stable code → what staff read; the parser's own text is shown beside it.
REASONS = {
    "empty": _l("This cell is empty."),
    "missing": _l("This cell is empty."),
    "string_too_long": _l("Too long."),
    "int_parsing": _l("Not a whole number."),
    "int_from_float": _l("Not a whole number."),
    "greater_than_equal": _l("Outside the allowed range."),
    "less_than_equal": _l("Outside the allowed range."),
    "value_error": _l("Not a valid value."),
    "bad_time": _l("Not a date and time Todoku can read."),
    "bad_date": _l("Not a date Todoku can read."),
    "bad_amount": _l("Not an amount."),
    "unknown_carrier": _l("Unknown carrier."),
    "ambiguous_carrier": _l("The tracking number fits several carriers: give the carrier."),
    "unknown_sku": _l("The order has no item with this SKU."),
    "no_such_order": _l("No such order: import the order file first."),
    "invalid_email": _l(
        "Not exactly one email address: give one address, without commas or semicolons."
    ),
    "cell_too_long": _l("The cell is too long (at most 2,000 characters)."),
    "cell_control_character": _l(
        "The cell contains a character that cannot be typed, such as NUL."
    ),
    "cell_invalid_text": _l("The cell contains text that is not valid Unicode."),
    "line_too_long": _l("The line is too long (at most 65,536 characters); it was skipped."),
}


def reason_text(code: str, reason: str) -> str:
    return str(REASONS[code]) if code in REASONS else reason


def file_error_text(code: str, params: dict) -> str:
    """What staff read when a whole file is refused (``ImportFileError``'s code)."""
    if code == "undecodable":
        return _(
            "The file is not valid Shift_JIS or UTF-8 text (tried %(tried)s): line %(line)s "
            "holds bytes neither can read. Save it as UTF-8 or Shift_JIS (CP932) and upload it "
            "again.",
            tried=params.get("tried", ""),
            line=params.get("line", "?"),
        )
    if code == "header_too_long":
        return _("The first line (the column names) is too long: is this a CSV file?")
    if code == "bad_header":
        return _(
            "Column %(column)s of the first line is not a column name (too long, or a "
            "character that cannot be typed).",
            column=params.get("column", "?"),
        )
    if code == "too_many_columns":
        return _("The file has more than %(n)s columns.", n=params.get("limit", ""))
    if code == "wrong_format" and params.get("guess"):
        return _(
            "The columns are not those of the chosen kind of file; it looks like: %(kind)s.",
            kind=FORMAT_LABELS.get(params["guess"], params["guess"]),
        )
    if code == "wrong_format":
        return _("This file's columns match none of the formats.")
    return _("The file could not be imported. Please try again, or ask the administrator.")


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
