"""One email rule (issue 20): ``victim@example.com,attacker@example.com`` and ``a@x.com;b@y.com``
are refused by the API (422, field ``email``), the import (that row fails), the Shopify webhook
(refused, nothing stored) and the forms (a localized error), and the outbox never puts two
recipients in ``To:``. Addresses shops really send stay accepted. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
from urllib.parse import quote

import pytest
from sqlmodel import select

from tests.factories import STAFF_PASSWORD, make_staff
from tests.support.smtp import SmtpServer
from tracking import normalize
from tracking.dashboard.models import AlertSettings
from tracking.mail import outbox
from tracking.mail.models import Notification
from tracking.orders.imports.generic import HEADER
from tracking.orders.imports.run import run_import
from tracking.orders.models import Order
from tracking.staff.api_keys import create_api_key
from tracking.staff.models import StaffUser

# The two shapes, then lists the old hand-written check (one "@", no space) let
# through, which smtplib reads as two recipients of ``To:``.
SHORT = [
    "victim@example.com,attacker@example.com",
    "a@x.com;b@y.com",
    "attacker,victim@example.com",
]
LISTS = [
    *SHORT,
    "victim@example.com,attacker",
    "a@x.com;b",
    "victim@example.com, attacker@example.com",
    "Victim <victim@example.com>",
    '"victim,attacker"@example.com',
    "victim@example.com\nBcc: attacker@example.com",
]
KEPT = [
    ("Hanako@Example.com", "hanako@example.com"),
    ("a1b2c3d4e5@pc.fw.rakuten.ne.jp", "a1b2c3d4e5@pc.fw.rakuten.ne.jp"),  # Rakuten's masked
    ("hanako+orders@example.com", "hanako+orders@example.com"),
    ("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "hanako@example.com"),  # typed full-width
    ("hanako@例え.jp", "hanako@例え.jp"),  # an internationalised domain
]
SECRET = "shpss_test_secret"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SHOPIFY_WEBHOOK_SECRETS": {"SAKURA_TEA": SECRET}}


@pytest.fixture
def api(app, session):
    with app.app_context():
        return {"Authorization": "Bearer " + create_api_key(session, "sakura-tea", "wms")}


def _put(client, headers, number: str, email: str):
    body = {"email": email, "items": [{"sku": "TEA-01", "name": "煎茶", "price": 1200}]}
    return client.put(f"/api/v1/orders/{quote(number, safe='')}", json=body, headers=headers)


# The rule itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", LISTS)
def test_the_rule_refuses_anything_but_one_address(value):
    assert not normalize.is_one_address(value)
    with pytest.raises(normalize.NotOneAddress):
        normalize.email_address(value)


@pytest.mark.parametrize(("value", "stored"), KEPT)
def test_the_rule_keeps_what_shops_send_in_the_stored_form(value, stored):
    assert normalize.email_address(value) == stored == normalize.email(value)


# API ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", LISTS)
def test_api_refuses_a_list_with_422_on_the_email_field(client, api, session, value):
    r = _put(client, api, "ST-7001", value)
    assert r.status_code == 422
    assert r.json["error"]["field"] == "email" and r.json["error"]["code"]
    assert session.exec(select(Order)).all() == []


@pytest.mark.parametrize(("value", "stored"), KEPT)
def test_api_keeps_accepting_real_addresses(client, api, session, value, stored):
    assert _put(client, api, "ST-7002", value).status_code in (200, 201)
    assert session.exec(select(Order.email)).one() == stored


# Import ------------------------------------------------------------------------------------------


def _csv(rows: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)  # quotes the commas, quotes and line breaks as a shop's tool would
    writer.writerow(HEADER)
    for number, email in rows:
        cells = dict.fromkeys(HEADER, "")
        cells.update(order_number=number, email=email, item_name="煎茶", quantity="1")
        writer.writerow([cells[c] for c in HEADER])
    return out.getvalue().encode()


def test_import_fails_the_row_with_a_list_and_imports_the_others(app, session):
    rows = [("OK-1", "hanako@example.com")]
    rows += [(f"BAD-{i}", value.replace("\n", " ")) for i, value in enumerate(LISTS)]
    rows += [("OK-2", "a1b2c3d4e5@pc.fw.rakuten.ne.jp")]
    raw = _csv(rows)
    with app.app_context():
        brand = app.extensions["todoku_brands"]["sakura-tea"]
        report = run_import(session, brand, "generic", raw)
    assert (report.created, report.failed) == (2, len(LISTS))
    assert {(e.column, e.code) for e in report.errors} == {("email", "invalid_email")}
    assert [e.line for e in report.errors] == list(range(3, 3 + len(LISTS)))
    assert sorted(session.exec(select(Order.number)).all()) == ["OK-1", "OK-2"]


# Shopify webhook ---------------------------------------------------------------------------------


def _shopify(client, body: dict, event: str):
    data = json.dumps(body).encode()
    sig = base64.b64encode(hmac.new(SECRET.encode(), data, hashlib.sha256).digest()).decode()
    headers = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sig,
        "X-Shopify-Event-Id": event,
        "X-Shopify-Webhook-Id": "w-" + event,
        "Content-Type": "application/json",
    }
    return client.post("/hooks/shopify/sakura-tea", data=data, headers=headers)


SHOPIFY_ORDER = {
    "id": 820982911946154508,
    "name": "#1001",
    "created_at": "2026-11-24T10:15:30+09:00",
    "currency": "JPY",
    "total_price": "1200.00",
    "line_items": [{"id": 1, "sku": "TEA-01", "name": "Sencha", "quantity": 1, "price": "1200"}],
}


@pytest.mark.parametrize("where", ["email", "customer"])
@pytest.mark.parametrize("value", SHORT)
def test_shopify_order_with_a_list_is_refused_and_nothing_stored(client, session, value, where):
    body = dict(SHOPIFY_ORDER)
    if where == "email":
        body["email"] = value
    else:
        body["customer"] = {"email": value}
    r = _shopify(client, body, "e-bad")
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_body"
    assert session.exec(select(Order)).all() == []
    assert session.exec(select(Notification)).all() == []


def test_shopify_order_with_one_address_is_stored(client, session):
    r = _shopify(client, {**SHOPIFY_ORDER, "email": "Hanako+Tea@Example.com"}, "e-ok")
    assert r.status_code == 200
    assert session.exec(select(Order.email)).one() == "hanako+tea@example.com"


# Forms -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", SHORT)
def test_lookup_form_says_in_words_that_a_list_is_not_one_address(client, demo, value):
    form = {"number": "ST-1001", "contact": value}
    en = client.post("/sakura-tea/lookup?lang=en", data=form)
    assert en.status_code == 422
    assert "one email address, without commas or semicolons" in en.get_data(as_text=True)
    ja = client.post("/sakura-tea/lookup?lang=ja", data=form)
    assert ja.status_code == 422 and "メールアドレスは1つ" in ja.get_data(as_text=True)


def test_lookup_by_one_address_still_opens_the_order(client, demo):
    form = {"number": "ST-1001", "contact": "Hanako@Example.com"}
    assert client.post("/sakura-tea/lookup", data=form).status_code == 303


def _owner(app, client, session):
    with app.app_context():
        make_staff(session, "sakura-tea", email="boss@sakura.example", role="owner")
    data = {"email": "boss@sakura.example", "password": STAFF_PASSWORD}
    assert client.post("/admin/login", data=data).status_code == 303
    return client


@pytest.mark.parametrize("value", SHORT)
def test_add_staff_refuses_a_list_in_words(app, client, session, value):
    owner = _owner(app, client, session)
    data = {"email": value, "password": "long enough password", "role": "staff"}
    r = owner.post("/admin/sakura-tea/settings/staff?lang=en", data=data)
    assert r.status_code == 422
    assert "exactly one email address" in r.get_data(as_text=True)
    ja = owner.post("/admin/sakura-tea/settings/staff?lang=ja", data=data)
    assert ja.status_code == 422 and "メールアドレスを1つ" in ja.get_data(as_text=True)
    emails = session.exec(select(StaffUser.email)).all()
    assert emails == ["boss@sakura.example"]


def test_alert_recipients_refuse_a_semicolon_list(app, client, session):
    owner = _owner(app, client, session)
    r = owner.post("/admin/sakura-tea/settings/alerts", data={"recipients": "a@x.com;b@y.com"})
    assert r.status_code == 422
    assert session.exec(select(AlertSettings)).all() == []


# To: ---------------------------------------------------------------------------------------------


def test_the_outbox_never_sends_to_two_recipients(app, session):
    """A row queued before the rule (or by a path that forgot it) is failed, not sent; a row
    with one address goes to exactly that one recipient."""
    with SmtpServer() as smtp, app.app_context():
        app.config["SMTP_URL"] = smtp.url
        for key, to in [("bad", SHORT[0]), ("bad2", SHORT[2]), ("ok", "hanako@example.com")]:
            outbox.enqueue(
                session,
                brand="sakura-tea",
                kind="inquiry",
                dedupe_key=key,
                to=to,
                subject="件名",
                body="本文",
            )
        session.commit()
        assert outbox.deliver_pending(session) == 1
        assert [e.rcpt_tos for e in smtp.handler.envelopes] == [["hanako@example.com"]]
        (msg,) = smtp.messages
        assert msg["To"] == "hanako@example.com"
    statuses = dict(session.exec(select(Notification.dedupe_key, Notification.status)).all())
    assert statuses == {"bad": "failed", "bad2": "failed", "ok": "sent"}
