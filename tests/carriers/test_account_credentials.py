"""Carrier accounts: credentials handed to the adapter per call, with the installation's
variables as the fallback, and one OAuth token cache per account."""

from __future__ import annotations

import base64

import pytest
import responses

from carriers import AuthFailed
from carriers.account import Account, installation, resolve
from carriers.dhl import DHLAdapter
from carriers.track17 import Track17Adapter
from carriers.ups import UPSAdapter

UPS = "https://ups.test"
NUMBER = "1Z12345E0205271688"
UPS_ENV = UPSAdapter.credential_env


def test_resolve_reads_named_variables_and_falls_back_per_field():
    environ = {"UPS_CLIENT_ID": "house-id", "UPS_CLIENT_SECRET": "house-secret", "NP_ID": "np-id"}
    account = resolve(UPS_ENV, {"client_id": "NP_ID"}, key="NP_ID", environ=environ)
    assert account.key == "NP_ID"
    assert account.get("client_id") == "np-id"
    assert account.get("client_secret") == "house-secret"  # not named: the installation's
    assert account.sources == {"client_id": "NP_ID", "client_secret": "UPS_CLIENT_SECRET"}
    assert account.complete


def test_a_missing_named_variable_is_auth_failed_naming_it():
    account = resolve(UPS_ENV, {"client_id": "NP_ID"}, key="NP_ID", environ={})
    assert not account.complete
    with pytest.raises(AuthFailed, match="NP_ID is not set"):
        account.get("client_id")
    with pytest.raises(AuthFailed, match="UPS_CLIENT_SECRET is not set"):
        account.get("client_secret")


def test_installation_account_uses_the_adapters_own_variables():
    account = installation(DHLAdapter(), {"DHL_API_KEY": " k "})
    assert account.key == "" and account.get("api_key") == "k"
    assert DHLAdapter().credentials == ("DHL_API_KEY",)
    assert Track17Adapter().credentials == ("TRACK17_API_KEY",)


@responses.activate
def test_the_given_account_is_used_not_the_environment(monkeypatch):
    monkeypatch.setenv("DHL_BASE_URL", "https://dhl.test")
    monkeypatch.delenv("DHL_API_KEY", raising=False)
    call = responses.get("https://dhl.test/track/shipments", json={"shipments": []})
    DHLAdapter().fetch(["1234567890"], account=Account("shop", {"api_key": "shop-key"}))
    assert call.calls[0].request.headers["DHL-API-Key"] == "shop-key"


def _basic_user(request) -> str:
    encoded = request.headers["Authorization"].removeprefix("Basic ")
    return base64.b64decode(encoded).decode().split(":")[0]


@responses.activate
def test_each_account_has_its_own_ups_token(monkeypatch):
    monkeypatch.setenv("UPS_BASE_URL", UPS)
    issued = iter(["tok-a", "tok-b", "tok-c"])
    token = responses.add_callback(
        responses.POST,
        f"{UPS}/security/v1/oauth/token",
        callback=lambda r: (200, {}, f'{{"access_token": "{next(issued)}", "expires_in": 3600}}'),
    )
    details = responses.get(
        f"{UPS}/api/track/v1/details/{NUMBER}", json={"trackResponse": {"shipment": []}}
    )
    adapter = UPSAdapter()
    house = Account("", {"client_id": "house", "client_secret": "s1"})
    shop = Account("NP_ID", {"client_id": "np", "client_secret": "s2"})
    for account in (house, shop, house, shop):
        adapter.fetch([NUMBER], account=account)
    assert token.call_count == 2  # one token per account, each reused
    assert [_basic_user(c.request) for c in token.calls] == ["house", "np"]
    sent = [c.request.headers["Authorization"] for c in details.calls]
    assert sent == ["Bearer tok-a", "Bearer tok-b", "Bearer tok-a", "Bearer tok-b"]


@responses.activate
def test_a_401_drops_only_that_accounts_token(monkeypatch):
    monkeypatch.setenv("UPS_BASE_URL", UPS)
    monkeypatch.setattr("carriers.http.time.sleep", lambda s: None)
    token = responses.post(
        f"{UPS}/security/v1/oauth/token", json={"access_token": "t", "expires_in": 3600}
    )
    url = f"{UPS}/api/track/v1/details/{NUMBER}"
    adapter = UPSAdapter()
    house = Account("", {"client_id": "house", "client_secret": "s1"})
    shop = Account("NP_ID", {"client_id": "np", "client_secret": "s2"})
    responses.get(url, json={"trackResponse": {"shipment": []}})
    adapter.fetch([NUMBER], account=house)
    adapter.fetch([NUMBER], account=shop)
    assert token.call_count == 2
    responses.replace(responses.GET, url, status=401)
    with pytest.raises(AuthFailed):
        adapter.fetch([NUMBER], account=shop)
    responses.replace(responses.GET, url, json={"trackResponse": {"shipment": []}})
    adapter.fetch([NUMBER], account=house)  # still cached
    assert token.call_count == 2
    adapter.fetch([NUMBER], account=shop)  # dropped: fetched again
    assert token.call_count == 3
