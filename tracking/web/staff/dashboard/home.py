"""The merchant's daily screen under ``/admin/<brand_slug>/``: the ``dashboard`` blueprint, its home
(watchlist and inbox counts) and the helpers its templates share. The other screens (orders,
watchlist, inquiries, figures, the owner's settings) add their routes from their own modules;
``tracking.web.staff.dashboard`` gathers them. Every page checks the brand (404)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from tracking.dashboard import alerts, display, figures, inquiries, watchlist
from tracking.db import get_session
from tracking.mail import labels as mail_labels
from tracking.web.staff.auth import staff_page

bp = Blueprint("dashboard", __name__, url_prefix="/admin/<brand_slug>")

MAX_ID = 2**31 - 1  # an id past INTEGER's range is no row (and PostgreSQL would refuse it)


def checked_id(value: int) -> int:
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
        "mail_status_label": mail_labels.mail_state_label,
    }
