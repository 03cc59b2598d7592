"""Sending outbound events: the worker claims due deliveries with a lease, posts each signed
body to its endpoint and records the answer.

* a 2xx answer: ``delivered``;
* 410 Gone: ``failed`` at once (the receiver says the address is gone for good; the shop removes
  the endpoint from its brand file, or resends once it is back);
* anything else, a timeout or no connection: tried again after an exponential backoff with
  jitter (``Retry-After`` respected when longer), until ``WEBHOOK_MAX_ATTEMPTS`` tries, then
  ``failed``. Redirects are not followed (a 3xx is a failure, as the spec says).

Every try of a delivery sends the same ``webhook-id`` (the event's id), so a receiver that got a
try whose answer was lost drops the repeat. On PostgreSQL the claim is ``FOR UPDATE SKIP
LOCKED``: two workers never hold the same delivery; a worker killed mid-send leaves its claim,
which runs out after the lease (``WORKER_LEASE_SECONDS``). The staff page's "resend"
(``resend``) puts a delivery back in the queue."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import requests
from flask import current_app
from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.db import take_claim
from tracking.outbound import signing
from tracking.outbound.models import OutboundDelivery, OutboundEvent
from tracking.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(minutes=10)
#: The first retry's delay; each further one three times the last, up to ``MAX_DELAY``.
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=12)
#: An endpoint that timed out or refused the connection is not tried again in the same run:
#: its other claimed deliveries wait this long without a try counted.
HOST_DOWN_WAIT = timedelta(minutes=1)
JITTER = 0.2

#: The words stored as a delivery's ``last_error`` for Todoku's own reasons (the staff page
#: shows them translated: ``queries.DeliveryRow.problem``).
GONE = "410 Gone: the receiver says this address is gone"
REMOVED = "the endpoint is no longer in the brand file"
NO_ANSWER = "no answer ({kind})"

#: ``post(url, data=…, headers=…, timeout=…, allow_redirects=False)`` → a response with
#: ``status_code`` and ``headers`` (``requests.post``; tests pass their own).
Post = Callable[..., requests.Response]


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait after the ``attempts``-th failed try: 30 s, 90 s, 4.5 min, … up to 12 h, each
    moved by up to ±20 % at random so deliveries failed together do not retry together."""
    base = min(FIRST_DELAY * 3 ** max(attempts - 1, 0), MAX_DELAY)
    return base * (1 + (rng or random).uniform(-JITTER, JITTER))


def retry_after(response: requests.Response | None, now: datetime) -> timedelta | None:
    """A 429 or 503's ``Retry-After`` (seconds or an HTTP date), at most a day."""
    if response is None or response.status_code not in (429, 503):
        return None
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        wait = timedelta(seconds=int(value))
    except ValueError:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return max(timedelta(0), min(wait, timedelta(days=1)))


def _due(now: datetime):
    return or_(
        and_(OutboundDelivery.status == "pending", col(OutboundDelivery.next_attempt_at) <= now),
        and_(OutboundDelivery.status == "sending", col(OutboundDelivery.claimed_until) < now),
    )


def lease() -> timedelta:
    seconds = current_app.config.get("WORKER_LEASE_SECONDS")
    return timedelta(seconds=seconds) if seconds else LEASE


def claim(session: Session, now: datetime, limit: int = BATCH) -> list[OutboundDelivery]:
    """Take up to ``limit`` due deliveries for this worker (one try each) and commit the claim."""
    ids = session.exec(
        select(OutboundDelivery.id)
        .where(_due(now))
        .order_by(OutboundDelivery.next_attempt_at, OutboundDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    return take_claim(session, OutboundDelivery, ids, _due(now), now + lease())


def _finish(session: Session, delivery: OutboundDelivery, **values) -> bool:
    """Write the try's outcome if this worker still holds the claim (a worker whose lease ran
    out and was taken over writes nothing). Commits."""
    result = session.execute(
        update(OutboundDelivery)
        .where(
            OutboundDelivery.id == delivery.id,
            OutboundDelivery.claim_token == delivery.claim_token,
            OutboundDelivery.status == "sending",
        )
        .values(claim_token="", claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _retry_or_fail(
    session: Session,
    delivery: OutboundDelivery,
    now: datetime,
    error: str,
    code: int | None,
    wait: timedelta | None,
    rng: random.Random | None,
) -> str:
    limit = current_app.config.get("WEBHOOK_MAX_ATTEMPTS", 10)
    common = {"last_attempt_at": now, "last_code": code, "last_error": error[:300]}
    if delivery.attempts >= limit:
        _finish(session, delivery, status="failed", next_attempt_at=None, **common)
        return "failed"
    delay = max(backoff(delivery.attempts, rng), wait or timedelta(0))
    _finish(session, delivery, status="pending", next_attempt_at=now + delay, **common)
    return "retry"


def send_one(
    session: Session,
    delivery: OutboundDelivery,
    event: OutboundEvent,
    brand: Brand | None,
    env: Mapping[str, str],
    post: Post,
    now: datetime,
    rng: random.Random | None = None,
) -> str:
    """One try of one claimed delivery; returns delivered, retry, failed or unreachable (no
    answer at all: a timeout or no connection)."""
    endpoint = next((e for e in brand.webhooks if e.url == delivery.url), None) if brand else None
    if endpoint is None:
        _finish(
            session,
            delivery,
            status="failed",
            next_attempt_at=None,
            last_attempt_at=now,
            last_error=REMOVED,
        )
        return "failed"
    try:
        keys = signing.keys(env.get(endpoint.secret_env))
    except signing.BadSecret as exc:
        error = f"${endpoint.secret_env} {exc}"
        return _retry_or_fail(session, delivery, now, error, None, None, rng)
    body = event.body.encode()
    headers = signing.headers(keys, event.public_id, int(utcnow().timestamp()), body)
    timeout = current_app.config.get("WEBHOOK_TIMEOUT_SECONDS", 15)
    try:
        response = post(
            delivery.url, data=body, headers=headers, timeout=(5, timeout), allow_redirects=False
        )
    except requests.RequestException as exc:
        kind = type(exc).__name__
        _retry_or_fail(session, delivery, now, NO_ANSWER.format(kind=kind), None, None, rng)
        return "unreachable"
    code = response.status_code
    if 200 <= code < 300:
        _finish(
            session,
            delivery,
            status="delivered",
            delivered_at=now,
            next_attempt_at=None,
            last_attempt_at=now,
            last_code=code,
            last_error="",
        )
        return "delivered"
    if code == 410:
        _finish(
            session,
            delivery,
            status="failed",
            next_attempt_at=None,
            last_attempt_at=now,
            last_code=code,
            last_error=GONE,
        )
        return "failed"
    reason = (getattr(response, "reason", "") or "").strip()
    error = f"HTTP {code} {reason}".strip()
    return _retry_or_fail(session, delivery, now, error, code, retry_after(response, now), rng)


def deliver_pending(
    session: Session,
    brands: Mapping[str, Brand] | None = None,
    *,
    now: datetime | None = None,
    post: Post | None = None,
    limit: int = BATCH,
    rng: random.Random | None = None,
) -> dict[str, int]:
    """Claim due deliveries and try each once; the count of each outcome. Runs inside an app."""
    brands = brands if brands is not None else current_app.extensions["todoku_brands"]
    now = now or utcnow()
    post = post or requests.post
    env = current_app.config["WEBHOOK_ENVIRON"]
    outcomes: dict[str, int] = {}
    claimed = claim(session, now, limit)
    if not claimed:
        return outcomes
    events = {
        e.id: e
        for e in session.exec(
            select(OutboundEvent).where(col(OutboundEvent.id).in_({d.event_id for d in claimed}))
        ).all()
    }
    down: set[str] = set()
    for delivery in claimed:
        if delivery.url in down:  # not tried again in this run, and no try counted
            _finish(
                session,
                delivery,
                status="pending",
                attempts=delivery.attempts - 1,
                next_attempt_at=now + HOST_DOWN_WAIT,
            )
            outcome = "postponed"
        else:
            brand = brands.get(delivery.brand)
            outcome = send_one(
                session, delivery, events[delivery.event_id], brand, env, post, now, rng
            )
            if outcome == "unreachable":
                down.add(delivery.url)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def resend(
    session: Session, brand_slug: str, delivery_id: int, actor: str, now: datetime | None = None
) -> str:
    """Put one of ``brand_slug``'s deliveries back in the queue, due now, with its tries
    started over and who asked recorded. Returns queued, busy (a worker is sending it right
    now) or missing (no such delivery of this brand). Commits."""
    now = now or utcnow()
    found = session.exec(
        select(OutboundDelivery.id).where(
            OutboundDelivery.id == delivery_id, OutboundDelivery.brand == brand_slug
        )
    ).first()
    if found is None:
        return "missing"
    result = session.execute(
        update(OutboundDelivery)
        .where(
            OutboundDelivery.id == delivery_id,
            OutboundDelivery.brand == brand_slug,
            or_(
                OutboundDelivery.status != "sending",
                col(OutboundDelivery.claimed_until) < now,
            ),
        )
        .values(
            status="pending",
            attempts=0,
            next_attempt_at=now,
            claim_token="",
            claimed_until=None,
            resent_by=actor[:254],
            resent_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return "queued" if result.rowcount == 1 else "busy"


def due_in(delivery: OutboundDelivery, now: datetime) -> timedelta | None:
    """How long until the next try of a pending delivery (None otherwise)."""
    if delivery.status != "pending" or delivery.next_attempt_at is None:
        return None
    return max(timedelta(0), as_utc(delivery.next_attempt_at) - now)
