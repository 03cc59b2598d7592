"""One engine per process, one ``sqlmodel.Session`` per request (Flask's own SQLAlchemy
pattern). Engines are created lazily so gunicorn workers never share a pool across fork."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import event, text, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, col, create_engine, select

# Named constraints: Alembic's SQLite batch mode can only drop what has a name.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_public_id(nbytes: int = 12) -> str:
    """A random id for links (signed into tokens, never shown alone)."""
    return secrets.token_urlsafe(nbytes)


def make_engine(url: str, **kwargs) -> Engine:
    # A failed statement's message names the statement, never its values (an email, an
    # address): exceptions end up in the log.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            # WAL lets the worker write while web requests read.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def savepoint(session: Session):
    """``session.begin_nested()`` that is nested in the caller's transaction on SQLite too.

    Python's sqlite3 driver issues no BEGIN before a SAVEPOINT, so a savepoint opened before
    anything was written is SQLite's outermost transaction, and releasing it commits: the
    caller's later rollback would keep what the savepoint wrote. Begin explicitly first.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN")
    return session.begin_nested()


def get_engine(app: Flask | None = None) -> Engine:
    app = app or current_app._get_current_object()
    engine = app.extensions.get("todoku_engine")
    if engine is None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["todoku_engine"] = engine
    return engine


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


@contextmanager
def read_connection() -> Iterator[Connection]:
    """A connection for a single read ahead of the request's own session (the render cache's
    version, the health check): autocommit, so on PostgreSQL the read is one round trip, with
    no BEGIN before it and no ROLLBACK when the connection goes back to the pool, and no ORM
    session is built for a request that needs none. When the request has its session
    already, its connection (which sees what the session wrote)."""
    session = g.get("db_session")
    if session is not None:
        yield session.connection()
        return
    with get_engine().connect() as connection:
        yield connection.execution_options(isolation_level="AUTOCOMMIT")


def ping() -> None:
    """One round trip to the database (the health check); raises when it does not answer."""
    with read_connection() as connection:
        connection.execute(text("SELECT 1"))


def take_claim(session: Session, model, ids: list[int], still_due, until) -> list:
    """Claim the rows ``ids`` of ``model`` (a worker's outbox: chosen due under FOR UPDATE
    SKIP LOCKED) for this worker until ``until``, one more try each, and commit. The update
    checks ``still_due`` again, so of two workers that chose the same row only one gets it;
    the rows returned are those this worker won."""
    if not ids:
        session.commit()
        return []
    token = secrets.token_hex(16)
    session.execute(
        update(model)
        .where(col(model.id).in_(ids), still_due)
        .values(
            status="sending",
            claim_token=token,
            claimed_until=until,
            attempts=model.attempts + 1,
        )
    )
    session.commit()
    return list(
        session.exec(
            select(model)
            .where(model.claim_token == token, model.status == "sending")
            .order_by(model.id)
            .execution_options(populate_existing=True)
        ).all()
    )


def close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_session)
