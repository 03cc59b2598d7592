"""Migrations run from empty, down to empty and up again, and match the models."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import tracking.models  # noqa: F401
from tracking import migrate
from tracking.db import make_engine

PG_URL = os.environ.get("TODOKU_TEST_DATABASE_URL")
CORE_TABLES = {"orders", "order_items", "shipments", "shipment_items", "tracking_events"}


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/empty.sqlite3"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL: TODOKU_TEST_DATABASE_URL is not set (.ci/run sets it)")
    # A throw-away database so the shared test schema is not disturbed.
    name = f"todoku_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_from_empty(empty_db):
    migrate.upgrade(empty_db)
    assert _tables(empty_db) >= CORE_TABLES
    migrate.downgrade(empty_db, "base")
    assert _tables(empty_db) == set()
    migrate.upgrade(empty_db)
    assert _tables(empty_db) >= CORE_TABLES


def test_models_and_migrations_agree(empty_db):
    """A model change without a migration fails here (run `flask --app app db revision`)."""
    migrate.upgrade(empty_db)
    engine = make_engine(empty_db)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == []
