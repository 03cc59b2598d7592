"""``Idempotency-Key`` on the API's POSTs: the first answer is stored and replayed.

The key is reserved before the work starts (``tracking.orders.receipts.reserve``): of several
concurrent requests with one key exactly one does the work (six link requests at once issue one
link, not six); the others wait up to ``IDEMPOTENCY_WAIT_SECONDS`` for its answer, else get
``409 idempotency_in_progress`` with ``Retry-After`` and get the answer when they retry. A
request that fails (an exception, a 5xx) gives its key back; one whose worker died leaves its
key pending, and a retry takes it over after ``IDEMPOTENCY_STALE_SECONDS``."""

from __future__ import annotations

import functools
import hashlib
import time
from datetime import timedelta

from flask import current_app, g, request

from tracking.db import get_session
from tracking.orders import receipts
from tracking.web.api.parsing import error


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same request" for one key."""
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def idempotent(view):
    """A POST with ``Idempotency-Key`` answers once; a replay gets the same answer back, and
    the same key with another request is refused. The key is reserved before the work starts
    (tracking.orders.receipts), so of concurrent callers with one key one does the work; the
    others wait a moment for its answer, else get 409 ``idempotency_in_progress`` with
    ``Retry-After``."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key", "")
        if not key:
            return view(*args, **kwargs)
        if len(key) > 255 or not key.isprintable():
            return error(400, "invalid_idempotency_key", "use up to 255 printable characters")
        session = get_session()
        scope = f"api-key:{g.api_key.id}"
        digest = fingerprint(request.method, request.path, request.get_data())
        config = current_app.config
        receipt, mine = receipts.reserve(
            session,
            g.brand.slug,
            scope,
            key,
            fingerprint=digest,
            stale_after=timedelta(seconds=config["IDEMPOTENCY_STALE_SECONDS"]),
        )
        if not mine:
            return _replay(session, receipt, digest, config["IDEMPOTENCY_WAIT_SECONDS"])
        try:
            body, status = view(*args, **kwargs)
        except BaseException:  # BadRequest included: its answer is not stored, as before
            receipts.release(session, receipt)
            raise
        if status >= 500:
            receipts.release(session, receipt)
        else:
            receipts.finish(session, receipt, status, body)
        return body, status

    return wrapper


def _replay(session, receipt, digest: str, wait_seconds: float):
    """The stored answer of a key another request reserved, waiting up to ``wait_seconds``
    for it while that request is still at work."""
    deadline = time.monotonic() + wait_seconds
    while receipt is not None and receipt.status == receipts.PENDING:
        if receipt.fingerprint != digest or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
        session.rollback()  # end the transaction: the next read sees the other's commit
        receipt = receipts.get(session, receipt.brand, receipt.scope, receipt.key, fresh=True)
    if receipt is not None and receipt.fingerprint != digest:
        return error(
            422, "idempotency_key_reused", "this Idempotency-Key was used for another request"
        )
    if receipt is None or receipt.status == receipts.PENDING:
        # Still at work, or given back after a failure: the same request again will tell.
        answer = error(
            409,
            "idempotency_in_progress",
            "a request with this Idempotency-Key is in progress; retry it shortly",
        )
        return answer[0], 409, {"Retry-After": "1"}
    return receipt.body, receipt.status, {"Idempotent-Replayed": "true"}
