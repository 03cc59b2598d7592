"""Shared fixtures (flaskr-style): an app per test on a freshly migrated database.

Database-facing tests take the ``app``/``client``/``session`` fixtures and run on SQLite, and
again on PostgreSQL when TODOKU_TEST_DATABASE_URL is set (``.ci/run`` sets it); without it the
PostgreSQL copies are skipped with that reason (``-rs`` reports it).

Markers (docs/testing.md): ``postgres`` is put on every test copy that runs on PostgreSQL and
``browser`` on everything under tests/browser/, here at collection, so ``-m postgres`` and
``-m "not browser"`` select what they say.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

ROOT = Path(__file__).resolve().parent.parent
# pytest-xdist (`make test` runs `-n 2`) starts one process per worker, named gw0, gw1, … in
# PYTEST_XDIST_WORKER; each worker gets its own PostgreSQL database (the given name + "_gw0"),
# created on demand, because the session fixtures below drop and refill the whole schema.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
BASE_PG_URL = os.environ.get("TODOKU_TEST_DATABASE_URL")


def _worker_url(url: str | None) -> str | None:
    if not url or not XDIST_WORKER:
        return url
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{XDIST_WORKER}").render_as_string(
        hide_password=False
    )


PG_URL = _worker_url(BASE_PG_URL)

# An instance folder per test process: every app a test builds keeps its uploads (the returns
# demo's photos) and dev secret there, never in the checkout's instance/ or in a
# folder the developer's environment names.
INSTANCE = Path(tempfile.mkdtemp(prefix=f"todoku-tests-{XDIST_WORKER or 'main'}-"))
os.environ["TODOKU_INSTANCE_PATH"] = str(INSTANCE)
os.environ.pop("UPLOAD_DIR", None)
# Redis tests use one database number; under xdist they share one worker (the ``xdist_group``
# put on them at collection), so two copies never flush each other's keys.
REDIS_URL = os.environ.get("TODOKU_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
REDIS_GROUP = "redis"
BACKENDS = ["sqlite", "postgres"]
NO_POSTGRES = "PostgreSQL: TODOKU_TEST_DATABASE_URL is not set (.ci/run sets it)"
# Fixtures whose "postgres" parameter makes a test a PostgreSQL test.
BACKEND_FIXTURES = ("database_url", "empty_db")
BROWSER_DIR = ROOT / "tests" / "browser"
# The longest tests (tens of seconds each: several processes, a pip install, a scale run).
# Under xdist they are handed out first, so neither worker is left running one of them alone
# at the end while the other has finished.
LONG_FIRST = (
    "tests/sync/test_scale.py",
    "tests/mail/test_workers.py",
    "tests/test_production_path.py",
    "tests/operations/test_gunicorn.py",
    "tests/returns/test_concurrency.py",
    "tests/security/test_races.py",
    "tests/test_layers.py",
    "tests/web/test_api_schema.py",
    "tests/security/test_fuzz_api.py",
    "tests/security/test_fuzz_forms.py",
    "tests/test_migrations.py",
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark before ``-m`` deselects (this hook runs ahead of pytest's own)."""
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
            # One work unit per browser module under `--dist loadgroup`: its module-scoped
            # live app (the demo loaded with history) is then built on one worker only.
            item.add_marker(pytest.mark.xdist_group(f"browser-{item.path.stem}"))
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(params.get(name) == "postgres" for name in BACKEND_FIXTURES):
            item.add_marker(pytest.mark.postgres)
        if "redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(REDIS_GROUP))
    if XDIST_WORKER:
        # Every worker sorts the same way (xdist checks that the collections agree).
        items.sort(key=lambda item: not item.nodeid.startswith(LONG_FIRST))


def pytest_collection_finish(session):
    """Under ``--dist loadgroup`` xdist marks each grouped test by a ``@group`` suffix on its
    node id; a pytest/xdist pair that loses it (pytest 9.2 with xdist 3.8.0) would scatter the
    browser modules and the Redis tests over the workers without a word, so stop instead."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    lost = [
        i.nodeid
        for i in session.items
        if i.get_closest_marker("xdist_group") and "@" not in i.nodeid
    ]
    if lost:
        raise pytest.UsageError(f"xdist_group is not applied (pytest/xdist versions?): {lost[:3]}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Report every "no PostgreSQL" skip under one location, so ``-rs`` folds them into one
    line with a count instead of a line per test."""
    report = yield
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and NO_POSTGRES in str(longrepr[2]):
        report.longrepr = (str(Path(__file__)), 0, longrepr[2])
    return report


def skip_without_postgres() -> None:
    if not PG_URL:
        pytest.skip(NO_POSTGRES)


def pytest_unconfigure(config):
    shutil.rmtree(INSTANCE, ignore_errors=True)


def pytest_configure(config):
    # `pytest` alone must work: compile the catalogues if `make` has not.
    catalogs = ROOT / "tracking" / "translations"
    for po in catalogs.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "babel.messages.frontend",
                    "-q",
                    "compile",
                    "-d",
                    str(catalogs),
                ],
                check=True,
            )
            break


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    from tracking import migrate

    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def _create_worker_database() -> None:
    """Under xdist: CREATE DATABASE <given>_gwN once, next to the given database."""
    from sqlalchemy.engine import make_url

    from tracking.db import make_engine

    if PG_URL == BASE_PG_URL:
        return
    name = make_url(PG_URL).database
    admin = make_engine(BASE_PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture(scope="session")
def pg_migrated():
    from tracking import migrate
    from tracking.db import make_engine

    _create_worker_database()
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate.upgrade(PG_URL)
    return PG_URL


_RESET_ENGINES: dict = {}


def _truncate_pg(url: str, restore_demo: bool = False, snapshot: str = "demo_snapshot") -> None:
    """Empty every table; with ``restore_demo`` refill them from the ``snapshot`` schema.

    One round trip of DELETEs (children first), INSERT … SELECTs and sequence resets on a
    connection kept for the session: TRUNCATE of every table cost ~90 ms per test (it swaps
    each table's files), DELETE of the few rows a test leaves costs ~1 ms.
    """
    import tracking.models  # noqa: F401
    from tracking.db import make_engine

    engine = _RESET_ENGINES.get(url)
    if engine is None:
        engine = _RESET_ENGINES[url] = make_engine(url)
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    statements = [f'DELETE FROM "{t}"' for t in reversed(tables)]
    # RESTART IDENTITY: every sequence back to 1, then (after a restore) past the copied ids.
    statements.append(
        "SELECT setval(s.oid::regclass, 1, false) FROM pg_class s "
        "WHERE s.relkind = 'S' AND s.relnamespace = 'public'::regnamespace"
    )
    if restore_demo:
        for t in tables:  # parents before children
            statements.append(f'INSERT INTO "{t}" SELECT * FROM {snapshot}."{t}"')
            statements.append(
                f"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), "
                f'COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{t}"'
            )
    with engine.begin() as conn:
        conn.exec_driver_sql(";\n".join(statements))


@pytest.fixture(scope="session")
def pg_demo_snapshot(pg_migrated):
    """Load the demo once into PostgreSQL and keep a copy of every table in a side schema;
    tests that use ``demo`` get it back with TRUNCATE + INSERT … SELECT (fast)."""
    import tracking.models  # noqa: F401
    from app import create_app
    from tracking import demo as demo_module
    from tracking.db import get_engine

    _truncate_pg(pg_migrated)
    app = create_app({"TESTING": True, "DATABASE_URL": pg_migrated, "SECRET_KEY": "t"})
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as s:
        demo_module.load(s, history=False)  # the dashboard's tests add the history
    get_engine(app).dispose()
    _snapshot_pg(pg_migrated, "demo_snapshot")
    return pg_migrated


def _snapshot_pg(url: str, schema: str) -> None:
    """A copy of every table in the side schema ``schema``."""
    from tracking.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        for t in SQLModel.metadata.sorted_tables:
            conn.execute(text(f'CREATE TABLE {schema}."{t.name}" AS TABLE "{t.name}"'))
    engine.dispose()


def _load_dashboard_history(url: str) -> None:
    """The dashboard's demo history (tracking.dashboard.demo) on top of the demo in ``url``."""
    from app import create_app
    from tracking.dashboard import demo as dashboard_demo
    from tracking.db import get_engine
    from tracking.timeutil import utcnow

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "t"})
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as s:
        dashboard_demo.load_demo(s, app.extensions["todoku_brands"], utcnow())
        s.commit()
    get_engine(app).dispose()


@pytest.fixture(scope="session")
def pg_history_snapshot(pg_demo_snapshot):
    """The demo plus the dashboard's history, loaded once like ``pg_demo_snapshot``."""
    _truncate_pg(pg_demo_snapshot, restore_demo=True)
    _load_dashboard_history(pg_demo_snapshot)
    _snapshot_pg(pg_demo_snapshot, "history_snapshot")
    return pg_demo_snapshot


@pytest.fixture(scope="session")
def sqlite_history_template(sqlite_demo_template, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("history") / "history.sqlite3"
    shutil.copy(sqlite_demo_template, path)
    _load_dashboard_history(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template, tmp_path_factory) -> Path:
    """The migrated template with the demo loaded once: tests that use ``demo`` copy it
    instead of running the loader (about a second) each time."""
    from app import create_app
    from tracking import demo as demo_module
    from tracking.db import get_engine

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "t"})
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as s:
        demo_module.load(s, history=False)  # the dashboard's tests add the history
    get_engine(app).dispose()
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    history = "dashboard_history" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "todoku.sqlite3"
        template = "sqlite_demo_template" if "demo" in request.fixturenames else "sqlite_template"
        if history:
            template = "sqlite_history_template"
        shutil.copy(request.getfixturevalue(template), path)
        return f"sqlite:///{path}"
    skip_without_postgres()
    if history:
        url = request.getfixturevalue("pg_history_snapshot")
        _truncate_pg(url, restore_demo=True, snapshot="history_snapshot")
    elif "demo" in request.fixturenames:
        url = request.getfixturevalue("pg_demo_snapshot")
        _truncate_pg(url, restore_demo=True)
    else:
        url = request.getfixturevalue("pg_migrated")
        _truncate_pg(url)
    return url


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Said every time: Flask-Limiter keeps ``enabled`` on its one process-wide object, so an
        # app built with it off (the form fuzzer's) would switch it off for every later test.
        "RATELIMIT_ENABLED": True,
    }


class _TemplateCodeCache(BytecodeCache):
    """Compiled templates kept in memory for the whole test process. Every test builds its own
    app, and each app's Jinja environment would otherwise compile every template it renders
    again (tens of milliseconds each). Jinja checks the source checksum on load, so a changed
    or different template file is compiled afresh; production apps keep Jinja's own cache."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = _TemplateCodeCache()


def _share_url_builders() -> None:
    """Every test's create_app compiles each of its ~160 URL rules into two builder functions
    (werkzeug generates and compiles Python source per rule: most of create_app's time). The
    generated function depends only on the rule's parsed parts, defaults and converters, and
    reads its converters through its ``self`` argument, so one compiled function per such key
    serves every app of the test process. Werkzeug is pinned (pyproject.toml); if the private
    method goes away the patch is skipped and apps compile their rules as before."""
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "shared", False):
        return
    built: dict[tuple, object] = {}

    def shared_compile_builder(self, append_unknown: bool = True):
        converters = tuple(
            (name, type(conv), repr(sorted((k, v) for k, v in vars(conv).items() if k != "map")))
            for name, conv in sorted(self._converters.items())
        )
        defaults = tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items()))
        key = (type(self), self.rule, tuple(self._trace), defaults, converters, append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    shared_compile_builder.shared = True
    Rule._compile_builder = shared_compile_builder


_share_url_builders()


@pytest.fixture
def app(app_config):
    from app import create_app

    app = create_app(app_config)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    yield app
    engine = app.extensions.get("todoku_engine")
    if engine is not None:
        engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    from tracking.db import get_engine

    with Session(get_engine(app), expire_on_commit=False) as s:
        yield s


@pytest.fixture
def demo(app, session, database_url):
    """The demo orders, loaded once per session through the real loader and copied back for
    each test (SQLite: a template file; PostgreSQL: a snapshot schema)."""
    from tracking import demo as demo_module
    from tracking.orders.models import Order

    numbers = [spec.number for spec in demo_module.ORDERS]
    orders = session.exec(select(Order).where(Order.number.in_(numbers))).all()
    assert len(orders) == len(numbers), "the demo template lost orders"
    return {o.number: o for o in orders}


@pytest.fixture
def dashboard_history(demo):
    """The demo plus the dashboard's four weeks of history (tracking.dashboard.demo.load_demo),
    loaded once per session through the real loader and copied back for each test like
    ``demo``."""
    return demo


@pytest.fixture
def token_for(app):
    from tracking.security import order_token

    def make(order) -> str:
        with app.app_context():
            return order_token(order.brand, order.public_id)

    return make
