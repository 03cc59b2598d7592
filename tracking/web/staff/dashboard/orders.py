"""Dashboard: the orders list and its CSV, the tracking links CSV of a date range, an order's
page, "send the shipping mail again", the order's language and adding or correcting a parcel."""

from __future__ import annotations

import secrets

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from htmx_flask import request

from tracking.dashboard import actions, orders
from tracking.db import get_session
from tracking.normalize import day_or_none
from tracking.orders import language, sheets
from tracking.orders.carrier_codes import brand_carriers
from tracking.orders.links import LINKS_HEADER, links_between
from tracking.orders.sheets import csv_response
from tracking.security import order_token
from tracking.web.staff.auth import staff_page
from tracking.web.staff.dashboard.home import MAX_ID, bp, checked_id


def _after() -> int | None:
    """The id the next page starts after: an INTEGER column's id, else no paging at all."""
    value = request.args.get("after", "")
    if not (value.isdecimal() and len(value) <= len(str(MAX_ID))):
        return None
    return int(value) if int(value) <= MAX_ID else None


@bp.get("/orders")
@staff_page
def orders_list(brand, user):
    f = orders.parse_filter(request.args)
    rows, next_after = orders.search(get_session(), brand.slug, f, brand.tz, after=_after())
    return render_template(
        "dashboard/orders.html",
        brand=brand,
        user=user,
        f=f,
        rows=rows,
        next_after=next_after,
        paged=_after() is not None,
        statuses=orders.STATUSES,
        carrier_codes=sorted(brand_carriers(brand)),
    )


@bp.get("/orders.csv")
@staff_page
def orders_csv(brand, user):
    f = orders.parse_filter(request.args)
    rows, _next = orders.search(get_session(), brand.slug, f, brand.tz, limit=10_000)
    header = ["order", "placed_at", "name", "email", "postcode", "carrier", "tracking", "status"]
    header += ["late"]
    return csv_response(
        brand,
        "orders",
        header,
        (
            [
                r.order.number,
                r.order.placed_at,
                r.order.name,
                r.order.email,
                sheets.postcode(r.order.postcode, r.order.country),
                p.carrier if p else "",
                sheets.Text(p.tracking_number) if p else "",
                p.status if p else "",
                p.late if p else 0,
            ]
            for r in rows
            for p in (r.parcels or [None])
        ),
    )


@bp.get("/links.csv")
@staff_page
def links_csv(brand, user):
    """Every parcel's tracking link for a range of shipping days (shop-local, both included)."""
    start = day_or_none(request.args.get("from", ""))
    end = day_or_none(request.args.get("to", ""))
    if start is None or end is None or end < start:
        flash(_("Choose the first and the last shipping day (the first not after the last)."))
        return redirect(url_for("dashboard.orders_list", brand_slug=brand.slug), code=303)
    rows = links_between(get_session(), brand, start, end)
    return csv_response(brand, f"links-{start}-{end}", LINKS_HEADER, rows)


def _order_or_404(brand, number: str):
    order = orders.order_by_number(get_session(), brand.slug, number[:64])
    if order is None:
        abort(404)
    return order


def _order_page(brand, user, order, status: int = 200, **forms):
    """The order detail; ``forms`` carry what was typed into a form that came back (422)."""
    session = get_session()
    d = orders.detail(session, brand.slug, order)
    link = url_for(
        "portal.order_page",
        brand_slug=brand.slug,
        token=order_token(brand.slug, order.public_id),
        _external=True,
    )
    html = render_template(
        "dashboard/order.html",
        brand=brand,
        user=user,
        d=d,
        link=link,
        history=actions.history(session, order),
        resend_key=secrets.token_urlsafe(12),
        resend_error=forms.get("resend_error", ""),
        language_error=forms.get("language_error", ""),
        mail_locale=language.locale_for(brand, order),
        parcel_form=forms.get("parcel_form") or actions.ParcelForm(),
        carrier_codes=sorted(brand_carriers(brand)),
        is_resend=actions.is_resend,
    )
    return make_response(html, status)


@bp.get("/orders/<number>")
@staff_page
def order_detail(brand, user, number):
    return _order_page(brand, user, _order_or_404(brand, number))


def _back_to(order, brand, anchor: str = ""):
    url = url_for("dashboard.order_detail", brand_slug=brand.slug, number=order.number)
    return redirect(url + (f"#{anchor}" if anchor else ""), code=303)


@bp.post("/orders/<number>/resend")
@staff_page
def resend_mail(brand, user, number):
    order = _order_or_404(brand, number)
    session = get_session()
    try:
        actions.resend_shipping_mail(
            session, brand, order, user.email, request.form.get("key", "")[:64]
        )
    except actions.ActionError as exc:
        session.rollback()
        return _order_page(brand, user, order, 422, resend_error=exc.message)
    session.commit()
    flash(_("The shipping mail is queued again; it shows in the mails below."))
    return _back_to(order, brand, "h-mails")


@bp.post("/orders/<number>/language")
@staff_page
def set_language(brand, user, number):
    order = _order_or_404(brand, number)
    session = get_session()
    try:
        changed = actions.change_language(
            session, brand, order, request.form.get("locale", "")[:8], user.email
        )
    except actions.ActionError as exc:
        session.rollback()
        return _order_page(brand, user, order, 422, language_error=exc.message)
    session.commit()
    flash(
        _("The customer's language is saved; later mail is written in it.")
        if changed
        else _("Nothing changed.")
    )
    return _back_to(order, brand, "h-customer")


@bp.post("/orders/<number>/parcels")
@staff_page
def save_parcel(brand, user, number):
    """Add a parcel (no ``shipment_id``) or correct the one named by ``shipment_id``."""
    order = _order_or_404(brand, number)
    session = get_session()
    f = actions.parse_parcel_form(request.form)
    shipment = None
    if request.form.get("shipment_id"):
        shipment = actions.parcel_of_order(session, order, checked_id(f.shipment_id or MAX_ID + 1))
        if shipment is None:
            abort(404)
    try:
        if shipment is None:
            actions.add_parcel(session, brand, order, f, user.email)
            message = _("Parcel added; the carrier will be asked at once.")
        elif actions.correct_parcel(session, brand, order, shipment, f, user.email):
            message = _("Parcel corrected; its tracking starts over with the new number.")
        else:
            message = _("Nothing changed.")
    except actions.ActionError as exc:
        session.rollback()
        f.error, f.field = exc.message, exc.field
        return _order_page(brand, user, order, 422, parcel_form=f)
    session.commit()
    flash(message)
    return _back_to(order, brand, "parcels")
