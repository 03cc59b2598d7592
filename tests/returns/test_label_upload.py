"""Staff upload a prepaid return label per return: a real PDF only, stored under a random name,
served to the return's signed page and to that brand's staff only; CSRF like every form."""

from __future__ import annotations

import io
import re

import pytest
from sqlmodel import select

from tests.factories import items_of, make_order, make_return
from tests.support.returns import png
from tracking.returns import labels, transitions
from tracking.returns.config import ReturnShipping, ShippingRule
from tracking.returns.links import return_token
from tracking.returns.models import ReturnEvent
from tracking.staff import auth as staff

PASSWORD = "correct horse battery"
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def uploads(tmp_path):
    path = tmp_path / "uploads"
    path.mkdir()
    return path


@pytest.fixture
def rr(app, session, uploads):
    app.config["UPLOAD_DIR"] = str(uploads)
    brands = app.extensions["todoku_brands"]
    for slug in ("sakura-tea", "northpeak"):
        returns = brands[slug].returns.model_copy(
            update={"shipping": ReturnShipping(rules=[ShippingRule(method="label")])}
        )
        brands[slug] = brands[slug].model_copy(update={"returns": returns})
    staff.create_staff(session, "sakura-tea", "a@sakura.example", PASSWORD)
    staff.create_staff(session, "northpeak", "b@northpeak.example", PASSWORD)
    order = make_order(session)
    with app.app_context():
        made = make_return(
            session,
            brands["sakura-tea"],
            order,
            (items_of(session, order)[0], 1, "changed_mind", "refund"),
        )
        transitions.transition(session, brands["sakura-tea"], made, "approve", actor="staff:t")
    return made


def _login(client, email="a@sakura.example"):
    client.post("/admin/login", data={"email": email, "password": PASSWORD})


def _upload(client, rr, data: bytes, name="label.pdf", slug="sakura-tea", version=None):
    return client.post(
        f"/admin/{slug}/returns/{rr.rma}/label?lang=en",
        data={
            "version": str(rr.version if version is None else version),
            "label": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Choose the label file to upload."),
        (png(), "The label must be a PDF file."),
        (b"<html><script>alert(1)</script></html>", "The label must be a PDF file."),
        (b"%PDF-1.4\n" + b"0" * 2000, "The label must be a PDF file."),  # no end-of-file marker
        (b"%PDF-1.4\n" + b"0" * labels.MAX_BYTES + b"%%EOF", "The label is larger than 5 MB."),
    ],
)
def test_a_file_that_is_not_a_label_is_refused_with_a_message(
    client, session, rr, uploads, data, message
):
    _login(client)
    r = _upload(client, rr, data)
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    session.refresh(rr)
    assert rr.label_name == "" and list(uploads.iterdir()) == []


def test_a_pdf_is_stored_under_a_random_name_and_reaches_the_customer(
    app, client, session, rr, uploads
):
    _login(client)
    r = _upload(client, rr, PDF, name="../../etc/passwd.pdf")
    assert r.status_code == 303
    session.refresh(rr)
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", rr.label_name)
    assert [p.name for p in uploads.iterdir()] == [rr.label_name]
    assert (
        session.exec(select(ReturnEvent).where(ReturnEvent.action == "label")).one().actor
        == "staff:a@sakura.example"
    )
    staff_copy = client.get(f"/admin/sakura-tea/returns/{rr.rma}/label.pdf")
    assert staff_copy.status_code == 200 and staff_copy.data == PDF
    with app.app_context():
        url = f"/sakura-tea/r/{return_token('sakura-tea', rr.public_id)}"
    assert client.get(url + "/label").data == PDF
    # A second upload replaces the first: one file on disk, the newest.
    assert _upload(client, rr, PDF + b"\n").status_code == 303
    session.refresh(rr)
    assert [p.name for p in uploads.iterdir()] == [rr.label_name]


def test_another_brands_return_is_a_404(client, session, rr, uploads):
    _login(client, "b@northpeak.example")
    assert _upload(client, rr, PDF, slug="northpeak").status_code == 404
    assert _upload(client, rr, PDF, slug="sakura-tea").status_code == 404
    assert client.get(f"/admin/northpeak/returns/{rr.rma}/label.pdf").status_code == 404
    session.refresh(rr)
    assert rr.label_name == "" and list(uploads.iterdir()) == []


def test_a_stale_form_is_refused(client, session, rr, uploads):
    _login(client)
    r = _upload(client, rr, PDF, version=rr.version - 1)
    assert r.status_code == 422 and "Someone else changed this return" in r.get_data(as_text=True)
    assert list(uploads.iterdir()) == []


def test_the_upload_needs_its_csrf_token(app, client, session, rr, uploads):
    _login(client)
    app.config["WTF_CSRF_ENABLED"] = True
    assert _upload(client, rr, PDF).status_code == 400
    session.refresh(rr)
    assert rr.label_name == ""


def test_staff_see_the_upload_form_only_where_a_label_is_the_method(app, client, session, rr):
    _login(client)
    page = client.get(f"/admin/sakura-tea/returns/{rr.rma}?lang=en").get_data(as_text=True)
    assert 'name="label"' in page and "Prepaid label from the shop" in page
    brands = app.extensions["todoku_brands"]
    returns = brands["sakura-tea"].returns.model_copy(
        update={"shipping": ReturnShipping(rules=[ShippingRule(method="customer")])}
    )
    brands["sakura-tea"] = brands["sakura-tea"].model_copy(update={"returns": returns})
    page = client.get(f"/admin/sakura-tea/returns/{rr.rma}?lang=en").get_data(as_text=True)
    assert 'name="label"' not in page and "Sent and paid by the customer" in page
