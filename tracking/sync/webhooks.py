"""Aggregator webhooks (AfterShip, EasyPost, 17TRACK, Ship24): verify, parse, apply.

Each provider signs differently (reference: carriers.md §3): AfterShip ``aftership-hmac-sha256``
= base64 HMAC-SHA256 of the raw body; EasyPost ``X-Hmac-Signature: hmac-sha256-hex=<hex>`` with
the NFKD-normalised secret; 17TRACK ``sign`` = hex SHA-256 of ``raw_body + "/" + key`` [?: two
implementations agree, verify against the live docs]; Ship24 ``Authorization: Bearer <secret>``.
Secrets: ``<BRAND>_<PROVIDER>_WEBHOOK_SECRET`` (comma-separated during rotation); every
comparison is constant-time on the raw bytes, before any JSON parsing.

Deliveries are at-least-once and unordered: each is recorded once by its event id (a replay
changes nothing), and one whose newest scan is older than what the shipment already has is
ignored (out of order). The payload goes through the provider adapter's own ``parse``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import carriers
from tracking import normalize
from tracking.monitoring import metrics
from tracking.orders.models import Order, Shipment, ShipmentEvent
from tracking.sync import capture
from tracking.sync.apply import apply_result
from tracking.sync.models import WebhookFeed
from tracking.sync.schedule import WEBHOOK_SAFETY_NET
from tracking.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)

PROVIDERS = ("aftership", "easypost", "track17", "ship24")


@dataclass
class Outcome:
    status: int
    # applied, replay, out_of_order, nothing_yet, captured, unknown_number, bad_signature,
    # malformed, date_out_of_range
    code: str


def secrets_for(brand_slug: str, provider: str) -> list[str]:
    key = f"{brand_slug.upper().replace('-', '_')}_{provider.upper()}_WEBHOOK_SECRET"
    raw = current_app.config.get("CARRIER_WEBHOOK_SECRETS", {}).get(key, "")
    return [s.strip() for s in raw.split(",") if s.strip()]


def _hmac(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def verify(provider: str, secrets: list[str], headers, body: bytes) -> bool:
    for secret in secrets:
        if provider == "aftership":
            given = headers.get("aftership-hmac-sha256", "")
            expected = base64.b64encode(_hmac(secret, body)).decode()
        elif provider == "easypost":
            given = headers.get("X-Hmac-Signature", "")
            nfkd = unicodedata.normalize("NFKD", secret)
            expected = (
                "hmac-sha256-hex=" + hmac.new(nfkd.encode(), body, hashlib.sha256).hexdigest()
            )
        elif provider == "track17":
            given = headers.get("sign", "")
            expected = hashlib.sha256(body + b"/" + secret.encode()).hexdigest()
        elif provider == "ship24":
            given = headers.get("Authorization", "")
            expected = f"Bearer {secret}"
        else:
            return False
        if given and hmac.compare_digest(given.encode(), expected.encode()):
            return True
    return False


class Malformed(ValueError):
    pass


def _load(body: bytes) -> dict:
    """Signed, yet still checked at the door: NUL, lone surrogates and numbers no column holds
    in any field are refused before anything is stored."""
    try:
        data = normalize.loads_json(body)
    except normalize.BadInput as exc:
        raise Malformed(f"{exc.code} at {exc.field}") from exc
    if not isinstance(data, dict):
        raise Malformed("not an object")
    return data


def unpack(provider: str, body: bytes) -> tuple[str, str, bytes]:
    """(event id, tracking number, the body for the provider adapter's ``parse``, which reads
    the webhook envelopes as well as its API's: AfterShip ``msg``, an EasyPost Event's
    ``result``, 17TRACK's ``data`` entry, Ship24's ``trackings``)."""
    data = _load(body)
    digest = hashlib.sha256(body).hexdigest()
    try:
        if provider == "aftership":
            number = data["msg"]["tracking_number"]
            event_id = str(data.get("event_id") or digest)
        elif provider == "easypost":
            number = data["result"]["tracking_code"]
            event_id = str(data.get("id") or digest)
        elif provider == "track17":
            number = data["data"]["number"]
            event_id = digest
        else:  # ship24
            number = data["trackings"][0]["tracker"]["trackingNumber"]
            event_id = digest
    except (KeyError, TypeError, IndexError) as exc:
        raise Malformed(f"missing {exc}") from exc
    if not isinstance(number, str) or not 1 <= len(number) <= 64:
        raise Malformed("tracking number")
    return event_id[:100], number, body


def _times_in_range(result: carriers.TrackingResult) -> bool:
    """Every time and day the provider sent is one we serve (the calendar's edges overflow
    when converted to UTC or stored)."""
    window = result.estimated_delivery
    stamps = [e.occurred_at for e in result.events] + [result.delivered_at]
    stamps += [window.start, window.end] if window else []
    try:
        for stamp in stamps:
            if isinstance(stamp, datetime):
                normalize.check_datetime(stamp)
            elif isinstance(stamp, date):
                normalize.check_date(stamp)
    except normalize.BadInput:
        return False
    return True


def receive(session: Session, brand_slug: str, provider: str, headers, body: bytes) -> Outcome:
    if not verify(provider, secrets_for(brand_slug, provider), headers, body):
        log.warning("webhook %s/%s: bad or missing signature", provider, brand_slug)
        return Outcome(401, "bad_signature")
    try:
        event_id, number, payload = unpack(provider, body)
    except Malformed as exc:
        log.warning("webhook %s/%s: malformed body (%s)", provider, brand_slug, exc)
        return Outcome(400, "malformed")
    shipment = session.exec(
        select(Shipment)
        .join(Order, Order.id == Shipment.order_id)
        .where(Order.brand == brand_slug, Shipment.tracking_number == number)
        .order_by(Shipment.id.desc())
    ).first()
    if shipment is None:
        # The end of the number only: with the whole one anyone can follow the parcel.
        log.info("webhook %s/%s: unknown number …%s", provider, brand_slug, number[-4:])
        return Outcome(202, "unknown_number")
    try:
        result = carriers.get(provider).parse(payload, number)
    except carriers.NotFound:
        result = None
    except carriers.ParseFailed as exc:
        # Signed, for one of the shop's parcels, but nothing in it says where the parcel is
        # (fields nested elsewhere than the documented envelope, a new version): kept for staff
        # and a fixture, counted, and the parcel keeps its last status. Accepted, so the
        # provider does not send the same unreadable body again and again.
        log.warning("webhook %s/%s: unreadable tracking, captured (%s)", provider, brand_slug, exc)
        capture.capture(session, provider, number, body, f"webhook: {exc}", shipment.id)
        session.commit()
        metrics.carrier_unreadable(provider, "webhook")
        return Outcome(202, "captured")
    except (carriers.CarrierError, TypeError, AttributeError, ValueError) as exc:
        # A signed body whose values have the wrong types (a number where text belongs) is as
        # unreadable as a malformed one: refused and logged, never a 500.
        log.warning("webhook %s/%s: unreadable tracking (%r)", provider, brand_slug, exc)
        return Outcome(400, "malformed")
    if result is not None and not _times_in_range(result):
        log.warning("webhook %s/%s: a time outside 1970..2200", provider, brand_slug)
        return Outcome(422, "date_out_of_range")
    newest = result.events[0].occurred_at if result and result.events else None
    feed = WebhookFeed(
        shipment_id=shipment.id, provider=provider, event_id=event_id, newest_event_at=newest
    )
    session.add(feed)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return Outcome(200, "replay")
    stored = session.exec(
        select(func.max(ShipmentEvent.occurred_at)).where(ShipmentEvent.shipment_id == shipment.id)
    ).one()
    if result is None or (stored is not None and newest is not None and newest < as_utc(stored)):
        session.commit()  # recorded (so its replay is a replay too), nothing applied
        return Outcome(200, "out_of_order" if result else "nothing_yet")
    apply_result(session, shipment, result)
    now = utcnow()
    shipment.last_checked_at = now
    if shipment.next_check_at is not None or not carriers.Status(shipment.status).is_terminal:
        # Fed by webhooks from now on: the worker only looks as a safety net.
        shipment.next_check_at = (
            None if carriers.Status(shipment.status).is_terminal else now + WEBHOOK_SAFETY_NET
        )
    session.add(shipment)
    session.commit()
    return Outcome(200, "applied")
