"""Issue 21 in a real browser: a Rakuten order after its 発送完了報告 (no item columns) reads as
fully shipped on the tracking page, in ja and en, on a phone and a desktop."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.support import FIXTURES
from tracking.db import get_engine
from tracking.orders.imports.run import run_import
from tracking.orders.models import Order, Shipment
from tracking.security import order_token

from .conftest import own_host_context, screenshot

NUMBER = "333267-20261124-0000000101"


@pytest.fixture(scope="module")
def rakuten_url(live_app, live_url) -> str:
    brand = live_app.extensions["todoku_brands"]["sakura-tea"]
    with live_app.app_context(), Session(get_engine(live_app)) as s:
        for fmt, name in (
            ("rakuten", "rakuten_orders.csv"),
            ("rakuten-shipping", "rakuten_shipping.csv"),
        ):
            run_import(s, brand, fmt, (FIXTURES / "imports" / name).read_bytes())
        order = s.exec(select(Order).where(Order.number == NUMBER)).one()
        for parcel in s.exec(select(Shipment).where(Shipment.order_id == order.id)):
            parcel.status = "in_transit"  # as after its first check with the carrier
            s.add(parcel)
        s.commit()
        return f"{live_url}/sakura-tea/o/{order_token('sakura-tea', order.public_id)}"


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize(
    ("lang", "parcel", "absent"),
    [("ja", "このお荷物の内容", "未発送"), ("en", "In this parcel", "Not shipped yet")],
)
def test_rakuten_order_after_its_shipping_report(
    browser, live_url, rakuten_url, width, lang, parcel, absent
):
    context, foreign = own_host_context(
        browser, live_url, viewport={"width": width, "height": 900}, locale="ja-JP"
    )
    page = context.new_page()
    page.goto(f"{rakuten_url}?lang={lang}")
    body = page.locator("main").inner_text()
    screenshot(page, f"rest-of-order-{lang}-{width}")
    context.close()
    assert not foreign
    assert parcel in body and "静岡煎茶" in body
    assert absent not in body
