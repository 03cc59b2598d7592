"""``bench/seed.py`` fills the benchmark databases: its rows must hang together and the schema
afterwards must be exactly the migrations' (it sets secondary indexes aside while it inserts)."""

from __future__ import annotations

import sys

from sqlalchemy import inspect, text

from tracking.config import ROOT

TABLES = ("orders", "order_items", "shipments", "shipment_items", "tracking_events")


def _indexes(engine) -> dict:
    found = inspect(engine)
    return {
        table: sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in found.get_indexes(table)
        )
        for table in TABLES
    }


def test_seed_keeps_the_schema_and_links_every_row(session):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import seed
    finally:
        sys.path.remove(str(ROOT / "bench"))
    engine = session.get_bind()
    session.close()
    before = _indexes(engine)
    assert all(before.values())
    seed.seed(engine, 40)
    assert _indexes(engine) == before
    with engine.connect() as conn:
        counts = [conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES]
        assert counts == [40, 80, 40, 80, 120]
        orphans = conn.execute(
            text(
                "SELECT COUNT(*) FROM tracking_events e LEFT JOIN shipments s "
                "ON s.id = e.shipment_id LEFT JOIN orders o ON o.id = s.order_id "
                "WHERE o.id IS NULL"
            )
        ).scalar_one()
        assert orphans == 0
        # The indexes were rebuilt over the new rows: a lookup by number finds its order.
        found = conn.execute(
            text("SELECT email FROM orders WHERE brand = 'sakura-tea' AND number = 'B-0000007'")
        ).scalar_one()
        assert found == "c7@example.com"
        if engine.dialect.name == "postgresql":  # the app's own inserts go on after them
            for table in TABLES:
                top = conn.execute(text(f"SELECT MAX(id) FROM {table}")).scalar_one()
                after = conn.execute(
                    text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")
                ).scalar_one()
                assert after > top, table
