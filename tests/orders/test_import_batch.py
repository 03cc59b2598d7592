"""Imports store orders in batches (``tracking.orders.batch``): the statements of a batch do not
grow with the orders in it (created, updated or unchanged), an update is recorded and bumps the
data version once, and on PostgreSQL imports of overlapping files at once, or an import racing
another writer of the same number, never make an order twice. SQLite and PostgreSQL unless
said."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, func, select

from carriers.numbers import mod7_complete
from tests.support.queries import counted_queries
from tracking.db import get_engine
from tracking.orders import versions
from tracking.orders.imports.generic import HEADER
from tracking.orders.imports.run import run_import
from tracking.orders.intake import create_order
from tracking.orders.models import Order, OrderChange, OrderItem, Shipment, ShipmentItem
from tracking.timeutil import utcnow

BRAND = "sakura-tea"


@pytest.fixture(autouse=True)
def _ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def sakura(app):
    return app.extensions["todoku_brands"][BRAND]


def _file(numbers, *, qty: int = 2, address: str = "東京都渋谷区神宮前1-2-3") -> bytes:
    """Two items per order, the first in a Yamato parcel."""
    lines = [",".join(HEADER)]
    for n in numbers:
        cells = dict.fromkeys(HEADER, "")
        cells.update(order_number=f"B-{n:05d}", email=f"b{n}@example.com", address=address)
        parcel = mod7_complete(f"{40_000_000_000 + n:011d}")
        first = {**cells, "sku": "TEA-01", "item_name": "煎茶", "quantity": str(qty)}
        first.update(price="1200", carrier="yamato", tracking_number=parcel)
        second = {**dict.fromkeys(HEADER, ""), "order_number": f"B-{n:05d}", "sku": "TEA-02"}
        second.update(item_name="ほうじ茶", quantity="1", price="900")
        lines += [",".join(row[c] for c in HEADER) for row in (first, second)]
    return ("\r\n".join(lines) + "\r\n").encode()


def _statements(app, session, brand, raw: bytes, **kw) -> tuple[int, object]:
    with counted_queries(app) as statements:
        report = run_import(session, brand, "generic", raw, **kw)
    return len(statements), report


def _count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_statements_per_batch_do_not_grow_with_its_orders(app, session, sakura):
    small, large = range(10), range(100, 300)
    created = [_statements(app, session, sakura, _file(n)) for n in (small, large)]
    assert [r.created for _, r in created] == [10, 200]
    changed = [_statements(app, session, sakura, _file(n, qty=3)) for n in (small, large)]
    assert [r.updated for _, r in changed] == [10, 200]
    same = [_statements(app, session, sakura, _file(n, qty=3)) for n in (small, large)]
    assert [r.unchanged for _, r in same] == [10, 200]
    history = [_statements(app, session, sakura, _file(n), history=True) for n in (small, large)]
    for (few, _), (many, _) in (created, changed, same, history):
        assert many - few <= 2, (few, many)
        assert many <= 20  # a handful per batch, against ~5 per order before
    assert _count(session, Order) == 210 and _count(session, ShipmentItem) == 210
    assert _count(session, OrderItem) == 420 and _count(session, OrderChange) == 420


def _shipping(numbers, day: str = "2026-11-25") -> bytes:
    lines = ["注文番号,送付先ID,発送明細ID,お荷物伝票番号,配送会社,発送日"]
    for n in numbers:
        parcel = mod7_complete(f"{50_000_000_000 + n:011d}")
        lines.append(f"B-{n:05d},1,,{parcel},1001,{day}")
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def test_a_shipping_file_costs_the_same_for_ten_parcels_or_two_hundred(app, session, sakura):
    small, large = range(10), range(100, 300)
    run_import(session, sakura, "generic", _file([*small, *large]))
    rounds = []
    for day in ("2026-11-25", "2026-11-25", "2026-11-26"):  # created, unchanged, updated
        counts = []
        for numbers in (small, large):
            with counted_queries(app) as statements:
                report = run_import(session, sakura, "rakuten-shipping", _shipping(numbers, day))
            assert report.failed == 0, report.errors
            counts.append((len(statements), report.summary()))
        rounds.append(counts)
    assert [r[1][1] for r in rounds] == [
        "200 created, 0 updated, 0 unchanged, 0 failed",
        "0 created, 0 updated, 200 unchanged, 0 failed",
        "0 created, 200 updated, 0 unchanged, 0 failed",
    ]
    for (few, _), (many, _) in rounds:
        assert many - few <= 2 and many <= 12, (few, many)
    assert _count(session, Shipment) == 420 and _count(session, OrderChange) == 210


def test_an_update_is_recorded_bumps_once_and_makes_its_parcel_due(session, sakura):
    run_import(session, sakura, "generic", _file([1, 2]))
    one, two = session.exec(select(Order).order_by(Order.number)).all()
    before = versions.current(session, [one.id, two.id])
    parcel = session.exec(select(Shipment).where(Shipment.order_id == one.id)).one()
    parcel.next_check_at = None
    session.add(parcel)
    session.commit()
    started = utcnow()
    report = run_import(session, sakura, "generic", _file([1], qty=5, address="大阪府"))
    assert (report.updated, report.created, report.unchanged) == (1, 0, 0)
    change = session.exec(select(OrderChange).where(OrderChange.order_id == one.id)).one()
    key = f"shipments.yamato:{parcel.tracking_number}.items.TEA-01"
    assert change.changes == {
        "address": ["東京都渋谷区神宮前1-2-3", "大阪府"],
        "total": [3300, 6900],
        "items.TEA-01.qty": [2, 5],
        key: [2, 5],
    }
    assert change.source == "import:generic"
    after = versions.current(session, [one.id, two.id])
    assert after == {one.id: before[one.id] + 1, two.id: before[two.id]}
    session.expire_all()
    parcel = session.get(Shipment, parcel.id)
    assert parcel.next_check_at is not None and parcel.next_check_at >= started.replace(
        tzinfo=parcel.next_check_at.tzinfo
    )


def test_new_orders_start_at_version_one_and_history_marks_them(session, sakura):
    run_import(session, sakura, "generic", _file([1]), history=True)
    order = session.exec(select(Order)).one()
    assert versions.current(session, [order.id]) == {order.id: 1}
    assert order.history and order.source == "csv" and order.postcode == ""


def test_an_order_named_by_two_rows_of_one_batch_is_stored_in_turn(session, sakura):
    """A second number whose platform id is the first order's: the second updates the first,
    as two imports one after the other would."""
    raw = _file([1, 2]).decode().splitlines()
    head = raw[0].split(",")
    at = head.index("external_id")
    rows = []
    for line in raw[1:]:
        cells = line.split(",")
        cells[at] = "X-1" if cells[head.index("email")] else ""
        rows.append(",".join(cells))
    report = run_import(
        session, sakura, "generic", ("\r\n".join([raw[0], *rows]) + "\r\n").encode()
    )
    assert (report.created, report.updated, report.failed) == (1, 1, 0)
    assert _count(session, Order) == 1


def _on_postgres(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers (run one worker); the race needs PostgreSQL")


def test_overlapping_imports_at_once_make_each_order_once(app, session, sakura, database_url):
    _on_postgres(database_url)
    files = [_file(range(0, 300)), _file(reversed(range(150, 450)))]
    engine = get_engine(app)
    barrier, reports, errors = threading.Barrier(2), [None, None], []

    def go(i: int) -> None:
        try:
            with app.app_context(), Session(engine) as own:
                barrier.wait(timeout=30)
                reports[i] = run_import(own, sakura, "generic", files[i])
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sum(r.created for r in reports) == 450
    assert sum(r.created + r.unchanged + r.updated for r in reports) == 600
    assert _count(session, Order) == 450 and _count(session, OrderItem) == 900
    assert _count(session, Shipment) == 450 and _count(session, ShipmentItem) == 450


def test_an_import_waits_for_a_writer_of_the_same_number_and_updates_its_order(
    app, session, sakura, database_url
):
    """The other writer inserted B-00001 first and commits while the import waits on it: the
    import takes that order (locked) and adds its items and parcel instead of failing."""
    _on_postgres(database_url)
    engine = get_engine(app)
    with Session(engine) as other:
        create_order(other, brand=BRAND, number="B-00001", email="b1@example.com")
        done: list = []
        thread = threading.Thread(
            target=lambda: done.append(_import_in(app, engine, sakura, _file([1, 2])))
        )
        thread.start()
        thread.join(timeout=2)
        assert thread.is_alive()  # waiting for the other writer's commit
        other.commit()
    thread.join(timeout=60)
    report = done[0]
    assert (report.created, report.updated, report.failed) == (1, 1, 0)
    order = session.exec(select(Order).where(Order.number == "B-00001")).one()
    items = session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    assert sorted(i.sku for i in items) == ["TEA-01", "TEA-02"]
    assert _count(session, Order) == 2 and _count(session, Shipment) == 2


def _import_in(app, engine, brand, raw: bytes):
    with app.app_context(), Session(engine) as own:
        return run_import(own, brand, "generic", raw)
