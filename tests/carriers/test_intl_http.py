"""HTTP behaviour of the international adapters, against mocked endpoints (``responses``):
token caching, error mapping, batching, credentials from the environment."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
import time_machine

from carriers import AuthFailed, RateLimited, Unavailable, UnknownCarrier
from carriers.aftership import AfterShipAdapter
from carriers.dhl import DHLAdapter
from carriers.easypost import EasyPostAdapter
from carriers.fedex import FedExAdapter
from carriers.ship24 import Ship24Adapter
from carriers.track17 import Track17Adapter
from carriers.ups import UPSAdapter
from carriers.usps import USPSAdapter

UPS = "https://ups.test"
FEDEX = "https://fedex.test"
USPS = "https://usps.test"
NUMBER = "1Z12345E0205271688"


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("UPS_BASE_URL", UPS)
    monkeypatch.setenv("FEDEX_BASE_URL", FEDEX)
    monkeypatch.setenv("USPS_BASE_URL", USPS)
    monkeypatch.setenv("DHL_BASE_URL", "https://dhl.test")
    for name in ("UPS", "FEDEX", "USPS"):
        monkeypatch.setenv(f"{name}_CLIENT_ID", "id")
        monkeypatch.setenv(f"{name}_CLIENT_SECRET", "secret")
    for name in ("DHL", "AFTERSHIP", "TRACK17", "SHIP24", "EASYPOST"):
        monkeypatch.setenv(f"{name}_API_KEY", "key")
    # Retries back off with time.sleep; not in tests.
    monkeypatch.setattr("carriers.http.time.sleep", lambda s: None)


def _ups_token(rsps, expires_in=3600):
    return rsps.post(
        f"{UPS}/security/v1/oauth/token",
        json={"access_token": "tok", "token_type": "Bearer", "expires_in": expires_in},
    )


def _ups_details(rsps, **kwargs):
    kwargs.setdefault("json", {"trackResponse": {"shipment": []}})
    return rsps.get(f"{UPS}/api/track/v1/details/{NUMBER}", **kwargs)


@responses.activate
def test_ups_token_fetched_once_and_reused_until_expiry():
    token = _ups_token(responses, expires_in=3600)
    details = _ups_details(responses)
    adapter = UPSAdapter()
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        adapter.fetch([NUMBER])
        adapter.fetch([NUMBER])
        clock.move_to(start + timedelta(seconds=3000))  # still inside lifetime − margin
        adapter.fetch([NUMBER])
        assert token.call_count == 1
        clock.move_to(start + timedelta(seconds=3590))  # within the refresh margin
        adapter.fetch([NUMBER])
        assert token.call_count == 2
    assert details.call_count == 4
    sent = details.calls[0].request
    assert sent.headers["Authorization"] == "Bearer tok"
    assert sent.headers["transactionSrc"] == "todoku"
    assert sent.headers["transId"] != details.calls[1].request.headers["transId"]
    # client_secret_basic: the pair goes as HTTP Basic, not in the form.
    assert token.calls[0].request.headers["Authorization"].startswith("Basic ")
    assert "client_secret" not in token.calls[0].request.body


@responses.activate
def test_fedex_and_usps_send_credentials_as_form_fields():
    fx_token = responses.post(
        f"{FEDEX}/oauth/token", json={"access_token": "a", "expires_in": 3599}
    )
    us_token = responses.post(
        f"{USPS}/oauth2/v3/token", json={"access_token": "b", "expires_in": 28799}
    )
    responses.post(f"{FEDEX}/track/v1/trackingnumbers", json={"output": {}})
    responses.get(f"{USPS}/tracking/v3/tracking/9400111899223197428490", json={})
    FedExAdapter().fetch(["123456789012"])
    USPSAdapter().fetch(["9400111899223197428490"])
    for call in (fx_token.calls[0], us_token.calls[0]):
        assert "grant_type=client_credentials" in call.request.body
        assert "client_secret=secret" in call.request.body


@responses.activate
def test_401_on_data_call_is_auth_failed_and_drops_the_token():
    token = _ups_token(responses)
    _ups_details(responses, status=401, json={"response": {"errors": []}})
    adapter = UPSAdapter()
    for _ in range(2):
        with pytest.raises(AuthFailed):
            adapter.fetch([NUMBER])
    assert token.call_count == 2  # re-authenticated after the 401


@responses.activate
def test_token_endpoint_rejecting_credentials_is_auth_failed():
    responses.post(f"{UPS}/security/v1/oauth/token", status=401, json={})
    with pytest.raises(AuthFailed):
        UPSAdapter().fetch([NUMBER])


@responses.activate
def test_429_with_retry_after_is_rate_limited():
    _ups_token(responses)
    _ups_details(responses, status=429, headers={"Retry-After": "30"})
    with pytest.raises(RateLimited) as caught:
        UPSAdapter().fetch([NUMBER])
    assert caught.value.retry_after == 30


@responses.activate
def test_5xx_is_unavailable_after_one_retry():
    _ups_token(responses)
    details = _ups_details(responses, status=503)
    with pytest.raises(Unavailable):
        UPSAdapter().fetch([NUMBER])
    assert details.call_count == 2


@responses.activate
def test_timeout_is_unavailable():
    responses.get("https://dhl.test/track/shipments", body=requests.Timeout("read timed out"))
    with pytest.raises(Unavailable):
        DHLAdapter().fetch(["1234567890"])


@responses.activate
def test_dhl_sends_api_key_header_and_returns_404_body_for_parse():
    rsps = responses.get(
        "https://dhl.test/track/shipments", status=404, json={"status": 404, "title": "No result"}
    )
    adapter = DHLAdapter()
    body = adapter.fetch(["1234567890"])["1234567890"]
    assert rsps.calls[0].request.headers["DHL-API-Key"] == "key"
    from carriers import NotFound

    with pytest.raises(NotFound):
        adapter.parse(body, "1234567890")


@responses.activate
def test_fedex_batches_of_30():
    responses.post(f"{FEDEX}/oauth/token", json={"access_token": "a", "expires_in": 3599})
    track = responses.post(f"{FEDEX}/track/v1/trackingnumbers", json={"output": {}})
    numbers = [f"{i:012d}" for i in range(65)]
    bodies = FedExAdapter().fetch(numbers)
    sizes = [len(json.loads(c.request.body)["trackingInfo"]) for c in track.calls]
    assert sizes == [30, 30, 5]
    assert set(bodies) == set(numbers)


@responses.activate
def test_track17_batches_of_40_with_carrier_key():
    reg = responses.post("https://api.17track.net/track/v2.2/register", json={"code": 0})
    get = responses.post("https://api.17track.net/track/v2.2/gettrackinfo", json={"code": 0})
    Track17Adapter().fetch([f"RR{i:09d}JP" for i in range(41)], carrier="ups")
    sizes = [len(json.loads(c.request.body)) for c in get.calls]
    assert sizes == [40, 1]
    assert reg.call_count == 2
    assert json.loads(get.calls[0].request.body)[0]["carrier"] == 100002
    assert get.calls[0].request.headers["17token"] == "key"


@responses.activate
def test_aftership_routes_yamato_by_slug():
    create = responses.post("https://api.aftership.com/tracking/2025-07/trackings", status=201)
    responses.get("https://api.aftership.com/tracking/2025-07/trackings", json={"data": {}})
    AfterShipAdapter().fetch(["123456789012"], carrier="yamato")
    sent = create.calls[0].request
    assert json.loads(sent.body) == {"tracking_number": "123456789012", "slug": "taqbin-jp"}
    assert sent.headers["as-api-key"] == "key"


def test_aggregator_rejects_a_carrier_code_it_does_not_know():
    with pytest.raises(UnknownCarrier):
        AfterShipAdapter().fetch(["123"], carrier="nosuchcarrier")


@responses.activate
def test_easypost_and_ship24_auth():
    ep = responses.post("https://api.easypost.com/v2/trackers", json={})
    s24 = responses.post("https://api.ship24.com/public/v1/trackers/track", json={})
    EasyPostAdapter().fetch(["1234567890"], carrier="dhl")
    Ship24Adapter().fetch(["1234567890"])
    assert ep.calls[0].request.headers["Authorization"].startswith("Basic ")
    assert json.loads(ep.calls[0].request.body)["tracker"]["carrier"] == "DHLExpress"
    assert s24.calls[0].request.headers["Authorization"] == "Bearer key"


@pytest.mark.parametrize(
    ("adapter", "variable"),
    [
        (UPSAdapter(), "UPS_CLIENT_ID"),
        (UPSAdapter(), "UPS_CLIENT_SECRET"),
        (FedExAdapter(), "FEDEX_CLIENT_ID"),
        (FedExAdapter(), "FEDEX_CLIENT_SECRET"),
        (USPSAdapter(), "USPS_CLIENT_ID"),
        (USPSAdapter(), "USPS_CLIENT_SECRET"),
        (DHLAdapter(), "DHL_API_KEY"),
        (AfterShipAdapter(), "AFTERSHIP_API_KEY"),
        (Track17Adapter(), "TRACK17_API_KEY"),
        (Ship24Adapter(), "SHIP24_API_KEY"),
        (EasyPostAdapter(), "EASYPOST_API_KEY"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.code,
)
@responses.activate
def test_missing_credential_is_auth_failed_naming_the_variable(adapter, variable, monkeypatch):
    monkeypatch.delenv(variable)
    with pytest.raises(AuthFailed, match=variable):
        adapter.fetch(["1234567890"])
    assert len(responses.calls) == 0  # nothing was sent without credentials
