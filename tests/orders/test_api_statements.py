"""The orders API's writes in a number of SQL statements that does not grow with the order:
an upsert with twenty items and five parcels costs what one with two items and one parcel
costs, created, unchanged or updated, and adding a parcel reads the order's items once."""

from __future__ import annotations

import copy

import pytest

from tests.orders.test_api import ORDER, url
from tests.support.queries import counted_queries
from tracking.staff.api_keys import create_api_key


@pytest.fixture
def key(app, session):
    with app.app_context():
        headers = {"Authorization": "Bearer " + create_api_key(session, "sakura-tea", "wms")}
    return headers


def _big(n_items: int = 20, n_parcels: int = 5) -> dict:
    body = copy.deepcopy(ORDER)
    body["items"] = [
        {"sku": f"S-{i}", "name": f"item {i}", "quantity": 1, "price": 100} for i in range(n_items)
    ]
    body["shipments"] = [
        {
            "carrier": "yamato",
            "tracking_number": f"1234-5678-90{p:02d}",
            "items": [{"sku": f"S-{i}"} for i in range(p, n_items, n_parcels)],
        }
        for p in range(n_parcels)
    ]
    return body


def _changed(body: dict) -> dict:
    body = copy.deepcopy(body)
    body["name"] = "山田 太郎"
    for item in body["items"]:
        item["quantity"] += 1
    for parcel in body["shipments"]:
        for line in parcel["items"]:
            line["quantity"] = line.get("quantity", 1) + 1
    return body


def _put(app, client, key, number: str, body: dict) -> tuple[int, str]:
    with counted_queries(app) as statements:
        r = client.put(url(number), json=body, headers=key)
    assert r.status_code in (200, 201), r.json
    return len(statements), r.json["result"]


def test_an_upsert_costs_the_same_for_two_items_or_twenty(app, client, key):
    client.put(url("WARM"), json=ORDER, headers=key)  # the key's first use is written once
    small, large = ORDER, _big()
    for kind, shape in (
        ("created", lambda b: b),
        ("unchanged", lambda b: b),
        ("updated", _changed),
    ):
        few = _put(app, client, key, "A-1", shape(small))
        many = _put(app, client, key, "A-2", shape(large))
        assert few[1] == many[1] == kind
        assert few[0] == many[0], kind
    assert few[0] <= 13  # an update: four reads, four updates, the version, history, answer
    assert _put(app, client, key, "A-3", large)[0] <= 10  # a create; 13 and more before


def test_adding_a_parcel_reads_the_order_and_its_items_once(app, client, key):
    client.put(url("A-1"), json=_big(), headers=key)
    parcel = {
        "carrier": "yamato",
        "tracking_number": "2345-6789-0124",
        "items": [{"sku": f"S-{i}"} for i in range(20)],
    }
    with counted_queries(app) as statements:
        r = client.post(url("A-1", "/shipments"), json=parcel, headers=key)
    assert r.status_code == 201, r.json
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert sum("FROM orders" in s for s in reads) == 1
    assert sum("FROM order_items" in s for s in reads) == 1
    assert len(statements) <= 8
