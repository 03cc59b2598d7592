"""An order's data version (``orders.data_version``): a number that changes, in the writing
transaction, whenever a row the tracking page shows is inserted, updated or deleted. The page's
render cache keys on it (``page.render_cache``), so no writer may forget it: writers do nothing,
the database session bumps it itself.

- Each feature registers its tables here (``track``) with the column that leads to the order:
  ``order_id``, or ``shipment_id`` / ``return_id`` through a tracked parent. Tables holding such
  a column that never change the page say so (``untrack``), and ``tests/orders/test_versions.py``
  fails on a table that does neither.
- ``after_flush``: every new, changed or deleted tracked object (the old owner too, when the
  owning column changed) → one ``UPDATE orders SET data_version = data_version + 1``.
- ``do_orm_execute``: bulk ``update()`` / ``delete()`` / ``insert()`` statements run through
  the session skip the flush; the owners of the rows they touch are read first (``update`` and
  ``delete``) or taken from their parameters (``insert``), and bumped after the statement.

Page events (views, clicks) are not tracked: viewing must not change what is viewed. A loaded
``Order``'s ``data_version`` attribute is not refreshed by a bump: read it with a query
(``current``), never from an object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Table, column, event, inspect, select, table, update
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.elements import BindParameter

#: ``session.info`` key: ids of the orders this session bumped in its open transaction.
BUMPED = "todoku_bumped_orders"
# Ids bumped since the last commit or rollback of any level: one bump per order is enough for
# a transaction (only the committed version is ever read by others), so later flushes of the
# same transaction skip them. A rolled-back savepoint may have undone a bump, so any rollback
# forgets them (an extra bump is harmless; a missing one would serve a stale page).
_DONE = "todoku_bumped_since_rollback"
#: Execution option of a bulk statement whose orders the caller bumps itself (``bump``): the
#: owners of new parcel items, known to the batch, need no query to find.
SKIP = "todoku_version_bump"

_ORDERS = table("orders", column("id"), column("data_version"))


@dataclass(frozen=True)
class Tracked:
    model: type
    column: str  # the column naming the owner
    parent: type | None = None  # None: ``column`` holds the order id
    ignore: frozenset[str] = (
        frozenset()
    )  # columns the page never shows: changing only them is no change


_BY_MODEL: dict[type, Tracked] = {}
_BY_TABLE: dict[str, Tracked] = {}
#: table name → why its rows never change what the tracking page shows.
UNTRACKED: dict[str, str] = {}


def track(
    model: type,
    column_name: str = "order_id",
    parent: type | None = None,
    ignore: tuple[str, ...] = (),
) -> None:
    """Rows of ``model`` belong to the order named by ``column_name`` (or, with ``parent``, to
    the order of the ``parent`` row it names; the parent must be tracked directly). An update
    of ``ignore`` columns alone changes nothing the page shows (a worker's claim, say)."""
    spec = Tracked(model, column_name, parent, frozenset(ignore))
    _BY_MODEL[model] = spec
    _BY_TABLE[model.__table__.name] = spec


def untrack(table_name: str, why: str) -> None:
    UNTRACKED[table_name] = why


def tracked_tables() -> set[str]:
    return set(_BY_TABLE)


def current(session: Session, order_ids: Iterable[int]) -> dict[int, int]:
    """order id → its data version, read from the database."""
    ids = list(order_ids)
    rows = session.connection().execute(
        select(_ORDERS.c.id, _ORDERS.c.data_version).where(_ORDERS.c.id.in_(ids))
    )
    return {row.id: row.data_version for row in rows}


def _owners(obj, name: str) -> set:
    getattr(obj, name)  # loads an expired value (a row about to be deleted still exists)
    history = inspect(obj).attrs[name].history
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


def _resolve(session: Session, direct: set, by_parent: dict[type, set]) -> set[int]:
    """Order ids: the direct ones, plus the orders of the parent rows named."""
    ids = set(direct)
    for parent, parent_ids in by_parent.items():
        spec = _BY_MODEL[parent]
        missing = []
        for pid in parent_ids:
            loaded = session.identity_map.get(identity_key(parent, pid))
            if loaded is not None and spec.column in inspect(loaded).dict:
                ids |= _owners(loaded, spec.column)
            else:
                missing.append(pid)
        if missing:
            t: Table = parent.__table__
            ids |= set(
                session.connection()
                .execute(select(t.c[spec.column]).where(t.c.id.in_(missing)))
                .scalars()
            )
    return {i for i in ids if i is not None}


def _bump(session: Session, ids: set[int]) -> None:
    done = session.info.setdefault(_DONE, set())
    ids = ids - done
    if not ids:
        return
    done.update(ids)
    session.connection().execute(
        update(_ORDERS)
        .where(_ORDERS.c.id.in_(sorted(ids)))
        .values(data_version=_ORDERS.c.data_version + 1)
    )
    session.info.setdefault(BUMPED, set()).update(ids)


def bump(session: Session, order_ids: Iterable[int]) -> None:
    """Bump orders the session cannot see being written: rows inserted by a bulk ``insert()``
    whose owner is the id the database gives them (new orders: ``orders.batch``)."""
    _bump(session, set(order_ids))


def _split(spec: Tracked, values: Iterable) -> tuple[set, dict[type, set]]:
    values = {v for v in values if v is not None}
    if spec.parent is None:
        return values, {}
    return set(), {spec.parent: values}


_DELETED = "todoku_deleted_owners"


def _changed(obj) -> bool:
    """A dirty object whose changes reach the page (not only its ``ignore`` columns)."""
    spec = _BY_MODEL.get(type(obj))
    if spec is None:
        return False
    keys = {a.key for a in inspect(obj).attrs if a.history.has_changes()}
    return bool(keys - spec.ignore)


def _collect(session: Session, objects, into: tuple[set, dict[type, set]]) -> None:
    direct, by_parent = into
    for obj in objects:
        spec = _BY_MODEL.get(type(obj))
        if spec is None:
            continue
        d, p = _split(spec, _owners(obj, spec.column))
        direct |= d
        for parent, ids in p.items():
            by_parent.setdefault(parent, set()).update(ids)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    """Owners of the rows about to be deleted, read while the rows (and their parents) exist."""
    owners: tuple[set, dict[type, set]] = (set(), {})
    _collect(session, session.deleted, owners)
    session.info[_DELETED] = _resolve(session, *owners) if owners != (set(), {}) else set()


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    owners: tuple[set, dict[type, set]] = (set(), {})
    changed = [o for o in session.dirty if _changed(o)]
    _collect(session, (*session.new, *changed), owners)
    _bump(session, _resolve(session, *owners) | session.info.pop(_DELETED, set()))


def _statement_values(stmt, parameters, name: str) -> set:
    """Values a bulk statement writes into column ``name``: literal ``.values(...)`` and the
    execute parameters (a dict, or a list of them for executemany)."""
    found = set()
    for key, value in (getattr(stmt, "_values", None) or {}).items():
        if getattr(key, "key", key) == name and isinstance(value, BindParameter):
            found.add(value.value)
    for row in getattr(stmt, "_multi_values", None) or ():
        for values in row:
            if isinstance(values, dict):
                for key, value in values.items():
                    if getattr(key, "key", key) == name:
                        found.add(value.value if isinstance(value, BindParameter) else value)
    rows = parameters if isinstance(parameters, list | tuple) else [parameters or {}]
    for params in rows:
        if isinstance(params, dict) and name in params:
            found.add(params[name])
    return found


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState):
    if not (state.is_update or state.is_delete or state.is_insert):
        return None
    if state.execution_options.get(SKIP):
        return None
    stmt = state.statement
    spec = _BY_TABLE.get(getattr(stmt.table, "name", ""))
    if spec is None:
        return None
    if state.is_update and spec.ignore:
        written = {getattr(k, "key", k) for k in (getattr(stmt, "_values", None) or {})}
        if written and written <= spec.ignore:
            return None
    session = state.session
    t = spec.model.__table__
    owners = _statement_values(stmt, state.parameters, spec.column)
    if not state.is_insert:
        where = stmt.whereclause
        query = select(t.c[spec.column])
        if where is not None:
            query = query.where(where)
        owners |= set(session.connection().execute(query).scalars())
    result = state.invoke_statement()
    if state.is_insert or getattr(result, "rowcount", 1) != 0:
        direct, by_parent = _split(spec, owners)
        _bump(session, _resolve(session, direct, by_parent))
    return result


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(BUMPED, None)
    session.info.pop(_DELETED, None)
    session.info.pop(_DONE, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_bumps(session: Session, _previous) -> None:
    """Any rollback, a savepoint's included: the next write bumps again."""
    session.info.pop(_DONE, None)
