"""LINE webhooks: ``POST /hooks/line/<brand_slug>`` (docs/line.md).

404 for a brand without a LINE channel; 401 for a missing or wrong ``X-Line-Signature``
(checked on the raw body before it is parsed); 400 for a body that is not LINE's JSON; 200
otherwise, the console's "Verify" request (no events) included. Replies to the customer are
sent after the answer has gone (``call_on_close``): a slow LINE never holds the webhook past
its 2-second limit, and the reply token, single-use and short-lived, is used at once rather than
waiting for the next worker round."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from tracking.db import get_session
from tracking.extensions import csrf
from tracking.line import events
from tracking.line.channels import channel_for
from tracking.web import brand_or_404, cap_body

bp = Blueprint("line_hooks", __name__, url_prefix="/hooks")
csrf.exempt(bp)  # signed by LINE; no cookies
cap_body(bp)  # 413 before the body is read or its signature checked

MESSAGES = {
    "bad_signature": "The X-Line-Signature header is missing or does not match.",
    "malformed": "The body is not a LINE webhook payload.",
}


@bp.post("/line/<brand_slug>")
def receive(brand_slug: str):
    brand = brand_or_404(brand_slug)
    channel = channel_for(brand)
    if channel is None:
        abort(404)
    outcome = events.receive(
        get_session(),
        brand,
        channel,
        request.headers.get("X-Line-Signature"),
        request.get_data(cache=True),
    )
    if outcome.status >= 400:
        error = {"code": outcome.code, "message": MESSAGES[outcome.code], "field": None}
        return jsonify({"error": error}), outcome.status
    response = jsonify({"result": outcome.code})
    if outcome.replies:
        replies = outcome.replies
        response.call_on_close(lambda: events.send_replies(channel, replies))
    return response
