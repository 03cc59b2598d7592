"""Counting the SQL statements an engine sends, for the query-budget tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from tracking.db import get_engine


@contextmanager
def counted_queries(app) -> Iterator[list[str]]:
    """Every statement the app's engine sends inside the block, in order."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
