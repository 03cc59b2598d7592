"""SQL helpers the dashboard's queries share."""

from __future__ import annotations

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType


class _Likely(ColumnElement):
    # Untyped: a Boolean would be rendered "likelihood(...) = 1" on SQLite, which hides the
    # hint from the planner.
    type = NullType()
    inherit_cache = True
    # The wrapped clause is part of the cache key (else two queries could share one SQL text).
    _traverse_internals = [("clause", InternalTraversal.dp_clauseelement)]
    probability = 0.5

    def __init__(self, clause):
        self.clause = clause


class rare(_Likely):  # noqa: N801 (reads as a function in a WHERE clause)
    """A condition few rows meet, e.g. "the parcel is still open" among millions delivered.

    SQLite's statistics hold an average per index value, so it guesses an IN list of ten
    statuses matches most of the table and scans it; ``likelihood()`` tells it otherwise.
    PostgreSQL's histograms know the real spread: the condition is passed through unchanged.
    """

    inherit_cache = True
    probability = 0.001


class common(_Likely):  # noqa: N801
    """A condition nearly every row meets (e.g. outbound): never the index to start from."""

    inherit_cache = True
    probability = 0.99


@compiles(_Likely)
def _plain(element, compiler, **kw):
    return compiler.process(element.clause, **kw)


@compiles(_Likely, "sqlite")
def _likelihood(element, compiler, **kw):
    return f"likelihood({compiler.process(element.clause, **kw)}, {element.probability})"
