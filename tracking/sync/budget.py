"""Per-carrier rate budgets shared by every worker: a token bucket (requests per second, with
a burst of one second's worth) plus a per-day cap (e.g. DHL's 250 calls/day, reset at 00:00
UTC). Through Redis when ``REDIS_URL`` is set (one atomic Lua script), through a locked database
row otherwise. ``take`` answers 0.0 (go) or how many seconds to wait.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlmodel import Session, select

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


_LUA = """
local rate = tonumber(ARGV[1]); local now = tonumber(ARGV[2]); local cap = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or rate; local ts = tonumber(state[2]) or now
tokens = math.min(rate, tokens + math.max(0, now - ts) * rate)
if cap >= 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= cap then return '-1' end
end
if tokens < 1 then
  redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
  return tostring((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens - 1, 'ts', now)
redis.call('EXPIRE', KEYS[1], 3600)
if cap >= 0 then redis.call('INCR', KEYS[2]); redis.call('EXPIRE', KEYS[2], 172800) end
return '0'
"""
_clients: dict[str, object] = {}


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    if url not in _clients:
        import redis

        client = redis.Redis.from_url(url)
        _clients[url] = (client, client.register_script(_LUA))
    return _clients[url]


def take(session: Session, carrier: str, now: datetime) -> float:
    """One request's worth of budget: 0.0 to go ahead, else seconds until there is some."""
    spec = limits(carrier)
    if spec is None:
        return 0.0
    rate, per_day = spec
    day = now.strftime("%Y-%m-%d")
    client = _redis()
    if client is not None:
        _, script = client
        answer = float(
            script(
                keys=[f"todoku:rate:{carrier}", f"todoku:rate:{carrier}:{day}"],
                args=[rate, now.timestamp(), -1 if per_day is None else per_day],
            )
        )
        return _seconds_to_midnight(now) if answer < 0 else answer
    return _take_db(session, carrier, now, rate, per_day, day)


def _take_db(session, carrier, now, rate, per_day, day) -> float:
    query = select(RateBucket).where(RateBucket.carrier == carrier)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    bucket = session.exec(query).first()
    if bucket is None:
        ensure_row(session, RateBucket, carrier)
        bucket = session.exec(query).one()
        bucket.tokens, bucket.refilled_at, bucket.day = rate, now, day
    if bucket.day != day:
        bucket.day, bucket.day_count = day, 0
    elapsed = max(0.0, (now - as_utc(bucket.refilled_at)).total_seconds())
    bucket.tokens = min(rate, bucket.tokens + elapsed * rate)
    bucket.refilled_at = now
    wait = 0.0
    if per_day is not None and bucket.day_count >= per_day:
        wait = _seconds_to_midnight(now)
    elif bucket.tokens < 1:
        wait = max(1e-3, (1 - bucket.tokens) / rate)
    else:
        bucket.tokens -= 1
        bucket.day_count += 1
    session.add(bucket)
    session.commit()  # release the row lock at once: other workers are waiting on it
    return wait if not math.isnan(wait) else 1.0
