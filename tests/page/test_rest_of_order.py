"""Issue 21: a parcel without an item list (a Rakuten 発送完了報告 row, an API parcel without
``items``) holds the rest of the order, so neither the page nor the shipped mail shows the order
as partly unshipped; and an unshipped block never shows a date already past."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests.factories import make_order, make_parcel
from tests.support import FIXTURES
from tracking.mail import triggers
from tracking.orders.imports.run import run_import
from tracking.orders.models import Order, OrderItem, Shipment
from tracking.returns.eligibility import returnable_items
from tracking.staff.api_keys import create_api_key
from tracking.timeutil import utcnow

RAKUTEN = "333267-20261124-0000000101"


@pytest.fixture(autouse=True)
def _ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def sakura(app):
    return app.extensions["todoku_brands"]["sakura-tea"]


def _page(client, token_for, order, lang="en") -> str:
    r = client.get(f"/{order.brand}/o/{token_for(order)}?lang={lang}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def _in_transit(session, order) -> None:
    for parcel in session.exec(select(Shipment).where(Shipment.order_id == order.id)).all():
        parcel.status = "in_transit"
        session.add(parcel)
    session.flush()


def test_rakuten_shipping_report_ships_the_whole_order(client, session, sakura, token_for):
    for fmt, name in (
        ("rakuten", "rakuten_orders.csv"),
        ("rakuten-shipping", "rakuten_shipping.csv"),
    ):
        run_import(session, sakura, fmt, (FIXTURES / "imports" / name).read_bytes())
    order = session.exec(select(Order).where(Order.number == RAKUTEN)).one()
    items = session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    _in_transit(session, order)
    mail = triggers.order_changed(session, sakura, order)
    session.commit()
    assert mail.kind == "shipped"
    assert f"{items[0].name} × {items[0].qty}" in mail.body_text  # the parcel lists the rest
    for lang in ("en", "ja"):
        html = _page(client, token_for, order, lang)
        assert 'id="unshipped"' not in html and "未発送" not in html
        assert items[0].name in html
    # and the items count as shipped for a return
    assert all(
        r.eligibility.facts.shipped_qty == r.item.qty
        for r in returnable_items(session, sakura, order)
    )


def test_api_parcel_without_items_ships_the_rest(client, session, sakura, token_for):
    h = {"Authorization": "Bearer " + create_api_key(session, "sakura-tea", "wms")}
    body = {
        "email": "hanako@example.com",
        "placed_at": (utcnow() - timedelta(days=20)).isoformat(),
        "name": "山田 花子",
        "postcode": "1500001",
        "items": [
            {"sku": "TEA-01", "name": "煎茶 100g", "quantity": 2, "price": 1200},
            {"sku": "TEA-02", "name": "ほうじ茶", "quantity": 1, "price": 900},
        ],
        "shipments": [
            {
                "carrier": "yamato",
                "tracking_number": "1234-5678-9012",
                "items": [{"sku": "TEA-01", "quantity": 2}],
            },
        ],
    }
    assert client.put("/api/v1/orders/A-1", json=body, headers=h).status_code in (200, 201)
    order = session.exec(select(Order).where(Order.number == "A-1")).one()
    _in_transit(session, order)
    assert triggers.order_changed(session, sakura, order).kind == "shipped_partial"
    session.commit()
    assert 'id="unshipped"' in _page(client, token_for, order)  # every parcel names its items
    parcel = {"carrier": "yamato", "tracking_number": "2222-3333-4444"}
    assert client.post("/api/v1/orders/A-1/shipments", json=parcel, headers=h).status_code == 201
    _in_transit(session, order)
    mail = triggers.order_changed(session, sakura, order)
    session.commit()
    assert mail.kind == "shipped" and "ほうじ茶 × 1" in mail.body_text
    html = _page(client, token_for, order)
    assert 'id="unshipped"' not in html and "Not shipped yet" not in html


def test_two_parcels_without_items_share_the_rest(client, session, sakura, token_for):
    order = make_order(session, ship=False, locale="en")
    make_parcel(session, order, status="in_transit")
    make_parcel(session, order, status="in_transit")
    session.commit()
    html = _page(client, token_for, order)
    assert 'id="unshipped"' not in html
    assert html.count("The rest of your order, shipped in 2 parcels") == 2
    mail = triggers.order_changed(session, sakura, order)
    assert mail.kind == "shipped" and mail.body_text.count("The rest of your order") == 2


def test_partial_shipment_keeps_the_unshipped_block_without_a_past_date(
    client, session, sakura, token_for
):
    order = make_order(session, ship=False, placed_at=utcnow() - timedelta(days=21))
    tea, cup = session.exec(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
    ).all()
    make_parcel(session, order, items=[tea], status="in_transit")
    session.commit()
    html = _page(client, token_for, order)
    unshipped = html[html.index('id="unshipped"') :]
    assert cup.name in unshipped
    assert "Preparing — we will mail you when it ships" in unshipped
    assert "Arriving" not in unshipped and 'data-source="preparing"' in unshipped
    ja = _page(client, token_for, order, "ja")
    assert "お届け予定" not in ja[ja.index('id="unshipped"') :]


def test_a_recent_order_still_shows_its_estimate(client, session, token_for):
    order = make_order(session, ship=False, placed_at=utcnow())
    html = _page(client, token_for, order)
    unshipped = html[html.index('id="unshipped"') :]
    assert "Arriving" in unshipped and "Preparing" not in unshipped
