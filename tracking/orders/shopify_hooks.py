"""Shopify webhook bodies (REST Order and Fulfillment shapes) into the intake.

``orders/create`` and ``orders/updated`` upsert the order (and any parcels in its
``fulfillments``); ``fulfillments/create`` and ``fulfillments/update`` add or update parcels of
an order found by Shopify's own order id (stored at intake as ``external_id``) or its name.
Retries of an old event never overwrite newer data: the newest ``updated_at`` applied per
Shopify object is remembered and anything older is skipped."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, TypeAdapter, ValidationError
from sqlmodel import Session

from tracking import normalize
from tracking.brands.brand import Brand
from tracking.orders import intake, receipts
from tracking.orders.imports import CellError, money
from tracking.orders.language import country_code, primary
from tracking.orders.schema import OrderIn, ShipmentIn

log = logging.getLogger(__name__)
ORDER_TOPICS = {"orders/create", "orders/updated"}
FULFILLMENT_TOPICS = {"fulfillments/create", "fulfillments/update"}
_STAMP = TypeAdapter(AwareDatetime)


class Malformed(ValueError):
    pass


@dataclass
class HookResult:
    status: int
    outcome: str  # applied / stale / ignored / unknown_order / not_applied


def stamp_of(value) -> datetime | None:
    """The aware time in ``value``; None when there is none or it is no time we serve."""
    if not value:
        return None
    try:
        return normalize.check_datetime(_STAMP.validate_python(value))
    except (ValidationError, normalize.BadInput):
        return None


def _text(value, limit: int) -> str:
    return str(value).strip()[:limit] if value not in (None, "") else ""


def _image(li: dict) -> str:
    """The line item's picture when the body has one: REST webhooks carry none, a body built
    from the GraphQL ``LineItem`` (an app, Flow) has ``image: {url}`` (older: ``src``). Only an
    https URL is kept; whether its host is allowed is the intake's question (``orders.images``)."""
    image = li.get("image") or li.get("image_url")
    if isinstance(image, dict):
        image = image.get("url") or image.get("src")
    if (
        isinstance(image, str)
        and image.startswith("https://")
        and len(image) <= 500
        and not any(c.isspace() or ord(c) < 32 for c in image)
    ):
        return image
    return ""


def _fulfillment_shipments(f: dict) -> list[dict]:
    if not isinstance(f, dict) or f.get("status") in {"cancelled", "error", "failure"}:
        return []
    numbers = f.get("tracking_numbers") or (
        [f["tracking_number"]] if f.get("tracking_number") else []
    )
    items = [
        {"sku": _text(li.get("sku"), 64), "quantity": li.get("quantity") or 1}
        for li in f.get("line_items") or []
        if isinstance(li, dict) and li.get("sku")
    ]
    return [
        {
            "carrier": _text(f.get("tracking_company"), 64),
            "tracking_number": _text(n, 64),
            "shipped_at": f.get("created_at"),
            "items": items,
        }
        for n in numbers
        if n
    ]


def order_in(payload: dict) -> OrderIn:
    """A REST Order body as ``OrderIn``; ``Malformed`` when it is not one."""
    for name in ("line_items", "fulfillments"):
        if not isinstance(payload.get(name) or [], list):
            raise Malformed(f"{name} must be a list")
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
    ship = (
        payload.get("shipping_address") if isinstance(payload.get("shipping_address"), dict) else {}
    )
    currency = _text(payload.get("currency"), 3) or "JPY"
    address = " ".join(
        _text(ship.get(k), 200) for k in ("province", "city", "address1", "address2") if ship.get(k)
    )
    tags = payload.get("tags") or ""
    try:
        data = {
            "number": _text(payload.get("name") or payload.get("order_number"), 64),
            "email": _text(payload.get("email") or customer.get("email"), 254),
            "placed_at": payload.get("created_at"),
            "name": _text(ship.get("name"), 200)
            or " ".join(_text(customer.get(k), 100) for k in ("last_name", "first_name")).strip(),
            "phone": _text(ship.get("phone") or payload.get("phone"), 32),
            "postcode": _text(ship.get("zip"), 16),
            "address": address[:500],
            "currency": currency,
            "total": money(str(payload.get("total_price") or "0"), currency, "total_price"),
            "tags": [t.strip() for t in str(tags).split(",") if t.strip()],
            "external_id": _text(payload.get("id"), 64),
            "items": [
                {
                    "sku": _text(li.get("sku"), 64),
                    "name": _text(li.get("name") or li.get("title"), 200),
                    "quantity": li.get("quantity") or 1,
                    "price": money(str(li.get("price") or "0"), currency, "price"),
                    "image_url": _image(li),
                }
                for li in payload.get("line_items") or []
                if isinstance(li, dict)
            ],
            "shipments": [
                s for f in payload.get("fulfillments") or [] for s in _fulfillment_shipments(f)
            ],
        }
        # The customer's language as Shopify knows it ("en-US"), else the country decides.
        locale = payload.get("customer_locale") or payload.get("locale")
        if isinstance(locale, str) and primary(locale):
            data["locale"] = primary(locale)
        data["country"] = country_code(_text(ship.get("country_code") or ship.get("country"), 60))
        data["source"] = "shopify"
        return OrderIn.model_validate(data)
    except CellError as exc:  # its text quotes the cell: a name, an address
        raise Malformed(f"{exc.column}: {exc.code}") from None
    except (ValidationError, AttributeError, TypeError) as exc:
        raise Malformed(str(exc).splitlines()[0]) from None


def handle(
    session: Session, brand: Brand, topic: str, payload: dict, triggered_at: str = ""
) -> HookResult:
    """Apply one webhook body; commits. The body's ``updated_at`` (else the
    ``X-Shopify-Triggered-At`` header) orders the versions of an object."""
    stamp = stamp_of(payload.get("updated_at")) or stamp_of(triggered_at)
    if topic in ORDER_TOPICS:
        return _order(session, brand, payload, stamp)
    if topic in FULFILLMENT_TOPICS:
        return _fulfillment(session, brand, payload, stamp)
    return HookResult(200, "ignored")


def _order(session: Session, brand: Brand, payload: dict, stamp) -> HookResult:
    data = order_in(payload)
    key = data.external_id or data.number
    if receipts.is_stale(session, brand.slug, "shopify-order", key, stamp):
        return HookResult(200, "stale")
    try:
        intake.upsert_order(session, brand, data, source="shopify-webhook")
    except intake.IntakeError as exc:
        session.rollback()
        log.warning("shopify %s order %s: %s", brand.slug, data.number, exc.message)
        if not exc.field.startswith("shipments"):
            return HookResult(202, "not_applied")
        # A parcel Todoku cannot track (carrier "Other"…) must not hold the order back.
        data.shipments = None
        intake.upsert_order(session, brand, data, source="shopify-webhook")
    receipts.mark_applied(session, brand.slug, "shopify-order", key, stamp)
    session.commit()
    return HookResult(200, "applied")


def _fulfillment(session: Session, brand: Brand, payload: dict, stamp) -> HookResult:
    if not isinstance(payload.get("id"), int | str) or not payload.get("order_id"):
        raise Malformed("a fulfillment needs id and order_id")
    try:
        parcels = [ShipmentIn.model_validate(s) for s in _fulfillment_shipments(payload)]
    except (ValidationError, TypeError, AttributeError) as exc:
        raise Malformed(str(exc).splitlines()[0]) from None
    # By Shopify's order id; else by the order name (a fulfillment's name is "#1001.1").
    order = intake.find(session, brand.slug, external_id=_text(payload.get("order_id"), 64))
    if order is None and _text(payload.get("name"), 64):
        order = intake.find(session, brand.slug, _text(payload["name"], 64).rsplit(".", 1)[0])
    key = _text(payload.get("id"), 64)
    if order is None:
        shop_order_id = _text(payload.get("order_id"), 64)  # Shopify's ids, nothing else
        log.warning(
            "shopify %s fulfillment %s: no order with id %s yet", brand.slug, key, shop_order_id
        )
        return HookResult(202, "unknown_order")
    if receipts.is_stale(session, brand.slug, "shopify-fulfillment", key, stamp):
        return HookResult(200, "stale")
    try:
        for parcel in parcels:
            intake.add_shipment(session, brand, order, parcel, source="shopify-webhook")
    except intake.IntakeError as exc:
        session.rollback()
        log.warning("shopify %s fulfillment %s not applied: %s", brand.slug, key, exc.message)
        return HookResult(202, "not_applied")
    receipts.mark_applied(session, brand.slug, "shopify-fulfillment", key, stamp)
    session.commit()
    return HookResult(200, "applied")
