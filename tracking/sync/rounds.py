"""Carrier sync: poll shipments that are due, store what carriers say, schedule the next look.

Runs in the worker, never in a request. Which shipments are due and when they are looked at
next is ``schedule`` (cadence, backoff, leased claims). Each shipment's calls go through its
shop's carrier account (``accounts``: the shop's own credentials, or the installation's), and
each account has its own rate budget (``budget``) and circuit (``health``: shared by every
worker, half-open with one probe), so one shop's outage or spent budget does not stop another
shop's parcels. A body no parser can read is captured (``capture``) for staff and for a new
fixture.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlmodel import Session

import carriers
from carriers import Adapter, CarrierError, NotFound, ParseFailed, RateLimited, Status
from carriers.account import Account
from tracking.brands.brand import Brand
from tracking.db import get_engine
from tracking.monitoring import metrics
from tracking.orders.models import Order, Shipment
from tracking.sync import accounts, budget, capture, health
from tracking.sync.apply import apply_results
from tracking.sync.schedule import claim, next_check, schedule, webhook_fed
from tracking.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)


@dataclass
class RoundReport:
    claimed: int = 0  # shipments this round took (a full claim: more may be due)
    checked: int = 0
    updated: int = 0
    new_events: int = 0
    failed: int = 0
    skipped: int = 0
    captured: int = 0
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass(frozen=True)
class Line:
    """One carrier account's calls: the adapter, and the account whose credentials it sends and
    whose key keeps its budget, breaker and health apart from other accounts'."""

    adapter: Adapter
    account: Account

    @property
    def code(self) -> str:
        return self.adapter.code

    @property
    def key(self) -> str:
        return self.account.key


def line_for(brand: Brand | None, carrier: str) -> Line:
    """The line a ``brand``'s parcel of ``carrier`` is tracked on (its route, its account);
    UnknownCarrier when the route has no adapter."""
    code = brand.route_for(carrier) if brand else carrier
    adapter = carriers.get(code)
    return Line(adapter, accounts.account_for(brand, code))


#: Shipments one round claims; a worker whose round took this many goes again at once.
ROUND_LIMIT = 100


def run_round(
    session: Session,
    brands: dict[str, Brand],
    now: datetime | None = None,
    limit: int = ROUND_LIMIT,
) -> RoundReport:
    """One polling round: claim (leased, committed), then per carrier account: the shared
    breaker's gate, fetch, store; each chunk is committed on its own."""
    now = now or utcnow()
    report = RoundReport()
    # (adapter code, account key) → the line and its shipments; no line: no such adapter.
    lines: dict[tuple[str, str], Line | None] = {}
    batches: dict[tuple[str, str], list[Shipment]] = defaultdict(list)
    lease = timedelta(seconds=current_app.config.get("WORKER_LEASE_SECONDS") or 600)
    claimed = claim(session, now, limit, lease)
    report.claimed = len(claimed)
    for shipment, brand_slug in claimed:
        try:
            line = line_for(brands.get(brand_slug), shipment.carrier)
            ident = (line.code, line.key)
        except carriers.UnknownCarrier as exc:
            line, ident = None, (exc.code, "")
        lines[ident] = line
        batches[ident].append(shipment)

    for ident, shipments in batches.items():
        line = lines[ident]
        if line is None:
            log.error("sync: no adapter %r for %d shipments", ident[0], len(shipments))
            for s in shipments:
                _failed(session, s, now, report, "UnknownCarrier")
            session.commit()
            continue
        _sync_carrier(session, line, shipments, now, report)
    session.commit()
    return report


#: Shipments stored per transaction: one budget take, one health write and a constant number
#: of queries per window instead of per shipment (batched carrier APIs: a window is at least
#: one chunk).
WINDOW = 50


def _sync_carrier(session, line: Line, shipments: list[Shipment], now, report: RoundReport) -> None:
    """Window by window: gate, budget, fetch, store. On PostgreSQL a window's fetches run in a
    helper thread while the previous window is stored, so the carrier is kept busy while the
    database works; still one request in flight per worker, and the gate for a window is asked
    only once the previous window's calls are done (a failure that opened the circuit stops
    the next window's calls, exactly as without the overlap)."""
    size = max(1, line.adapter.batch_size)
    chunks = [shipments[i : i + size] for i in range(0, len(shipments), size)]
    overlap = session.get_bind().dialect.name == "postgresql"
    pool = ThreadPoolExecutor(1, thread_name_prefix="fetch") if overlap else None
    pending = None
    index = 0
    try:
        while True:
            started = None
            if index < len(chunks):
                started = _start_window(session, line, chunks, index, now, report, pool)
                if started is None:
                    index = len(chunks)  # held or out of budget: the rest is scheduled
            if pending is not None:
                _finish_window(session, line, pending, now, report)
                pending = None
            if started is None:
                break
            window, granted, fetching = started
            fetched = fetching.result() if pool else fetching
            index += fetched.tried
            pending = (window, granted, fetched)
    finally:
        if pool:
            pool.shutdown(wait=True)


def _start_window(session, line: Line, chunks, index: int, now, report: RoundReport, pool):
    """Gate and budget for the next window, then its fetches (in ``pool`` if given). None when
    nothing may be called: the rest of this account's shipments are scheduled and committed."""
    state, failure_seen = health.gate_seen(session, line.code, now, account=line.key)
    if state == health.OPEN:
        _hold(session, [s for c in chunks[index:] for s in c], now, report, line)
        session.commit()
        return None
    # The half-open probe is one request; otherwise a window's worth of requests.
    want = 1 if state == health.PROBE else max(1, WINDOW // max(1, line.adapter.batch_size))
    window = chunks[index : index + want]
    granted = _budget(session, line, now, len(window))
    if not granted:
        # Today's budget is spent: the rest waits for tomorrow's, no failure counted.
        wait = timedelta(seconds=budget.take(session, line.code, now, account=line.key) or 60)
        for s in (s for c in chunks[index:] for s in c):
            s.next_check_at = now + wait
            session.add(s)
        report.skipped += sum(len(c) for c in chunks[index:])
        report.errors["BudgetSpent"] += 1
        session.commit()
        return None
    window = window[:granted]
    specs = [_spec(chunk, now) for chunk in window]
    probe = state == health.PROBE
    if pool is None:
        return window, granted, _fetch_window(session, line, specs, now, probe, failure_seen)
    # Nothing held while the helper thread works: its health writes may need the same rows
    # (even a just-inserted one) that this transaction touched.
    session.commit()
    app = current_app._get_current_object()
    return (
        window,
        granted,
        pool.submit(_fetch_in_thread, app, line, specs, now, probe, failure_seen),
    )


def _spec(chunk: list[Shipment], now) -> tuple[list[str], dict]:
    """What a fetch needs, as plain values (the fetch may run in another thread: it never
    touches the session's objects)."""
    return [s.tracking_number for s in chunk], {
        "shipped_at": {s.tracking_number: as_utc(s.shipped_at) for s in chunk if s.shipped_at},
        "carrier": chunk[0].carrier,
        "now": now,
    }


@dataclass
class _Fetched:
    bodies: dict[int, dict] = field(default_factory=dict)  # chunk index → bodies
    failed: dict[int, CarrierError] = field(default_factory=dict)
    held: tuple[int, timedelta] | None = None
    tried: int = 0
    successes: int = 0  # not yet written to the health row
    failure_seen: object = False
    outcome: str = "ok"


def _fetch_in_thread(app, line: Line, specs, now, probe, failure_seen) -> _Fetched:
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as own:
        return _fetch_window(own, line, specs, now, probe, failure_seen)


def _fetch_window(hsession, line: Line, specs, now, probe: bool, failure_seen) -> _Fetched:
    """The window's calls, one at a time. A failure is written to the shared health row at once
    (after the successes before it, so the order of outcomes is kept), so every worker's
    breaker sees it before its next call; the calls stop when the circuit opens or the carrier
    asks to wait. Successes after the last failure are left to ``_finish_window`` (one write
    with the store). ``hsession``: for the health writes only."""
    out = _Fetched(failure_seen=failure_seen)
    for i, (numbers, context) in enumerate(specs):
        out.tried += 1
        try:
            out.bodies[i] = line.adapter.fetch(numbers, account=line.account, **context)
        except RateLimited as exc:
            metrics.carrier_call(line.code, "rate_limited")
            wait = timedelta(seconds=exc.retry_after if exc.retry_after is not None else 900)
            _count_successes(hsession, line, now, out.successes, out.failure_seen)
            out.successes = 0
            health.hold(hsession, line.code, now + wait, "RateLimited", account=line.key)
            hsession.commit()
            out.held, out.outcome = (i, wait), "held"
            break
        except CarrierError as exc:
            metrics.carrier_call(line.code, "error", exc)
            log.warning("sync: %s (%s) fetch failed: %s", line.code, line.key or "-", exc)
            _count_successes(hsession, line, now, out.successes, out.failure_seen)
            out.successes = 0
            error = f"{type(exc).__name__}: {exc}"
            opened = health.failure(hsession, line.code, now, error, probe, account=line.key)
            hsession.commit()
            out.failure_seen = now  # what this worker just wrote
            out.failed[i], out.outcome = exc, "failed"
            if opened:
                break
            continue
        metrics.carrier_call(line.code, "ok")
        out.successes += 1
        out.outcome = "ok"
        if probe:
            # The probe's success closes the circuit for every worker now, and for the gate
            # of this worker's next window.
            _count_successes(hsession, line, now, out.successes, out.failure_seen)
            hsession.commit()
            out.successes = 0
    return out


def _finish_window(session, line: Line, pending, now, report: RoundReport) -> None:
    window, granted, fetched = pending
    for i, exc in fetched.failed.items():
        for s in window[i]:
            _failed(session, s, now, report, type(exc).__name__)
    if fetched.held is not None:
        i, wait = fetched.held
        for s in window[i]:
            s.next_check_at = now + wait
            session.add(s)
        report.errors["RateLimited"] += 1
    _store(session, line.adapter, [(window[i], b) for i, b in fetched.bodies.items()], now, report)
    # Last, so the shared row is locked only for this transaction's commit.
    _count_successes(session, line, now, fetched.successes, fetched.failure_seen)
    budget.give_back(session, line.code, now, granted - fetched.tried, account=line.key)
    session.commit()


#: Waits shorter than this are slept through (the per-second bucket); longer ones (the daily
#: cap) end the carrier's turn in this round.
MAX_SLEEP = 2.0


def _budget(session, line: Line, now, calls: int) -> int:
    """Take up to one token per request the window will make (batched APIs: one per chunk)
    from the account's budget; answers how many were granted (0: the day's budget is spent)."""
    granted, wait = budget.take_many(session, line.code, now, calls, account=line.key)
    while not granted and 0 < wait <= MAX_SLEEP:
        time.sleep(wait)
        granted, wait = budget.take_many(session, line.code, utcnow(), calls, account=line.key)
    return granted


def _hold(session, shipments: list[Shipment], now, report: RoundReport, line: Line) -> None:
    """Not tried (circuit open or carrier asked to wait): due again when the account's
    circuit's half-open probe may run; no failure counted."""
    until = health.open_until(session, line.code, account=line.key) or now + timedelta(minutes=5)
    for s in shipments:
        s.next_check_at = until
        session.add(s)
    report.skipped += len(shipments)


def _sync_chunk(
    session, line: Line, chunk: list[Shipment], now, report: RoundReport, probe: bool = False
) -> str:
    """One chunk, right away (staff's check now). Returns "ok", "failed" or "held"."""
    fetched = _fetch_window(session, line, [_spec(chunk, now)], now, probe, False)
    _finish_window(session, line, ([chunk], 1, fetched), now, report)
    return fetched.outcome


def _count_successes(session, line: Line, now, calls: int, failure_seen) -> None:
    if calls:
        health.success(session, line.code, now, calls, failure_seen=failure_seen, account=line.key)


def _store(session, adapter, fetched: list[tuple[list[Shipment], dict]], now, report) -> None:
    """Parse and store a window's answers: a constant number of queries for the window."""
    shipments = [s for chunk, _ in fetched for s in chunk]
    if not shipments:
        return
    fed = webhook_fed(session, shipments)
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
                metrics.carrier_unreadable(adapter.code, "poll")
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
    try:
        line = line_for(brand, shipment.carrier)
    except carriers.UnknownCarrier:
        _failed(session, shipment, now, report, "UnknownCarrier")
        session.commit()
        return report
    if not _budget(session, line, now, 1):
        report.skipped += 1
        report.errors["BudgetSpent"] += 1
        session.commit()
        return report
    _sync_chunk(session, line, [shipment], now, report)
    session.commit()
    return report
