"""Sending the outbox's LINE rows (``channel = "line"``): the same claim, lease and retries as
mail (``tracking.mail.outbox``), then one push per row to LINE's Messaging API.

* Only brands with a LINE channel are claimed (``line.channels``); a row of a customer who has
  stopped LINE since it was queued is ``suppressed``; one past its ``send_before`` is skipped.
* The push carries the row's ``X-Line-Retry-Key`` (fixed when queued): a worker that died after
  LINE took the push but before the row was marked sent sends it again with the same key, and
  LINE answers 409 without delivering it twice; 409 counts as sent.
* 429 (rate limit or the month's quota; LINE sends nothing) and 5xx or no answer: retried after
  the outbox's backoff, up to ``MAIL_MAX_ATTEMPTS``; after a 429 the rest of that brand's
  claimed rows are given back untried. Any other 4xx is permanent: ``failed`` with LINE's
  words.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from flask import current_app
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.line import client
from tracking.line.channels import TIMEOUT, channel_for
from tracking.line.models import LineLink
from tracking.mail import hours, modes, outbox
from tracking.mail.models import Notification
from tracking.timeutil import utcnow

log = logging.getLogger(__name__)
STOPPED = "the customer stopped LINE messages"


def deliver_pending(
    session: Session,
    brands: dict[str, Brand] | None = None,
    *,
    now: datetime | None = None,
    limit: int = outbox.BATCH,
) -> int:
    """Claim due LINE rows and push them; returns how many were sent. Runs inside an app."""
    brands = brands if brands is not None else current_app.extensions["todoku_brands"]
    now = now or utcnow()
    channels = {slug: channel_for(b) for slug, b in brands.items()}
    slugs = [slug for slug, ch in channels.items() if ch is not None]
    if not slugs:
        return 0
    notes = outbox.claim(session, {modes.NORMAL: slugs}, now, limit, channel="line")
    sent = 0
    throttled: set[str] = set()
    for note in notes:
        if note.brand in throttled:
            outbox._release(session, [note])
            continue
        if not _live(session, note):
            outbox._finish(session, note, "suppressed", STOPPED)
            continue
        if hours.too_late(note, now):
            outbox._finish(session, note, hours.SKIPPED, hours.TOO_LATE)
            continue
        channel = channels[note.brand]
        req = client.push_request(
            channel.base, channel.token, note.to_address, json.loads(note.body_text), note.retry_key
        )
        answer = client.call(req, TIMEOUT)
        outcome = client.read_push(answer)
        if outcome.result == "sent":
            outbox._finish(session, note, "sent", outcome.detail, when=utcnow())
            sent += 1
        elif outcome.result == "retry":
            log.warning("line push %s not sent: %s", note.id, outcome.detail)
            outbox._retry(session, note, outcome.detail, now)
            if answer.status == 429:
                throttled.add(note.brand)
        else:
            log.warning("line push %s failed: %s", note.id, outcome.detail)
            outbox._finish(session, note, "failed", outcome.detail)
    return sent


def _live(session: Session, note: Notification) -> bool:
    return (
        session.exec(
            select(LineLink.id).where(
                LineLink.order_id == note.order_id,
                LineLink.user_id == note.to_address,
                col(LineLink.stopped_at).is_(None),
            )
        ).first()
        is not None
    )
