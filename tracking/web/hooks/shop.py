"""Shopify webhooks: ``POST /hooks/shopify/<brand_slug>``.

Verified with ``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body) against
``<SLUG>_SHOPIFY_WEBHOOK_SECRET``, compared in constant time; de-duplicated by
``X-Shopify-Event-Id`` (else ``X-Shopify-Webhook-Id``). docs/api.md#shopify-webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

from flask import Blueprint, current_app, request

from tracking.db import get_session
from tracking.extensions import csrf
from tracking.orders import receipts, shopify_hooks
from tracking.web import brand_or_404

bp = Blueprint("shop_hooks", __name__, url_prefix="/hooks")
csrf.exempt(bp)  # signed by Shopify; no cookies
log = logging.getLogger(__name__)


def _answer(status: int, outcome: str, message: str = ""):
    if status >= 400:
        return {"error": {"code": outcome, "message": message, "field": None}}, status
    return {"status": outcome}, status


def secret_for(slug: str) -> str:
    return current_app.config["SHOPIFY_WEBHOOK_SECRETS"].get(slug.upper().replace("-", "_"), "")


@bp.post("/shopify/<brand_slug>")
def shopify(brand_slug: str):
    brand = brand_or_404(brand_slug)
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
    raw = request.get_data()
    secret = secret_for(brand.slug)
    given = request.headers.get("X-Shopify-Hmac-Sha256", "")
    expected = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()
    if not secret or not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning(
            "shopify webhook for %s refused: %s (topic %s)",
            brand.slug,
            "no secret configured" if not secret else "bad signature",
            request.headers.get("X-Shopify-Topic", "?")[:64],
        )
        return _answer(401, "unauthorized", "bad signature")
    event = (
        request.headers.get("X-Shopify-Event-Id") or request.headers.get("X-Shopify-Webhook-Id", "")
    )[:255]
    session = get_session()
    if event and receipts.get(session, brand.slug, "shopify-event", event):
        return _answer(200, "duplicate")
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        return _answer(400, "invalid_json", "the body is not a JSON object")
    topic = request.headers.get("X-Shopify-Topic", "")
    try:
        result = shopify_hooks.handle(
            session, brand, topic, payload, request.headers.get("X-Shopify-Triggered-At", "")
        )
    except shopify_hooks.Malformed as exc:
        session.rollback()
        return _answer(400, "invalid_body", str(exc)[:300])
    if event and result.status < 300:
        receipts.remember(session, brand.slug, "shopify-event", event, status=result.status)
    return _answer(result.status, result.outcome)
