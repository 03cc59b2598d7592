"""Many orders at once (CSV imports): what ``intake.upsert_order`` does for one order, done for a
batch in a number of statements that does not grow with the batch.

Per batch: the existing orders by number (then by the platform's id) in one locked query, their
items, parcels and parcel items in one query each, new orders in one ``INSERT … ON CONFLICT DO
NOTHING`` (a concurrent import that inserted a number first wins, as the unique constraint
decides in ``upsert_order``; its row is then read, locked, and updated instead), new items,
parcels and parcel items in one insert each, changed rows in one flush, the history through
``parcels.record_changes`` and the data versions bumped once per order (``versions``).

Orders named twice in one batch (by number or platform id) are stored in turn: the batch is cut
before the second. Rows are locked in id order and inserted in number order, so two imports of
overlapping files wait for each other instead of deadlocking. Nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import insert as core_insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

import carriers
from tracking import normalize
from tracking.brands.brand import Brand
from tracking.orders import intake, language, parcels, versions
from tracking.orders.intake import CREATED, UNCHANGED, UPDATED, IntakeError
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentItem
from tracking.orders.schema import OrderIn
from tracking.timeutil import utcnow

_TERMINAL = {s.value for s in carriers.TERMINAL}


@dataclass
class Stored:
    """One order of the batch, stored: its number as kept, created/updated/unchanged, and what
    changed (``{field: [old, new]}``)."""

    number: str
    result: str
    changes: dict


@dataclass
class _Work:
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


def upsert_orders(
    session: Session,
    brand: Brand,
    batch: list[OrderIn],
    *,
    source: str,
    history: bool = False,
    now: datetime | None = None,
) -> list[Stored | IntakeError]:
    """Store ``batch`` as ``upsert_order`` stores each: one result per order, in order; an
    ``IntakeError`` stores nothing of its order. ``history``: mark every stored order
    ``Order.history`` (``run_import``'s ``--no-mail``)."""
    now = now or utcnow()
    results: list = [None] * len(batch)
    works = []
    for index, data in enumerate(batch):
        try:
            resolved = [
                intake.resolve(brand, s, f"shipments.{n}")
                for n, s in enumerate(data.shipments or [])
            ]
        except IntakeError as exc:
            results[index] = exc
            continue
        number = normalize.order_number(data.number)
        works.append(_Work(index, data, resolved, intake.order_values(data), number))
    start = 0
    while start < len(works):
        start = _run(session, brand, works, start, results, source, history, now)
    return results


def _keys(work: _Work) -> set:
    keys = {("number", work.number)}
    if work.values.get("external_id"):
        keys.add(("external_id", work.values["external_id"]))
    return keys


def _run(session, brand, works, start, results, source, history, now) -> int:
    """Store the longest run from ``start`` that names no order twice; returns where it ended."""
    seen: set = set()
    end = start
    while end < len(works) and not (_keys(works[end]) & seen):
        seen |= _keys(works[end])
        end += 1
    run = works[start:end]
    _find_existing(session, brand.slug, run)
    ids: set = set()
    for k, work in enumerate(run):  # two numbers that lead to one row: the second waits
        if work.order is not None:
            if work.order.id in ids:
                run, end = run[:k], start + k
                break
            ids.add(work.order.id)
    _load_children(session, [w for w in run if w.order is not None])
    run = [w for w in run if not _sku_error(w, results)]
    _create(session, brand.slug, run, history, now)
    chose = language.staff_chose_many(
        session,
        {
            w.order.id
            for w in run
            if not w.created and w.values.get("locale", w.order.locale) != w.order.locale
        },
    )
    for work in run:
        if not work.created:
            if work.order.id in chose:
                del work.values["locale"]  # staff's choice outlives the platform's
            intake.apply_values(work.order, work.values, work.changes)
    _store_items(session, run)
    _store_parcels(session, run, now)
    _store_parcel_items(session, run, now)
    changed = []
    for work in run:
        if work.created:
            result = CREATED
        elif work.changes:
            result = UPDATED
            changed.append((work.order, work.changes))
        else:
            result = UNCHANGED
        if history and work.order is not None and not work.order.history:
            work.order.history = True
            session.add(work.order)
        kept = work.order.number if work.order is not None else work.number
        results[work.index] = Stored(kept, result, work.changes)
    parcels.record_changes(session, changed, source, now)
    session.flush()
    return end


def _locked(stmt):
    return stmt.order_by(col(Order.id)).with_for_update().execution_options(populate_existing=True)


def _find_existing(session: Session, slug: str, run: list[_Work]) -> None:
    """``intake.find`` for the run: by number, then by the platform's id; rows locked."""
    numbers = {w.number for w in run if w.number}
    by_number = {}
    if numbers:
        found = session.exec(
            _locked(select(Order).where(Order.brand == slug, col(Order.number).in_(numbers)))
        )
        by_number = {o.number: o for o in found}
    rest = {}
    for work in run:
        work.order = by_number.get(work.number)
        if work.order is None and work.values.get("external_id"):
            rest.setdefault(work.values["external_id"], []).append(work)
    if rest:
        found = session.exec(
            _locked(select(Order).where(Order.brand == slug, col(Order.external_id).in_(rest)))
        )
        for order in found:
            for work in rest.pop(order.external_id, []):
                work.order = order


def _load_children(session: Session, run: list[_Work]) -> None:
    """Items, parcels (either direction) and parcel items of the run's existing orders."""
    for work in run:
        work.order_id = work.order.id
    by_id = {w.order.id: w for w in run}
    if not by_id:
        return
    for item in session.exec(
        select(OrderItem).where(col(OrderItem.order_id).in_(by_id)).order_by(col(OrderItem.id))
    ):
        by_id[item.order_id].items[intake.item_key(item.sku, item.name, item.variant)] = item
    owner = {}
    for parcel in session.exec(
        select(Shipment).where(col(Shipment.order_id).in_(by_id)).order_by(col(Shipment.id))
    ):
        by_id[parcel.order_id].parcels.setdefault((parcel.carrier, parcel.tracking_number), parcel)
        owner[parcel.id] = by_id[parcel.order_id]
    if owner:
        for row in session.exec(
            select(ShipmentItem).where(col(ShipmentItem.shipment_id).in_(owner))
        ):
            owner[row.shipment_id].parcel_items.setdefault(row.shipment_id, {})[
                row.order_item_id
            ] = row


def _sku_error(work: _Work, results: list) -> bool:
    """``intake._check_skus``: every SKU a parcel lists is an item of the order."""
    known = {normalize.clean(i.sku) for i in work.data.items or [] if i.sku}
    known |= {_get(i, "sku") for i in work.items.values()}
    for n, shipment in enumerate(work.data.shipments or []):
        for k, line in enumerate(shipment.items):
            if normalize.clean(line.sku) not in known:
                results[work.index] = IntakeError(
                    "unknown_sku",
                    f"the order has no item with SKU {line.sku!r}",
                    f"shipments.{n}.items.{k}.sku",
                )
                return True
    return False


def _insert(session: Session, model, rows: list[dict], *returning: str):
    """One bulk insert of ``rows`` (the versions hook bumps their orders), returning columns."""
    if not rows:
        return []
    table = model.__table__
    if not returning:
        session.execute(core_insert(table), rows)
        return []
    stmt = core_insert(table).returning(*(table.c[name] for name in returning))
    return session.execute(stmt, rows).all()


def _create(session: Session, slug: str, run: list[_Work], history: bool, now: datetime) -> None:
    fresh = sorted((w for w in run if w.order is None), key=lambda w: w.number)
    if not fresh:
        return
    rows = []
    for work in fresh:
        row = {**_defaults(Order), "placed_at": now, **work.values}
        row.update(brand=slug, number=work.number, history=history)
        row["postcode"] = normalize.postcode(row["postcode"])
        rows.append(row)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(Order.__table__)
        .on_conflict_do_nothing(index_elements=["brand", "number"])
        .returning(Order.__table__.c.id, Order.__table__.c.number)
    )
    ids = {number: id_ for id_, number in session.execute(stmt, rows).all()}
    versions.bump(session, ids.values())
    lost = []
    for work in fresh:
        if work.number in ids:
            work.order_id, work.created = ids[work.number], True
        else:
            lost.append(work)
    if lost:  # another writer inserted them first: theirs, locked, updated like any other
        _find_existing(session, slug, lost)
        if any(w.order is None for w in lost):  # gone again: the job runs the file again
            raise RuntimeError("an order inserted by another writer could not be read")
        _load_children(session, lost)


def _get(row, name):
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


def _order_value(work: _Work, name: str, default=None):
    return getattr(work.order, name) if work.order is not None else work.values.get(name, default)


def _store_items(session: Session, run: list[_Work]) -> None:
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
                row = {**_defaults(OrderItem), "order_id": work.order_id, "tags": tags, **values}
                work.items[key] = row
                new.append(row)
                work.changes[f"items.{sku or name}"] = [None, "added"]
            else:
                _apply(row, values, work.changes, f"items.{sku or name}.")
    by_key = {
        (row["order_id"], intake.item_key(row["sku"], row["name"], row["variant"])): row
        for row in new
    }
    for id_, order_id, sku, name, variant in _insert(
        session, OrderItem, new, "id", "order_id", "sku", "name", "variant"
    ):
        by_key[(order_id, intake.item_key(sku, name, variant))]["id"] = id_


def _store_parcels(session: Session, run: list[_Work], now: datetime) -> None:
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
                    **_defaults(Shipment),
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
    for id_, *key in _insert(
        session, Shipment, new, "id", "order_id", "carrier", "tracking_number"
    ):
        by_key[tuple(key)]["id"] = id_


def _store_parcel_items(session: Session, run: list[_Work], now: datetime) -> None:
    """``intake._apply_parcel_items`` for the run, then each changed parcel is due at once."""
    new = []
    for work in run:
        if work.data.items is not None:
            by_sku = {_get(i, "sku"): i for i in work.items.values() if _get(i, "sku")}
        else:
            by_sku = {i.sku: i for i in work.items.values() if not isinstance(i, dict) and i.sku}
        for parcel, data, label, changes, added in work.shipped:
            parcel_id = _get(parcel, "id")
            current = {} if added else work.parcel_items.get(parcel_id, {})
            for line in data.items:
                item = by_sku.get(normalize.clean(line.sku))
                if item is None:  # refused before any write (_sku_error)
                    continue
                item_id, sku = _get(item, "id"), _get(item, "sku")
                row = current.get(item_id)
                if row is None:
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
                if _get(parcel, "status") not in _TERMINAL:
                    _put(parcel, "next_check_at", now)
            work.changes.update(changes)
    _insert(session, ShipmentItem, new)


_DEFAULTS: dict = {}


def _defaults(model) -> dict:
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
