"""Customer return desk: start a return from the tracking page, the return's status page, cancel."""

from __future__ import annotations

import contextlib
import secrets

import segno
from flask import Blueprint, abort, make_response, redirect, render_template, url_for
from flask_babel import get_locale, gettext
from htmx_flask import request

from tracking.db import get_session
from tracking.extensions import limiter
from tracking.orders.carrier_codes import brand_carriers
from tracking.returns import (
    eligibility,
    labels,
    machine,
    parcel,
    queries,
    shipping,
    submission,
    transitions,
)
from tracking.returns.links import return_token
from tracking.returns.photos import upload_dir
from tracking.returns.policy import LineInput
from tracking.security import order_token
from tracking.web import no_store
from tracking.web.customer.tokens import order_for_token, return_for_token

bp = Blueprint("returns", __name__)


def _parse(items) -> submission.Submission:
    form, files = request.form, request.files
    lines = []
    for r in items:
        iid = r.item.id
        try:
            qty = int(form.get(f"qty-{iid}", "0") or 0)
        except ValueError:
            qty = 0
        lines.append(
            LineInput(
                item_id=iid,
                qty=max(0, min(qty, 999)),
                reason=form.get(f"reason-{iid}", "")[:40],
                resolution=form.get(f"resolution-{iid}", "")[:16],
                variant=form.get(f"variant-{iid}", "")[:100],
                note=form.get(f"note-{iid}", "")[:1000],
            )
        )
    photos = {}
    for line in lines:
        blobs = [f.read(10 * 1024 * 1024 + 1) for f in files.getlist(f"photos-{line.item_id}")]
        blobs = [brand for brand in blobs if brand]
        if blobs and line.qty > 0:
            photos[line.item_id] = blobs
    return submission.Submission(
        key=form.get("key", "")[:64],
        lines=lines,
        note=form.get("note", "")[:2000],
        bank={k: form.get(k, "")[:100] for k in submission.BANK_FIELDS},
        photos=photos,
    )


def _render_form(brand, order, token, items, form, errors, status=200, summary=None):
    """The form region: the choices (``summary`` None) or the summary step with the choices as
    hidden fields. htmx swaps the region; without JavaScript it is the whole page."""
    template = "returns/_form.html" if request.htmx else "returns/form.html"
    needs_bank = brand.returns.cod_bank_details and order.payment_method == "cod"
    html = render_template(
        template,
        brand=brand,
        order=order,
        token=token,
        items=items,
        form=form,
        errors=errors,
        needs_bank=needs_bank,
        any_ok=any(r.eligibility.ok for r in items),
        summary=summary,
        by_item={r.item.id: r.item for r in items},
    )
    return no_store(make_response(html, status), hide_referrer=True)


@bp.get("/<brand_slug>/o/<token>/return")
def return_form(brand_slug: str, token: str):
    brand, order = order_for_token(brand_slug, token)
    items = eligibility.returnable_items(get_session(), brand, order)
    return _render_form(brand, order, token, items, {"key": secrets.token_urlsafe(24)}, {})


@bp.post("/<brand_slug>/o/<token>/return")
# Three posts per return (summary, perhaps back, send): 60 a minute is the old 20 returns.
@limiter.limit("60 per minute", methods=["POST"])
def submit_return(brand_slug: str, token: str):
    """Three buttons post here: ``step=review`` (the choices → the summary), ``step=edit`` (the
    summary → the choices, as typed) and ``step=send`` (the default: store it)."""
    brand, order = order_for_token(brand_slug, token)
    session = get_session()
    items = eligibility.returnable_items(session, brand, order)
    sub = _parse(items)
    form = request.form.to_dict()
    step = request.form.get("step", "send")
    # htmx only swaps 2xx answers: a fragment with its errors comes back as 200.
    refused = 200 if request.htmx else 422
    if step == "edit":
        return _render_form(brand, order, token, items, form, {})
    checked = submission.review(session, brand, order, sub)
    if step == "review":
        if checked.errors:
            return _render_form(brand, order, token, items, form, checked.errors, refused)
        return _render_form(brand, order, token, items, form, {}, summary=checked)
    try:
        rr = submission.submit(session, brand, order, sub, upload_dir=upload_dir())
    except submission.SubmissionError as exc:
        if exc.errors.get("form") == "stale_form":
            form["key"] = secrets.token_urlsafe(24)
        items = eligibility.returnable_items(session, brand, order)
        # Only photos missing or refused: the summary again, where the photo fields are.
        summary = None if checked.errors or "form" in exc.errors else checked
        return _render_form(brand, order, token, items, form, exc.errors, refused, summary)
    target = url_for(
        "returns.status_page", brand_slug=brand.slug, token=return_token(brand.slug, rr.public_id)
    )
    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)


def _render_status(brand, rr, token, *, typed=None, error="", status=200):
    session = get_session()
    detail = queries.detail(session, rr)
    locale = str(get_locale())
    plan = shipping.plan(
        brand.returns,
        country=brand.shipping.country,
        brand_carriers=brand_carriers(brand),
        status=rr.status,
        paid_by=rr.return_shipping_paid_by,
        resolutions=[line.resolution for line, _item in detail.lines],
        has_label=labels.uploaded(rr) is not None,
        locale=locale,
        fallback=brand.default_locale,
        home=detail.order.country or brand.shipping.country,
    )
    order_link = url_for(
        "portal.order_page",
        brand_slug=brand.slug,
        token=order_token(brand.slug, detail.order.public_id),
    )
    context = dict(
        brand=brand,
        d=detail,
        token=token,
        plan=plan,
        qr=segno.make(rr.rma, error="m").svg_data_uri(scale=4, border=2) if plan.show_qr else None,
        order_link=order_link,
        can_cancel="cancel" in machine.actions_from(rr.status, "customer"),
        can_track=rr.status in ("approved", "in_transit"),
        carrier_codes=sorted(brand_carriers(brand)),
        typed=typed or {"carrier": rr.return_carrier, "tracking_number": ""},
        track_error=error,
        steps=("requested", "approved", "in_transit", "received", "inspected", "closed"),
    )
    template = "returns/_return_tracking.html" if request.htmx else "returns/status.html"
    return no_store(make_response(render_template(template, **context), status), hide_referrer=True)


@bp.get("/<brand_slug>/r/<token>")
def status_page(brand_slug: str, token: str):
    brand, rr = return_for_token(brand_slug, token)
    return _render_status(brand, rr, token)


@bp.post("/<brand_slug>/r/<token>/parcel")
@limiter.limit("20 per minute", methods=["POST"])
def add_parcel(brand_slug: str, token: str):
    """The tracking number of the parcel the customer sent: checked like any number; a refusal
    comes back in place (htmx) or on the page (no JS) with what was typed."""
    brand, rr = return_for_token(brand_slug, token)
    typed = {
        "carrier": request.form.get("carrier", "")[:32],
        "tracking_number": request.form.get("tracking_number", "")[:64],
    }
    try:
        parcel.by_customer(get_session(), brand, rr, **typed)
    except transitions.TransitionError as exc:
        get_session().refresh(rr)
        error = (
            str(exc)
            if exc.code == "tracking"
            else gettext(
                "The shop has already received your parcel, so its tracking number can no longer "
                "be changed."
            )
        )
        return _render_status(brand, rr, token, typed=typed, error=error, status=422)
    target = url_for("returns.status_page", brand_slug=brand.slug, token=token)
    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)


@bp.get("/<brand_slug>/r/<token>/label")
def label(brand_slug: str, token: str):
    """The return's prepaid label: the one staff uploaded for it, else the shop's shared one,
    only when the shop's rules give this return a label."""
    brand, rr = return_for_token(brand_slug, token)
    resolutions = [line.resolution for line, _item in queries.detail(get_session(), rr).lines]
    method = shipping.method_for(
        brand.returns, brand.shipping.country, rr.return_shipping_paid_by, resolutions
    )
    path = {"label": labels.uploaded, "shared_label": lambda _rr: labels.shared(brand)}.get(
        method, lambda _rr: None
    )(rr)
    if path is None:
        abort(404)
    return no_store(labels.download(path, f"{rr.rma}-label.pdf"), hide_referrer=True)


@bp.post("/<brand_slug>/r/<token>/cancel")
def cancel(brand_slug: str, token: str):
    brand, rr = return_for_token(brand_slug, token)
    # Already moved on (e.g. shipped)? The status page shows where it is.
    with contextlib.suppress(transitions.TransitionError):
        transitions.transition(
            get_session(), brand, rr, "cancel", actor="customer", actor_kind="customer"
        )
    return redirect(url_for("returns.status_page", brand_slug=brand.slug, token=token), code=303)
