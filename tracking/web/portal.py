"""Customer pages of one brand: lookup form and tracking page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from htmx_flask import request

from .. import orders
from ..db import get_session
from ..extensions import limiter
from ..security import order_token, read_order_token
from . import load_brand

bp = Blueprint("portal", __name__)


def _lookup_limit() -> str:
    return current_app.config["LOOKUP_RATE_LIMIT"]


def _lookup_key() -> str:
    return f"{request.remote_addr}:{(request.view_args or {}).get('brand', '')}"


@bp.get("/<brand>/")
def lookup_form(brand: str):
    b = load_brand(brand)
    return render_template("portal/lookup.html", brand=b, form={}, error=None)


@bp.post("/<brand>/lookup")
@limiter.limit(_lookup_limit, key_func=_lookup_key, methods=["POST"])
def lookup(brand: str):
    b = load_brand(brand)
    form = {
        "number": request.form.get("number", "")[:100],
        "contact": request.form.get("contact", "")[:254],
    }
    if not form["number"].strip() or not form["contact"].strip():
        error = _("Please enter your order number and the email address or postcode of the order.")
        return render_template("portal/lookup.html", brand=b, form=form, error=error), 422
    order = orders.find_order(get_session(), b.slug, form["number"], form["contact"])
    if order is None:
        # One answer for "no such order" and "wrong email/postcode": no enumeration.
        error = _(
            "We could not find an order with these details. Please check the order number "
            "and the email address or postcode in your order confirmation."
        )
        return render_template("portal/lookup.html", brand=b, form=form, error=error), 404
    target = url_for("portal.order_page", brand=b.slug, token=order_token(b.slug, order.public_id))
    return redirect(target, code=303)


def _order_for_token(brand: str, token: str):
    b = load_brand(brand)
    public_id = read_order_token(b.slug, token)
    if public_id is None:
        abort(404)
    order = orders.order_by_public_id(get_session(), b.slug, public_id)
    if order is None:
        abort(404)
    return b, order


@bp.get("/<brand>/o/<token>")
def order_page(brand: str, token: str):
    b, order = _order_for_token(brand, token)
    view = orders.order_view(get_session(), order)
    template = "portal/_status.html" if request.htmx else "portal/order.html"
    response = current_app.make_response(render_template(template, brand=b, view=view, token=token))
    # One URL, two shapes (page or htmx fragment): caches must keep them apart.
    response.headers["Vary"] = "HX-Request, Accept-Language, Cookie"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
