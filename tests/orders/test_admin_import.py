"""The admin upload: preview (a dry run), confirm, result with failed rows and links; another
brand's job is a 404; the form keeps the chosen format and says what is missing. The web only
queues the jobs and the worker runs them (``run_imports`` stands for it): the page waits, says
when no worker seems to run, survives a web restart, and a double confirm imports once."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.support import FIXTURES
from tests.support.imports import run_imports
from tracking.orders.models import ImportJob, Order
from tracking.staff import auth as staff
from tracking.sync import cli, heartbeat
from tracking.timeutil import utcnow

FILES = FIXTURES / "imports"
PASSWORD = "correct horse battery"


@pytest.fixture
def logged_in(app, client, session):
    with app.app_context():
        staff.create_staff(session, "sakura-tea", "a@sakura.example", PASSWORD)
        staff.create_staff(session, "northpeak", "b@northpeak.example", PASSWORD)
    client.post("/admin/login", data={"email": "a@sakura.example", "password": PASSWORD})
    return client


def _upload(client, name: str, fmt: str = "auto"):
    data = {"format": fmt, "file": (io.BytesIO((FILES / name).read_bytes()), name)}
    return client.post("/admin/sakura-tea/import", data=data, content_type="multipart/form-data")


def test_preview_then_confirm_then_result(logged_in, app, session):
    client = logged_in
    r = _upload(client, "shopify_orders.csv")
    assert r.status_code == 303
    assert run_imports(app) == 1
    page = client.get(r.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "New: 2" in page and "Failed: 2" in page and "Lineitem quantity" in page
    assert "This cell is empty." in page and "Not a whole number." in page
    assert session.exec(select(Order)).all() == []  # a preview stores nothing
    confirm = re.search(r'action="([^"]+/confirm)"', page)[1]
    r = client.post(confirm)
    assert r.status_code == 303
    assert run_imports(app) == 1
    page = client.get(r.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Import result" in page and "New: 2" in page
    assert "#1001" in page and "/sakura-tea/o/" in page
    assert len(session.exec(select(Order)).all()) == 2


def test_form_errors_keep_choice_and_other_brands_job_is_404(logged_in, app):
    client = logged_in
    r = client.post("/admin/sakura-tea/import?lang=en", data={"format": "shopify"})
    assert r.status_code == 422 and "Please choose a file." in r.get_data(as_text=True)
    assert 'value="shopify" selected' in r.get_data(as_text=True)
    location = _upload(client, "rakuten_orders.csv").headers["Location"]
    client.post("/admin/logout")
    client.post("/admin/login", data={"email": "b@northpeak.example", "password": PASSWORD})
    other = location.replace("sakura-tea", "northpeak")
    assert client.get(other).status_code == 404
    assert client.get(location).status_code == 404


def test_preview_speaks_japanese(logged_in, app):
    r = _upload(logged_in, "rakuten_shipping.csv")
    run_imports(app)
    page = logged_in.get(r.headers["Location"] + "?lang=ja").get_data(as_text=True)
    assert "取り込めない行：4件" in page  # no orders yet: every parcel's order is missing
    assert "該当するご注文がありません。" in page and "日付として読み取れません。" in page


def test_template_downloads(logged_in):
    r = logged_in.get("/admin/sakura-tea/import/template.csv")
    assert r.status_code == 200 and b"order_number,email" in r.data


# --- the job page reads the job's rows; the worker runs them ------------------------------------


def _file_id(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[1].split("?")[0]


def _preview(session, file_id: str) -> ImportJob:
    session.expire_all()
    query = select(ImportJob).where(ImportJob.file_id == file_id, ImportJob.kind == "preview")
    return session.exec(query).one()


def test_an_upload_is_queued_and_the_page_waits_for_the_worker(logged_in, app, session):
    location = _upload(logged_in, "shopify_orders.csv").headers["Location"]
    job = _preview(session, _file_id(location))
    raw = (FILES / "shopify_orders.csv").read_bytes()
    assert (job.state, job.brand, job.format, job.data) == ("queued", "sakura-tea", "shopify", raw)
    page = logged_in.get(location + "?lang=en").get_data(as_text=True)
    assert "Queued: waiting for the background worker…" in page and 'hx-trigger="every 2s"' in page
    assert f'<a href="{location}">Refresh</a>' in page  # without JavaScript
    assert "seems not to be running" not in page  # only just queued
    ja = logged_in.get(location + "?lang=ja").get_data(as_text=True)
    assert "順番待ち" in ja
    job.created_at = utcnow() - timedelta(minutes=3)  # nothing picked it up for 3 minutes
    session.add(job)
    session.commit()
    page = logged_in.get(location + "?lang=en").get_data(as_text=True)
    assert "Nothing has picked this file up for 3 minutes" in page
    assert "the background worker seems not to be running" in page
    with app.app_context():
        heartbeat.beat(session, "w1")  # a worker is alive (busy with something else)
    page = logged_in.get(location + "?lang=en").get_data(as_text=True)
    assert (
        "Queued: waiting for the background worker…" in page
        and "seems not to be running" not in page
    )
    assert run_imports(app) == 1
    page = logged_in.get(location + "?lang=en", headers={"HX-Request": "true"})
    html = page.get_data(as_text=True)
    assert "New: 2" in html and "hx-trigger" not in html  # done: polling stops


def test_a_web_restart_between_upload_and_worker_loses_nothing(logged_in, app, app_config):
    from app import create_app

    location = _upload(logged_in, "shopify_orders.csv").headers["Location"]
    engine = app.extensions.get("todoku_engine")
    engine.dispose()  # the web process goes away: nothing of it is left but the database
    restarted = create_app(app_config)
    assert run_imports(restarted) == 1  # a worker (here a third app) runs the preview
    client = restarted.test_client()
    client.post("/admin/login", data={"email": "a@sakura.example", "password": PASSWORD})
    page = client.get(location + "?lang=en").get_data(as_text=True)
    assert "New: 2" in page
    confirm = re.search(r'action="([^"]+/confirm)"', page)[1]
    assert client.post(confirm).status_code == 303
    again = create_app(app_config)
    assert run_imports(again) == 1
    page = again.test_client()
    page.post("/admin/login", data={"email": "a@sakura.example", "password": PASSWORD})
    html = page.get(location + "?lang=en").get_data(as_text=True)
    assert "Import result" in html and "#1001" in html
    for built in (restarted, again):
        built.extensions["todoku_engine"].dispose()


def test_a_double_confirm_queues_one_import(logged_in, app, session):
    location = _upload(logged_in, "shopify_orders.csv").headers["Location"]
    confirm = location + "/confirm"
    early = logged_in.post(confirm + "?lang=en")
    assert early.status_code == 409  # the preview has not run yet
    assert "Queued: waiting for the background worker" in early.get_data(as_text=True)
    run_imports(app)
    assert logged_in.post(confirm).status_code == 303
    assert logged_in.post(confirm).status_code == 303  # the second click finds the first
    query = select(ImportJob).where(ImportJob.kind == "import")
    assert len(session.exec(query).all()) == 1
    assert run_imports(app) == 1 and run_imports(app) == 0
    assert len(session.exec(select(Order)).all()) == 2


def test_another_brands_job_cannot_be_confirmed(logged_in, app, session):
    location = _upload(logged_in, "shopify_orders.csv").headers["Location"]
    run_imports(app)
    logged_in.post("/admin/logout")
    logged_in.post("/admin/login", data={"email": "b@northpeak.example", "password": PASSWORD})
    other = location.replace("sakura-tea", "northpeak")
    assert logged_in.post(other + "/confirm").status_code == 404
    assert logged_in.post(location + "/confirm").status_code == 404
    assert session.exec(select(ImportJob).where(ImportJob.kind == "import")).all() == []


def test_the_page_says_when_a_job_was_started_again_or_given_up(logged_in, app, session):
    location = _upload(logged_in, "shopify_orders.csv").headers["Location"]
    job = _preview(session, _file_id(location))
    job.state, job.attempts, job.claimed_by = "running", 2, "w2"
    job.lease_until = utcnow() + timedelta(minutes=5)
    session.add(job)
    session.commit()
    page = logged_in.get(location + "?lang=en").get_data(as_text=True)
    assert "Working on the file…" in page and "(try 2 of 3)" in page
    job.state, job.error, job.params = "failed", "gave_up", {"n": 3}
    session.add(job)
    session.commit()
    page = logged_in.get(location + "?lang=en").get_data(as_text=True)
    assert "The worker stopped 3 times before this file was done" in page
    ja = logged_in.get(location + "?lang=ja").get_data(as_text=True)
    assert "3回" in ja and "The worker stopped" not in ja


class _Stop(Exception):
    pass


def test_the_worker_runs_an_upload_between_rounds_without_waiting_a_round(
    logged_in, app, session, monkeypatch
):
    naps: list[float] = []
    uploaded: list[str] = []

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 1:  # staff upload while the worker waits for its next round
            uploaded.append(_upload(logged_in, "shopify_orders.csv").headers["Location"])
        else:
            raise _Stop

    monkeypatch.setattr("tracking.sync.cli.time.sleep", sleep)
    result = app.test_cli_runner().invoke(args=["worker", "--interval", "60"])
    assert type(result.exception) is _Stop, result.output
    assert naps == [cli.IMPORT_POLL, cli.IMPORT_POLL]  # looked again 2 s later, not 60
    assert _preview(session, _file_id(uploaded[0])).state == "done"
    with app.app_context():
        assert heartbeat.last_seen(session) is not None


def test_worker_once_runs_the_queued_jobs(logged_in, app, session):
    location = _upload(logged_in, "shopify_orders.csv").headers["Location"]
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert _preview(session, _file_id(location)).state == "done"
