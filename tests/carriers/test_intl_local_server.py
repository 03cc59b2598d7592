"""End to end against a real local HTTP server (pytest-httpserver): base URLs come from the
environment, fetch → parse gives the normalized result, and ``carriers check`` prints it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from carriers import Status
from carriers.dhl import DHLAdapter
from carriers.fedex import FedExAdapter
from carriers.ups import UPSAdapter

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture(code: str, name: str) -> bytes:
    return (FIXTURES / code / name).read_bytes()


@pytest.fixture
def creds(monkeypatch, httpserver):
    base = httpserver.url_for("").rstrip("/")
    for name in ("UPS", "FEDEX", "DHL"):
        monkeypatch.setenv(f"{name}_BASE_URL", base)
    for name in ("UPS", "FEDEX"):
        monkeypatch.setenv(f"{name}_CLIENT_ID", "id")
        monkeypatch.setenv(f"{name}_CLIENT_SECRET", "secret")
    monkeypatch.setenv("DHL_API_KEY", "key")
    return base


def test_ups_track_end_to_end(httpserver, creds):
    number = "1Z12345E0205271688"
    httpserver.expect_oneshot_request("/security/v1/oauth/token", method="POST").respond_with_json(
        {"access_token": "tok", "expires_in": 14399}
    )
    httpserver.expect_request(
        f"/api/track/v1/details/{number}", headers={"Authorization": "Bearer tok"}
    ).respond_with_data(fixture("ups", "delivered.json"), content_type="application/json")
    adapter = UPSAdapter()
    result = adapter.track(number)
    assert result.status is Status.DELIVERED
    assert len(result.events) == 5
    adapter.track(number)  # the oneshot token handler would 500 on a second token request


def test_fedex_track_end_to_end(httpserver, creds):
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {"access_token": "t", "expires_in": 3599}
    )
    httpserver.expect_request("/track/v1/trackingnumbers", method="POST").respond_with_data(
        fixture("fedex", "attempt_failed.json"), content_type="application/json"
    )
    result = FedExAdapter().track("123456789012")
    assert result.status is Status.ATTEMPT_FAILED


def test_dhl_not_found_end_to_end(httpserver, creds):
    from carriers import NotFound

    httpserver.expect_request(
        "/track/shipments",
        headers={"DHL-API-Key": "key"},
        query_string={"trackingNumber": "0000000000", "language": "en"},
    ).respond_with_data(fixture("dhl", "not_found.json"), status=404)
    with pytest.raises(NotFound):
        DHLAdapter().track("0000000000")


def test_cli_check_prints_the_normalized_result(httpserver, creds):
    httpserver.expect_request("/track/shipments").respond_with_data(
        fixture("dhl", "out_for_delivery.json"), content_type="application/json"
    )
    runner = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"}).test_cli_runner()
    result = runner.invoke(args=["carriers", "check", "dhl", "1234567890"])
    assert result.exit_code == 0, result.output
    assert "dhl 1234567890: out_for_delivery" in result.output
    assert "estimated delivery: 2026-11-20T09:00:00+01:00" in result.output
    assert "events (5, newest first)" in result.output
