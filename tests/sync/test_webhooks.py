"""Signed aggregator webhooks, per provider: valid applied, tampered 401, replay idempotent,
out-of-order ignored, unknown number 202, malformed 400."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from sqlmodel import select

from tests.support import FIXTURES
from tracking.orders.models import Shipment, ShipmentEvent
from tracking.sync.models import WebhookFeed

SECRET = "s3cret-ｗｅｂｈｏｏｋ"  # full-width: EasyPost NFKD-normalises the secret
BRAND = "sakura-tea"


@pytest.fixture
def app_config(app_config):
    app_config["CARRIER_WEBHOOK_SECRETS"] = {
        f"SAKURA_TEA_{p}_WEBHOOK_SECRET": f"old-secret,{SECRET}"
        for p in ("AFTERSHIP", "EASYPOST", "TRACK17", "SHIP24")
    }
    return app_config


def _fixture(provider: str, name: str) -> dict:
    return json.loads((FIXTURES / provider / name).read_text())


def payload(provider: str, name: str, event_id: str = "evt-1") -> bytes:
    data = _fixture(provider, name)
    if provider == "aftership":
        body = {
            "event": "tracking_update",
            "event_id": event_id,
            "msg": data["data"]["trackings"][0],
        }
    elif provider == "easypost":
        body = {"id": event_id, "object": "Event", "description": "tracker.updated", "result": data}
    elif provider == "track17":
        body = {"event": "TRACKING_UPDATED", "data": data["data"]["accepted"][0]}
    else:
        body = {"trackings": data["data"]["trackings"]}
    return json.dumps(body).encode()


def sign(provider: str, body: bytes, secret: str = SECRET) -> dict:
    if provider == "aftership":
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        return {"aftership-hmac-sha256": base64.b64encode(digest).decode()}
    if provider == "easypost":
        import unicodedata

        key = unicodedata.normalize("NFKD", secret).encode()
        return {"X-Hmac-Signature": "hmac-sha256-hex=" + hmac.new(key, body, "sha256").hexdigest()}
    if provider == "track17":
        return {"sign": hashlib.sha256(body + b"/" + secret.encode()).hexdigest()}
    return {"Authorization": f"Bearer {secret}"}


NUMBER = {
    "aftership": "1234567890",
    "easypost": "1234567890",
    "track17": "1234567890",
    "ship24": "1234567890",
}
PROVIDERS = sorted(NUMBER)


@pytest.fixture
def shipment(demo, session):
    s = Shipment(
        order_id=demo["ST-1003"].id, carrier="dhl", tracking_number="1234567890", status="pending"
    )
    session.add(s)
    session.commit()
    return s


def post(client, provider, body, headers):
    return client.post(
        f"/hooks/{provider}/{BRAND}",
        data=body,
        headers=headers | {"Content-Type": "application/json"},
    )


def _events(session, shipment):
    return session.exec(select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id)).all()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_valid_applied_replay_idempotent_out_of_order_ignored(client, session, shipment, provider):
    delivered = payload(provider, "delivered.json", "evt-2")
    r = post(client, provider, delivered, sign(provider, delivered))
    assert r.status_code == 200 and r.get_json() == {"result": "applied"}
    session.refresh(shipment)
    assert shipment.status == "delivered"
    count = len(_events(session, shipment))
    assert count > 0

    again = post(client, provider, delivered, sign(provider, delivered))
    assert again.status_code == 200 and again.get_json()["result"] == "replay"
    assert len(_events(session, shipment)) == count

    older = payload(provider, "in_transit.json", "evt-1")
    late = post(client, provider, older, sign(provider, older))
    assert late.status_code == 200 and late.get_json()["result"] == "out_of_order"
    session.refresh(shipment)
    assert shipment.status == "delivered"
    assert len(_events(session, shipment)) == count


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tampered_or_unsigned_is_401_and_changes_nothing(
    client, session, shipment, provider, caplog
):
    body = payload(provider, "delivered.json")
    headers = sign(provider, body)
    tampered = body.replace(b"Delivered", b"Dolivered").replace(b"delivered", b"dolivered")
    assert tampered != body
    if provider == "ship24":  # a shared secret, not a body signature: a wrong one instead
        headers = sign(provider, body, secret="guess")
    r = post(client, provider, tampered, headers)
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "bad_signature"
    assert post(client, provider, body, {}).status_code == 401
    session.refresh(shipment)
    assert shipment.status == "pending"
    assert session.exec(select(WebhookFeed)).all() == []
    assert any("bad or missing signature" in m.getMessage() for m in caplog.records)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unknown_number_202_and_malformed_400(client, session, demo, provider):
    body = payload(provider, "delivered.json")  # no shipment with this number in the brand
    assert post(client, provider, body, sign(provider, body)).status_code == 202
    for junk in (b"not json", b"[1, 2]", b'{"x": "\\u0000"}', b"[" * 5000):
        r = post(client, provider, junk, sign(provider, junk))
        assert r.status_code == 400, junk[:20]
        assert r.get_json()["error"]["code"] == "malformed"


def test_unknown_provider_or_brand_is_404(client):
    assert client.post("/hooks/fedex/sakura-tea", data=b"{}").status_code == 404
    assert client.post("/hooks/aftership/nobody", data=b"{}").status_code == 404


def test_webhook_fed_shipment_is_polled_rarely(client, session, shipment):
    from datetime import timedelta

    from tracking.sync.schedule import WEBHOOK_SAFETY_NET
    from tracking.timeutil import as_utc, utcnow

    body = payload("aftership", "in_transit.json")
    assert post(client, "aftership", body, sign("aftership", body)).status_code == 200
    session.refresh(shipment)
    assert shipment.status == "in_transit"
    assert as_utc(shipment.next_check_at) > utcnow() + WEBHOOK_SAFETY_NET - timedelta(minutes=1)
