"""The thin HTTP part adapters share: one session, explicit timeouts, errors mapped to types.

Parsing never happens here; adapters call ``request`` and hand the body to their pure ``parse``.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime

import requests

from .base import TIMEOUT, USER_AGENT
from .errors import AuthFailed, NotFound, RateLimited, Unavailable

_session: requests.Session | None = None


def session() -> requests.Session:
    global _session
    if _session is None:
        s = requests.Session()
        s.headers["User-Agent"] = USER_AGENT
        _session = s
    return _session


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def request(
    method: str,
    url: str,
    *,
    retries: int = 0,
    not_found_ok: bool = False,
    **kwargs,
) -> requests.Response:
    """Send one request; map failures onto carrier errors.

    ``retries`` is for idempotent calls only (GET, token fetch): 5xx and timeouts are retried
    with a short backoff. ``not_found_ok`` hands a 404 back to the caller (some APIs put a
    parseable "not found" body there) instead of raising ``NotFound``.
    """
    kwargs.setdefault("timeout", TIMEOUT)
    attempt = 0
    while True:
        try:
            response = session().request(method, url, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            if attempt < retries:
                attempt += 1
                time.sleep(0.5 * attempt)
                continue
            raise Unavailable(f"{method} {url}: {exc.__class__.__name__}") from exc
        code = response.status_code
        if code in (401, 403):
            raise AuthFailed(f"{method} {url}: HTTP {code}")
        if code == 429:
            raise RateLimited(
                f"{method} {url}: HTTP 429", retry_after(response.headers.get("Retry-After"))
            )
        if code == 404 and not not_found_ok:
            raise NotFound(f"{method} {url}: HTTP 404")
        if code >= 500:
            if attempt < retries:
                attempt += 1
                time.sleep(0.5 * attempt)
                continue
            raise Unavailable(f"{method} {url}: HTTP {code}")
        return response
