"""Carrier sync: poll shipments that are due, store what carriers say, schedule the next look.

Runs in the worker, never in a request. Cadence depends on the status (a parcel out for
delivery changes by the hour, one in a depot by the day); failures back off exponentially;
a carrier that keeps failing opens its circuit (``health``: shared by every worker, half-open
with one probe) so one outage does not burn the round. Claims are leases: a claimed shipment's
``next_check_at`` moves to the lease's end, committed before any carrier call, so a worker that
dies mid-batch loses nothing. On PostgreSQL any number of workers share the work (claims with
``FOR UPDATE SKIP LOCKED``); on SQLite run one worker. A body no parser can read is captured
(``capture``) for staff and for a new fixture.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

import carriers
from carriers import CarrierError, NotFound, ParseFailed, RateLimited, Status
from tracking.brands.brand import Brand
from tracking.orders.models import Order, Shipment
from tracking.sync import budget, capture, health
from tracking.sync.apply import apply_results
from tracking.sync.models import WebhookFeed
from tracking.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)

# How long until the next look, by status. Terminal statuses are never polled again.
CADENCE: dict[Status, timedelta] = {
    Status.PENDING: timedelta(hours=2),
    Status.INFO_RECEIVED: timedelta(hours=4),
    Status.IN_TRANSIT: timedelta(hours=3),
    Status.OUT_FOR_DELIVERY: timedelta(minutes=30),
    Status.ATTEMPT_FAILED: timedelta(hours=2),
    Status.AVAILABLE_FOR_PICKUP: timedelta(hours=6),
    Status.DELAYED: timedelta(hours=3),
    Status.EXCEPTION: timedelta(hours=3),
    Status.RETURNING_TO_SENDER: timedelta(hours=12),
    Status.UNKNOWN: timedelta(hours=6),
}
MAX_BACKOFF = timedelta(hours=24)
#: A shipment an aggregator's webhooks feed is polled this rarely: a safety net only.
WEBHOOK_SAFETY_NET = timedelta(hours=24)
#: A claimed shipment is leased for this long: a worker that dies mid-batch loses nothing, the
#: shipment is simply due again when the lease runs out.
LEASE = timedelta(minutes=10)


@dataclass
class RoundReport:
    checked: int = 0
    updated: int = 0
    new_events: int = 0
    failed: int = 0
    skipped: int = 0
    captured: int = 0
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def next_check(status: str, now: datetime, failures: int = 0) -> datetime | None:
    try:
        st = Status(status)
    except ValueError:
        st = Status.UNKNOWN
    if st.is_terminal:
        return None
    base = CADENCE.get(st, CADENCE[Status.UNKNOWN])
    return now + min(base * (2**failures), MAX_BACKOFF) if failures else now + base


def claim(
    session: Session, now: datetime, limit: int, lease: timedelta = LEASE
) -> list[tuple[Shipment, str]]:
    """Take up to ``limit`` due shipments and lease them: their ``next_check_at`` moves to the
    lease's end and the claim is committed at once, so no other worker takes them while this
    one works, and a worker killed mid-batch only delays them by the lease. On PostgreSQL the
    claim skips rows another worker is claiming (``FOR UPDATE SKIP LOCKED``)."""
    query = (
        select(Shipment, Order.brand)
        .join(Order, Order.id == Shipment.order_id)
        .where(Shipment.next_check_at.is_not(None), Shipment.next_check_at <= now)
        .order_by(Shipment.next_check_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Shipment)
    rows = list(session.exec(query).all())
    for shipment, _ in rows:
        shipment.next_check_at = now + lease
        session.add(shipment)
    session.commit()
    return rows


# Kept for callers that only want to look (no lease).
def due_shipments(session: Session, now: datetime, limit: int) -> list[tuple[Shipment, str]]:
    query = (
        select(Shipment, Order.brand)
        .join(Order, Order.id == Shipment.order_id)
        .where(Shipment.next_check_at.is_not(None), Shipment.next_check_at <= now)
        .order_by(Shipment.next_check_at)
        .limit(limit)
    )
    return list(session.exec(query).all())


def run_round(
    session: Session, brands: dict[str, Brand], now: datetime | None = None, limit: int = 200
) -> RoundReport:
    """One polling round: claim (leased, committed), then per carrier: the shared breaker's
    gate, fetch, store; each chunk is committed on its own."""
    now = now or utcnow()
    report = RoundReport()
    batches: dict[str, list[Shipment]] = defaultdict(list)
    for shipment, brand_slug in claim(session, now, limit):
        brand = brands.get(brand_slug)
        route = brand.route_for(shipment.carrier) if brand else shipment.carrier
        batches[route].append(shipment)

    for code, shipments in batches.items():
        try:
            adapter = carriers.get(code)
        except carriers.UnknownCarrier:
            log.error("sync: no adapter %r for %d shipments", code, len(shipments))
            for s in shipments:
                _failed(session, s, now, report, "UnknownCarrier")
            session.commit()
            continue
        _sync_carrier(session, adapter, shipments, now, report)
    session.commit()
    return report


#: Shipments stored per transaction: one budget take, one health write and a constant number
#: of queries per window instead of per shipment (batched carrier APIs: a window is at least
#: one chunk).
WINDOW = 50


def _sync_carrier(session, adapter, shipments: list[Shipment], now, report: RoundReport) -> None:
    size = max(1, adapter.batch_size)
    chunks = [shipments[i : i + size] for i in range(0, len(shipments), size)]
    index = 0
    while index < len(chunks):
        state, failure_seen = health.gate_seen(session, adapter.code, now)
        if state == health.OPEN:
            _hold(session, [s for c in chunks[index:] for s in c], now, report, adapter.code)
            session.commit()
            return
        # The half-open probe is one request; otherwise a window's worth of requests.
        want = 1 if state == health.PROBE else max(1, WINDOW // size)
        window = chunks[index : index + want]
        granted = _budget(session, adapter.code, now, len(window))
        if not granted:
            # Today's budget is spent: the rest waits for tomorrow's, no failure counted.
            wait = timedelta(seconds=budget.take(session, adapter.code, now) or 60)
            for s in (s for c in chunks[index:] for s in c):
                s.next_check_at = now + wait
                session.add(s)
            report.skipped += sum(len(c) for c in chunks[index:])
            report.errors["BudgetSpent"] += 1
            session.commit()
            return
        window = window[:granted]
        outcome, tried = _sync_window(
            session,
            adapter,
            window,
            now,
            report,
            probe=state == health.PROBE,
            failure_seen=failure_seen,
        )
        budget.give_back(session, adapter.code, now, granted - tried)
        session.commit()
        index += tried
        if outcome == "held":
            _hold(session, [s for c in chunks[index:] for s in c], now, report, adapter.code)
            session.commit()
            return


#: Waits shorter than this are slept through (the per-second bucket); longer ones (the daily
#: cap) end the carrier's turn in this round.
MAX_SLEEP = 2.0


def _budget(session, code: str, now, calls: int) -> int:
    """Take up to one token per request the window will make (batched APIs: one per chunk);
    answers how many were granted (0: the day's budget is spent)."""
    granted, wait = budget.take_many(session, code, now, calls)
    while not granted and 0 < wait <= MAX_SLEEP:
        time.sleep(wait)
        granted, wait = budget.take_many(session, code, utcnow(), calls)
    return granted


def _hold(session, shipments: list[Shipment], now, report: RoundReport, code: str) -> None:
    """Not tried (circuit open or carrier asked to wait): due again when the circuit's
    half-open probe may run; no failure counted."""
    until = health.open_until(session, code) or now + timedelta(minutes=5)
    for s in shipments:
        s.next_check_at = until
        session.add(s)
    report.skipped += len(shipments)


def _webhook_fed(session, shipments: list[Shipment]) -> set[int]:
    ids = [s.id for s in shipments]
    query = select(WebhookFeed.shipment_id).where(WebhookFeed.shipment_id.in_(ids))
    return set(session.exec(query).all())


def schedule(shipment: Shipment, now: datetime, fed: bool) -> None:
    nxt = next_check(shipment.status, now)
    if nxt is not None and fed:
        nxt = now + WEBHOOK_SAFETY_NET
    shipment.next_check_at = nxt


def _sync_chunk(
    session, adapter, chunk: list[Shipment], now, report: RoundReport, probe: bool = False
) -> str:
    """One chunk (staff's check now). Returns "ok", "failed" or "held"."""
    return _sync_window(session, adapter, [chunk], now, report, probe=probe)[0]


def _sync_window(
    session,
    adapter,
    window: list[list[Shipment]],
    now,
    report: RoundReport,
    probe: bool = False,
    failure_seen=False,
) -> tuple[str, int]:
    """Fetch a window of chunks, then store every answer in one go. Returns the outcome ("ok",
    "failed": the last call failed, "held": rate limited, the rest of this carrier waits too)
    and how many chunks were tried (each took one budget token).

    A failure is written to the shared health row at once (so every worker's breaker sees it
    before its next call) after the successes before it; the successes after the last failure
    are counted in one write with the store."""
    fetched: list[tuple[list[Shipment], dict]] = []
    successes = 0
    outcome = "ok"
    tried = 0
    for chunk in window:
        tried += 1
        numbers = [s.tracking_number for s in chunk]
        context = {
            "shipped_at": {s.tracking_number: as_utc(s.shipped_at) for s in chunk if s.shipped_at},
            "carrier": chunk[0].carrier,
            "now": now,
        }
        try:
            bodies = adapter.fetch(numbers, **context)
        except RateLimited as exc:
            wait = timedelta(seconds=exc.retry_after if exc.retry_after is not None else 900)
            _count_successes(session, adapter.code, now, successes, failure_seen)
            successes = 0
            health.hold(session, adapter.code, now + wait, "RateLimited")
            for s in chunk:
                s.next_check_at = now + wait
                session.add(s)
            report.errors["RateLimited"] += 1
            outcome = "held"
            break
        except CarrierError as exc:
            log.warning("sync: %s fetch failed: %s", adapter.code, exc)
            _count_successes(session, adapter.code, now, successes, failure_seen)
            successes = 0
            opened = health.failure(
                session, adapter.code, now, f"{type(exc).__name__}: {exc}", probe
            )
            for s in chunk:
                _failed(session, s, now, report, type(exc).__name__)
            session.commit()  # other workers' breakers see it before their next call
            failure_seen = now  # what this worker just wrote
            outcome = "failed"
            if opened:
                break
            continue
        successes += 1
        outcome = "ok"
        fetched.append((chunk, bodies))
    _store(session, adapter, fetched, now, report)
    # Last, so the shared row is locked only for this transaction's commit.
    _count_successes(session, adapter.code, now, successes, failure_seen)
    return outcome, tried


def _count_successes(session, code: str, now, calls: int, failure_seen) -> None:
    if calls:
        health.success(session, code, now, calls, failure_seen=failure_seen)


def _store(session, adapter, fetched: list[tuple[list[Shipment], dict]], now, report) -> None:
    """Parse and store a window's answers: a constant number of queries for the window."""
    shipments = [s for chunk, _ in fetched for s in chunk]
    if not shipments:
        return
    fed = _webhook_fed(session, shipments)
    pairs = []
    for chunk, bodies in fetched:
        for s in chunk:
            report.checked += 1
            body = bodies.get(s.tracking_number)
            try:
                if body is None:
                    raise NotFound(s.tracking_number)
                result = adapter.parse(body, s.tracking_number)
            except NotFound:
                # Often just not registered yet: keep "pending", look again later.
                s.last_checked_at = now
                schedule(s, now, s.id in fed)
                if s.next_check_at is None:
                    s.next_check_at = next_check(Status.PENDING, now)
                session.add(s)
                continue
            except ParseFailed as exc:
                log.warning("sync: %s parse failed for %s: %s", adapter.code, s.id, exc)
                capture.capture(session, adapter.code, s.tracking_number, body, str(exc), s.id)
                report.captured += 1
                _failed(session, s, now, report, "ParseFailed")
                continue
            except CarrierError as exc:
                # ProviderError, AuthFailed …: about the account, never a parcel status.
                log.warning("sync: %s error for %s: %s", adapter.code, s.id, exc)
                _failed(session, s, now, report, type(exc).__name__)
                continue
            pairs.append((s, result, s.status))
    applied = apply_results(session, [(s, r) for s, r, _ in pairs])
    for (s, _, before), done in zip(pairs, applied, strict=True):
        report.new_events += done.new_events
        s.last_checked_at = now
        schedule(s, now, s.id in fed)
        report.updated += int(before != s.status)


def _failed(session, shipment: Shipment, now, report: RoundReport, kind: str) -> None:
    # Keep the last known status and its check time: the page shows both.
    shipment.failures += 1
    shipment.next_check_at = next_check(shipment.status, now, shipment.failures)
    session.add(shipment)
    report.failed += 1
    report.errors[kind] += 1


def check_now(session: Session, brands: dict[str, Brand], shipment: Shipment) -> RoundReport:
    """Staff's "check now" for one shipment: one carrier call right away, through the same path
    as the worker (budget, health, capture), whatever its schedule. Commits. The customer's
    Refresh never comes here: it reads what the worker stored."""
    now = utcnow()
    report = RoundReport()
    order = session.get(Order, shipment.order_id)
    brand = brands.get(order.brand) if order else None
    code = brand.route_for(shipment.carrier) if brand else shipment.carrier
    try:
        adapter = carriers.get(code)
    except carriers.UnknownCarrier:
        _failed(session, shipment, now, report, "UnknownCarrier")
        session.commit()
        return report
    if not _budget(session, adapter.code, now, 1):
        report.skipped += 1
        report.errors["BudgetSpent"] += 1
        session.commit()
        return report
    _sync_chunk(session, adapter, [shipment], now, report)
    session.commit()
    return report
