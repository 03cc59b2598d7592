"""Every intake path records where an order came from (``orders.source``, it picks the mail
mode) and its shipping country (a language hint): each CSV parser, Shopify's webhooks and the
API, whose ``source`` field is checked against the registry (422 ``unknown_source``)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from sqlmodel import select

from tests.orders.test_shopify_hooks import ORDER as SHOPIFY_ORDER
from tests.orders.test_shopify_hooks import SECRET, send
from tests.support import FIXTURES
from tracking.brands import sources
from tracking.orders.imports.generic import TEMPLATE
from tracking.orders.imports.run import run_import
from tracking.orders.models import Order
from tracking.staff.api_keys import create_api_key

FILES = FIXTURES / "imports"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SHOPIFY_WEBHOOK_SECRETS": {"SAKURA_TEA": SECRET}}


def _orders(session) -> dict[str, tuple[str, str, str]]:
    """number → (source, country, locale)."""
    return {o.number: (o.source, o.country, o.locale) for o in session.exec(select(Order)).all()}


@pytest.mark.parametrize(
    "fmt, name, number, expected",
    [
        ("shopify", "shopify_orders.csv", "#1001", ("shopify", "JP", "")),
        ("shopify", "shopify_us_order.csv", "#1010", ("shopify", "US", "")),
        ("rakuten", "rakuten_orders.csv", "333267-20261124-0000000101", ("rakuten", "JP", "ja")),
        ("rakuten", "rakuten_orders_old.csv", None, ("rakuten", "JP", "ja")),
    ],
)
def test_each_csv_parser_records_its_source_and_country(app, session, fmt, name, number, expected):
    with app.app_context():
        brand = app.extensions["todoku_brands"]["sakura-tea"]
        report = run_import(session, brand, fmt, (FILES / name).read_bytes())
    assert report.created >= 1
    found = _orders(session)
    rows = [found[number]] if number else list(found.values())
    assert rows and all(row == expected for row in rows)


def test_the_generic_csv_takes_an_optional_source_and_country_column(app, session):
    header, *lines = TEMPLATE.split("\r\n")
    text = "\r\n".join([header, *[line for line in lines if line]]) + "\r\n"
    with_columns = text.replace(
        "tracking_number,shipped_at", "tracking_number,shipped_at,country,source"
    )
    rows = with_columns.split("\r\n")
    rows[1] += ",JP,rakuten"
    rows[2] += ",,"
    plain = text.replace("ST-2001", "ST-2002")
    with app.app_context():
        brand = app.extensions["todoku_brands"]["sakura-tea"]
        run_import(session, brand, "generic", "\r\n".join(rows).encode())
        run_import(session, brand, "generic", plain.encode())
        bad = "\r\n".join(rows).replace(",JP,rakuten", ",JP,rakuton").replace("ST-2001", "ST-2003")
        report = run_import(session, brand, "generic", bad.encode())
    found = _orders(session)
    assert found["ST-2001"][:2] == ("rakuten", "JP")
    assert found["ST-2002"][:2] == ("csv", "")
    assert "ST-2003" not in found
    assert [(e.column, e.code) for e in report.errors] == [("source", "unknown_source")]


def test_shopify_webhooks_record_source_country_and_the_customer_locale(client, session):
    body = {
        **SHOPIFY_ORDER,
        "customer_locale": "en-US",
        "shipping_address": {**SHOPIFY_ORDER["shipping_address"], "country_code": "US"},
    }
    assert send(client, "orders/create", body, "s1").json["status"] == "applied"
    assert _orders(session)["#1001"] == ("shopify", "US", "en")


def _api(app, session):
    with app.app_context():
        return {"Authorization": "Bearer " + create_api_key(session, "sakura-tea", "wms")}


def _put(client, headers, number, **extra):
    body = {"email": "a@example.com", **extra}
    return client.put(f"/api/v1/orders/{quote(number, safe='')}", json=body, headers=headers)


def test_the_api_validates_and_records_the_source(app, client, session):
    h = _api(app, session)
    assert _put(client, h, "A-1").status_code == 201  # no source named: "api"
    assert _put(client, h, "R-1", source="Rakuten", country="jp").status_code == 201
    r = _put(client, h, "X-1", source="rakuton")
    assert r.status_code == 422
    assert r.json["error"]["code"] == "unknown_source"
    assert r.json["error"]["field"] == "source"
    assert "rakuten" in r.json["error"]["message"]  # names the known ones
    r = _put(client, h, "X-2", country="Japan")
    assert r.status_code == 422 and r.json["error"]["field"] == "country"
    # An update that names no source keeps the order's.
    assert _put(client, h, "R-1", name="楽天 太郎").status_code == 200
    found = _orders(session)
    assert found["A-1"][0] == "api" and found["R-1"][:2] == ("rakuten", "JP")
    assert "X-1" not in found and "X-2" not in found


def test_the_openapi_document_lists_the_known_sources(client):
    doc = json.loads(client.get("/api/v1/openapi.json").get_data())
    text = json.dumps(doc)
    assert all(name in text for name in sources.SOURCES)


def test_masked_rakuten_addresses_are_recognised():
    assert sources.is_rakuten_masked("abc1@pc.fw.rakuten.ne.jp")
    assert sources.is_rakuten_masked("ABC1@PC.FW.RAKUTEN.NE.JP")
    assert not sources.is_rakuten_masked("shop@rakuten.co.jp")
    assert not sources.is_rakuten_masked("a@notfw.rakuten.ne.jp")
    assert not sources.is_rakuten_masked("")
