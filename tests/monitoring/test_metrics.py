"""/metrics: refused without its token, counts requests by endpoint (never by path), moves with
a worker round, and reads the database gauges the features own (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

import carriers
from carriers import Unavailable
from tracking.mail.models import Notification
from tracking.monitoring import metrics
from tracking.orders.models import ImportJob, Shipment
from tracking.sync.models import CarrierHealth, WorkerHeartbeat

TOKEN = "scrape-" + "s" * 40


@pytest.fixture
def app(app_config):
    """The app with a metrics token (and single-process metrics, whatever the shell says)."""
    from app import create_app

    app = create_app({**app_config, "METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": None})
    yield app
    engine = app.extensions.get("todoku_engine")
    if engine is not None:
        engine.dispose()


def scrape(client, token: str = TOKEN) -> dict[tuple[str, tuple], float]:
    """The scrape as {(sample name, sorted labels): value}."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain")
    return parse(response.get_data(as_text=True))


def parse(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# --- the gate -----------------------------------------------------------------------------------


def test_no_token_a_wrong_token_and_no_setting_are_all_the_sites_404(app_config):
    from app import create_app

    on = create_app({**app_config, "METRICS_TOKEN": TOKEN}).test_client()
    unknown = on.get("/no-such-page-at-all/x")
    assert unknown.status_code == 404
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": TOKEN},  # no scheme
        {"Authorization": f"Basic {TOKEN}"},
    ):
        answer = on.get("/metrics", headers=headers)
        assert answer.status_code == 404, headers
        assert b"todoku_" not in answer.data
        assert answer.data == unknown.data  # the same page as any unknown address
    off = create_app({**app_config, "METRICS_TOKEN": None}).test_client()
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
        assert off.get("/metrics", headers=headers).status_code == 404


def test_the_token_opens_it_and_requests_are_counted_by_endpoint(client):
    before = scrape(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/no-such-page-at-all/x").status_code == 404
    after = scrape(client)
    key = "todoku_http_requests_total"
    assert (
        value(after, key, endpoint="site.healthz", status="200")
        - value(before, key, endpoint="site.healthz", status="200")
        == 3
    )
    assert (
        value(after, key, endpoint="unmatched", status="404")
        - value(before, key, endpoint="unmatched", status="404")
        == 1
    )
    # The first scrape is counted too, and timed.
    assert value(after, key, endpoint="metrics.scrape", status="200") >= 1
    duration = "todoku_http_request_duration_seconds_count"
    assert (
        value(after, duration, endpoint="site.healthz")
        - value(before, duration, endpoint="site.healthz")
        == 3
    )


def test_no_path_and_so_no_signed_link_reaches_the_metrics(client, demo, token_for):
    token = token_for(demo["ST-1001"])
    assert client.get(f"/sakura-tea/o/{token}").status_code == 200
    assert client.get(f"/sakura-tea/o/{token}x").status_code == 404
    assert client.get(f"/{token}/nothing/here").status_code == 404
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    text = response.get_data(as_text=True)
    assert 'endpoint="portal.order_page",status="200"' in text
    assert token not in text and "/sakura-tea" not in text and "/o/" not in text


# --- the worker ---------------------------------------------------------------------------------


class Down(carriers.Adapter):
    code = "flaky"
    names = {"en": "Flaky"}
    batch_size = 1

    def validate(self, number):
        return True

    def fetch(self, numbers, **context):
        raise Unavailable("HTTP 503")


def test_a_worker_round_moves_the_round_and_carrier_counters(app, client, demo, session):
    carriers.REGISTRY["flaky"] = Down()
    try:
        now = datetime.now(UTC)
        for other in session.exec(select(Shipment)).all():
            other.next_check_at = None
            session.add(other)
        session.add(
            Shipment(
                order_id=demo["NP-2005"].id,
                carrier="flaky",
                tracking_number="FLAKY1",
                status="in_transit",
                next_check_at=now - timedelta(minutes=1),
            )
        )
        session.commit()
        before = scrape(client)
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        after = scrape(client)
    finally:
        del carriers.REGISTRY["flaky"]

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("todoku_worker_rounds_total", outcome="ok") == 1
    assert moved("todoku_worker_rounds_total", outcome="error") == 0
    assert moved("todoku_worker_round_duration_seconds_count") == 1
    assert moved("todoku_worker_parcels_failed_total") == 1
    assert moved("todoku_worker_parcels_checked_total") == 0
    assert moved("todoku_carrier_calls_total", carrier="flaky", outcome="error") == 1
    assert moved("todoku_carrier_errors_total", carrier="flaky", error="Unavailable") == 1


def test_a_round_that_stores_answers_counts_checked_and_changed(app, client, demo, session):
    """A demo parcel played by the simulated carrier, three days on: checked and changed."""
    later = datetime.now(UTC) + timedelta(days=3)
    shipment = session.exec(select(Shipment).where(Shipment.order_id == demo["ST-1003"].id)).one()
    for other in session.exec(select(Shipment).where(Shipment.id != shipment.id)).all():
        other.next_check_at = None
        session.add(other)
    session.commit()
    before = scrape(client)
    with time_machine.travel(later, tick=False):
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    after = scrape(client)
    for name in ("todoku_worker_parcels_checked_total", "todoku_worker_parcels_changed_total"):
        assert value(after, name) - value(before, name) == 1, name
    calls = "todoku_carrier_calls_total"
    assert (
        value(after, calls, carrier="simulated", outcome="ok")
        - value(before, calls, carrier="simulated", outcome="ok")
        == 1
    )


# --- the database gauges ------------------------------------------------------------------------

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def mail(session, key: str, status: str, send_after: datetime, **extra) -> None:
    session.add(
        Notification(
            brand="sakura-tea",
            kind="shipped",
            dedupe_key=key,
            to_address="a@example.com",
            subject="s",
            body_text="b",
            status=status,
            send_after=send_after,
            **extra,
        )
    )


def test_the_database_gauges_are_what_the_tables_hold(app, client, demo, session):
    for row in session.exec(select(Notification)).all():
        session.delete(row)
    mail(session, "due-5m", "queued", NOW - timedelta(minutes=5))
    mail(session, "due-15m", "queued", NOW - timedelta(minutes=15))
    mail(session, "later", "queued", NOW + timedelta(hours=8))
    mail(
        session,
        "claimed",
        "sending",
        NOW - timedelta(hours=2),
        claimed_until=NOW + timedelta(minutes=5),
    )
    # A claim that ran out (its worker died) is due again, since its send_after: 40 min ago.
    mail(
        session,
        "lost",
        "sending",
        NOW - timedelta(minutes=40),
        claimed_until=NOW - timedelta(seconds=1),
    )
    mail(session, "gone", "sent", NOW - timedelta(days=3))
    mail(session, "bounced", "failed", NOW - timedelta(days=2))

    for row in session.exec(select(CarrierHealth)).all():
        session.delete(row)
    parcels = session.exec(select(Shipment)).all()
    for s in parcels:
        s.next_check_at = None
        session.add(s)
    parcels[0].next_check_at = NOW - timedelta(minutes=10)
    parcels[1].next_check_at = NOW - timedelta(seconds=30)
    parcels[2].next_check_at = NOW + timedelta(minutes=1)
    for carrier, account, open_until, failures in (
        ("yamato", "", None, 0),
        ("dhl", "", NOW + timedelta(minutes=4), 3),
        ("ups", "NORTHPEAK_UPS_CLIENT_ID", NOW - timedelta(seconds=1), 5),
    ):
        session.add(
            CarrierHealth(
                carrier=carrier,
                account=account,
                open_until=open_until,
                consecutive_failures=failures,
            )
        )
    session.commit()

    with time_machine.travel(NOW, tick=False):
        samples = scrape(client)

    assert value(samples, "todoku_outbox_mails", state="due") == 3
    assert value(samples, "todoku_outbox_mails", state="scheduled") == 1
    assert value(samples, "todoku_outbox_mails", state="sending") == 1
    assert value(samples, "todoku_outbox_oldest_queued_age_seconds") == 40 * 60
    assert value(samples, "todoku_parcels_due") == 2
    assert value(samples, "todoku_parcels_oldest_due_age_seconds") == 10 * 60
    state = "todoku_carrier_breaker_state"
    assert value(samples, state, carrier="yamato", account="default") == 0
    assert value(samples, state, carrier="dhl", account="default") == 2
    assert value(samples, state, carrier="ups", account="NORTHPEAK_UPS_CLIENT_ID") == 1
    assert (state, (("account", "default"), ("carrier", "dhl"))) in samples
    failures = "todoku_carrier_consecutive_failures"
    assert value(samples, failures, carrier="ups", account="NORTHPEAK_UPS_CLIENT_ID") == 5


def test_nothing_waiting_reads_zero(app, client, session):
    with time_machine.travel(NOW, tick=False):
        samples = scrape(client)
    for name in (
        "todoku_outbox_oldest_queued_age_seconds",
        "todoku_parcels_due",
        "todoku_parcels_oldest_due_age_seconds",
        "todoku_import_jobs_oldest_queued_age_seconds",
    ):
        assert (name, ()) in samples and samples[(name, ())] == 0, name
    assert value(samples, "todoku_outbox_mails", state="due") == 0
    assert value(samples, "todoku_import_jobs", state="queued") == 0


def test_the_import_jobs_gauges_count_by_state_and_age_the_oldest_queued(app, client, session):
    for i, (state, minutes) in enumerate(
        [("queued", 7), ("queued", 1), ("running", 9), ("done", 60), ("done", 30), ("failed", 5)]
    ):
        session.add(
            ImportJob(
                file_id=f"metrics-file-{i:04d}",
                kind="preview",
                brand="sakura-tea",
                format="generic",
                state=state,
                created_at=NOW - timedelta(minutes=minutes),
            )
        )
    session.commit()
    with time_machine.travel(NOW, tick=False):
        samples = scrape(client)
    by_state = {s: value(samples, "todoku_import_jobs", state=s) for s in ("queued", "running")}
    by_state |= {s: value(samples, "todoku_import_jobs", state=s) for s in ("done", "failed")}
    assert by_state == {"queued": 2, "running": 1, "done": 2, "failed": 1}
    assert value(samples, "todoku_import_jobs_oldest_queued_age_seconds") == 7 * 60


def test_the_workers_heartbeat_age_is_read_and_minus_one_before_any_worker(app, client, session):
    with time_machine.travel(NOW, tick=False):
        assert value(scrape(client), "todoku_worker_last_seen_age_seconds") == -1
    for name, minutes in (("host:1", 9), ("host:2", 2)):
        session.add(WorkerHeartbeat(worker=name, seen_at=NOW - timedelta(minutes=minutes)))
    session.commit()
    with time_machine.travel(NOW, tick=False):
        assert value(scrape(client), "todoku_worker_last_seen_age_seconds") == 120


def test_a_reading_must_be_declared_with_its_labels(app):
    def undeclared(session, now):
        return [metrics.Reading("todoku_made_up", 1)]

    def wrong_labels(session, now):
        return [metrics.Reading("todoku_parcels_due", 1, {"carrier": "dhl"})]

    with pytest.raises(KeyError):
        metrics.exposition([undeclared], None, NOW, None)
    with pytest.raises(ValueError, match="labels"):
        metrics.exposition([wrong_labels], None, NOW, None)


def test_the_render_cache_counts_hits_and_misses(client, demo, token_for):
    def lookups() -> tuple[float, float]:
        samples = scrape(client)
        name = "todoku_render_cache_lookups_total"
        return value(samples, name, result="hit"), value(samples, name, result="miss")

    hits, misses = lookups()
    url = f"/sakura-tea/o/{token_for(demo['ST-1001'])}"
    for headers in ({}, {"HX-Request": "true"}, {}, {"HX-Request": "true"}):
        assert client.get(url, headers=headers).status_code == 200
    assert lookups() == (hits + 2, misses + 2)  # each shape rendered once, then served
