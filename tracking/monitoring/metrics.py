"""Prometheus metrics: what the processes count as they work, and what the database holds,
read when ``/metrics`` is scraped (docs/operations.md, "Metrics", lists every metric).

Counted in the process that does the work (``todoku_http_*`` in the web processes, the
round and carrier counters in the worker, carrier calls also in the web for staff's "check
now"). Under gunicorn each worker process writes its counts to files in
``PROMETHEUS_MULTIPROC_DIR`` and a scrape adds up every file (``MultiProcessCollector``); the
variable must be set before ``prometheus_client`` is imported, which
``tracking/operations/gunicorn_conf.py`` sees to. Without it (one process: ``flask run``,
tests) the default registry answers.

Database gauges (``DATABASE_GAUGES``) are read at scrape time by reading functions of the
features that own the tables (``mail.gauges``, ``sync.gauges``, …): the ``/metrics`` view
passes them to ``exposition``. This module imports no feature.

Labels never carry a request's path, which may hold a signed link: requests are counted by
their Flask endpoint name (``portal.order``), or ``unmatched`` when no route matched.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from tracking.config import metrics_directory

# A process may start before gunicorn prepared the directory (the worker, on the same host):
# the counters below open their files as they are defined.
if _directory := metrics_directory(os.environ):
    os.makedirs(_directory, exist_ok=True)
# No `*_created` series: one timestamp per series and process, useless summed across them.
disable_created_metrics()

# --- counted by the processes ----------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "todoku_http_requests",
    "HTTP requests answered, by Flask endpoint (never the path) and status code.",
    ["endpoint", "status"],
)
HTTP_DURATION = Histogram(
    "todoku_http_request_duration_seconds",
    "Time from the request's first hook to its response, by Flask endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
WORKER_ROUNDS = Counter(
    "todoku_worker_rounds",
    "Worker rounds (poll carriers, queue and send mail, round tasks), by outcome: ok or error "
    "(the round raised; the worker logs it and tries again next round).",
    ["outcome"],
)
WORKER_ROUND_DURATION = Histogram(
    "todoku_worker_round_duration_seconds",
    "How long one worker round took, finished or failed.",
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)
PARCELS_CHECKED = Counter(
    "todoku_worker_parcels_checked", "Parcels whose carrier answer a worker round stored."
)
PARCELS_CHANGED = Counter(
    "todoku_worker_parcels_changed", "Parcels whose status a worker round changed."
)
PARCELS_FAILED = Counter(
    "todoku_worker_parcels_failed",
    "Parcels a worker round could not check (carrier error, unreadable answer, unknown "
    "carrier); each backs off and is tried again.",
)
PARCELS_SKIPPED = Counter(
    "todoku_worker_parcels_skipped",
    "Parcels a worker round left for later without a call: circuit open, carrier asked to "
    "wait, or the day's rate budget spent.",
)
CARRIER_CALLS = Counter(
    "todoku_carrier_calls",
    "Calls to a carrier's API, by adapter code and outcome: ok, error or rate_limited.",
    ["carrier", "outcome"],
)
CARRIER_UNREADABLE = Counter(
    "todoku_carrier_unreadable",
    "Carrier answers no parser could read (kept as captured failures; the parcel keeps its last "
    "status), by adapter or provider code and source: poll or webhook.",
    ["carrier", "source"],
)
CARRIER_ERRORS = Counter(
    "todoku_carrier_errors",
    "Failed carrier calls by adapter code and error class (Timeout, ProviderError, AuthFailed, …).",
    ["carrier", "error"],
)
# The tracking page's render cache (tracking/page/rendered.py), counted by the page view.
RENDER_CACHE = Counter(
    "todoku_render_cache_lookups",
    "Render-cache lookups of the tracking page and its status part, by result: hit or miss.",
    ["result"],
)
for _result in ("hit", "miss"):  # both series exist (at 0) from the start
    RENDER_CACHE.labels(_result)

# --- read from the database at scrape time -----------------------------------------------------

#: name → (help, label names). A reading function may only answer these names.
DATABASE_GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "todoku_outbox_mails": (
        "Mails in the outbox not yet sent, by state: due (queued, may go now), scheduled "
        "(queued for later: quiet hours, follow-ups) or sending (claimed by a worker).",
        ("state",),
    ),
    "todoku_outbox_oldest_queued_age_seconds": (
        "Seconds since the longest-waiting due mail could have gone (its send_after; a claim "
        "that ran out counts as due again); 0 when none is due.",
        (),
    ),
    "todoku_parcels_due": ("Parcels whose next carrier check is due now.", ()),
    "todoku_parcels_oldest_due_age_seconds": (
        "Seconds since the most overdue parcel's check fell due; 0 when none is due.",
        (),
    ),
    "todoku_carrier_breaker_state": (
        "Circuit breaker of each carrier account: 0 closed, 1 half-open (the open time is "
        "over; one probe call decides), 2 open (no calls). account: 'default' is the "
        "installation's account, otherwise the first variable a shop's own account names.",
        ("carrier", "account"),
    ),
    "todoku_carrier_consecutive_failures": (
        "Failed calls in a row of each carrier account (the breaker opens at "
        "CARRIER_BREAKER_FAILURES).",
        ("carrier", "account"),
    ),
    "todoku_worker_last_seen_age_seconds": (
        "Seconds since any worker process last stamped its heartbeat (every round, and every "
        "30 s while it waits); -1 when no worker has ever run.",
        (),
    ),
    "todoku_import_jobs": ("Order import jobs by state.", ("state",)),
    "todoku_import_jobs_oldest_queued_age_seconds": (
        "Seconds the oldest queued import job has waited for a worker; 0 when none waits.",
        (),
    ),
}


@dataclass(frozen=True)
class Reading:
    """One value of a database gauge (``name`` from ``DATABASE_GAUGES``)."""

    name: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)


#: A feature's reading function: (session, now) → its readings.
Reader = Callable[..., Iterable[Reading]]


class _Database:
    """A collector that runs the reading functions once per scrape."""

    def __init__(self, readers: Iterable[Reader], session, now: datetime):
        self.readers, self.session, self.now = list(readers), session, now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families: dict[str, GaugeMetricFamily] = {}
        for reader in self.readers:
            for reading in reader(self.session, self.now):
                help_text, labels = DATABASE_GAUGES[reading.name]  # KeyError: undeclared
                if set(reading.labels) != set(labels):
                    raise ValueError(f"{reading.name}: labels {sorted(reading.labels)}")
                family = families.get(reading.name)
                if family is None:
                    family = GaugeMetricFamily(reading.name, help_text, labels=list(labels))
                    families[reading.name] = family
                family.add_metric([reading.labels[k] for k in labels], reading.value)
        yield from families.values()


class _Process:
    """This process's own counters (single-process mode): the default registry's collectors."""

    def collect(self):
        yield from REGISTRY.collect()


def exposition(
    readers: Iterable[Reader], session, now: datetime, directory: str | None
) -> tuple[bytes, str]:
    """The scrape: every process's counters (from ``directory`` when set: multiprocess mode)
    and the database gauges; answers the text and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_Process())
    registry.register(_Database(readers, session, now))
    return generate_latest(registry), CONTENT_TYPE_LATEST


# --- recording ---------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Count every request by endpoint and status. Register before any other request hook
    (the request guard may refuse a request before later hooks run)."""

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        endpoint = request.endpoint or "unmatched"
        HTTP_REQUESTS.labels(endpoint, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            HTTP_DURATION.labels(endpoint).observe(time.perf_counter() - started)
        return response


def record_round(report, seconds: float, failed: bool = False) -> None:
    """One worker round: ``report`` is the sync round's ``RoundReport`` (None when the round
    raised before it had one)."""
    WORKER_ROUNDS.labels("error" if failed else "ok").inc()
    WORKER_ROUND_DURATION.observe(seconds)
    if report is not None:
        PARCELS_CHECKED.inc(report.checked)
        PARCELS_CHANGED.inc(report.updated)
        PARCELS_FAILED.inc(report.failed)
        PARCELS_SKIPPED.inc(report.skipped)


def carrier_call(carrier: str, outcome: str, error: BaseException | None = None) -> None:
    """One call to a carrier: ``outcome`` ok, error or rate_limited."""
    CARRIER_CALLS.labels(carrier, outcome).inc()
    if error is not None:
        CARRIER_ERRORS.labels(carrier, type(error).__name__).inc()


def carrier_unreadable(carrier: str, source: str) -> None:
    """One carrier answer (``source`` poll or webhook) that no parser could read."""
    CARRIER_UNREADABLE.labels(carrier, source).inc()
