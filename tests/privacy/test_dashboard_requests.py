"""Owners answer privacy requests from the dashboard's settings: download the export, erase
after a preview of what would go; staff get 403; another brand's customer is not found."""

from __future__ import annotations

import json

from sqlmodel import select

from tracking.orders.models import Order

PASSWORD = "todoku-demo-staff"
SAKURA = "/admin/sakura-tea"


def login(client, email):
    r = client.post("/admin/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 303, r.data


def _customer(session, brand="sakura-tea") -> Order:
    return session.exec(select(Order).where(Order.brand == brand, Order.email != "")).first()


def test_owner_downloads_the_export(client, session, demo):
    order = _customer(session)
    login(client, "owner@sakura-tea.example")
    html = client.get(f"{SAKURA}/settings?lang=ja").data.decode()
    assert "個人情報の開示・消去の依頼" in html
    r = client.post(f"{SAKURA}/settings/privacy/export", data={"privacy_email": order.email})
    assert r.status_code == 200
    assert "attachment" in r.headers["Content-Disposition"]
    document = json.loads(r.data)
    assert order.number in [o["order"]["number"] for o in document["orders"]]


def test_owner_erases_after_a_preview(client, session, demo):
    order = _customer(session)
    login(client, "owner@sakura-tea.example")
    url = f"{SAKURA}/settings/privacy/erase"
    preview = client.post(
        url, data={"privacy_email": order.email.upper()}, query_string={"lang": "en"}
    )
    assert preview.status_code == 200
    text = preview.data.decode()
    assert "This cannot be undone" in text and 'name="confirm" value="yes"' in text
    session.expire_all()
    assert session.get(Order, order.id).email == order.email, "a preview changes nothing"
    done = client.post(url, data={"privacy_email": order.email, "confirm": "yes"})
    assert done.status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).email == ""
    assert session.get(Order, order.id).name == ""


def test_a_bad_address_keeps_the_form_and_says_why(client, demo):
    login(client, "owner@sakura-tea.example")
    r = client.post(f"{SAKURA}/settings/privacy/export?lang=en", data={"privacy_email": "a@x, b@y"})
    assert r.status_code == 422
    html = r.data.decode()
    assert "email address" in html and 'value="a@x, b@y"' in html


def test_staff_cannot_and_other_brands_are_untouched(client, session, demo):
    other = _customer(session, "northpeak")
    login(client, "staff@sakura-tea.example")
    for path in ("export", "erase"):
        r = client.post(f"{SAKURA}/settings/privacy/{path}", data={"privacy_email": other.email})
        assert r.status_code == 403
    client.post("/admin/logout")
    login(client, "owner@sakura-tea.example")
    r = client.post(f"{SAKURA}/settings/privacy/export", data={"privacy_email": other.email})
    assert json.loads(r.data)["orders"] == []
    client.post(
        f"{SAKURA}/settings/privacy/erase", data={"privacy_email": other.email, "confirm": "yes"}
    )
    session.expire_all()
    assert session.get(Order, other.id).email == other.email
