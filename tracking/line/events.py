"""``POST /hooks/line/<brand_slug>``: LINE's webhook events for one brand's channel.

* The ``X-Line-Signature`` header is checked first, on the raw body: base64 of HMAC-SHA256
  with the channel secret, compared in constant time. Missing or wrong: 401, logged, nothing
  parsed.
* The console's "Verify" request has no events: 200.
* Each event is handled once: its ``webhookEventId`` is stored (unique), so LINE's
  redelivery of it does nothing. Events in ``standby`` mode (another channel of a module owns
  the chat) are left alone.
* ``message`` (text): "stop" (and 停止 …) stops the customer's messages; a link code typed by
  the tracking page's button links the order (``codes.redeem``). Any other message is left to
  the shop's own staff: no reply. ``postback`` with the stop button's data stops too.
  ``unfollow`` (the customer blocked the account) stops every link of that user, silently.
  ``follow`` changes nothing: a customer who blocked and unblocked links again with a code.

What to say back is returned as replies (reply token, messages); the view sends them after
LINE has its answer (``send_replies``), so a slow LINE never holds the webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import unicodedata
from dataclasses import dataclass, field

from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from tracking.brands.brand import Brand
from tracking.db import savepoint
from tracking.line import client, codes, messages
from tracking.line.channels import TIMEOUT, Channel
from tracking.line.models import LineEvent
from tracking.orders.models import Order

log = logging.getLogger(__name__)

Reply = tuple[str, list[dict]]  # (reply token, messages)


@dataclass
class Outcome:
    status: int
    code: str
    replies: list[Reply] = field(default_factory=list)


def signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def valid_signature(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not secret:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().encode())


def receive(
    session: Session, brand: Brand, channel: Channel, header: str | None, body: bytes
) -> Outcome:
    """Check, parse and handle one webhook delivery. Commits what it handled."""
    if not valid_signature(channel.secret, body, header):
        log.warning(
            "line webhook for %s refused: %s signature",
            brand.slug,
            "missing" if not header else "bad",
        )
        return Outcome(401, "bad_signature")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return Outcome(400, "malformed")
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        return Outcome(400, "malformed")
    replies: list[Reply] = []
    for event in events:
        if isinstance(event, dict) and _first_time(session, brand.slug, event):
            reply = _handle(session, brand, event)
            if reply is not None:
                replies.append(reply)
    session.commit()
    return Outcome(200, "ok", replies)


def _first_time(session: Session, brand: str, event: dict) -> bool:
    event_id = event.get("webhookEventId")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 64:
        return True  # nothing to dedupe on: handled (each handler is idempotent anyway)
    row = LineEvent(event_id=event_id, brand=brand, kind=str(event.get("type", ""))[:32])
    try:
        with savepoint(session):
            session.add(row)
    except IntegrityError:
        return False
    return True


def _user(event: dict) -> str | None:
    source = event.get("source")
    user = source.get("userId") if isinstance(source, dict) else None
    return user if isinstance(user, str) and 0 < len(user) <= 64 else None


def _token(event: dict) -> str | None:
    token = event.get("replyToken")
    return token if isinstance(token, str) and 0 < len(token) <= 200 else None


def _handle(session: Session, brand: Brand, event: dict) -> Reply | None:
    user, kind = _user(event), event.get("type")
    if user is None or event.get("mode") == "standby":
        return None
    if kind == "unfollow":
        codes.stop(session, brand.slug, user, "unfollow")
        return None
    if kind == "postback":
        postback = event.get("postback")
        if isinstance(postback, dict) and postback.get("data") == messages.STOP_DATA:
            return _stop(session, brand, user, _token(event), "postback")
        return None
    if kind != "message":
        return None  # follow and the rest: nothing to do
    message = event.get("message")
    if not isinstance(message, dict) or message.get("type") != "text":
        return None
    text = message.get("text")
    if not isinstance(text, str):
        return None
    if _is_stop(text):
        return _stop(session, brand, user, _token(event), "keyword")
    found = codes.redeem(session, brand.slug, text[:500], user)
    token = _token(event)
    if found.outcome == "unknown" or token is None:
        return None
    shop = brand.display_name(found.locale)
    with force_locale(found.locale):
        if found.outcome == "expired":
            return token, messages.expired(shop)
        order = session.get(Order, found.link.order_id)
        return token, messages.linked(shop, order.number if order else "")


def _is_stop(text: str) -> bool:
    clean = unicodedata.normalize("NFKC", text).strip().strip("。.!！「」\"'").lower()
    return clean in messages.STOP_WORDS


def _stop(session: Session, brand: Brand, user: str, token: str | None, why: str):
    links = codes.stop(session, brand.slug, user, why)
    if token is None:
        return None
    locale = links[0].locale if links else brand.default_locale
    with force_locale(locale):
        return token, messages.stopped(brand.display_name(locale))


def send_replies(channel: Channel, replies: list[Reply]) -> None:
    """Send the replies (after the webhook's answer). A reply token is single-use and short-
    lived, so a failed reply is logged, not retried; replies do not count against the quota."""
    for token, msgs in replies:
        req = client.reply_request(channel.base, channel.token, token, msgs)
        answer = client.call(req, TIMEOUT)
        if answer.status != 200:
            log.warning("line reply not sent: %s", client.read_push(answer).detail or "no answer")
