"""The unsubscribe link of follow-up mail: GET asks, POST (a button, or a mail client's RFC 8058
one-click POST) stops follow-up and review mail for that customer at that brand."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from tracking.db import get_session
from tracking.extensions import csrf
from tracking.mail import unsubscribe as unsub
from tracking.web import brand_or_404

bp = Blueprint("mail", __name__)


@bp.get("/<brand_slug>/unsubscribe/<token>")
def confirm(brand_slug: str, token: str):
    brand = brand_or_404(brand_slug)
    if unsub.order_for(get_session(), brand.slug, token) is None:
        abort(404)
    return render_template("site/unsubscribe.html", brand=brand, token=token, done=False)


@bp.post("/<brand_slug>/unsubscribe/<token>")
@csrf.exempt  # mail clients POST here without our form (List-Unsubscribe-Post)
def unsubscribe(brand_slug: str, token: str):
    brand = brand_or_404(brand_slug)
    session = get_session()
    order = unsub.order_for(session, brand.slug, token)
    if order is None:
        abort(404)
    unsub.stop(session, brand.slug, order.email)
    return render_template("site/unsubscribe.html", brand=brand, token=token, done=True)
