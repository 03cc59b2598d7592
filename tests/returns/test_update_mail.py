"""The customer is mailed when staff upload the return label or change the number of the parcel
on its way back: once per change, in the order's language, through the outbox (quiet hours and
coalescing as every return mail); the customer's own change of number sends none."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.factories import items_of, make_order, make_return
from tests.returns.test_label_upload import (
    PDF,
    _login,
    _upload,
    uploads,  # noqa: F401  (fixture)
)
from tests.returns.test_label_upload import rr as label_return  # noqa: F401  (fixture)
from tracking.mail.models import Notification
from tracking.returns import transitions
from tracking.returns.links import return_token
from tracking.staff import auth as staff
from tracking.staff.api_keys import create_api_key

GOOD = "300000000016"
OTHER = "300000000020"
PASSWORD = "correct horse battery"


def _mails(session, kind: str) -> list[Notification]:
    return list(session.exec(select(Notification).where(Notification.kind == kind)))


def test_a_label_upload_mails_the_customer_once_per_upload(client, session, label_return):  # noqa: F811
    _login(client)
    assert _upload(client, label_return, PDF).status_code == 303
    (mail,) = _mails(session, "return_label")
    assert mail.locale == "ja" and label_return.rma in mail.subject
    assert "返送用ラベル" in mail.subject, mail.subject
    assert "/sakura-tea/r/" in mail.body_text
    # The same form sent again (a double click) is stale: no second mail.
    assert _upload(client, label_return, PDF, version=label_return.version).status_code == 422
    assert len(_mails(session, "return_label")) == 1
    # A new label (the first was wrong) is a new change: its own mail.
    session.refresh(label_return)
    assert _upload(client, label_return, PDF).status_code == 303
    keys = {m.dedupe_key for m in _mails(session, "return_label")}
    assert len(keys) == 2


@pytest.fixture
def on_its_way(app, session):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    order = make_order(session, locale="en")
    staff.create_staff(session, "sakura-tea", "a@sakura.example", PASSWORD)
    with app.app_context():
        rr = make_return(
            session, brand, order, (items_of(session, order)[0], 1, "changed_mind", "refund")
        )
        transitions.transition(session, brand, rr, "approve", actor="staff:t")
        url = f"/sakura-tea/r/{return_token('sakura-tea', rr.public_id)}"
    return rr, url


def test_staff_changing_the_parcel_mails_the_customer_in_their_language(
    client, session, on_its_way
):
    rr, url = on_its_way
    client.post(url + "/parcel", data={"carrier": "yamato", "tracking_number": GOOD})
    client.post(url + "/parcel", data={"carrier": "yamato", "tracking_number": OTHER})
    session.refresh(rr)
    assert rr.return_tracking_number == OTHER
    assert _mails(session, "return_parcel") == []  # the customer's own change: no mail
    client.post("/admin/login", data={"email": "a@sakura.example", "password": PASSWORD})
    page = client.get(f"/admin/sakura-tea/returns/{rr.rma}?lang=en").get_data(as_text=True)
    assert "Change the return parcel" in page
    r = client.post(
        f"/admin/sakura-tea/returns/{rr.rma}/transition",
        data={
            "action": "ship",
            "version": str(rr.version),
            "carrier": "sagawa",
            "tracking_number": GOOD,
        },
    )
    assert r.status_code == 303
    session.refresh(rr)
    assert (rr.status, rr.return_carrier, rr.return_tracking_number) == (
        "in_transit",
        "sagawa",
        GOOD,
    )
    (mail,) = _mails(session, "return_parcel")
    assert mail.locale == "en" and "New tracking number" in mail.subject
    assert GOOD in mail.body_text and "Sagawa" in mail.body_text


def test_the_api_changes_the_parcel_with_ship_and_the_customer_is_told(
    app, client, session, on_its_way
):
    rr, url = on_its_way
    client.post(url + "/parcel", data={"carrier": "yamato", "tracking_number": GOOD})
    session.refresh(rr)
    with app.app_context():
        h = {"Authorization": "Bearer " + create_api_key(session, "sakura-tea", "wms")}
    body = {"action": "ship", "version": rr.version, "carrier": "yamato", "tracking_number": OTHER}
    r = client.post(f"/api/v1/returns/{rr.rma}/transitions", json=body, headers=h)
    assert r.status_code == 200 and r.json["return"]["return_tracking_number"] == OTHER
    assert len(_mails(session, "return_parcel")) == 1
    # Stale version: refused, nothing more sent.
    r = client.post(f"/api/v1/returns/{rr.rma}/transitions", json=body, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "version_conflict"
    assert len(_mails(session, "return_parcel")) == 1
