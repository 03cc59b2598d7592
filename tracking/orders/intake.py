"""Getting orders in: every intake path (demo, API, CSV imports, Shopify webhooks) stores orders
through here, so numbers, emails and postcodes are always stored in the form lookups compare
against, carriers are resolved one way, and a new or changed parcel is due for a carrier check
at once.

``upsert_order`` is idempotent: the same data again changes nothing; changed data updates the
rows in place and is recorded as an ``OrderChange``. Nothing here commits.

Concurrent callers (eight PUTs of one new number, six copies of one Shopify delivery) get one
order: the unique constraint on (brand, number) decides who inserts it, and the others take the
winner's row; an order being changed is locked (``FOR UPDATE`` on PostgreSQL) until its caller
commits, so two writers never add the same item or parcel twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import carriers
from tracking import normalize
from tracking.brands.brand import Brand
from tracking.db import savepoint
from tracking.orders import images, language, parcels
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentItem
from tracking.orders.schema import OrderIn, ShipmentIn
from tracking.timeutil import utcnow

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# OrderIn field → Order column, for the fields stored as they come (after normalising).
_TEXT_FIELDS = ("name", "phone", "address", "payment_method", "requested_slot")


IntakeError = parcels.IntakeError


@dataclass
class Outcome:
    order: Order
    result: str  # created / updated / unchanged
    changes: dict = field(default_factory=dict)


def create_order(session: Session, *, brand: str, number: str, email: str, **fields) -> Order:
    """Add an order, storing number, email and postcode in the normalized form lookups
    compare against. Does not commit."""
    fields["postcode"] = normalize.postcode(fields.get("postcode", ""))
    order = Order(
        brand=brand, number=normalize.order_number(number), email=normalize.email(email), **fields
    )
    session.add(order)
    session.flush()
    return order


def find(
    session: Session, brand: str, number: str = "", external_id: str = "", *, lock: bool = False
) -> Order | None:
    """An order of ``brand`` by its number, else by the platform's own id. ``lock`` holds its
    row until the caller's transaction ends (PostgreSQL; SQLite has one writer anyway)."""
    wheres = []
    if number:
        wheres.append(Order.number == normalize.order_number(number))
    if external_id:
        wheres.append(Order.external_id == external_id)
    for where in wheres:
        stmt = select(Order).where(Order.brand == brand, where)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        order = session.exec(stmt).first()
        if order is not None:
            return order
    return None


def lock(session: Session, order: Order) -> None:
    """Hold ``order``'s row until the transaction ends: writers of one order take turns."""
    session.exec(select(Order.id).where(Order.id == order.id).with_for_update())


def _create_once(
    session: Session, brand: str, data: OrderIn, values: dict, now: datetime
) -> tuple[Order, bool]:
    """(order, created): the new order, or the one a concurrent caller inserted first. The
    unique constraint decides; PostgreSQL makes the loser wait for the winner's commit, so
    the winner's row (locked) is there to take."""
    try:
        with savepoint(session):
            fields = {"placed_at": now, **values}
            return create_order(session, brand=brand, number=data.number, **fields), True
    except IntegrityError:
        order = find(session, brand, data.number, values.get("external_id", ""), lock=True)
        if order is None:  # another constraint failed: not a race over this order
            raise
        return order, False


def order_values(data: OrderIn) -> dict:
    """The Order columns ``data`` sets, normalised (fields not sent are left alone)."""
    sent = data.model_fields_set
    values: dict = {"email": normalize.email(data.email)}
    for name in _TEXT_FIELDS:
        if name in sent:
            values[name] = normalize.clean(getattr(data, name))
    if "postcode" in sent:
        values["postcode"] = normalize.postcode(data.postcode)
    if "locale" in sent:  # "en-US" → "en": mail is written per language, not per region
        values["locale"] = language.primary(data.locale)
    if "country" in sent:
        values["country"] = data.country
    if "source" in sent and data.source:  # else the path's own (``origin``), once, at creation
        values["source"] = data.source
    if "placed_at" in sent and data.placed_at is not None:
        values["placed_at"] = data.placed_at.astimezone(UTC)
    if "currency" in sent:
        values["currency"] = data.currency
    if "tags" in sent:
        values["tags"] = [normalize.clean(t) for t in data.tags if normalize.clean(t)]
    if "external_id" in sent and data.external_id:
        values["external_id"] = normalize.clean(data.external_id)
    if "requested_date" in sent:
        values["requested_date"] = data.requested_date
    if "total" in sent and data.total is not None:
        values["total"] = data.total
    elif data.items is not None and "total" not in sent:
        values["total"] = sum(i.price * i.quantity for i in data.items)
    return values


def plain(value):
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def same(a, b) -> bool:
    if isinstance(a, datetime) or isinstance(b, datetime):
        return _utc(a) == _utc(b)
    return a == b


def apply_values(row, values: dict, changes: dict, prefix: str = "") -> None:
    for name, new in values.items():
        old = getattr(row, name)
        if not same(old, new):
            changes[prefix + name] = [plain(old), plain(new)]
            setattr(row, name, new)


def upsert_order(
    session: Session,
    brand: Brand,
    data: OrderIn,
    *,
    source: str,
    origin: str = "",
    now: datetime | None = None,
) -> Outcome:
    """Create or update ``data``'s order with its items and shipments. ``source`` names the
    writer in the order's history; ``origin`` is the order's source (``orders.source``, it
    picks the mail mode) when ``data`` names none, set when the order is created. Raises
    ``IntakeError`` before writing anything when a shipment's carrier cannot be resolved."""
    now = now or utcnow()
    data = images.allowed_images(brand, data)
    resolved = [resolve(brand, s, f"shipments.{i}") for i, s in enumerate(data.shipments or [])]
    values = order_values(data)
    external_id = values.get("external_id", "")
    order = find(session, brand.slug, data.number, external_id, lock=True)
    known = {normalize.clean(i.sku) for i in data.items or [] if i.sku}
    stored = _check_skus(session, order, known, data.shipments or [])
    changes: dict = {}
    created = False
    if order is None:
        fresh = {"source": origin, **values} if origin else values
        order, created = _create_once(session, brand.slug, data, fresh, now)
    result = CREATED if created else UNCHANGED
    if not created:
        if values.get("locale", order.locale) != order.locale and language.staff_chose(
            session, order
        ):
            del values["locale"]  # staff's choice on the order page outlives the platform's
        apply_values(order, values, changes)
    by_sku = stored  # read only for an order that was there (a race's winner's are not)
    if data.items is not None:
        by_sku = _apply_items(session, order, data, changes, fresh=result == CREATED)
    for shipment_in, checked in zip(data.shipments or [], resolved, strict=True):
        _apply_shipment(
            session, order, shipment_in, checked, changes, now, by_sku, fresh=result == CREATED
        )
    if result == UNCHANGED and changes:
        result = UPDATED
        parcels.record_change(session, order, source, changes, now)
    return Outcome(order, result, changes)


def add_shipment(
    session: Session,
    brand: Brand,
    order: Order,
    data: ShipmentIn,
    *,
    source: str,
    now: datetime | None = None,
    field_prefix: str = "",
    locked: bool = False,
) -> tuple[Shipment, str]:
    """Attach (or update) one parcel of ``order``; returns it and created/updated/unchanged.
    ``locked``: the caller read ``order`` with ``find(lock=True)`` already."""
    now = now or utcnow()
    checked = resolve(brand, data, field_prefix)
    if not locked:
        lock(session, order)
    by_sku = _check_skus(session, order, set(), [data], single=True)
    changes: dict = {}
    shipment, result = _apply_shipment(session, order, data, checked, changes, now, by_sku)
    if result == UPDATED:
        parcels.record_change(session, order, source, changes, now)
    return shipment, result


def resolve(brand: Brand, data: ShipmentIn, where: str) -> parcels.Checked:
    """The parcels' one number check; the error names the field under ``where``. The shop's
    own systems are the record of what they shipped: a number is stored as sent (normalised)
    even when its check digit does not fit, as people's typing is not (``check_digits``)."""
    try:
        return parcels.check_number(brand, data.carrier, data.tracking_number, check_digits=False)
    except parcels.ParcelError as exc:
        field = f"{where}.{exc.field}" if where else exc.field
        raise IntakeError(exc.code, exc.message, field) from None


def _check_skus(
    session: Session, order: Order | None, known: set, shipments: list, single: bool = False
) -> dict[str, OrderItem] | None:
    """Every SKU a parcel lists must be an item of the order (checked before any write).
    Returns the stored items it read, by SKU (the parcels' lines are matched to them)."""
    wanted = [(n, k, line.sku) for n, s in enumerate(shipments) for k, line in enumerate(s.items)]
    if not wanted:
        return None
    stored = None
    if order is not None:
        rows = session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
        stored = {i.sku: i for i in rows if i.sku}
        known = known | {i.sku for i in rows}
    for n, k, sku in wanted:
        if normalize.clean(sku) not in known:
            where = f"items.{k}.sku" if single else f"shipments.{n}.items.{k}.sku"
            raise IntakeError("unknown_sku", f"the order has no item with SKU {sku!r}", where)
    return stored


def item_key(sku: str, name: str, variant: str) -> tuple[str, str]:
    return (sku or name, variant)


def _apply_items(
    session: Session, order: Order, data: OrderIn, changes: dict, fresh: bool = False
) -> dict[str, OrderItem]:
    """Items matched by SKU (or name when there is none) and variant are updated in place, new
    ones added. An item no longer sent is kept: a parcel or a return may point at it."""
    rows = [] if fresh else session.exec(select(OrderItem).where(OrderItem.order_id == order.id))
    existing = {item_key(i.sku, i.name, i.variant): i for i in rows}
    for item in data.items or []:
        sku, name = normalize.clean(item.sku), normalize.clean(item.name)
        variant = normalize.clean(item.variant)
        values = {
            "sku": sku,
            "name": name,
            "variant": variant,
            "qty": item.quantity,
            "price": item.price,
            "image": item.image_url,
        }
        key = item_key(sku, name, variant)
        row = existing.get(key)
        if row is None:
            row = OrderItem(order_id=order.id, tags=list(order.tags or []), **values)
            session.add(row)
            existing[key] = row
            changes[f"items.{sku or name}"] = [None, "added"]
        else:
            apply_values(row, values, changes, prefix=f"items.{sku or name}.")
            session.add(row)
    session.flush()
    return {i.sku: i for i in existing.values() if i.sku}


def _apply_shipment(
    session: Session,
    order: Order,
    data: ShipmentIn,
    checked: parcels.Checked,
    changes: dict,
    now: datetime,
    by_sku: dict | None = None,
    fresh: bool = False,
) -> tuple[Shipment, str]:
    code, number = checked.carrier, checked.number
    shipment = None
    if not fresh:
        shipment = parcels.find_parcel(session, order.id, code, number)
    values = {"service": normalize.clean(data.service)}
    if data.shipped_at is not None:
        values["shipped_at"] = data.shipped_at.astimezone(UTC)
    elif shipment is None:
        values["shipped_at"] = now
    before = len(changes)
    label = f"shipments.{code}:{number}."
    if shipment is None:
        shipment = parcels.new_parcel(session, order, checked, now, **values)
        changes[label.rstrip(".")] = [None, "added"]
        result = CREATED
    else:
        apply_values(shipment, values, changes, prefix=label)
        result = UNCHANGED
    if data.items:
        _apply_parcel_items(session, order, shipment, data, changes, label, by_sku, result)
    if result == UNCHANGED and len(changes) > before:
        result = UPDATED
        shipment.updated_at = now
        if shipment.status not in {s.value for s in carriers.TERMINAL}:
            shipment.next_check_at = now  # changed: look again at once
        session.add(shipment)
    session.flush()
    return shipment, result


def _apply_parcel_items(
    session: Session,
    order: Order,
    shipment: Shipment,
    data: ShipmentIn,
    changes,
    label,
    by_sku: dict | None,
    result: str,
) -> None:
    if by_sku is None:
        by_sku = {
            i.sku: i
            for i in session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
            if i.sku
        }
    current = {}
    if result != CREATED:
        current = {
            si.order_item_id: si
            for si in session.exec(
                select(ShipmentItem).where(ShipmentItem.shipment_id == shipment.id)
            ).all()
        }
    new = []
    for n, line in enumerate(data.items):
        item = by_sku.get(normalize.clean(line.sku))
        if item is None:
            raise IntakeError(
                "unknown_sku",
                f"the order has no item with SKU {line.sku!r}",
                f"items.{n}.sku",
            )
        row = current.get(item.id)
        if row is None:
            new.append({"shipment_id": shipment.id, "order_item_id": item.id, "qty": line.quantity})
            changes[f"{label}items.{item.sku}"] = [None, line.quantity]
        elif row.qty != line.quantity:
            changes[f"{label}items.{item.sku}"] = [row.qty, line.quantity]
            row.qty = line.quantity
            session.add(row)
    if new:  # one statement for the lines (the session's flush would insert them one by one)
        session.execute(insert(ShipmentItem), new)
