"""Staff: the shop's outbound webhooks — its endpoints, the recent deliveries (event, endpoint,
status, tries, last answer, next try) and "send again" for one delivery."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracking.db import get_session
from tracking.outbound import delivery, queries
from tracking.web.staff.auth import staff_page

bp = Blueprint("admin_webhooks", __name__, url_prefix="/admin")


@bp.get("/<brand_slug>/webhooks")
@staff_page
def deliveries(brand, user):
    status = request.args.get("status", "")
    status = status if status in queries.STATUSES else ""
    session = get_session()
    return render_template(
        "admin/webhooks.html",
        brand=brand,
        user=user,
        status=status,
        rows=queries.recent(session, brand.slug, status or None),
        counts=queries.counts(session, brand.slug),
    )


@bp.post("/<brand_slug>/webhooks/<int:delivery_id>/resend")
@staff_page
def resend(brand, user, delivery_id):
    outcome = delivery.resend(get_session(), brand.slug, delivery_id, f"staff:{user.email}")
    if outcome == "missing":
        abort(404)
    if outcome == "busy":
        flash(_("This delivery is being sent right now; look again in a minute."))
    else:
        flash(_("Queued to be sent again with the same event id; the worker sends it shortly."))
    return redirect(url_for("admin_webhooks.deliveries", brand_slug=brand.slug), 303)
