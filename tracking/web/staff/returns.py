"""Staff returns queue under ``/admin/<brand_slug>/returns``: filters, detail, transitions, bulk
approve, notes, CSV export and photos (routes of the ``admin`` blueprint). Another brand's RMA or
photo is a plain 404."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from htmx_flask import request

from tracking.db import get_session
from tracking.orders.carrier_codes import brand_carriers
from tracking.orders.sheets import csv_response
from tracking.returns import labels, machine, outcomes, queries, shipping, transitions
from tracking.returns import queue as returns_queue
from tracking.returns.display import RETURN_STATUS_LABELS
from tracking.returns.models import ReturnRequest
from tracking.returns.photos import path_of, upload_dir
from tracking.web.staff.auth import bp, staff_page

TRANSITION_MESSAGES = {
    "illegal": lambda: _("That step is not possible from the current status."),
    "stale": lambda: _(
        "Someone else changed this return while you were looking at it. "
        "Here is the current state; please check it and try again."
    ),
    "forbidden": lambda: _("That step is not possible from the current status."),
    "resolution": lambda: _(
        "That is not what the customer asked for. Change the resolution first, with a reason."
    ),
    "no_codes": lambda: _(
        "The shop's pool of store-credit codes is empty. Import more codes, then try again."
    ),
}


def _filters() -> dict:
    age = request.args.get("age", "")
    return {
        "status": request.args.get("status", "")
        if request.args.get("status") in machine.STATUSES
        else "",
        "reason": request.args.get("reason", "")[:40],
        "age": age if age in ("2", "7", "14", "30") else "",
        "q": request.args.get("q", "")[:100],
    }


def _search(brand, f, limit: int = 200):
    return queries.search(
        get_session(),
        brand.slug,
        status=f["status"],
        reason=f["reason"],
        older_than_days=int(f["age"]) if f["age"] else None,
        q=f["q"],
        limit=limit,
    )


@bp.get("/<brand_slug>/returns")
@staff_page
def queue(brand, user):
    f = _filters()
    rows = _search(brand, f)
    template = "admin/_queue_table.html" if request.htmx else "admin/queue.html"
    return render_template(
        template, brand=brand, user=user, rows=rows, f=f, statuses=machine.STATUSES
    )


@bp.get("/<brand_slug>/returns.csv")
@staff_page
def export_csv(brand, user):
    rows = _search(brand, _filters(), limit=50_000)  # the page shows 200; the export all of them
    return csv_response(
        brand,
        "returns",
        ["rma", "status", "order", "email", "created_at", "fault", "refund_estimate"],
        (
            [
                rr.rma,
                rr.status,
                order.number,
                rr.email,
                rr.created_at,
                rr.fault,
                rr.refund_estimate,
            ]
            for rr, order in rows
        ),
    )


@bp.get("/<brand_slug>/refunds.csv")
@staff_page
def refunds_csv(brand, user):
    """Refunds to pay and paid, with the bank details of cash-on-delivery orders."""
    rows = returns_queue.refund_rows(get_session(), brand.slug)
    return csv_response(brand, "refunds", returns_queue.REFUND_HEADER, rows)


def _return_or_404(brand, rma: str) -> ReturnRequest:
    rr = queries.by_rma(get_session(), brand.slug, rma)
    if rr is None:
        abort(404)
    return rr


def _render_detail(brand, user, rr, status=200, error=None, typed=None):
    d = queries.detail(get_session(), rr)
    method = shipping.method_for(
        brand.returns,
        brand.shipping.country,
        rr.return_shipping_paid_by,
        d.resolutions,
    )
    html = render_template(
        "admin/detail.html",
        shipping_method=method,
        has_label=labels.uploaded(rr) is not None,
        brand=brand,
        user=user,
        d=d,
        # After inspection only the step giving what was asked for (machine.staff_actions).
        actions=machine.staff_actions(rr.status, d.resolutions, d.given),
        asked=set(machine.staff_actions(rr.status, d.resolutions, d.given)) - {"reject", "review"},
        can_change=rr.status in outcomes.CHANGEABLE,
        error=error,
        typed=typed or {},
        carrier_codes=sorted(brand_carriers(brand)),
    )
    return make_response(html, status)


@bp.get("/<brand_slug>/returns/<rma>")
@staff_page
def detail(brand, user, rma):
    return _render_detail(brand, user, _return_or_404(brand, rma))


@bp.post("/<brand_slug>/returns/<rma>/transition")
@staff_page
def do_transition(brand, user, rma):
    session = get_session()
    rr = _return_or_404(brand, rma)
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        version = -1
    typed = {
        "carrier": request.form.get("carrier", "")[:32],
        "tracking_number": request.form.get("tracking_number", "")[:64],
    }
    try:
        outcomes.act(
            session,
            brand,
            rr,
            request.form.get("action", ""),
            **typed,
            actor=f"staff:{user.email}",
            reason=request.form.get("reason", "")[:2000],
            expected_version=version,
        )
    except transitions.TransitionError as exc:
        session.refresh(rr)
        # A refused return parcel says why (check_number's localized reason); the rest by code.
        message = str(exc) if exc.code == "tracking" else TRANSITION_MESSAGES[exc.code]()
        return _render_detail(brand, user, rr, 409, message, typed)
    flash(_("Saved: %(status)s", status=RETURN_STATUS_LABELS[rr.status]))
    return redirect(url_for("admin.detail", brand_slug=brand.slug, rma=rr.rma), code=303)


def _int(value: str) -> int:
    try:
        return int(value[:12])
    except ValueError:
        return -1


@bp.post("/<brand_slug>/returns/<rma>/resolution")
@staff_page
def change_resolution(brand, user, rma):
    """An explicit change of one line's resolution, with the reason the customer is shown."""
    session = get_session()
    rr = _return_or_404(brand, rma)
    form = request.form
    try:
        outcomes.change_resolution(
            session,
            brand,
            rr,
            line_id=_int(form.get("line", "")),
            resolution=form.get("resolution", "")[:16],
            variant=form.get("variant", "")[:100],
            actor=f"staff:{user.email}",
            reason=form.get("reason", "")[:2000],
            expected_version=_int(form.get("version", "")),
        )
    except transitions.TransitionError as exc:
        session.refresh(rr)
        message = (
            _("Choose a resolution and say why (the customer sees the reason).")
            if exc.code == "resolution"
            else TRANSITION_MESSAGES[exc.code]()
        )
        return _render_detail(brand, user, rr, 409, message)
    flash(_("Resolution changed."))
    return redirect(url_for("admin.detail", brand_slug=brand.slug, rma=rr.rma), code=303)


LABEL_ERRORS = {
    "empty": lambda: _("Choose the label file to upload."),
    "too_large": lambda: _("The label is larger than 5 MB."),
    "not_pdf": lambda: _("The label must be a PDF file."),
    "stale": TRANSITION_MESSAGES["stale"],
}


@bp.post("/<brand_slug>/returns/<rma>/label")
@staff_page
def upload_label(brand, user, rma):
    """The prepaid label for this return: a PDF, shown to the customer on the status page."""
    rr = _return_or_404(brand, rma)
    upload = request.files.get("label")
    data = upload.read(labels.MAX_BYTES + 1) if upload else b""
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        version = -1
    try:
        labels.attach(
            get_session(), brand, rr, data, actor=f"staff:{user.email}", expected_version=version
        )
    except labels.LabelError as exc:
        get_session().refresh(rr)
        return _render_detail(brand, user, rr, 422, LABEL_ERRORS[exc.code]())
    flash(_("Label saved: the customer can download it on the return's page."))
    return redirect(url_for("admin.detail", brand_slug=brand.slug, rma=rr.rma), code=303)


@bp.get("/<brand_slug>/returns/<rma>/label.pdf")
@staff_page
def label(brand, user, rma):
    rr = _return_or_404(brand, rma)
    path = labels.uploaded(rr)
    if path is None:
        abort(404)
    return labels.download(path, f"{rr.rma}-label.pdf")


@bp.post("/<brand_slug>/returns/<rma>/note")
@staff_page
def add_note(brand, user, rma):
    rr = _return_or_404(brand, rma)
    text = request.form.get("note", "").strip()
    if text:
        transitions.add_note(get_session(), rr, f"staff:{user.email}", text)
        flash(_("Note added."))
    return redirect(url_for("admin.detail", brand_slug=brand.slug, rma=rr.rma), code=303)


@bp.post("/<brand_slug>/returns/bulk-approve")
@staff_page
def bulk_approve(brand, user):
    """Each checked row carries "RMA:version"; rows changed meanwhile are skipped, not forced."""
    picks = []
    for value in request.form.getlist("pick")[:200]:
        rma, _sep, version = value.partition(":")
        picks.append((rma, int(version) if version.isdigit() else None))
    done, skipped = returns_queue.approve_many(
        get_session(), brand, picks, actor=f"staff:{user.email}", reason=_("Bulk approval")
    )
    flash(
        _(
            "Approved: %(done)s. Skipped (changed or not approvable): %(skipped)s.",
            done=done,
            skipped=skipped,
        )
    )
    return redirect(url_for("admin.queue", brand_slug=brand.slug), code=303)


@bp.get("/<brand_slug>/photos/<int:photo_id>")
@staff_page
def photo(brand, user, photo_id):
    found = returns_queue.photo_of(get_session(), brand.slug, photo_id)
    if found is None:
        abort(404)
    pic, rr = found
    try:
        path = path_of(upload_dir(), pic.stored_name)
    except FileNotFoundError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", download_name=f"{rr.rma}-{pic.id}.jpg")
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
