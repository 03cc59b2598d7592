"""Import jobs in the database (``tracking.orders.imports.jobs``): the worker claims them with a
lease, a job whose worker died is taken again without duplicating orders, a job that keeps
losing its worker fails, two claimers (or two confirms) at once on PostgreSQL make one run (one
import), the retention drops files then rows, and metrics read the counts. SQLite and
PostgreSQL unless said."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from tests.support.imports import run_imports
from tracking.db import get_engine
from tracking.mail.models import Notification
from tracking.orders.imports import jobs, run
from tracking.orders.imports.generic import HEADER
from tracking.orders.models import ImportJob, Order, OrderChange, OrderItem
from tracking.timeutil import utcnow

BRAND = "sakura-tea"


def _row(number: str) -> str:
    cells = dict.fromkeys(HEADER, "")
    cells.update(order_number=number, email=f"{number.lower()}@example.com")
    cells.update(item_name="煎茶", quantity="1", price="1200", sku="TEA-01")
    return ",".join(cells[c] for c in HEADER)


def _file(*numbers: str) -> bytes:
    return ("\r\n".join((",".join(HEADER), *(_row(n) for n in numbers))) + "\r\n").encode()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def _job(session, file_id: str, kind: str) -> ImportJob:
    session.expire_all()
    query = select(ImportJob).where(ImportJob.file_id == file_id, ImportJob.kind == kind)
    return session.exec(query).one()


def _previewed(ctx, session, raw: bytes) -> str:
    file_id = jobs.enqueue_preview(session, BRAND, "generic", "orders.csv", raw)
    assert run_imports(ctx) == 1
    assert _job(session, file_id, "preview").state == "done"
    return file_id


def _count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_queued_preview_is_claimed_once_and_run_by_the_worker(ctx, session):
    raw = _file("Q-1", "Q-2")
    file_id = jobs.enqueue_preview(session, BRAND, "generic", "orders.csv", raw)
    job = _job(session, file_id, "preview")
    assert (job.state, job.data, job.attempts, job.claimed_by) == ("queued", raw, 0, "")
    job_id = jobs.claim(session, "w1")
    assert job_id == job.id and jobs.claim(session, "w2") is None  # leased to w1
    job = _job(session, file_id, "preview")
    assert (job.state, job.claimed_by, job.attempts) == ("running", "w1", 1)
    assert job.lease_until is not None
    assert jobs.run_job(ctx, job_id, "w1") == "done"
    job = _job(session, file_id, "preview")
    assert (job.state, job.claimed_by, job.lease_until) == ("done", "", None)
    assert job.report["created"] == 2 and job.report["dry_run"] is True
    assert job.finished_at is not None and job.data == raw  # kept for the import
    assert _count(session, Order) == 0  # a preview stores nothing


def test_a_file_error_fails_the_job_with_its_code(ctx, session):
    file_id = jobs.enqueue_preview(session, BRAND, "rakuten", "x.csv", _file("E-1"))
    assert run_imports(ctx) == 1
    job = _job(session, file_id, "preview")
    assert (job.state, job.error) == ("failed", "wrong_format")
    assert job.params == {"guess": "generic"}


def test_confirm_queues_one_import_and_only_after_a_good_preview(ctx, session):
    file_id = jobs.enqueue_preview(session, BRAND, "generic", "orders.csv", _file("C-1"))
    assert jobs.confirm(session, BRAND, file_id) == "not_ready"  # still queued
    assert run_imports(ctx) == 1
    assert jobs.confirm(session, "northpeak", file_id) == "missing"  # another brand's
    assert jobs.confirm(session, BRAND, "x" * 20) == "missing"
    assert jobs.confirm(session, BRAND, file_id) == "queued"
    assert jobs.confirm(session, BRAND, file_id) == "queued"  # a double click: the same one
    kinds = session.exec(select(ImportJob.kind).where(ImportJob.file_id == file_id)).all()
    assert sorted(kinds) == ["import", "preview"]
    assert run_imports(ctx) == 1 and _count(session, Order) == 1


class _Killed(BaseException):
    """The worker process dies (SIGKILL): nothing of it runs on, its open transaction is lost."""


def test_a_worker_killed_mid_import_is_resumed_without_duplicate_orders(ctx, session, monkeypatch):
    numbers = [f"K-{i}" for i in range(7)]
    file_id = _previewed(ctx, session, _file(*numbers))
    assert jobs.confirm(session, BRAND, file_id) == "queued"
    monkeypatch.setattr(run, "COMMIT_EVERY", 3)  # commits after rows 3 and 6
    save = jobs._save

    def dies_at_its_first_progress(*args, **values):
        if "report" in values:
            raise _Killed
        return save(*args, **values)

    job_id = jobs.claim(session, "w1")
    monkeypatch.setattr(jobs, "_save", dies_at_its_first_progress)
    with pytest.raises(_Killed):
        jobs.run_job(ctx, job_id, "w1")
    monkeypatch.setattr(jobs, "_save", save)
    assert _count(session, Order) == 3  # the first batch was committed
    assert jobs.claim(session, "w2") is None  # w1's lease still holds
    later = utcnow() + jobs.LEASE + timedelta(seconds=1)
    assert jobs.claim(session, "w2", now=later) == job_id
    assert _job(session, file_id, "import").attempts == 2
    with pytest.raises(jobs.LeaseLost):  # w1, were it alive, can no longer write
        jobs._save(session, job_id, "w1", report={})
    assert jobs.run_job(ctx, job_id, "w2") == "done"
    job = _job(session, file_id, "import")
    assert job.state == "done"
    assert (job.report["created"], job.report["unchanged"]) == (4, 3)
    stored = sorted(session.exec(select(Order.number)).all())
    assert stored == numbers  # each once
    assert _count(session, OrderItem) == 7
    assert _count(session, OrderChange) == 0  # the re-run changed nothing it had stored
    assert _count(session, Notification) == 0  # an import queues no mail itself


def test_a_job_that_keeps_losing_its_worker_fails_with_a_clear_code(ctx, session):
    file_id = jobs.enqueue_preview(session, BRAND, "generic", "orders.csv", _file("L-1"))
    now = utcnow()
    for attempt in range(jobs.MAX_ATTEMPTS + 1):  # each worker dies before finishing
        job_id = jobs.claim(session, f"w{attempt}", now=now)
        assert job_id is not None
        now += jobs.LEASE + timedelta(seconds=1)
    assert _job(session, file_id, "preview").attempts == jobs.MAX_ATTEMPTS + 1
    assert jobs.run_job(ctx, job_id, f"w{jobs.MAX_ATTEMPTS}") == "failed"
    job = _job(session, file_id, "preview")
    assert (job.state, job.error, job.params) == ("failed", "gave_up", {"n": jobs.MAX_ATTEMPTS})
    assert _count(session, Order) == 0


def test_a_job_whose_file_was_dropped_fails(ctx, session):
    file_id = jobs.enqueue_preview(session, BRAND, "generic", "orders.csv", _file("G-1"))
    job = _job(session, file_id, "preview")
    job.data = None
    session.add(job)
    session.commit()
    assert run_imports(ctx) == 1
    assert _job(session, file_id, "preview").error == "file_gone"


def _aged(session, file_id: str, kind: str, days: float, state: str = "done") -> None:
    job = _job(session, file_id, kind)
    job.state = state
    job.finished_at = None if state in ("queued", "running") else utcnow() - timedelta(days=days)
    session.add(job)
    session.commit()


def test_cleanup_drops_old_files_then_old_rows(ctx, session):
    config = {"IMPORT_KEEP_DAYS": 7, "IMPORT_ROWS_KEEP_DAYS": 90}
    ids = {}
    for name in ("fresh", "old", "old-import-queued", "old-import-recent", "ancient"):
        ids[name] = jobs.enqueue_preview(session, BRAND, "generic", f"{name}.csv", _file("X-1"))
    _aged(session, ids["fresh"], "preview", 6)
    _aged(session, ids["old"], "preview", 8)
    _aged(session, ids["ancient"], "preview", 91)
    for name, state, days in (("old-import-queued", "queued", 0), ("old-import-recent", "done", 2)):
        _aged(session, ids[name], "preview", 30)
        session.add(ImportJob(file_id=ids[name], kind="import", brand=BRAND, format="generic"))
        session.commit()
        _aged(session, ids[name], "import", days, state)
    assert jobs.cleanup(session, config) == (2, 1)  # old's and ancient's files; ancient's row
    session.expire_all()
    kept = {
        name: _job(session, file_id, "preview").data is not None
        for name, file_id in ids.items()
        if name != "ancient"
    }
    assert kept == {
        "fresh": True,
        "old": False,
        "old-import-queued": True,
        "old-import-recent": True,
    }
    assert session.exec(select(ImportJob).where(ImportJob.file_id == ids["ancient"])).all() == []
    assert jobs.cleanup(session, config) == (0, 0)


def test_counts_and_the_oldest_queued_age_for_metrics(ctx, session):
    assert jobs.counts(session) == {"queued": 0, "running": 0, "done": 0, "failed": 0}
    assert jobs.oldest_queued_seconds(session) == 0.0
    first = jobs.enqueue_preview(session, BRAND, "generic", "a.csv", _file("M-1"))
    jobs.enqueue_preview(session, BRAND, "generic", "b.csv", _file("M-2"))
    job = _job(session, first, "preview")
    job.created_at = utcnow() - timedelta(minutes=10)
    session.add(job)
    session.commit()
    assert jobs.counts(session) == {"queued": 2, "running": 0, "done": 0, "failed": 0}
    assert 590 < jobs.oldest_queued_seconds(session) < 700
    jobs.claim(session, "w1")
    assert jobs.counts(session)["running"] == 1


# --- PostgreSQL: real concurrency -------------------------------------------------------------


@pytest.fixture
def on_postgres(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers (run one worker); the race needs PostgreSQL")


def _at_once(n: int, call) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[str] = []

    def go(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call(i)
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    return results


def test_concurrent_claimers_on_postgres_one_runs_the_job(ctx, session, on_postgres):
    file_id = jobs.enqueue_preview(session, BRAND, "generic", "orders.csv", _file("P-1"))
    engine = get_engine(ctx)

    def claim(i: int):
        with Session(engine) as own:
            return jobs.claim(own, f"w{i}")

    claims = _at_once(6, claim)
    job = _job(session, file_id, "preview")
    assert [c for c in claims if c is not None] == [job.id]
    assert job.attempts == 1 and job.claimed_by == f"w{claims.index(job.id)}"


def test_a_claim_skips_a_job_another_worker_is_claiming(ctx, session, on_postgres):
    file_id = jobs.enqueue_preview(session, BRAND, "generic", "orders.csv", _file("S-1"))
    engine = get_engine(ctx)
    with Session(engine) as holder, Session(engine) as other:
        locked = holder.exec(
            select(ImportJob.id).where(ImportJob.file_id == file_id).with_for_update()
        ).one()
        other.execute(text("SET lock_timeout = '2s'"))  # waiting would fail, not hang
        assert jobs.claim(other, "w2") is None
        holder.rollback()
        assert jobs.claim(other, "w2") == locked


def test_concurrent_confirms_on_postgres_queue_one_import(ctx, session, on_postgres):
    file_id = _previewed(ctx, session, _file("D-1", "D-2"))
    engine = get_engine(ctx)

    def confirm(_i: int):
        with Session(engine) as own:
            return jobs.confirm(own, BRAND, file_id)

    assert _at_once(6, confirm) == ["queued"] * 6
    query = select(ImportJob).where(ImportJob.file_id == file_id, ImportJob.kind == "import")
    assert len(session.exec(query).all()) == 1
    assert run_imports(ctx) == 1 and run_imports(ctx) == 0
    assert _count(session, Order) == 2
