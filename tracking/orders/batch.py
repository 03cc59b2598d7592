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
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from tracking import normalize
from tracking.brands.brand import Brand
from tracking.orders import batch_rows, images, intake, language, parcels, versions
from tracking.orders.batch_rows import Work
from tracking.orders.intake import CREATED, UNCHANGED, UPDATED, IntakeError
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentItem
from tracking.orders.schema import OrderIn, ShipmentIn
from tracking.timeutil import utcnow


@dataclass
class Stored:
    """One order of the batch, stored: its number as kept, created/updated/unchanged, and what
    changed (``{field: [old, new]}``)."""

    number: str
    result: str
    changes: dict
    order_id: int
    order: Order | None = None  # the stored row when the order existed (locked), else None


def upsert_orders(
    session: Session,
    brand: Brand,
    batch: list[OrderIn],
    *,
    source: str,
    origin: str = "",
    history: bool = False,
    now: datetime | None = None,
) -> list[Stored | IntakeError]:
    """Store ``batch`` as ``upsert_order`` stores each: one result per order, in order; an
    ``IntakeError`` stores nothing of its order. ``history``: mark every stored order
    ``Order.history`` (``run_import``'s ``--no-mail``); ``origin`` is a new order's source when
    its data names none (``upsert_order``'s)."""
    now = now or utcnow()
    results: list = [None] * len(batch)
    works = []
    for index, data in enumerate(batch):
        data = images.allowed_images(brand, data)
        try:
            resolved = [
                intake.resolve(brand, s, f"shipments.{n}")
                for n, s in enumerate(data.shipments or [])
            ]
        except IntakeError as exc:
            results[index] = exc
            continue
        number = normalize.order_number(data.number)
        works.append(Work(index, data, resolved, intake.order_values(data), number))
    start = 0
    while start < len(works):
        start = _run(session, brand, works, start, results, source, (origin, history), now)
    return results


def add_parcels(
    session: Session,
    brand: Brand,
    rows: list[tuple[str, ShipmentIn]],
    *,
    source: str,
    history: bool = False,
    now: datetime | None = None,
) -> list[Stored | IntakeError | None]:
    """``intake.add_shipment`` for many (order number, parcel) rows of a shipping file: one
    result per row (None: no such order), each updated parcel its own history entry, as one
    call per row would leave them. The orders are read (locked) with their items and parcels
    in one query each, the new parcels inserted in one statement."""
    now = now or utcnow()
    results: list = [None] * len(rows)
    by_number: dict[str, Work] = {}
    for number, _ in rows:
        number = normalize.order_number(number)
        by_number.setdefault(number, Work(-1, _Parcels(), [], {}, number))
    run = list(by_number.values())
    _find_existing(session, brand.slug, run)
    run = [w for w in run if w.order is not None]
    _load_children(session, run)
    placed = []  # (row, its order's work, the parcel's place in it)
    for index, (number, data) in enumerate(rows):
        work = by_number[normalize.order_number(number)]
        if work.order is None:
            continue
        known = {batch_rows.get(i, "sku") for i in work.items.values()}
        try:
            checked = intake.resolve(brand, data, "")
            for k, line in enumerate(data.items):
                if normalize.clean(line.sku) not in known:
                    raise IntakeError(
                        "unknown_sku",
                        f"the order has no item with SKU {line.sku!r}",
                        f"items.{k}.sku",
                    )
        except IntakeError as exc:
            results[index] = exc
            continue
        work.data.shipments.append(data)
        work.resolved.append(checked)
        placed.append((index, work, len(work.resolved) - 1))
    batch_rows.store_parcels(session, run, now)
    batch_rows.store_parcel_items(session, run, now)
    changed = []
    for index, work, k in placed:
        _parcel, _data, _label, changes, added = work.shipped[k]
        result = CREATED if added else UPDATED if changes else UNCHANGED
        if result == UPDATED:
            changed.append((work.order, changes))
        if history and not work.order.history:
            work.order.history = True
            session.add(work.order)
        results[index] = Stored(work.order.number, result, changes, work.order.id, work.order)
    parcels.record_changes(session, changed, source, now)
    session.flush()
    return results


@dataclass
class _Parcels:
    """What ``batch_rows`` reads of an order's data when only parcels come in."""

    items: None = None
    shipments: list = field(default_factory=list)


def order_of(session: Session, stored: Stored) -> Order:
    """The stored order as a row (a new one is read; an existing one is already loaded)."""
    return stored.order if stored.order is not None else session.get(Order, stored.order_id)


def _keys(work: Work) -> set:
    keys = {("number", work.number)}
    if work.values.get("external_id"):
        keys.add(("external_id", work.values["external_id"]))
    return keys


def _run(session, brand, works, start, results, source, flags, now) -> int:
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
    history = flags[1]
    _create(session, brand.slug, run, flags, now)
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
    batch_rows.store_items(session, run)
    batch_rows.store_parcels(session, run, now)
    batch_rows.store_parcel_items(session, run, now)
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
        results[work.index] = Stored(kept, result, work.changes, work.order_id, work.order)
    parcels.record_changes(session, changed, source, now)
    session.flush()
    return end


def _locked(stmt):
    return stmt.order_by(col(Order.id)).with_for_update().execution_options(populate_existing=True)


def _find_existing(session: Session, slug: str, run: list[Work]) -> None:
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


def _load_children(session: Session, run: list[Work]) -> None:
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


def _sku_error(work: Work, results: list) -> bool:
    """``intake._check_skus``: every SKU a parcel lists is an item of the order."""
    known = {normalize.clean(i.sku) for i in work.data.items or [] if i.sku}
    known |= {batch_rows.get(i, "sku") for i in work.items.values()}
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


def _create(session: Session, slug: str, run: list[Work], flags, now: datetime) -> None:
    fresh = sorted((w for w in run if w.order is None), key=lambda w: w.number)
    if not fresh:
        return
    origin, history = flags
    rows = []
    for work in fresh:
        row = {**batch_rows.defaults(Order), "placed_at": now, **work.values}
        if origin and "source" not in work.values:
            row["source"] = origin
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
