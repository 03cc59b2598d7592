"""Staff upload an order file in a real browser: the page waits for the worker (a thread here,
looking for jobs as the worker does between rounds) and swaps in the preview with the error
row, they confirm, and find the imported order on its tracking page. Both languages, phone and
desktop."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tracking.orders.imports import jobs
from tracking.orders.imports.generic import TEMPLATE

from .conftest import screenshot

CASES = [
    ("sakura-tea", "ja", "staff@sakura-tea.example", "メールアドレス", "パスワード"),
    ("northpeak", "en", "staff@northpeak.example", "Email address", "Password"),
]
TEXT = {
    "ja": {
        "kind": "ファイルの種類",
        "file": "ファイル（CSV、UTF-8またはShift_JIS）",
        "check": "ファイルを確認する",
        "import": "取り込む",
        "new": "新規：1件",
        "failed": "取り込めない行：1件",
        "login": "ログイン",
    },
    "en": {
        "kind": "Kind of file",
        "file": "File (CSV, UTF-8 or Shift_JIS)",
        "check": "Check the file",
        "import": "Import now",
        "new": "New: 1",
        "failed": "Failed: 1",
        "login": "Log in",
    },
}


@pytest.fixture
def import_worker(live_app):
    """The worker's look for import jobs, in a thread beside the live app."""
    stop = threading.Event()

    def look() -> None:
        with live_app.app_context():
            while not stop.wait(0.3):
                jobs.run_pending(live_app, "browser-worker")

    thread = threading.Thread(target=look, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


def _choose_file(page, live_url, brand, lang, email, email_label, password_label, path) -> None:
    """Sign in as the brand's staff and put ``path`` in the import form, as a generic CSV."""
    t = TEXT[lang]
    page.goto(f"{live_url}/admin/login?lang={lang}")
    page.get_by_label(email_label).fill(email)
    page.get_by_label(password_label).fill("todoku-demo-staff")
    page.get_by_role("button", name=t["login"]).click()
    page.goto(f"{live_url}/admin/{brand}/import?lang={lang}")
    page.get_by_label(t["kind"]).select_option("generic")
    page.get_by_label(t["file"]).set_input_files(str(path))


@pytest.mark.parametrize(("brand", "lang", "email", "email_label", "password_label"), CASES)
def test_staff_upload_preview_confirm_and_find_the_order(
    page,
    live_app,
    live_url,
    import_worker,
    tmp_path,
    viewport_width,
    brand,
    lang,
    email,
    email_label,
    password_label,
):
    number = f"IMP-{lang}-{viewport_width}"
    body = TEMPLATE.replace("ST-2001", number)
    if brand == "northpeak":
        body = body.replace("yamato,1234-5678-9012", "ups,1Z999AA10123456784")
    body += f"BAD-{number},,2026-11-24 10:15,,,,,,,,,,,,X,Broken,,1,100,,,,\r\n"
    path = tmp_path / "orders.csv"
    path.write_text(body, encoding="utf-8")
    t = TEXT[lang]

    _choose_file(page, live_url, brand, lang, email, email_label, password_label, path)
    screenshot(page, f"import-form-{brand}-{lang}-{viewport_width}")
    page.get_by_role("button", name=t["check"]).click()

    page.get_by_text(t["new"]).wait_for()
    assert page.get_by_text(t["failed"]).is_visible()
    error_row = page.locator("table.errors tbody tr")
    assert error_row.count() == 1 and f"BAD-{number}" in error_row.inner_text()
    screenshot(page, f"import-preview-{brand}-{lang}-{viewport_width}")
    page.get_by_role("button", name=t["import"]).click()

    link = page.get_by_role("link", name=number.upper())
    link.wait_for()
    screenshot(page, f"import-result-{brand}-{lang}-{viewport_width}")
    link.click()
    page.wait_for_load_state()
    assert number.upper() in page.content()


STALLED = {
    "ja": (
        "順番待ち：バックグラウンド処理を待っています…",
        "バックグラウンド処理（ワーカー）が動いていないようです",
    ),
    "en": (
        "Queued: waiting for the background worker…",
        "the background worker seems not to be running",
    ),
}


@pytest.mark.parametrize(("brand", "lang", "email", "email_label", "password_label"), CASES)
def test_without_a_worker_the_page_waits_then_says_so_plainly(
    page,
    live_app,
    live_url,
    tmp_path,
    viewport_width,
    brand,
    lang,
    email,
    email_label,
    password_label,
):
    from sqlmodel import Session, select

    from tracking.db import get_engine
    from tracking.orders.models import ImportJob
    from tracking.timeutil import utcnow

    path = tmp_path / "orders.csv"
    path.write_text(TEMPLATE.replace("ST-2001", f"WAIT-{lang}-{viewport_width}"), encoding="utf-8")
    t = TEXT[lang]
    _choose_file(page, live_url, brand, lang, email, email_label, password_label, path)
    page.get_by_role("button", name=t["check"]).click()
    waiting, stalled = STALLED[lang]
    page.get_by_text(waiting).wait_for()
    assert page.get_by_text(stalled, exact=False).count() == 0, "not after a few seconds"

    file_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    with Session(get_engine(live_app)) as session:  # three minutes later, still no worker
        job = session.exec(select(ImportJob).where(ImportJob.file_id == file_id)).one()
        job.created_at = utcnow() - timedelta(minutes=3)
        session.add(job)
        session.commit()
    page.get_by_text(stalled, exact=False).wait_for()  # the page's own refresh brings it
    screenshot(page, f"import-stalled-{brand}-{lang}-{viewport_width}")
