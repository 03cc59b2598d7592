"""The merchant's daily screen under ``/admin/<brand_slug>/``: home (watchlist and inbox counts),
orders, order detail, watchlist, inquiries (with the reply), figures, CSV exports, and the
owner's settings (staff accounts, API keys, alerts). Every page checks the brand (404)."""

from __future__ import annotations

import secrets
from functools import wraps

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from htmx_flask import request
from sqlmodel import col, select

from tracking.dashboard import (
    actions,
    alerts,
    charts,
    display,
    figures,
    inquiries,
    orders,
    watchlist,
)
from tracking.db import get_session
from tracking.mail import labels as mail_labels
from tracking.security import order_token
from tracking.staff import auth as staff
from tracking.staff.api_keys import create_api_key
from tracking.staff.models import ApiKey, StaffUser
from tracking.timeutil import utcnow
from tracking.web.admin import staff_page
from tracking.web.csv_export import csv_response

bp = Blueprint("dashboard", __name__, url_prefix="/admin/<brand_slug>")


def owner_only(view):
    """After ``staff_page``: an owner's page; staff get 403."""

    @wraps(view)
    def wrapper(brand, user, *args, **kwargs):
        if user.role != "owner":
            abort(403)
        return view(brand, user, *args, **kwargs)

    return wrapper


MAX_ID = 2**31 - 1  # an id past INTEGER's range is no row (and PostgreSQL would refuse it)


def _checked_id(value: int) -> int:
    if value > MAX_ID:
        abort(404)
    return value


@bp.get("/")
@staff_page
def home(brand, user):
    session = get_session()
    entries = watchlist.entries(session, brand.slug)
    open_count, overdue = inquiries.open_counts(session, brand)
    return render_template(
        "dashboard/home.html",
        brand=brand,
        user=user,
        counts=watchlist.counts(entries),
        open_count=open_count,
        overdue=overdue,
    )


# Orders ------------------------------------------------------------------------------------


def _after() -> int | None:
    value = request.args.get("after", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


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
        carrier_codes=sorted(brand.carriers),
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
                r.order.placed_at.isoformat(),
                r.order.name,
                r.order.email,
                r.order.postcode,
                p.carrier if p else "",
                p.tracking_number if p else "",
                p.status if p else "",
                int(p.late) if p else 0,
            ]
            for r in rows
            for p in (r.parcels or [None])
        ),
    )


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
        parcel_form=forms.get("parcel_form") or actions.ParcelForm(),
        carrier_codes=sorted(brand.carriers),
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


@bp.post("/orders/<number>/parcels")
@staff_page
def save_parcel(brand, user, number):
    """Add a parcel (no ``shipment_id``) or correct the one named by ``shipment_id``."""
    order = _order_or_404(brand, number)
    session = get_session()
    f = actions.parse_parcel_form(request.form)
    shipment = None
    if request.form.get("shipment_id"):
        shipment = actions.parcel_of_order(session, order, _checked_id(f.shipment_id or MAX_ID + 1))
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


# Watchlist ---------------------------------------------------------------------------------


@bp.get("/watchlist")
@staff_page
def watchlist_page(brand, user):
    now = utcnow()
    entries = watchlist.entries(get_session(), brand.slug, now)
    reason = request.args.get("reason", "")
    shown = [e for e in entries if e.reason == reason] if reason in watchlist.REASONS else entries
    return render_template(
        "dashboard/watchlist.html",
        brand=brand,
        user=user,
        entries=shown,
        counts=watchlist.counts(entries),
        reason=reason if reason in watchlist.REASONS else "",
        now=now,
    )


@bp.get("/watchlist.csv")
@staff_page
def watchlist_csv(brand, user):
    now = utcnow()
    return csv_response(
        brand,
        "watchlist",
        ["reason", "order", "carrier", "tracking", "status", "age_days", "last_scan"],
        (
            [
                e.reason,
                e.order_number,
                e.shipment.carrier,
                e.shipment.tracking_number,
                e.shipment.status,
                e.age_days(now),
                e.last_scan.isoformat() if e.last_scan else "",
            ]
            for e in watchlist.entries(get_session(), brand.slug, now)
        ),
    )


# Inquiries ---------------------------------------------------------------------------------


def _state() -> str:
    state = request.args.get("state", "open")
    return state if state in (*inquiries.STATES, "all") else "open"


@bp.get("/inquiries")
@staff_page
def inquiries_page(brand, user):
    state = _state()
    rows = inquiries.inbox(get_session(), brand, state)
    return render_template(
        "dashboard/inquiries.html", brand=brand, user=user, rows=rows, state=state, errors={}
    )


@bp.get("/inquiries.csv")
@staff_page
def inquiries_csv(brand, user):
    return csv_response(
        brand,
        "inquiries",
        ["id", "order", "asked_at", "reply_by", "status", "overdue", "question", "reply"],
        (
            [
                r.inquiry.id,
                r.order.number,
                r.inquiry.created_at.isoformat(),
                r.inquiry.reply_by.isoformat(),
                r.inquiry.status,
                int(r.overdue),
                r.inquiry.message,
                r.inquiry.reply,
            ]
            for r in inquiries.inbox(get_session(), brand, _state(), limit=50_000)
        ),
    )


@bp.post("/inquiries/<int:inquiry_id>/reply")
@staff_page
def inquiry_reply(brand, user, inquiry_id):
    session = get_session()
    found = inquiries.by_id(session, brand, _checked_id(inquiry_id))
    if found is None:
        abort(404)
    inquiry, order = found
    text, error = inquiries.parse_reply(request.form.get("reply"))
    if error is None and inquiry.status == "answered":
        error = _("This question has already been answered.")
    if error:
        rows = inquiries.inbox(session, brand, "all")
        return make_response(
            render_template(
                "dashboard/inquiries.html",
                brand=brand,
                user=user,
                rows=rows,
                state="all",
                errors={inquiry.id: (error, text)},
            ),
            422,
        )
    inquiries.reply(session, brand, inquiry, order, text, user.email)
    flash(_("Reply sent to the customer for order %(number)s.", number=order.number))
    return redirect(url_for("dashboard.inquiries_page", brand_slug=brand.slug), code=303)


# Figures -----------------------------------------------------------------------------------


def _figures(brand):
    rng = figures.parse_range(request.args, brand, inquiries.today(brand))
    return figures.figures(get_session(), brand, rng)


@bp.get("/figures")
@staff_page
def figures_page(brand, user):
    fig = _figures(brand)
    chart = charts.bars([(d.isoformat(), n) for d, n in fig.views_per_day])
    ratings = charts.bars(
        [(str(k), v) for k, v in fig.feedback_distribution.items()], width=320, height=120
    )
    return render_template(
        "dashboard/figures.html",
        brand=brand,
        user=user,
        fig=fig,
        chart=chart,
        ratings=ratings,
        range_args={"since": fig.range.start.isoformat(), "until": fig.range.end.isoformat()},
    )


ON_TIME = [
    "carrier",
    "delivered",
    "with_estimate",
    "on_time",
    "on_time_rate",
    "inside_window",
    "accuracy",
]


def _keyed(names: list[str], rows_of):
    """A table whose rows are dicts: the header is their keys, each CSV row those keys' values."""
    return names, lambda fig: ([row[name] for name in names] for row in rows_of(fig))


TABLES = {
    "views": (["day", "views"], lambda fig: ([d.isoformat(), n] for d, n in fig.views_per_day)),
    "feedback": (
        ["rating", "answers"],
        lambda fig: ([k, v] for k, v in fig.feedback_distribution.items()),
    ),
    "comments": (
        ["created_at", "rating", "comment"],
        lambda fig: ([t.isoformat(), r, c] for t, r, c in fig.comments),
    ),
    "banners": _keyed(
        ["banner", "placement", "impressions", "clicks", "ctr"], lambda fig: fig.banners
    ),
    "on-time": _keyed(ON_TIME, lambda fig: fig.on_time),
    "views-by-status": (
        ["status", "views"],
        lambda fig: ([st or "not_recorded", n] for st, n in fig.views_per_status),
    ),
    "sources": (
        ["lookups", "link_opens", "not_recorded", "lookup_share"],
        lambda fig: [
            [fig.sources[k] for k in ("lookups", "link_opens", "unknown", "lookup_share")]
        ],
    ),
    "on-time-lanes": _keyed(
        [ON_TIME[0], "origin", "destination", *ON_TIME[1:]], lambda fig: fig.on_time_lanes
    ),
    "return-reasons": _keyed(["reason", "lines", "units"], lambda fig: fig.return_reasons),
    "return-products": _keyed(
        ["sku", "name", "returned", "sold", "rate"], lambda fig: fig.return_products
    ),
    "kept": _keyed(["lines", "kept_lines", "share", "value", "kept_value"], lambda fig: [fig.kept]),
}


@bp.get("/figures/<table>.csv")
@staff_page
def figures_csv(brand, user, table):
    if table not in TABLES:
        abort(404)
    header, rows = TABLES[table]
    return csv_response(brand, f"figures-{table}", header, rows(_figures(brand)))


# Owner's settings --------------------------------------------------------------------------


def _settings(brand, user, status=200, error=None, new_key=None, typed=None):
    """The owner's settings; ``typed`` is the refused form, shown again as it was typed."""
    session = get_session()
    html = render_template(
        "dashboard/settings.html",
        brand=brand,
        user=user,
        accounts=session.exec(
            select(StaffUser).where(StaffUser.brand == brand.slug).order_by(StaffUser.email)
        ).all(),
        keys=session.exec(
            select(ApiKey).where(ApiKey.brand == brand.slug).order_by(col(ApiKey.id).desc())
        ).all(),
        alert=alerts.settings_for(session, brand.slug),
        error=error,
        new_key=new_key,
        roles=staff.ROLES,
        typed=typed or {},
    )
    return make_response(html, status)


@bp.get("/settings")
@staff_page
@owner_only
def settings(brand, user):
    return _settings(brand, user)


@bp.post("/settings/staff")
@staff_page
@owner_only
def add_staff(brand, user):
    role = request.form.get("role", "staff")
    try:
        staff.create_staff(
            get_session(),
            brand.slug,
            request.form.get("email", "")[:254],
            request.form.get("password", "")[:200],
            role if role in staff.ROLES else "staff",
        )
    except staff.StaffError:
        message = _(
            "Could not add the account: check the email address (not used yet) and that the "
            "password has at least %(n)s characters.",
            n=staff.MIN_PASSWORD,
        )
        return _settings(brand, user, 422, error=message, typed=request.form)
    flash(_("Account added."))
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)


def _account_or_404(brand, account_id: int) -> StaffUser:
    account = get_session().get(StaffUser, _checked_id(account_id))
    if account is None or account.brand != brand.slug:
        abort(404)
    return account


@bp.post("/settings/staff/<int:account_id>/active")
@staff_page
@owner_only
def toggle_staff(brand, user, account_id):
    account = _account_or_404(brand, account_id)
    if account.id == user.id:
        return _settings(brand, user, 422, error=_("You cannot switch off your own account."))
    account.active = not account.active
    account.session_version += 1  # switched off: every session of it ends now
    session = get_session()
    session.add(account)
    session.commit()
    flash(_("Account updated."))
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)


@bp.post("/settings/keys")
@staff_page
@owner_only
def add_key(brand, user):
    name = request.form.get("name", "").strip().replace("\x00", "")[:100]
    if not name:
        return _settings(
            brand, user, 422, error=_("Please name the key (what will use it)."), typed=request.form
        )
    key = create_api_key(get_session(), brand.slug, name)
    return _settings(brand, user, new_key=key)


@bp.post("/settings/keys/<int:key_id>/revoke")
@staff_page
@owner_only
def revoke_key(brand, user, key_id):
    session = get_session()
    key = session.get(ApiKey, _checked_id(key_id))
    if key is None or key.brand != brand.slug:
        abort(404)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.commit()
    flash(_("Key revoked."))
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)


@bp.post("/settings/alerts")
@staff_page
@owner_only
def save_alerts(brand, user):
    recipients, error = alerts.parse_recipients(request.form.get("recipients", ""))
    if error:
        return _settings(brand, user, 422, error=error, typed=request.form)
    session = get_session()
    row = alerts.settings_for(session, brand.slug)
    row.digest = request.form.get("digest") == "on"
    row.immediate_exceptions = request.form.get("immediate_exceptions") == "on"
    row.recipients = recipients
    row.updated_at = utcnow()
    session.add(row)
    session.commit()
    flash(_("Alert settings saved."))
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)


@bp.context_processor
def _helpers():
    return {
        "reason_labels": alerts.REASON_LABELS,
        "watch_reasons": watchlist.REASONS,
        "place_label": figures.place_label,
        "view_status_label": figures.view_status_label,
        "estimate_source": display.estimate_source,
        "placement_label": display.placement,
        "return_reason": display.return_reason,
        "change_source": display.change_source,
        "change_label": display.change_label,
        "change_value": display.change_value,
        "mail_status_label": mail_labels.mail_status_label,
    }
