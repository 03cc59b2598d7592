"""Per-account rate budgets shared by every worker: a token bucket (requests per second, with
a burst of one second's worth) plus a per-day cap (e.g. DHL's 250 calls/day, reset at 00:00
UTC). Each carrier account (``account``: "" the installation's, else a shop's account key) has
its own bucket with the carrier's limits, so one shop spending its day does not stop another. Through Redis when ``REDIS_URL`` is set (one atomic Lua script), through a locked database
row otherwise. ``take`` answers 0.0 (go) or how many seconds to wait.

Redis lost: nothing is granted (a wait of ``REDIS_LOST_WAIT``) until it answers again, so no
carrier's budget is overspent by workers that cannot see each other's counts; the round goes on
with the rest of its work (mail, imports, retention) and the parcels wait.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlmodel import Session, select

from tracking.config import REDIS_OPTIONS
from tracking.sync.models import RateBucket, ensure_row
from tracking.timeutil import as_utc

#: Published defaults (reference: carriers.md §2, security-reliability-performance.md §3.5):
#: (requests per second, requests per day or None). Override with CARRIER_RATE_LIMITS.
DEFAULTS: dict[str, tuple[float, int | None]] = {
    "dhl": (1.0, 250),
    "usps": (1.0, 1440),  # ≈60/hour
    "fedex": (100.0, 100_000),
    "aftership": (5.0, None),
    "track17": (3.0, None),
    "ship24": (10.0, None),
    "easypost": (5.0, None),
}


def limits(carrier: str) -> tuple[float, int | None] | None:
    configured = current_app.config.get("CARRIER_RATE_LIMITS") or {}
    return configured.get(carrier) or DEFAULTS.get(carrier)


def _seconds_to_midnight(now: datetime) -> float:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


# ARGV: rate, now, daily cap (-1: none), tokens wanted. Answers "granted wait" (wait -1: the
# daily cap is spent).
_LUA = """
local rate = tonumber(ARGV[1]); local now = tonumber(ARGV[2]); local cap = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or rate; local ts = tonumber(state[2]) or now
tokens = math.min(rate, tokens + math.max(0, now - ts) * rate)
local room = want
if cap >= 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= cap then return '0 -1' end
  room = math.min(room, cap - used)
end
local granted = math.min(room, math.floor(tokens))
if granted < 1 then
  redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
  return '0 ' .. tostring((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens - granted, 'ts', now)
redis.call('EXPIRE', KEYS[1], 3600)
if cap >= 0 then redis.call('INCRBY', KEYS[2], granted); redis.call('EXPIRE', KEYS[2], 172800) end
return tostring(granted) .. ' 0'
"""
# Tokens taken but not spent (the chunk stopped early): back into the bucket and the day's count.
_LUA_GIVE_BACK = """
local rate = tonumber(ARGV[1]); local n = tonumber(ARGV[2])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens'))
if tokens then redis.call('HSET', KEYS[1], 'tokens', math.min(rate, tokens + n)) end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
if used > 0 then redis.call('DECRBY', KEYS[2], math.min(used, n)) end
return 'ok'
"""
_clients: dict[str, object] = {}
log = logging.getLogger(__name__)
#: Seconds the parcels of a carrier wait while Redis does not answer.
REDIS_LOST_WAIT = 30.0


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    if url not in _clients:
        import redis

        client = redis.Redis.from_url(url, **REDIS_OPTIONS)
        scripts = (client.register_script(_LUA), client.register_script(_LUA_GIVE_BACK))
        _clients[url] = (client, scripts)
    return _clients[url]


def _keys(carrier: str, now: datetime, account: str = "") -> list[str]:
    # The installation's account keeps the keys it always had.
    base = f"todoku:rate:{carrier}@{account}" if account else f"todoku:rate:{carrier}"
    return [base, f"{base}:{now.strftime('%Y-%m-%d')}"]


def take(session: Session, carrier: str, now: datetime, *, account: str = "") -> float:
    """One request's worth of budget: 0.0 to go ahead, else seconds until there is some."""
    granted, wait = take_many(session, carrier, now, 1, account=account)
    return 0.0 if granted else wait


def take_many(
    session: Session, carrier: str, now: datetime, want: int, *, account: str = ""
) -> tuple[int, float]:
    """Up to ``want`` requests' worth of budget in one round trip: (granted, 0.0), or (0, seconds
    until there is some). Spend every granted token or ``give_back`` the rest: a worker that
    takes a chunk's worth at once must not hold budget it will not use."""
    spec = limits(carrier)
    if spec is None:
        return want, 0.0
    rate, per_day = spec
    client = _redis()
    if client is not None:
        _, (script, _give) = client
        try:
            answer = script(
                keys=_keys(carrier, now, account),
                args=[rate, now.timestamp(), -1 if per_day is None else per_day, want],
            )
        except RedisError as exc:
            log.warning("budget: Redis unreachable, %s waits: %s", carrier, exc)
            return 0, REDIS_LOST_WAIT
        granted, wait = (float(x) for x in answer.decode().split())
        if granted >= 1:
            return int(granted), 0.0
        return 0, _seconds_to_midnight(now) if wait < 0 else max(1e-3, wait)
    return _take_db(session, (carrier, account), now, rate, per_day, want)


def give_back(
    session: Session, carrier: str, now: datetime, unused: int, *, account: str = ""
) -> None:
    if unused <= 0 or limits(carrier) is None:
        return
    rate, _ = limits(carrier)
    client = _redis()
    if client is not None:
        _, (_script, give) = client
        try:
            give(keys=_keys(carrier, now, account), args=[rate, unused])
        except RedisError as exc:  # the tokens are lost for the day: never more than granted
            log.warning(
                "budget: Redis unreachable, %d %s tokens not given back: %s", unused, carrier, exc
            )
        return
    bucket = _locked(session, (carrier, account))
    if bucket is not None:
        bucket.tokens = min(rate, bucket.tokens + unused)
        if bucket.day == now.strftime("%Y-%m-%d"):
            bucket.day_count = max(0, bucket.day_count - unused)
        session.add(bucket)
    session.commit()


def _locked(session, line: tuple[str, str]) -> RateBucket | None:
    # populate_existing: the worker's session outlives commits; never count on a stale copy.
    carrier, account = line
    query = (
        select(RateBucket)
        .where(RateBucket.carrier == carrier, RateBucket.account == account)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.exec(query).first()


def _take_db(session, line, now, rate, per_day, want) -> tuple[int, float]:
    """``line``: (carrier, account)."""
    day = now.strftime("%Y-%m-%d")
    bucket = _locked(session, line)
    if bucket is None:
        ensure_row(session, RateBucket, *line)
        bucket = _locked(session, line)
        bucket.tokens, bucket.refilled_at, bucket.day = rate, now, day
    if bucket.day != day:
        bucket.day, bucket.day_count = day, 0
    elapsed = max(0.0, (now - as_utc(bucket.refilled_at)).total_seconds())
    bucket.tokens = min(rate, bucket.tokens + elapsed * rate)
    bucket.refilled_at = now
    room = want if per_day is None else min(want, per_day - bucket.day_count)
    granted, wait = 0, 0.0
    if room <= 0:
        wait = _seconds_to_midnight(now)
    elif bucket.tokens < 1:
        wait = max(1e-3, (1 - bucket.tokens) / rate)
    else:
        granted = int(min(room, math.floor(bucket.tokens)))
        bucket.tokens -= granted
        bucket.day_count += granted
    session.add(bucket)
    session.commit()  # release the row lock at once: other workers are waiting on it
    return granted, (wait if not math.isnan(wait) else 1.0)
