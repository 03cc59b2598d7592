"""Every kind of writer that changes what an order's tracking page shows, each as (prepare,
act): ``prepare(session, brand)`` makes the order it acts on (stored, committed), ``act(session,
brand, order)`` writes through the service the app itself calls and commits.

``tests/orders/test_versions.py`` asserts that each one changes the order's data version, and
``tests/page/test_render_cache.py`` that the tracking page shows each change on the next view.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from carriers import Status, TrackingEvent, TrackingResult
from tests.factories import items_of, make_order, make_parcel, make_return
from tests.support import FIXTURES
from tracking.brands.brand import Brand
from tracking.dashboard import actions
from tracking.dashboard import inquiries as staff_inquiries
from tracking.estimates.refresh import refresh
from tracking.orders import shopify_hooks
from tracking.orders.imports.generic import TEMPLATE
from tracking.orders.imports.run import run_import
from tracking.orders.intake import add_shipment, upsert_order
from tracking.orders.models import Order, Shipment
from tracking.orders.schema import ItemIn, OrderIn, ShipmentIn
from tracking.page import feedback, inquiry
from tracking.privacy.erase import erase_orders
from tracking.returns import outcomes
from tracking.returns.transitions import transition
from tracking.sync.apply import apply_results
from tracking.timeutil import utcnow

STAFF = "staff@sakura-tea.example"


@dataclass(frozen=True)
class Writer:
    name: str
    act: Callable[[Session, Brand, Order], None]
    prepare: Callable[[Session, Brand], Order] | None = None

    def make(self, session: Session, brand: Brand) -> Order:
        if self.prepare is not None:
            return self.prepare(session, brand)
        return make_order(session, brand.slug)


def _in_transit(session: Session, brand: Brand) -> Order:
    order = make_order(session, brand.slug, ship=False)
    make_parcel(
        session,
        order,
        items=items_of(session, order),
        status="in_transit",
        shipped_at=utcnow() - timedelta(days=1),
    )
    session.commit()
    return order


def _parcel(session: Session, order: Order) -> Shipment:
    return session.exec(select(Shipment).where(Shipment.order_id == order.id)).first()


def _carrier_update(session, brand, order) -> None:
    parcel = _parcel(session, order)
    at = utcnow() - timedelta(hours=1)
    result = TrackingResult(
        parcel.carrier,
        parcel.tracking_number,
        Status.OUT_FOR_DELIVERY,
        [TrackingEvent(at, Status.OUT_FOR_DELIVERY, "配達中")],
    )
    apply_results(session, [(parcel, result)])
    session.commit()


def _carrier_checked(session, brand, order) -> None:
    """The carrier answers what we knew: only the check time changes (the page shows it)."""
    parcel = _parcel(session, order)
    result = TrackingResult(parcel.carrier, parcel.tracking_number, Status.IN_TRANSIT, [])
    apply_results(session, [(parcel, result)])
    session.commit()


SHOPIFY_ORDER = {
    "id": 820982911946154508,
    "name": "#1001",
    "email": "hanako@example.com",
    "created_at": "2026-11-24T10:15:30+09:00",
    "updated_at": "2026-11-24T10:15:30+09:00",
    "currency": "JPY",
    "total_price": "1200.00",
    "shipping_address": {"zip": "150-0001", "country_code": "JP"},
    "line_items": [{"id": 1, "sku": "TEA-01", "name": "Sencha", "quantity": 1, "price": "1200"}],
    "fulfillments": [],
}


def _shopify_order(session, brand) -> Order:
    shopify_hooks.handle(session, brand, "orders/create", SHOPIFY_ORDER)
    return session.exec(select(Order).where(Order.number == "#1001")).one()


def _shopify_fulfilled(session, brand, order) -> None:
    fulfillment = {
        "id": 255858046,
        "order_id": SHOPIFY_ORDER["id"],
        "status": "success",
        "created_at": "2026-11-25T09:00:00+09:00",
        "updated_at": "2026-11-25T09:00:00+09:00",
        "tracking_company": "Yamato (JA)",
        "tracking_number": "300000000016",
        "line_items": [{"sku": "TEA-01", "quantity": 1}],
    }
    shopify_hooks.handle(session, brand, "fulfillments/create", fulfillment)


def _api_upsert(session, brand, order) -> None:
    data = OrderIn(
        number=order.number,
        email=order.email,
        items=[ItemIn(sku="NEW-1", name="新茶", quantity=1)],
    )
    upsert_order(session, brand, data, source="api:test")
    session.commit()


def _api_parcel(session, brand, order) -> None:
    add_shipment(
        session,
        brand,
        order,
        ShipmentIn(carrier="yamato", tracking_number="300000000020"),
        source="api:test",
    )
    session.commit()


RAKUTEN = "333267-20261124-0000000101"


def _rakuten_order(session, brand) -> Order:
    run_import(
        session, brand, "rakuten", (FIXTURES / "imports" / "rakuten_orders.csv").read_bytes()
    )
    return session.exec(select(Order).where(Order.number == RAKUTEN)).one()


def _rakuten_shipped(session, brand, order) -> None:
    raw = (FIXTURES / "imports" / "rakuten_shipping.csv").read_bytes()
    run_import(session, brand, "rakuten-shipping", raw)


def _template_order(session, brand) -> Order:
    run_import(session, brand, "generic", TEMPLATE.encode())
    return session.exec(select(Order).where(Order.number == "ST-2001")).one()


def _template_changed(old: str, new: str) -> Callable[[Session, Brand, Order], None]:
    def act(session, brand, order) -> None:
        report = run_import(session, brand, "generic", TEMPLATE.replace(old, new).encode())
        assert report.updated == 1, report.summary()

    return act


def _return_submitted(session, brand, order) -> None:
    make_return(session, brand, order)


def _with_return(session, brand) -> Order:
    order = make_order(session, brand.slug)
    make_return(session, brand, order)
    return order


def _return_of(session, order):
    from tracking.returns.models import ReturnRequest

    return session.exec(select(ReturnRequest).where(ReturnRequest.order_id == order.id)).one()


def _return_approved(session, brand, order) -> None:
    transition(session, brand, _return_of(session, order), "approve", actor=STAFF)


def _return_received(session, brand, order) -> None:
    rr = _return_of(session, order)
    if rr.status != "approved":
        transition(session, brand, rr, "approve", actor=STAFF)
        session.commit()
    outcomes.act(
        session,
        brand,
        _return_of(session, order),
        "receive",
        carrier="",
        tracking_number="",
        actor=STAFF,
        reason="",
        expected_version=None,
    )


def _feedback(session, brand, order) -> None:
    feedback.submit(session, order, 5, "とても良い", "ja")


def _question(session, brand, order) -> None:
    inquiry.ask(session, brand, order, "いつ届きますか？", "ja")


def _asked(session, brand) -> Order:
    order = make_order(session, brand.slug)
    inquiry.ask(session, brand, order, "いつ届きますか？", "ja")
    return order


def _reply(session, brand, order) -> None:
    from tracking.page.models import Inquiry

    asked = session.exec(select(Inquiry).where(Inquiry.order_id == order.id)).one()
    staff_inquiries.reply(session, brand, asked, order, "明日お届けします。", STAFF)


def _language(session, brand, order) -> None:
    actions.change_language(session, brand, order, "en", STAFF)
    session.commit()


def _correct_parcel(session, brand, order) -> None:
    parcel = _parcel(session, order)
    form = actions.ParcelForm(carrier="yamato", tracking_number="300000000031")
    actions.correct_parcel(session, brand, order, parcel, form, STAFF)
    session.commit()


def _staff_parcel(session, brand, order) -> None:
    form = actions.ParcelForm(carrier="yamato", tracking_number="300000000042")
    actions.add_parcel(session, brand, order, form, STAFF)
    session.commit()


def _estimate(session, brand, order) -> None:
    parcel = _parcel(session, order)
    parcel.carrier_edd_start = utcnow().date() + timedelta(days=9)
    session.add(parcel)
    session.commit()
    refresh(session, parcel)
    session.commit()


def _erase(session, brand, order) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        erase_orders(session, [order], Path(tmp), why="request")
        session.commit()


WRITERS = (
    Writer("worker: a carrier update with a new event", _carrier_update, _in_transit),
    Writer("worker: a carrier check without news", _carrier_checked, _in_transit),
    Writer("shop webhook: a fulfillment", _shopify_fulfilled, _shopify_order),
    Writer("API: order upsert with a new item", _api_upsert),
    Writer("API: a parcel added", _api_parcel),
    Writer("CSV import: the shipping report", _rakuten_shipped, _rakuten_order),
    Writer(
        "CSV import: an order's item quantity",
        _template_changed(",2,1200,", ",3,1200,"),
        _template_order,
    ),
    Writer(
        "CSV import: an order's address",
        _template_changed("神宮前1-2-3", "神宮前4-5-6"),
        _template_order,
    ),
    Writer(
        "CSV import: a new parcel for an order",
        _template_changed("1234-5678-9012", "2345-6789-0124"),
        _template_order,
    ),
    Writer("return submitted", _return_submitted),
    Writer("return approved by staff", _return_approved, _with_return),
    Writer("return received by staff", _return_received, _with_return),
    Writer("feedback given", _feedback),
    Writer("question asked", _question),
    Writer("question answered by staff", _reply, _asked),
    Writer("staff: mail language changed", _language),
    Writer("staff: parcel corrected", _correct_parcel),
    Writer("staff: parcel added", _staff_parcel),
    Writer("estimate refreshed", _estimate, _in_transit),
    Writer("privacy erase", _erase),
)
