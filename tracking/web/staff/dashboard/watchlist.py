"""Dashboard: the watchlist (parcels that need a look) and its CSV."""

from __future__ import annotations

from flask import render_template
from htmx_flask import request

from tracking.dashboard import watchlist
from tracking.db import get_session
from tracking.orders import sheets
from tracking.orders.sheets import csv_response
from tracking.timeutil import utcnow
from tracking.web.staff.auth import staff_page
from tracking.web.staff.dashboard.home import bp


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
                sheets.Text(e.shipment.tracking_number),
                e.shipment.status,
                e.age_days(now),
                e.last_scan,
            ]
            for e in watchlist.entries(get_session(), brand.slug, now)
        ),
    )
