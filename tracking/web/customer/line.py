"""The tracking page's LINE opt-in: ``GET /<brand_slug>/o/<token>/line`` issues the order's
one-time link code and sends the browser on to LINE's ``oaMessage`` link, which opens the
shop's chat with the code typed in (the customer taps send; docs/line.md). A plain link: no
script needed. The cached page holds no code: it is issued per tap, here, never stored in the
page, so the render cache stays shared and the code stays with the person who tapped."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, redirect, url_for
from flask_babel import get_locale
from htmx_flask import request

from tracking.db import get_session
from tracking.extensions import limiter
from tracking.line import codes, messages
from tracking.line.channels import offered
from tracking.web import no_store
from tracking.web.customer.tokens import order_for_token

bp = Blueprint("line_optin", __name__)


def _order_key() -> str:
    args = request.view_args or {}
    return f"line:{request.remote_addr}:{args.get('brand_slug', '')}:{args.get('token', '')}"


def page_block(brand, view, token: str) -> dict | None:
    """What the page's LINE card needs (None: no card): linked or not, and the button's link."""
    channel = offered(brand, view.order)
    if channel is None:
        return None
    if view.is_terminal and not view.line_linked:
        return None  # nothing left to tell
    url = url_for("line_optin.open_chat", brand_slug=brand.slug, token=token)
    return {"linked": view.line_linked, "url": url, "basic_id": channel.config.basic_id}


def oa_message_url(basic_id: str, text: str) -> str:
    """``https://line.me/R/oaMessage/<basic id>/?<text>``, the ``@`` written ``%40``."""
    return f"https://line.me/R/oaMessage/{quote(basic_id, safe='')}/?{quote(text, safe='')}"


@bp.get("/<brand_slug>/o/<token>/line")
@limiter.limit("30 per hour", key_func=_order_key)
def open_chat(brand_slug: str, token: str):
    brand, order = order_for_token(brand_slug, token)
    channel = offered(brand, order)
    if channel is None:
        abort(404)
    locale = str(get_locale())
    code = codes.issue(get_session(), brand.slug, order.id, locale, channel.config.code_minutes)
    text = messages.opt_in_text(code.code)
    response = redirect(oa_message_url(channel.config.basic_id, text), code=303)
    return no_store(response, hide_referrer=True)
