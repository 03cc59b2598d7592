"""The admin upload: preview (a dry run), confirm, result with failed rows and links; another
brand's job is a 404; the form keeps the chosen format and says what is missing."""

from __future__ import annotations

import io
import re

import pytest
from sqlmodel import select

from tests.support import FIXTURES
from tests.support.imports import run_imports
from tracking.orders.models import Order
from tracking.staff import auth as staff

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
