"""Shopify webhooks: ``POST /hooks/shopify/<brand_slug>``.

Verified with ``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body) against
``<SLUG>_SHOPIFY_WEBHOOK_SECRET``, compared in constant time; de-duplicated by
``X-Shopify-Event-Id`` (else ``X-Shopify-Webhook-Id``). docs/api.md#shopify-webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

from flask import Blueprint, current_app, request

from tracking import normalize
from tracking.db import get_session
from tracking.errors import bad_input_message
from tracking.extensions import csrf
from tracking.orders import receipts, shopify_hooks
from tracking.web import brand_or_404, cap_body

bp = Blueprint("shop_hooks", __name__, url_prefix="/hooks")
csrf.exempt(bp)  # signed by Shopify; no cookies
cap_body(bp)  # 413 before the body is read or its signature checked
log = logging.getLogger(__name__)


def _answer(status: int, outcome: str, message: str = "", field: str | None = None):
    if status >= 400:
        return {"error": {"code": outcome, "message": message, "field": field}}, status
    return {"status": outcome}, status


def secret_for(slug: str) -> str:
    return current_app.config["SHOPIFY_WEBHOOK_SECRETS"].get(slug.upper().replace("-", "_"), "")


@bp.post("/shopify/<brand_slug>")
def shopify(brand_slug: str):
    brand = brand_or_404(brand_slug)
    raw = request.get_data()
    secret = secret_for(brand.slug)
    given = request.headers.get("X-Shopify-Hmac-Sha256", "")
    expected = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()
    if not secret or not hmac.compare_digest(given.encode(), expected.encode()):
        # Neither the secret, the signature nor the body (it is the customer's order).
        reason = "no secret configured" if not secret else "bad signature"
        topic = request.headers.get("X-Shopify-Topic", "?")[:64]
        log.warning("shopify webhook for %s refused: %s (topic %s)", brand.slug, reason, topic)
        return _answer(401, "unauthorized", "bad signature")
    event = (
        request.headers.get("X-Shopify-Event-Id") or request.headers.get("X-Shopify-Webhook-Id", "")
    )[:255]
    session = get_session()
    if event and receipts.get(session, brand.slug, "shopify-event", event):
        return _answer(200, "duplicate")
    try:
        # Signed, yet still checked at the door: NUL, lone surrogates and numbers no column
        # holds in any field are refused before anything is stored.
        payload = normalize.loads_json(raw)
    except normalize.BadInput as exc:
        log.warning("shopify webhook for %s refused: %s at %s", brand.slug, exc.code, exc.field)
        if exc.code in ("invalid_json", "too_deep"):
            return _answer(400, exc.code, "the body is not a JSON object")
        return _answer(422, exc.code, bad_input_message(exc.code), exc.field)
    if not isinstance(payload, dict):
        return _answer(400, "invalid_json", "the body is not a JSON object")
    topic = request.headers.get("X-Shopify-Topic", "")
    try:
        result = shopify_hooks.handle(
            session, brand, topic, payload, request.headers.get("X-Shopify-Triggered-At", "")
        )
    except shopify_hooks.Malformed as exc:
        session.rollback()
        log.warning("shopify webhook for %s refused: %s", brand.slug, str(exc)[:300])
        return _answer(400, "invalid_body", str(exc)[:300])
    if event and result.status < 300:
        receipts.remember(session, brand.slug, "shopify-event", event, status=result.status)
    return _answer(result.status, result.outcome)
