"""Per-account health, which is also the circuit breaker every worker shares (a database row
per carrier account, locked with ``FOR UPDATE`` on PostgreSQL). ``account`` is the account key
(``tracking.sync.accounts``): "" is the installation's own account, so one shop's failing
account opens only its own circuit.

closed → (``BREAKER_FAILURES`` failures in a row) → open for ``BREAKER_OPEN_SECONDS`` → half-open:
exactly one worker claims the probe (one request); success closes the circuit, failure opens it
again. A probe whose worker died is re-offered after ``PROBE_TIMEOUT``. Error rates are counted
per 24-hour window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlmodel import Session, select

from tracking.sync.models import CarrierHealth, ensure_row
from tracking.timeutil import as_utc

WINDOW = timedelta(hours=24)
PROBE_TIMEOUT = timedelta(minutes=5)

CLOSED, PROBE, OPEN = "closed", "probe", "open"


def _settings() -> tuple[int, timedelta]:
    cfg = current_app.config
    return (
        int(cfg.get("CARRIER_BREAKER_FAILURES", 3)),
        timedelta(seconds=int(cfg.get("CARRIER_BREAKER_OPEN_SECONDS", 300))),
    )


def row(session: Session, carrier: str, *, lock: bool = False, account: str = "") -> CarrierHealth:
    # populate_existing: a worker's session outlives a commit (expire_on_commit=False), and
    # another worker may have changed the row since; always read what the database has now.
    query = (
        select(CarrierHealth)
        .where(CarrierHealth.carrier == carrier, CarrierHealth.account == account)
        .execution_options(populate_existing=True)
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    found = session.exec(query).first()
    if found is None:
        ensure_row(session, CarrierHealth, carrier, account)
        found = session.exec(query).one()
    return found


def gate(session: Session, carrier: str, now: datetime, *, account: str = "") -> str:
    """CLOSED: call freely. PROBE: this worker makes the one half-open call. OPEN: don't call.
    Commits when it claims the probe, so other workers see the claim at once."""
    return gate_seen(session, carrier, now, account=account)[0]


def gate_seen(
    session: Session, carrier: str, now: datetime, *, account: str = ""
) -> tuple[str, datetime | None]:
    """``gate``, and the last failure it saw (for ``success(failure_seen=…)``)."""
    health = row(session, carrier, account=account)  # no lock for the common case: a closed circuit
    seen = as_utc(health.last_failure_at)
    return _gate(session, health, now), seen


def _gate(session: Session, health: CarrierHealth, now: datetime) -> str:
    if health.open_until is None:
        return CLOSED
    if now < as_utc(health.open_until):
        return OPEN
    session.refresh(health, with_for_update=session.get_bind().dialect.name == "postgresql")
    open_until = as_utc(health.open_until)
    if open_until is None:
        session.commit()
        return CLOSED
    if now < open_until:
        session.commit()
        return OPEN
    probe = as_utc(health.probe_started_at)
    if probe is not None and now - probe < PROBE_TIMEOUT:
        session.commit()
        return OPEN
    health.probe_started_at = now
    session.add(health)
    session.commit()
    return PROBE


def open_until(session: Session, carrier: str, *, account: str = "") -> datetime | None:
    return as_utc(row(session, carrier, account=account).open_until)


def _window(health: CarrierHealth, now: datetime) -> None:
    if now - as_utc(health.window_started_at) > WINDOW:
        health.window_started_at, health.window_calls, health.window_failures = now, 0, 0


def success(
    session: Session,
    carrier: str,
    now: datetime,
    calls: int = 1,
    *,
    failure_seen: datetime | None | bool = False,
    account: str = "",
) -> None:
    """Count ``calls`` successful calls in one write (a worker stores a window of chunks at
    once). ``failure_seen``: the ``last_failure_at`` this worker saw before making them; when
    another worker has recorded a failure since, that failure is newer news than these
    successes, so the counts go in but the circuit is left as that worker set it."""
    health = row(session, carrier, lock=True, account=account)
    _window(health, now)
    health.window_calls += calls
    health.last_success_at = now
    if failure_seen is not False and as_utc(health.last_failure_at) != as_utc(failure_seen):
        session.add(health)
        return
    health.failing_since = None
    health.consecutive_failures = 0
    health.open_until = None
    health.probe_started_at = None
    session.add(health)


def failure(
    session: Session,
    carrier: str,
    now: datetime,
    error: str,
    probe: bool,
    *,
    account: str = "",
) -> bool:
    """Count one failed call; returns True when the circuit is (now) open."""
    threshold, open_for = _settings()
    health = row(session, carrier, lock=True, account=account)
    _window(health, now)
    health.window_calls += 1
    health.window_failures += 1
    health.last_failure_at = now
    health.failing_since = as_utc(health.failing_since) or now
    health.last_error = error[:200]
    health.consecutive_failures += 1
    health.probe_started_at = None
    if probe or health.consecutive_failures >= threshold:
        health.open_until = now + open_for
    session.add(health)
    return health.open_until is not None


def hold(session: Session, carrier: str, until: datetime, error: str, *, account: str = "") -> None:
    """The carrier asked us to wait (429 + Retry-After): every worker holds off this account
    until then, without counting a failure."""
    health = row(session, carrier, lock=True, account=account)
    health.open_until = max(until, as_utc(health.open_until) or until)
    health.probe_started_at = None
    health.last_error = error[:200]
    session.add(health)


def all_rows(session: Session, accounts: set[str] | None = None) -> list[CarrierHealth]:
    """Every account's row, or only those of ``accounts`` (account keys; "" the installation's)."""
    query = select(CarrierHealth).order_by(CarrierHealth.carrier, CarrierHealth.account)
    if accounts is not None:
        query = query.where(CarrierHealth.account.in_(sorted(accounts)))
    return list(session.exec(query).all())


def error_rate(health: CarrierHealth) -> float:
    return health.window_failures / health.window_calls if health.window_calls else 0.0
