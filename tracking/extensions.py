"""Flask extensions created once and bound in the factory, and the failure counters that share
the rate limiter's storage (Redis when ``REDIS_URL`` is set, so every worker sees one count).

Redis lost: the limiter counts in each process's memory (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``
in tracking/config.py), and so do the failure counters here, until Redis answers again."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

#: GET endpoints that no limit applies to (no decorator, no blueprint limit, no default
#: limits): the limiter's per-request work (resolving the endpoint's limits, evaluating none)
#: is skipped for them. The tracking page and its 304 refresh are the app's most frequent
#: requests. tests/security/test_limits.py runs them with the limiter's own check and checks
#: that it counted nothing, so a limit added to one of them later cannot be skipped silently.
UNLIMITED_GETS = frozenset({"portal.order_page", "site.healthz"})


def nothing_to_limit() -> bool:
    return request.method in ("GET", "HEAD") and request.endpoint in UNLIMITED_GETS


def init_limiter(app) -> None:
    """``limiter.init_app`` with its before-request check skipped for ``UNLIMITED_GETS``."""
    limiter.init_app(app)
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit
    if check not in hooks:  # RATELIMIT_ENABLED off: the limiter added no hook
        return
    at = hooks.index(check)

    def check_limits() -> None:
        if not nothing_to_limit():
            check()

    hooks[at] = check_limits


log = logging.getLogger(__name__)
# Where the failure counters go while the limiter's storage (Redis) does not answer.
_memory = MemoryStorage()

# When nothing better is known (a 429 raised outside the limiter), clients wait this long.
DEFAULT_RETRY_AFTER = 60


def count_failure(key: str, limit: str) -> int:
    """Count one failure against ``key`` in a window of ``limit`` (e.g. "10 per 15 minutes",
    which starts at the first failure); returns the count so far. Atomic in Redis, so exactly
    one caller sees each number."""
    item = _item(limit)
    return _counted(lambda storage: storage.incr(_key(key, item), item.get_expiry()))


def failures(key: str, limit: str) -> int:
    """Failures counted against ``key`` in the current window of ``limit``."""
    item = _item(limit)
    return int(_counted(lambda storage: storage.get(_key(key, item))) or 0)


def limit_amount(limit: str) -> int:
    return _item(limit).amount


def window_seconds(limit: str) -> int:
    return _item(limit).get_expiry()


def clear_failures(key: str, limit: str) -> None:
    _counted(lambda storage: storage.clear(_key(key, _item(limit))))


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets it through again (at least 1)."""
    current = limiter.current_limit
    if current is None or not current.breached:
        return DEFAULT_RETRY_AFTER
    return max(1, math.ceil(current.reset_at - time.time()))


def _counted(operation: Callable[[Storage], object]):
    """``operation`` on the limiter's storage, or on this process's memory when that storage
    (Redis) does not answer: a sign-in is still counted, per process, rather than failing."""
    try:
        return operation(limiter.storage)
    except StorageError as exc:
        log.warning("rate-limit storage unreachable, counting in memory: %s", exc)
        return operation(_memory)


def _item(limit: str) -> RateLimitItem:
    return parse(limit)


def _key(key: str, item: RateLimitItem) -> str:
    return f"todoku-failures/{key}/{item.get_expiry()}"
