"""Retention: the worker erases the personal data of orders whose last event is older than the
brand's ``[privacy] retain_days``, a batch per round, exactly as an erasure on request does
(the history says "retention" instead). Orders already erased are never taken again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import exists
from sqlmodel import Session, col, select

from tracking.orders.models import Order, OrderChange, Shipment
from tracking.page.models import Inquiry
from tracking.privacy.erase import SOURCES, delete_files, erase_orders
from tracking.returns.models import ReturnRequest
from tracking.timeutil import utcnow

log = logging.getLogger(__name__)
BATCH = 200
# The scan reads every order of a brand: once an hour is plenty for a limit counted in days.
# While a scan finds orders, more may be waiting: the next round scans again.
EVERY = timedelta(hours=1)


def expired(session: Session, brand: str, cutoff: datetime, limit: int = BATCH) -> list[Order]:
    """Orders of ``brand`` with no event since ``cutoff`` and not yet erased."""
    erased = exists().where(
        OrderChange.order_id == Order.id, col(OrderChange.source).in_(SOURCES.values())
    )
    recent_parcel = exists().where(Shipment.order_id == Order.id, Shipment.updated_at >= cutoff)
    recent_return = exists().where(
        ReturnRequest.order_id == Order.id, ReturnRequest.updated_at >= cutoff
    )
    recent_question = exists().where(Inquiry.order_id == Order.id, Inquiry.created_at >= cutoff)
    return list(
        session.exec(
            select(Order)
            .where(
                Order.brand == brand,
                Order.updated_at < cutoff,
                ~erased,
                ~recent_parcel,
                ~recent_return,
                ~recent_question,
            )
            .order_by(Order.id)
            .limit(limit)
            # Two workers never erase (and record) the same order twice (PostgreSQL; SQLite
            # runs one worker).
            .with_for_update(skip_locked=True, of=Order)
        )
    )


def run(session: Session, brands: dict, upload_dir: Path, now: datetime | None = None) -> int:
    """Erase one batch per brand; commits. Returns how many orders were erased."""
    now = now or utcnow()
    total = 0
    for brand in brands.values():
        cutoff = now - timedelta(days=brand.privacy.retain_days)
        orders = expired(session, brand.slug, cutoff)
        if not orders:
            continue
        erasure = erase_orders(session, orders, upload_dir, why="retention")
        session.commit()
        delete_files(erasure.photo_files)
        total += erasure.orders
        log.info(
            "retention: %s: %d orders past %d days erased",
            brand.slug,
            erasure.orders,
            brand.privacy.retain_days,
        )
    return total


def round_task(session: Session, brands: dict, now: datetime | None = None) -> None:
    """The worker's once-per-round call (``tracking.sync.cli.ROUND_TASKS``): a scan at most
    every ``EVERY``, or at once while full batches keep coming."""
    now = now or utcnow()
    state = current_app.extensions.setdefault("todoku_retention", {})  # per app, per process
    if now < state.get("next_scan", now):
        return
    erased = run(session, brands, Path(current_app.config["UPLOAD_DIR"]), now)
    state["next_scan"] = now if erased else now + EVERY
