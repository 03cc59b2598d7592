"""The rows of a batch of orders (``orders.batch``): items, parcels and parcel items matched,
changed and inserted as ``intake`` does for one order, one insert per table for the batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import insert as core_insert
from sqlmodel import Session

import carriers
from tracking import normalize
from tracking.orders import intake, parcels, versions
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentItem
from tracking.orders.schema import OrderIn

_TERMINAL = {s.value for s in carriers.TERMINAL}


@dataclass
class Work:
    index: int
    data: OrderIn
    resolved: list[parcels.Checked]
    values: dict
    number: str
    order: Order | None = None  # the existing row (locked), else None
    order_id: int | None = None
    created: bool = False
    changes: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)  # item key → OrderItem, or a new row's dict
    parcels: dict = field(default_factory=dict)  # (carrier, number) → Shipment, or a dict
    parcel_items: dict = field(default_factory=dict)  # shipment id → {order item id: row}
    shipped: list = field(default_factory=list)  # (parcel, ShipmentIn, label, changes, new)


def insert(session: Session, model, rows: list[dict], *returning: str):
    """One bulk insert of ``rows`` (the versions hook bumps their orders), returning columns."""
    if not rows:
        return []
    table = model.__table__
    if not returning:
        session.execute(core_insert(table), rows)
        return []
    stmt = core_insert(table).returning(*(table.c[name] for name in returning))
    return session.execute(stmt, rows).all()


def get(row, name):
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _put(row, name, value) -> None:
    if isinstance(row, dict):
        row[name] = value
    else:
        setattr(row, name, value)


def _apply(row, values: dict, changes: dict, prefix: str) -> None:
    """``intake.apply_values`` on a stored row or a row about to be inserted."""
    if not isinstance(row, dict):
        intake.apply_values(row, values, changes, prefix)
        return
    for name, new in values.items():
        if not intake.same(row[name], new):
            changes[prefix + name] = [intake.plain(row[name]), intake.plain(new)]
            row[name] = new


def _order_value(work: Work, name: str, default=None):
    return getattr(work.order, name) if work.order is not None else work.values.get(name, default)


def store_items(session: Session, run: list[Work]) -> None:
    """``intake._apply_items`` for the run: matched by SKU (or name) and variant."""
    new = []
    for work in run:
        for item in work.data.items or []:
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
            key = intake.item_key(sku, name, variant)
            row = work.items.get(key)
            if row is None:
                tags = list(_order_value(work, "tags", []) or [])
                row = {**defaults(OrderItem), "order_id": work.order_id, "tags": tags, **values}
                work.items[key] = row
                new.append(row)
                work.changes[f"items.{sku or name}"] = [None, "added"]
            else:
                _apply(row, values, work.changes, f"items.{sku or name}.")
    by_key = {
        (row["order_id"], intake.item_key(row["sku"], row["name"], row["variant"])): row
        for row in new
    }
    for id_, order_id, sku, name, variant in insert(
        session, OrderItem, new, "id", "order_id", "sku", "name", "variant"
    ):
        by_key[(order_id, intake.item_key(sku, name, variant))]["id"] = id_


def store_parcels(session: Session, run: list[Work], now: datetime) -> None:
    """``intake._apply_shipment`` for the run, the parcel's own values."""
    new = []
    for work in run:
        for data, checked in zip(work.data.shipments or [], work.resolved, strict=True):
            key = (checked.carrier, checked.number)
            parcel = work.parcels.get(key)
            values = {"service": normalize.clean(data.service)}
            if data.shipped_at is not None:
                values["shipped_at"] = data.shipped_at.astimezone(UTC)
            elif parcel is None:
                values["shipped_at"] = now
            label = f"shipments.{checked.carrier}:{checked.number}."
            changes: dict = {}
            if parcel is None:  # parcels.new_parcel: due at once, carrying the order's promise
                parcel = {
                    **defaults(Shipment),
                    "order_id": work.order_id,
                    "carrier": checked.carrier,
                    "tracking_number": checked.number,
                    **values,
                    "next_check_at": now,
                    "promised_date": _order_value(work, "requested_date"),
                    "promised_slot": _order_value(work, "requested_slot", "") or "",
                }
                work.parcels[key] = parcel
                new.append(parcel)
                changes[label.rstrip(".")] = [None, "added"]
                work.shipped.append((parcel, data, label, changes, True))
            else:
                _apply(parcel, values, changes, label)
                work.shipped.append((parcel, data, label, changes, False))
    by_key = {(row["order_id"], row["carrier"], row["tracking_number"]): row for row in new}
    for id_, *key in insert(session, Shipment, new, "id", "order_id", "carrier", "tracking_number"):
        by_key[tuple(key)]["id"] = id_


def store_parcel_items(session: Session, run: list[Work], now: datetime) -> None:
    """``intake._apply_parcel_items`` for the run, then each changed parcel is due at once."""
    new = []
    owners = set()
    for work in run:
        if work.data.items is not None:
            by_sku = {get(i, "sku"): i for i in work.items.values() if get(i, "sku")}
        else:
            by_sku = {i.sku: i for i in work.items.values() if not isinstance(i, dict) and i.sku}
        for parcel, data, label, changes, added in work.shipped:
            parcel_id = get(parcel, "id")
            current = {} if added else work.parcel_items.get(parcel_id, {})
            for line in data.items:
                item = by_sku.get(normalize.clean(line.sku))
                if item is None:  # refused before any write (_sku_error)
                    continue
                item_id, sku = get(item, "id"), get(item, "sku")
                row = current.get(item_id)
                if row is None:
                    owners.add(work.order_id)
                    new.append(
                        {"shipment_id": parcel_id, "order_item_id": item_id, "qty": line.quantity}
                    )
                    changes[f"{label}items.{sku}"] = [None, line.quantity]
                elif row.qty != line.quantity:
                    changes[f"{label}items.{sku}"] = [row.qty, line.quantity]
                    row.qty = line.quantity
                    session.add(row)
            if not added and changes:  # changed: look again at once
                _put(parcel, "updated_at", now)
                if get(parcel, "status") not in _TERMINAL:
                    _put(parcel, "next_check_at", now)
            work.changes.update(changes)
    if new:  # their orders are known here: bumped without looking the new parcels up
        versions.bump(session, owners)
        session.execute(
            core_insert(ShipmentItem.__table__).execution_options(**{versions.SKIP: True}), new
        )


_DEFAULTS: dict = {}


def defaults(model) -> dict:
    """A new row's column defaults, as the model's constructor would fill them."""
    if model not in _DEFAULTS:
        static, made = {}, {}
        for name, info in model.model_fields.items():
            if name == "id":
                continue
            if info.default_factory is not None:
                made[name] = info.default_factory
            elif not info.is_required():
                static[name] = info.default
        _DEFAULTS[model] = (static, made)
    static, made = _DEFAULTS[model]
    return {**static, **{name: factory() for name, factory in made.items()}}
