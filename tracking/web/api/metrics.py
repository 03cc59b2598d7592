"""``GET /metrics``: Prometheus text for the operator's scraper (docs/operations.md,
"Metrics"). The machine side of web/ (as the API): a bearer token, no cookies, no pages.

Answers only ``Authorization: Bearer <TODOKU_METRICS_TOKEN>`` (compared in constant time);
without it, with a wrong one, and always while the variable is unset, the site's ordinary 404,
so the address says nothing about whether metrics exist. The database gauges are read by the
features' own reading functions (``READERS``)."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, request

from tracking.db import get_session
from tracking.extensions import csrf, limiter
from tracking.mail import gauges as mail_gauges
from tracking.monitoring import metrics
from tracking.orders import gauges as orders_gauges
from tracking.sync import gauges as sync_gauges
from tracking.timeutil import utcnow

bp = Blueprint("metrics", __name__)
csrf.exempt(bp)  # GET only, and no cookies: the bearer token is the credential

#: The reading functions of the database gauges, one per owning feature.
READERS: list[metrics.Reader] = [
    sync_gauges.due_parcels,
    sync_gauges.breakers,
    sync_gauges.worker_seen,
    mail_gauges.outbox,
    orders_gauges.import_jobs,
]


def _authorized() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    header = request.headers.get("Authorization", "")
    if not token or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())


@bp.get("/metrics")
@limiter.exempt  # a scraper every 15 s must never be refused; the token is the gate
def scrape():
    if not _authorized():
        abort(404)
    body, content_type = metrics.exposition(
        READERS, get_session(), utcnow(), current_app.config["PROMETHEUS_MULTIPROC_DIR"]
    )
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
