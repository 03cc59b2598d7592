"""Shopify webhooks: signatures, order and fulfillment topics, duplicates, stale retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

import pytest
from sqlmodel import select

from tracking.orders.models import Order, OrderItem, Shipment

SECRET = "shpss_test_secret"
URL = "/hooks/shopify/sakura-tea"
ORDER = {
    "id": 820982911946154508,
    "name": "#1001",
    "email": "Hanako@Example.com",
    "created_at": "2026-11-24T10:15:30+09:00",
    "updated_at": "2026-11-24T10:15:30+09:00",
    "currency": "JPY",
    "total_price": "3300.00",
    "tags": "gift, vip",
    "shipping_address": {
        "name": "山田 花子",
        "zip": "150-0001",
        "province": "Tokyo",
        "city": "渋谷区",
        "address1": "神宮前1-2-3",
    },
    "line_items": [
        {"id": 1, "sku": "TEA-01", "name": "Sencha", "quantity": 2, "price": "1200.00"},
        {"id": 2, "sku": "TEA-02", "name": "Hojicha", "quantity": 1, "price": "900.00"},
    ],
    "fulfillments": [],
}
FULFILLMENT = {
    "id": 255858046,
    "order_id": 820982911946154508,
    "name": "#1001.1",
    "status": "success",
    "created_at": "2026-11-25T09:00:00+09:00",
    "updated_at": "2026-11-25T09:00:00+09:00",
    "tracking_company": "Yamato (JA)",
    "tracking_number": "300000000016",
    "tracking_numbers": ["300000000016"],
    "line_items": [{"sku": "TEA-01", "quantity": 2}],
}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SHOPIFY_WEBHOOK_SECRETS": {"SAKURA_TEA": SECRET}}


def send(
    client, topic: str, body: dict, event: str, secret: str = SECRET, raw: bytes | None = None
):
    data = raw if raw is not None else json.dumps(body).encode()
    sig = base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sig,
        "X-Shopify-Event-Id": event,
        "X-Shopify-Webhook-Id": "w-" + event,
        "Content-Type": "application/json",
    }
    return client.post(URL, data=data, headers=headers)


def test_order_then_fulfillment_applied(client, session):
    r = send(client, "orders/create", ORDER, "e1")
    assert r.status_code == 200 and r.json["status"] == "applied"
    order = session.exec(select(Order)).one()
    assert order.number == "#1001" and order.external_id == "820982911946154508"
    assert order.email == "hanako@example.com" and order.total == 3300
    assert len(session.exec(select(OrderItem)).all()) == 2
    r = send(client, "fulfillments/create", FULFILLMENT, "e2")
    assert r.status_code == 200 and r.json["status"] == "applied"
    shipment = session.exec(select(Shipment)).one()
    assert (shipment.carrier, shipment.tracking_number) == ("yamato", "300000000016")
    assert shipment.next_check_at is not None


def test_tampered_body_and_wrong_secret_are_401_and_logged(client, session, caplog):
    good = json.dumps(ORDER).encode()
    sig = base64.b64encode(hmac.new(SECRET.encode(), good, hashlib.sha256).digest()).decode()
    tampered = good.replace(b"3300.00", b"1.00")
    caplog.set_level(logging.WARNING)
    r = client.post(
        URL,
        data=tampered,
        headers={"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": sig},
    )
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert "bad signature" in caplog.text
    assert send(client, "orders/create", ORDER, "e1", secret="other").status_code == 401
    assert client.post("/hooks/shopify/northpeak", data=good).status_code == 401  # no secret
    assert session.exec(select(Order)).all() == []


def test_replayed_event_and_stale_retry_change_nothing(client, session):
    send(client, "orders/create", ORDER, "e1")
    newer = {**ORDER, "updated_at": "2026-11-24T12:00:00+09:00", "email": "new@example.com"}
    assert send(client, "orders/updated", newer, "e2").json["status"] == "applied"
    # The same event again (a duplicate delivery) and an older version (a late retry).
    assert send(client, "orders/updated", newer, "e2").json["status"] == "duplicate"
    older = {**ORDER, "updated_at": "2026-11-24T11:00:00+09:00", "email": "old@example.com"}
    assert send(client, "orders/updated", older, "e3").json["status"] == "stale"
    order = session.exec(select(Order)).one()
    assert order.email == "new@example.com"
    # Fulfillments: an older update of the same fulfillment does not bring back its number.
    send(client, "fulfillments/create", FULFILLMENT, "f1")
    moved = {
        **FULFILLMENT,
        "updated_at": "2026-11-25T12:00:00+09:00",
        "tracking_numbers": ["300000000023"],
        "tracking_company": "Japan Post (JA)",
    }
    assert send(client, "fulfillments/update", moved, "f2").json["status"] == "applied"
    assert send(client, "fulfillments/update", FULFILLMENT, "f3").json["status"] == "stale"
    numbers = sorted(s.tracking_number for s in session.exec(select(Shipment)).all())
    assert numbers == ["300000000016", "300000000023"]


def test_malformed_body_400_and_unknown_order_202(client, session, caplog):
    r = send(client, "orders/create", {}, "x", raw=b"not json")
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_json"
    r = send(client, "orders/create", {**ORDER, "email": None, "customer": None}, "x2")
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_body"
    r = send(client, "orders/create", {**ORDER, "line_items": "nope"}, "x3")
    assert r.status_code == 400
    caplog.set_level(logging.WARNING)
    r = send(client, "fulfillments/create", {**FULFILLMENT, "order_id": 1, "name": "#9.1"}, "x4")
    assert r.status_code == 202 and r.json["status"] == "unknown_order"
    assert "no order with id 1" in caplog.text
    assert send(client, "app/uninstalled", {"id": 1}, "x5").json["status"] == "ignored"


def test_order_with_an_untrackable_parcel_is_stored_without_it(client, session):
    other = {**FULFILLMENT, "tracking_company": "Other", "tracking_numbers": ["ABC123"]}
    r = send(client, "orders/create", {**ORDER, "fulfillments": [other]}, "o1")
    assert r.status_code == 200
    assert session.exec(select(Order)).one().number == "#1001"
    assert session.exec(select(Shipment)).all() == []
