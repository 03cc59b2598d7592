"""``POST /hooks/<provider>/<brand_slug>``: signed tracking webhooks from aggregators.

CSRF-exempt (no cookies: the signature is the credential). 401 bad or missing signature, 400
malformed body, 202 unknown number or captured (a parcel's tracking that nothing can be read
from, kept for staff), 200 applied / replay / out of order (see ``tracking.sync.webhooks``)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from tracking.db import get_session
from tracking.extensions import csrf
from tracking.sync import webhooks
from tracking.web import brands, cap_body

bp = Blueprint("carrier_hooks", __name__, url_prefix="/hooks")
csrf.exempt(bp)
cap_body(bp)  # 413 before the body is read or its signature checked

MESSAGES = {
    "bad_signature": "The signature is missing or does not match.",
    "malformed": "The body is not a tracking payload we can read.",
    "date_out_of_range": "A time in the body is outside the range we accept.",
}


@bp.post("/<provider>/<brand_slug>")
def receive(provider: str, brand_slug: str):
    if provider not in webhooks.PROVIDERS or brand_slug not in brands():
        abort(404)
    outcome = webhooks.receive(
        get_session(), brand_slug, provider, request.headers, request.get_data(cache=False)
    )
    if outcome.status >= 400:
        error = {"code": outcome.code, "message": MESSAGES[outcome.code], "field": None}
        return jsonify({"error": error}), outcome.status
    return jsonify({"result": outcome.code}), outcome.status
