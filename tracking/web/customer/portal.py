"""Customer pages of one brand: lookup form, tracking page and what the tracking page posts to
(feedback, "ask the shop"), banner clicks and the page-view pixel."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    send_from_directory,
    url_for,
)
from flask import session as flask_session
from flask_babel import get_locale
from flask_babel import gettext as _
from htmx_flask import request

from tracking import normalize
from tracking.db import get_session
from tracking.estimates import sources as estimates
from tracking.estimates.display import unshipped_text
from tracking.extensions import limiter
from tracking.orders.lookup import find_order
from tracking.page import banners, feedback, inquiry, rendered
from tracking.page import cache as page_cache
from tracking.page import events as page_events
from tracking.page.view import coupon_for
from tracking.returns.eligibility import page_offer
from tracking.returns.links import return_token
from tracking.security import generate_csrf, order_token
from tracking.templating import csp_nonce
from tracking.timeutil import utcnow
from tracking.web import brand_or_404
from tracking.web.customer.line import page_block as line_block
from tracking.web.customer.tokens import order_for_token, state_for_token, view_for_token

bp = Blueprint("portal", __name__)
LOOKED_UP = "looked_up"


def _lookup_limit() -> str:
    return current_app.config["LOOKUP_RATE_LIMIT"]


def _lookup_key() -> str:
    return f"{request.remote_addr}:{(request.view_args or {}).get('brand_slug', '')}"


def _order_number_limit() -> str:
    return current_app.config["LOOKUP_ORDER_RATE_LIMIT"]


def _order_number_key() -> str:
    """One count per order number of a shop, whatever address the guesses come from; the
    number as the lookup reads it, so spellings of one number share it."""
    slug = (request.view_args or {}).get("brand_slug", "")
    return f"lookup-order:{slug}:{normalize.order_number(request.form.get('number', '')[:100])}"


def _lookup_failed(response: Response) -> bool:
    return response.status_code == 404


def _order_key() -> str:
    args = request.view_args or {}
    return f"{request.remote_addr}:{args.get('brand_slug', '')}:{args.get('token', '')}"


@bp.get("/<brand_slug>/")
def lookup_form(brand_slug: str):
    brand = brand_or_404(brand_slug)
    return render_template("portal/lookup.html", brand=brand, form={}, error=None)


@bp.post("/<brand_slug>/lookup")
@limiter.limit(_lookup_limit, key_func=_lookup_key, methods=["POST"])
# Counted only when the lookup fails; once full, the number is refused even with the right
# contact (else a 429-or-success answer would let guessing go on).
@limiter.limit(
    _order_number_limit, key_func=_order_number_key, methods=["POST"], deduct_when=_lookup_failed
)
def lookup(brand_slug: str):
    brand = brand_or_404(brand_slug)
    form = {
        "number": request.form.get("number", "")[:100],
        "contact": request.form.get("contact", "")[:254],
    }
    if not form["number"].strip() or not form["contact"].strip():
        error = _("Please enter your order number and the email address or postcode of the order.")
        return render_template("portal/lookup.html", brand=brand, form=form, error=error), 422
    if "@" in form["contact"] and not normalize.is_one_address(form["contact"]):
        error = _("Please enter one email address, without commas or semicolons, or the postcode.")
        return render_template("portal/lookup.html", brand=brand, form=form, error=error), 422
    order = find_order(get_session(), brand.slug, form["number"], form["contact"])
    if order is None:
        # One answer for "no such order" and "wrong email/postcode": no enumeration.
        error = _(
            "We could not find an order with these details. Please check the order number "
            "and the email address or postcode in your order confirmation."
        )
        return render_template("portal/lookup.html", brand=brand, form=form, error=error), 404
    target = url_for(
        "portal.order_page", brand_slug=brand.slug, token=order_token(brand.slug, order.public_id)
    )
    # The next page view of this order counts as reached by the lookup form (figures: lookups
    # versus link opens). The session, not the URL, so a bookmarked page still counts as a link.
    flask_session[LOOKED_UP] = order.public_id
    return redirect(target, code=303)


def _return_offer(brand, view) -> dict:
    """For the tracking page's "start a return" block (``view``: ``page.view.OrderView``): can
    the customer start one, and links to the returns already made."""
    can_return, requests = page_offer(get_session(), brand, view)
    existing = [
        (
            rr,
            url_for(
                "returns.status_page",
                brand_slug=brand.slug,
                token=return_token(brand.slug, rr.public_id),
            ),
        )
        for rr in requests
    ]
    return {"can_return": can_return, "existing": existing}


def _page_response(body: str, status: int = 200, etag: str | None = None) -> Response:
    response = current_app.make_response((body, status))
    # One URL, two shapes (page or htmx fragment): caches must keep them apart.
    response.headers["Vary"] = "HX-Request, Accept-Language, Cookie"
    # no-store: nothing of an order is kept in the browser's disk cache (a shared computer, a
    # link that is the only key). The refresh loop revalidates itself (static/js/site.js).
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    if etag is not None:
        response.headers["ETag"] = etag
    return response


def _status_context(brand, view) -> dict:
    """What the status part needs beyond the view model; computed here so that templates
    never query the database."""
    est = estimates.estimate_order(get_session(), view.order) if view.unshipped else None
    text, dated = unshipped_text(est.start, est.end) if est else ("", False)
    return {
        "refresh_seconds": _refresh_seconds(brand),
        "unshipped_estimate": text,
        "unshipped_dated": dated,
    }


def _refresh_seconds(brand) -> int:
    # Tests may shorten the cadence app-wide; brands set their own in [page].
    return int(current_app.config["PAGE_REFRESH_SECONDS"] or brand.page.refresh_seconds)


def _source(public_id: str) -> str:
    if flask_session.get(LOOKED_UP) == public_id:
        flask_session.pop(LOOKED_UP)
        return "lookup"
    return "link"


def _render(brand, view, token: str, kind: str, status_etag=None, **regions) -> rendered.Entry:
    """The page (or its ``#status`` part) with placeholders for the per-visitor parts
    (``page.rendered``). ``regions`` carry form state (feedback, ask) on errors."""
    marker = rendered.new_marker()
    shown_status = page_events.shown_status([p.shipment.status for p in view.parcels])
    context = rendered.placeholders(marker) | {
        "brand": brand,
        "view": view,
        "token": token,
        "status_etag": status_etag,
        **_status_context(brand, view),
    }
    if kind == rendered.STATUS:
        html = render_template("portal/_status.html", **context)
    else:
        locale = str(get_locale())
        today = utcnow().astimezone(brand.tz).date()
        tags = {t for items in view.item_groups for item, _qty in items for t in item.tags}
        shown = banners.for_order(
            brand.page,
            locale=locale,
            today=today,
            tags=tags,
            statuses={p.shipment.status for p in view.parcels},
        )
        html = render_template(
            "portal/order.html",
            **context,
            banners=shown,
            return_offer=_return_offer(brand, view),
            coupon=coupon_for(brand, view, locale),
            line=line_block(brand, view, token),
            feedback_form=regions.get("feedback_form", {}),
            ask_form=regions.get("ask_form", {}),
            asked=regions.get("asked"),
            reply_by=inquiry.reply_by(brand, utcnow()),
        )
    return rendered.Entry(marker, shown_status, html, rendered.expires_at(brand, view))


def _serve(brand, public_id: str, entry: rendered.Entry, status: int = 200, etag=None):
    """The entry with this visitor's CSRF token, CSP nonce and page-view token filled in; its
    gzip encoding made from the entry's deflated pieces (``web.compress`` uses it)."""
    html, gzip_body = rendered.fill(
        entry,
        csrf_token=generate_csrf,
        csp_nonce=csp_nonce,
        view_token=lambda: page_events.view_token(
            brand.slug, public_id, status=entry.status, source=_source(public_id)
        ),
    )
    response = _page_response(html, status, etag)
    response.gzip_body = gzip_body
    return response


def _render_page(brand, view, token: str, status: int = 200, **regions) -> Response:
    """The whole tracking page rendered for this request only (error re-renders with form
    state, ``?asked=``): never cached."""
    entry = _render(brand, view, token, rendered.PAGE, **regions)
    return _serve(brand, view.order.public_id, entry, status)


def _asked() -> date | None:
    try:
        return date.fromisoformat(request.args["asked"][:10])
    except ValueError:
        return None


@bp.get("/<brand_slug>/o/<token>")
def order_page(brand_slug: str, token: str):
    """The page, or its ``#status`` part for htmx, from the render cache when the order has
    not changed (``page.rendered``); the part answers 304 to its own ETag."""
    if request.args.get("asked") and not request.htmx:
        brand, view = view_for_token(brand_slug, token)
        return _render_page(brand, view, token, asked=_asked())
    kind = rendered.STATUS if request.htmx else rendered.PAGE
    brand = brand_or_404(brand_slug)
    public_id, state = state_for_token(
        brand, token, locale=str(get_locale()), refresh_seconds=_refresh_seconds(brand)
    )
    etag = state.etag if kind == rendered.STATUS else None
    if etag is not None and request.if_none_match.contains_weak(etag.strip('"')):
        return _page_response("", 304, etag)
    key = state.key(kind)
    raw = page_cache.lookup(current_app, key)
    if raw is not None:
        return _serve(brand, public_id, rendered.Entry.loads(raw), etag=etag)
    brand, view = view_for_token(brand_slug, token)
    entry = _render(brand, view, token, kind, status_etag=state.etag)
    if rendered.cacheable(get_session()):
        page_cache.keep(current_app, key, entry.dumps(), entry.expires_at)
    return _serve(brand, public_id, entry, etag=etag)


@bp.post("/<brand_slug>/o/<token>/feedback")
@limiter.limit("20 per hour", key_func=_order_key)
def give_feedback(brand_slug: str, token: str):
    brand, order = order_for_token(brand_slug, token)
    if not brand.page.feedback_enabled:
        abort(404)
    rating, comment, error = feedback.parse(request.form.get("rating"), request.form.get("comment"))
    form = {"rating": rating, "comment": comment, "error": error}
    if error is None:
        feedback.submit(get_session(), order, rating, comment, str(get_locale()))
        form = {}
        if not request.htmx:
            return redirect(_page_url(brand, token, "feedback"), code=303)
    if request.htmx:
        html = render_template(
            "portal/_feedback.html",
            brand=brand,
            token=token,
            given=error is None,
            feedback_form=form,
        )
        return _page_response(html, 422 if error else 200)
    brand, view = view_for_token(brand_slug, token)
    return _render_page(brand, view, token, status=422, feedback_form=form)


@bp.post("/<brand_slug>/o/<token>/ask")
@limiter.limit("10 per hour", key_func=_order_key)
def ask_shop(brand_slug: str, token: str):
    brand, order = order_for_token(brand_slug, token)
    message, error = inquiry.parse(request.form.get("message"))
    if error is None:
        asked = inquiry.ask(get_session(), brand, order, message, str(get_locale()))
        if not request.htmx:
            url = url_for(
                "portal.order_page",
                brand_slug=brand.slug,
                token=token,
                asked=asked.reply_by.isoformat(),
            )
            return redirect(f"{url}#ask", code=303)
        html = render_template("portal/_ask.html", brand=brand, token=token, asked=asked.reply_by)
        return _page_response(html)
    form = {"message": message, "error": error}
    if request.htmx:
        html = render_template(
            "portal/_ask.html",
            brand=brand,
            token=token,
            ask_form=form,
            reply_by=inquiry.reply_by(brand, utcnow()),
        )
        return _page_response(html, 422)
    brand, view = view_for_token(brand_slug, token)
    return _render_page(brand, view, token, status=422, ask_form=form)


def _page_url(brand, token: str, anchor: str) -> str:
    return url_for("portal.order_page", brand_slug=brand.slug, token=token) + f"#{anchor}"


@bp.get("/<brand_slug>/go/<banner>")
@limiter.limit("60 per minute", key_func=_lookup_key)
def banner_click(brand_slug: str, banner: str):
    """Record the click, then 302 to the banner's declared target. Nothing from the request
    decides where the redirect goes: an undeclared or tampered id is a plain 404."""
    brand = brand_or_404(brand_slug)
    declared = brand.page.banner(banner) if brand.page.banners_enabled else None
    if declared is None:
        abort(404)
    session = get_session()
    view = page_events.read_view(session, brand.slug, request.args.get("v"))
    page_events.record_click(session, brand.slug, declared.id, view, str(get_locale()))
    response = redirect(banners.click_target(declared), code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the order link stays with us
    return response


@bp.get("/<brand_slug>/px/<view>.gif")
def page_pixel(brand_slug: str, view: str):
    """The page-view pixel: records the view and its banner impressions once."""
    brand = brand_or_404(brand_slug)
    session = get_session()
    read = page_events.read_view(session, brand.slug, view)
    if read is None:
        abort(404)
    shown = [x for x in request.args.get("b", "")[:400].split(",") if x]
    status, source = page_events.view_context(view)
    page_events.record_view(
        session, brand.slug, brand.page, *read, shown, str(get_locale()), status, source
    )
    response = current_app.response_class(page_events.PIXEL_GIF, mimetype="image/gif")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<brand_slug>/banner/<banner>")
def banner_image(brand_slug: str, banner: str):
    """A banner's image, found by banner id (never by a file name from the URL)."""
    brand = brand_or_404(brand_slug)
    declared = brand.page.banner(banner)
    if declared is None:
        abort(404)
    assets = Path(current_app.config["BRANDS_DIR"]) / "assets"
    return send_from_directory(assets, declared.image, max_age=86400)
