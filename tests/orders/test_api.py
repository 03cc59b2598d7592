"""The orders JSON API: auth, cross-brand 404s, validation with field names, idempotency,
pagination, links, and that new or changed parcels are due for a check at once."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlmodel import select

from tracking.orders.models import Order, OrderChange, Shipment
from tracking.staff.api_keys import create_api_key
from tracking.staff.models import ApiKey

ORDER = {
    "email": "Hanako@Example.com",
    "placed_at": "2026-11-24T10:15:00+09:00",
    "name": "山田 花子",
    "postcode": "１５０ー０００１",
    "tags": ["gift"],
    "requested_date": "2026-11-27",
    "requested_slot": "14-16",
    "items": [
        {"sku": "TEA-01", "name": "煎茶 100g", "quantity": 2, "price": 1200},
        {"sku": "TEA-02", "name": "ほうじ茶", "quantity": 1, "price": 900},
    ],
    "shipments": [
        {
            "carrier": "Yamato (JA)",
            "tracking_number": "1234-5678-9012",
            "items": [{"sku": "TEA-01", "quantity": 2}],
        }
    ],
}


@pytest.fixture
def keys(app, session):
    with app.app_context():
        return {
            "sakura": {"Authorization": "Bearer " + create_api_key(session, "sakura-tea", "wms")},
            "north": {"Authorization": "Bearer " + create_api_key(session, "northpeak", "wms")},
        }


def url(number: str, tail: str = "") -> str:
    return f"/api/v1/orders/{quote(number, safe='')}{tail}"


def test_put_creates_then_replay_changes_nothing_then_update_is_recorded(client, keys, session):
    h = keys["sakura"]
    r = client.put(url("#1001"), json=ORDER, headers=h)
    assert r.status_code == 201, r.json
    body = r.json["order"]
    assert body["number"] == "#1001" and body["email"] == "hanako@example.com"
    assert body["postcode"] == "1500001" and body["total"] == 3300
    ship = body["shipments"][0]
    assert ship["carrier"] == "yamato" and ship["tracking_number"] == "123456789012"
    assert body["link"].startswith("http://") and "/sakura-tea/o/" in body["link"]
    row = session.exec(select(Shipment)).one()
    assert row.next_check_at is not None and row.promised_slot == "14-16"

    r = client.put(url("#1001"), json=ORDER, headers=h)
    assert r.status_code == 200 and r.json["result"] == "unchanged"
    assert session.exec(select(OrderChange)).all() == []

    changed = {**ORDER, "name": "山田 太郎"}
    changed["shipments"] = [{**ORDER["shipments"][0], "shipped_at": "2026-11-25T09:00:00+09:00"}]
    r = client.put(url("#1001"), json=changed, headers=h)
    assert r.status_code == 200 and r.json["result"] == "updated"
    change = session.exec(select(OrderChange)).one()
    assert change.changes["name"] == ["山田 花子", "山田 太郎"]
    assert any(k.endswith("shipped_at") for k in change.changes)
    assert change.source == "api:wms"


def test_auth_failures_and_revoked_keys_are_401(client, keys, session):
    assert client.get(url("#1001")).status_code == 401
    bad = {"Authorization": "Bearer tdk_0000_nope"}
    r = client.get(url("#1001"), headers=bad)
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert client.get(url("#1001"), headers={"Authorization": "Basic x"}).status_code == 401
    key = session.exec(select(ApiKey).where(ApiKey.brand == "sakura-tea")).one()
    assert key.last_used_at is None
    assert client.get(url("#1001"), headers=keys["sakura"]).status_code == 404
    session.refresh(key)
    assert key.last_used_at is not None


def test_another_brands_order_is_404(client, keys):
    assert client.put(url("#1001"), json=ORDER, headers=keys["sakura"]).status_code == 201
    for method, tail in (("get", ""), ("post", "/link"), ("post", "/shipments")):
        r = getattr(client, method)(url("#1001", tail), json={}, headers=keys["north"])
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found", (method, tail)
    assert client.get("/api/v1/orders", headers=keys["north"]).json["orders"] == []


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"items": [{"name": "x", "quantity": 0}]}, "items.0.quantity"),
        ({"items": [{"name": "x", "quantity": 10**30}]}, "items.0.quantity"),
        ({"items": [{"name": "x", "quantity": "two"}]}, "items.0.quantity"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "\ud800"}, "name"),
        ({"placed_at": "2026-11-24T10:15:00"}, "placed_at"),
        ({"surprise": 1}, "surprise"),
        ({"shipments": [{"carrier": "pigeon", "tracking_number": "1"}]}, "shipments.0.carrier"),
        ({"shipments": [{"tracking_number": "123456789012"}]}, "shipments.0.carrier"),
        (
            {
                "shipments": [
                    {"carrier": "yamato", "tracking_number": "1", "items": [{"sku": "NO"}]}
                ]
            },
            "shipments.0.items.0.sku",
        ),
    ],
)
def test_validation_errors_name_the_field(client, keys, session, patch, field):
    r = client.put(url("#1002"), json={**ORDER, **patch}, headers=keys["sakura"])
    assert r.status_code == 422, r.json
    assert r.json["error"]["field"] == field, r.json
    assert session.exec(select(Order)).all() == []


def test_ambiguous_number_names_candidates(client, keys):
    body = {**ORDER, "shipments": [{"tracking_number": "123456789013"}]}
    r = client.put(url("#1003"), json=body, headers=keys["north"])  # ups/dhl: none fits
    assert r.json["error"]["code"] == "unknown_carrier"
    r = client.put(url("#1003"), json=body, headers=keys["sakura"])  # yamato + japanpost fit
    assert r.json["error"]["code"] == "ambiguous_carrier"
    assert "yamato" in r.json["error"]["message"] and "japanpost" in r.json["error"]["message"]


def test_bad_json_deep_json_and_oversized_bodies(client, keys, app):
    h = keys["sakura"]
    r = client.put(url("#1"), data="{", headers=h, content_type="application/json")
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_json"
    deep = "[" * 100_000 + "]" * 100_000
    r = client.put(url("#1"), data=deep, headers=h, content_type="application/json")
    assert r.status_code in (400, 413) and "error" in r.json
    app.config["API_MAX_BODY_BYTES"] = 1000
    r = client.put(url("#1"), data="x" * 2000, headers=h, content_type="application/json")
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"


def test_shipments_post_is_idempotent_with_a_key(client, keys, session):
    h = keys["sakura"]
    client.put(url("#1001"), json={**ORDER, "shipments": []}, headers=h)
    parcel = {"carrier": "1003", "tracking_number": "987654321098"}
    hk = {**h, "Idempotency-Key": "abc-1"}
    r1 = client.post(url("#1001", "/shipments"), json=parcel, headers=hk)
    assert r1.status_code == 201 and r1.json["shipment"]["carrier"] == "japanpost"
    r2 = client.post(url("#1001", "/shipments"), json=parcel, headers=hk)
    assert r2.status_code == 201 and r2.headers["Idempotent-Replayed"] == "true"
    assert r2.json == r1.json
    r3 = client.post(url("#1001", "/shipments"), json={**parcel, "service": "x"}, headers=hk)
    assert r3.status_code == 422 and r3.json["error"]["code"] == "idempotency_key_reused"
    # Without a key, the same parcel again is found, not doubled.
    r4 = client.post(url("#1001", "/shipments"), json=parcel, headers=h)
    assert r4.status_code == 200 and r4.json["result"] == "unchanged"
    assert len(session.exec(select(Shipment)).all()) == 1


def test_link_is_fresh_and_old_link_stops_working(client, keys):
    h = keys["sakura"]
    old = client.put(url("#1001"), json=ORDER, headers=h).json["order"]["link"]
    new = client.post(url("#1001", "/link"), headers=h).json["link"]
    assert new != old
    assert client.get(new.split("127.0.0.1:8000", 1)[-1]).status_code == 200
    assert client.get(old.split("127.0.0.1:8000", 1)[-1]).status_code == 404


def test_list_paginates_and_filters(client, keys):
    h = keys["sakura"]
    for n in range(5):
        client.put(url(f"ST-{n}"), json={**ORDER, "shipments": []}, headers=h)
    client.put(url("ST-9"), json=ORDER, headers=h)
    seen, cursor = [], None
    while True:
        q = "/api/v1/orders?limit=2" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(q, headers=h)
        assert r.status_code == 200
        seen += [o["number"] for o in r.json["orders"]]
        cursor = r.json["next_cursor"]
        if not cursor:
            break
    assert seen == ["ST-0", "ST-1", "ST-2", "ST-3", "ST-4", "ST-9"]
    r = client.get("/api/v1/orders?status=pending", headers=h)
    assert [o["number"] for o in r.json["orders"]] == ["ST-9"]
    for bad in ("status=nope", "cursor=%%%", "limit=0", "updated_since=yesterday"):
        r = client.get(f"/api/v1/orders?{bad}", headers=h)
        assert r.status_code == 400, bad
    r = client.get("/api/v1/orders?updated_since=2100-01-01T00:00:00Z", headers=h)
    assert r.json["orders"] == []


def test_per_key_rate_limit_is_429_json(app, client, keys):
    app.config["API_RATE_LIMIT"] = "2 per minute"
    h = keys["sakura"]
    assert [client.get(url("#1"), headers=h).status_code for _ in range(2)] == [404, 404]
    r = client.get(url("#1"), headers=h)
    assert r.status_code == 429 and r.json["error"]["code"] == "rate_limited"
    # Another key has its own budget.
    assert client.get(url("#1"), headers=keys["north"]).status_code == 404


def test_revoke_key_from_the_cli(app, client, keys, session):
    key = keys["sakura"]["Authorization"].removeprefix("Bearer ")
    prefix = key.split("_")[1]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "revoke-key", "--brand", "northpeak", prefix])
    assert result.exit_code != 0  # another shop's key is not found
    result = runner.invoke(args=["staff", "revoke-key", "--brand", "sakura-tea", key])
    assert result.exit_code == 0 and "revoked" in result.output
    r = client.get(url("#1"), headers=keys["sakura"])
    assert r.status_code == 401
    listing = runner.invoke(args=["staff", "api-keys", "--brand", "sakura-tea"]).output
    assert prefix in listing and "revoked" in listing
