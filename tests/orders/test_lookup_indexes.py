"""Every way a customer opens an order is an index look-up, at any number of orders: the
lookup form (number, then the contact compared in Python) and the signed link (public id).
The statements the code really sends are explained by the database; on PostgreSQL with
sequential scans switched off, so a tiny table cannot hide a missing index. SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, insert, text

from tests.factories import make_order
from tracking.db import get_engine
from tracking.orders.batch_rows import defaults
from tracking.orders.lookup import find_order, order_by_public_id
from tracking.orders.models import Order


@contextmanager
def _captured(app):
    sent: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _many_orders(session, n: int = 3000) -> None:
    """A shop with many orders: with a handful, every index of the brand costs the same to
    PostgreSQL's planner and the test would only see which one it met first."""
    rows = [
        {**defaults(Order), "brand": "sakura-tea", "number": f"M-{k:06d}", "email": f"m{k}@x.jp"}
        for k in range(n)
    ]
    session.execute(insert(Order.__table__), rows)


def _plan(session, statement: str, parameters) -> str:
    raw = session.connection().connection.dbapi_connection
    cursor = raw.cursor()
    if session.get_bind().dialect.name == "postgresql":
        cursor.execute("ANALYZE orders")  # fresh statistics: no default guesses between indexes
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + statement, parameters)
    else:
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
    return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def _indexed_on(plan: str, column: str) -> bool:
    """SQLite: ``SEARCH orders USING INDEX … (brand=? AND number=?)``; PostgreSQL: an index
    scan whose condition names the column."""
    sqlite = re.search(rf"USING (COVERING )?INDEX .*\b{column}=\?", plan)
    postgres = re.search(rf"Index Cond: .*\b{column}\b", plan)
    return bool(sqlite or postgres)


@pytest.mark.parametrize("contact", ["buyer@example.com", "150-0001"])
def test_the_lookup_form_finds_the_order_by_an_index(app, session, contact):
    with app.app_context():
        order = make_order(session)
        _many_orders(session)
        with _captured(app) as sent:
            assert find_order(session, order.brand, order.number, contact) is not None
        assert len(sent) == 1
        plan = _plan(session, *sent[0])
        session.execute(text("SELECT 1"))  # the plan's session stays usable
    assert _indexed_on(plan, "number"), plan


def test_a_signed_link_finds_the_order_by_an_index(app, session):
    with app.app_context():
        order = make_order(session)
        _many_orders(session)
        with _captured(app) as sent:
            assert order_by_public_id(session, order.brand, order.public_id) is not None
        plan = _plan(session, *sent[0])
    assert _indexed_on(plan, "public_id"), plan
