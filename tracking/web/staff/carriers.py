"""Staff: carrier health (per carrier account: the installation's and the shop's own; last
success, error rate, open circuit), the brand's captured failures, and "check now" for one
shipment."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracking.db import get_session
from tracking.i18n import status_label
from tracking.sync import accounts, health, lookups
from tracking.sync.rounds import check_now
from tracking.timeutil import as_utc, utcnow
from tracking.web import brands
from tracking.web.staff.auth import staff_page

bp = Blueprint("admin_carriers", __name__, url_prefix="/admin")


@bp.get("/<brand_slug>/carriers")
@staff_page
def health_page(brand, user):
    session = get_session()
    now = utcnow()
    rows = [
        {
            "carrier": h.carrier,
            "own_account": bool(h.account),
            "last_success_at": as_utc(h.last_success_at),
            "failing_since": as_utc(h.failing_since),
            "error_rate": health.error_rate(h),
            "calls": h.window_calls,
            "open": h.open_until is not None and as_utc(h.open_until) > now,
            "open_until": as_utc(h.open_until),
            "last_error": h.last_error,
        }
        for h in health.all_rows(session, accounts.keys_of(brand))
    ]
    return render_template(
        "admin/carriers.html",
        brand=brand,
        user=user,
        rows=rows,
        captured=lookups.recent_failures(session, brand.slug),
        number=request.args.get("number", "")[:64],
    )


@bp.post("/<brand_slug>/carriers/check")
@staff_page
def check(brand, user):
    number = "".join(request.form.get("number", "").split())[:64]
    session = get_session()
    shipment = lookups.parcel_by_number(session, brand.slug, number)
    if shipment is None:
        flash(_("No shipment of this shop has that tracking number."))
        return redirect(
            url_for("admin_carriers.health_page", brand_slug=brand.slug, number=number), 303
        )
    report = check_now(session, brands(), shipment)
    if report.checked and not report.failed:
        flash(
            _(
                "Checked with the carrier just now: %(status)s.",
                status=status_label(shipment.status),
            )
        )
    else:
        kinds = ", ".join(sorted(report.errors)) or "-"
        flash(_("The carrier could not be checked just now (%(kinds)s).", kinds=kinds))
    return redirect(url_for("admin_carriers.health_page", brand_slug=brand.slug), 303)
