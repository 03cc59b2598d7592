"""Logs never carry a customer's personal data or a secret (issue 22).

Every log record of a whole journey is kept — the root logger at DEBUG, werkzeug's and
SQLAlchemy's loggers at the levels ``logs.configure`` leaves them in production — through the
customer side (lookups right and wrong, the signed page, a return with a photo and a note, a
question, a crash on a signed path, unsubscribing), the staff side (sign-in right and wrong, an
order page and its action, an import upload), the API (create and update with email, phone and
address, an idempotent replay, bad requests, a wrong key), the shop webhook (good and bad
signature) and a worker round (a carrier poll, a failing carrier, mail through the test SMTP
server, one refused). Each record is then formatted in both formats with production's settings
and **redaction off**: what keeps the values out is what each call logs, not the filter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlmodel import select

import carriers
from carriers import AuthFailed
from carriers.simulated import example_number
from tests.factories import items_of, make_order, make_staff
from tests.support import FIXTURES
from tests.support.imports import run_imports
from tests.support.returns import jpeg
from tests.support.smtp import SmtpServer
from tracking.mail.models import Notification
from tracking.mail.unsubscribe import unsubscribe_url
from tracking.monitoring import logs
from tracking.orders.models import Shipment
from tracking.staff.api_keys import create_api_key
from tracking.timeutil import utcnow

EMAIL = "Hanako.Yamada@Example.com"
PHONE = "090-1234-5678"
NAME = "山田 花子"
ADDRESS = "東京都渋谷区神宮前1-2-3 コーポ青山201"
POSTCODE = "150-0001"
NOTE = "箱がつぶれていました。山田より"
QUESTION = "贈答用の包装はできますか？ 電話 03-9876-5432 まで"
COMMENT = "Lovely tea, thanks — ring me on 03-5555-1212"
STAFF_EMAIL = "keiko.sato@sakura-tea.example"
STAFF_PASSWORD = "correct horse battery"
WRONG_PASSWORD = "wrong horse battery staple"
SHOP_SECRET = "shpss_logs_secret_value_1"
CARRIER_KEY = "flaky-carrier-api-key-0123456789"
API_EMAIL = "taro.suzuki@example.org"
API_PHONE = "+1 503 555 0100"
API_NAME = "Taro Suzuki"
API_ADDRESS = "1200 NW Naito Pkwy, Portland"
# What the shop's CSV export (tests/fixtures/imports/shopify_orders.csv) carries.
CSV_VALUES = ("hanako@example.com", "神宮前1-2-3", "090-1234-5678")

PERSONAL = (
    EMAIL,
    PHONE,
    PHONE.replace("-", ""),
    NAME,
    ADDRESS,
    POSTCODE,
    POSTCODE.replace("-", ""),
    NOTE,
    QUESTION,
    "03-9876-5432",
    COMMENT,
    "03-5555-1212",
    STAFF_EMAIL,
    API_EMAIL,
    API_PHONE,
    API_NAME,
    API_ADDRESS,
    *CSV_VALUES,
)
SECRETS = (STAFF_PASSWORD, WRONG_PASSWORD, SHOP_SECRET, CARRIER_KEY, "test-secret-key")


class Flaky(carriers.Adapter):
    """A carrier whose account is refused: it reads its key, then fails."""

    code = "flaky"
    names = {"en": "Flaky"}
    batch_size = 1
    credential_env = {"api_key": "FLAKY_API_KEY"}

    def validate(self, number):
        return True

    def fetch(self, numbers, **context):
        self.account(context.get("account")).get("api_key")
        raise AuthFailed("GET https://api.flaky.example/v1/track: HTTP 401")


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.addFilter(logs.Context())  # the request context; not the redaction

    def emit(self, record):
        # The test SMTP server's own log (aiosmtpd) is not Todoku's.
        if not record.name.startswith("mail.log"):
            self.records.append(record)


@pytest.fixture
def app_config(app_config, tmp_path):
    return {
        **app_config,
        "SHOPIFY_WEBHOOK_SECRETS": {"SAKURA_TEA": SHOP_SECRET},
        "CARRIER_ENVIRON": {"FLAKY_API_KEY": CARRIER_KEY},
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        # A crash answers 500 and is logged, as in production (not raised into the test).
        "PROPAGATE_EXCEPTIONS": False,
    }


@pytest.fixture
def records(app, monkeypatch):
    monkeypatch.setitem(carriers.REGISTRY, "flaky", Flaky())
    handler = Capture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.records
    root.removeHandler(handler)
    root.setLevel(level)


def _customer(app, client, session, monkeypatch) -> list[str]:
    order = make_order(session, email=EMAIL.lower())
    order.name, order.phone, order.address, order.postcode = NAME, PHONE, ADDRESS, "1500001"
    session.add(order)
    session.commit()
    for contact, status in ((EMAIL, 303), (POSTCODE, 303), ("hanako@wrong.example", 404)):
        r = client.post("/sakura-tea/lookup", data={"number": order.number, "contact": contact})
        assert r.status_code == status, contact
    client.post("/sakura-tea/lookup", data={"number": order.number, "contact": "999-9999"})
    page_url = client.post(
        "/sakura-tea/lookup", data={"number": order.number, "contact": EMAIL}
    ).headers["Location"]
    token = page_url.rsplit("/", 1)[1].split("?")[0]
    assert client.get(page_url).status_code == 200
    assert client.post(f"{page_url}/ask", data={"message": QUESTION}).status_code == 303
    r = client.post(f"{page_url}/feedback", data={"rating": "5", "comment": COMMENT})
    assert r.status_code == 303
    # A return with a photo and a note.
    form = client.get(f"{page_url}/return").get_data(as_text=True)
    yun, _ = items_of(session, order)
    data = {
        "key": re.search(r'name="key" value="([^"]+)"', form).group(1),
        f"qty-{yun.id}": "1",
        f"reason-{yun.id}": "damaged",
        f"resolution-{yun.id}": "refund",
        f"photos-{yun.id}": [(io.BytesIO(jpeg()), f"{NAME}.jpg")],
        "note": NOTE,
    }
    r = client.post(f"{page_url}/return", data=data, content_type="multipart/form-data")
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    return_url = r.headers["Location"]
    assert client.get(return_url).status_code == 200
    # Unsubscribing through the mailed link.
    with app.test_request_context():
        unsubscribe = unsubscribe_url("sakura-tea", order.public_id)
    path = "/" + unsubscribe.split("/", 3)[3]
    assert client.get(path).status_code == 200
    assert client.post(path).status_code in (200, 303)

    # A crash on a signed path whose message quotes the customer: a 500, logged.
    def crash(*args, **kwargs):
        raise ValueError(f"could not store the question of {EMAIL} ({PHONE})")

    monkeypatch.setattr("tracking.page.inquiry.ask", crash)
    assert client.post(f"{page_url}/ask", data={"message": QUESTION}).status_code == 500
    monkeypatch.undo()
    monkeypatch.setitem(carriers.REGISTRY, "flaky", Flaky())
    made = [token, return_url.rsplit("/", 1)[1], path.rsplit("/", 1)[1], order.public_id]
    return made, order.number


def _staff(app, client, session, number: str) -> None:
    with app.app_context():
        make_staff(session, email=STAFF_EMAIL, password=STAFF_PASSWORD, role="owner")
    wrong = {"email": STAFF_EMAIL, "password": WRONG_PASSWORD}
    assert client.post("/admin/login", data=wrong).status_code in (200, 401, 422)
    unknown = {"email": "nobody." + STAFF_EMAIL, "password": STAFF_PASSWORD}
    client.post("/admin/login", data=unknown)
    right = {"email": STAFF_EMAIL, "password": STAFF_PASSWORD}
    assert client.post("/admin/login", data=right).status_code == 303
    page = client.get(f"/admin/sakura-tea/orders/{quote(number, safe='')}?lang=en")
    assert page.status_code == 200
    key = re.search(r'name="key" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    r = client.post(f"/admin/sakura-tea/orders/{quote(number, safe='')}/resend", data={"key": key})
    assert r.status_code == 303
    csv = (FIXTURES / "imports" / "shopify_orders.csv").read_bytes()
    data = {"format": "auto", "file": (io.BytesIO(csv), "shopify_orders.csv")}
    r = client.post("/admin/sakura-tea/import", data=data, content_type="multipart/form-data")
    assert r.status_code == 303
    assert run_imports(app) == 1  # the worker runs the preview, then the import
    page = client.get(r.headers["Location"] + "?lang=en").get_data(as_text=True)
    confirm = re.search(r'action="([^"]+/confirm)"', page)[1]
    assert client.post(confirm).status_code == 303
    assert run_imports(app) == 1
    client.post("/admin/logout")


def _api(app, client, session) -> list[str]:
    with app.app_context():
        key = create_api_key(session, "sakura-tea", "wms")
    h = {"Authorization": f"Bearer {key}"}
    order = {
        "email": API_EMAIL,
        "phone": API_PHONE,
        "name": API_NAME,
        "address": API_ADDRESS,
        "postcode": "97205",
        "placed_at": "2026-11-24T10:15:00+09:00",
        "items": [{"sku": "TEA-01", "name": "Sencha", "quantity": 1, "price": 1200}],
        "shipments": [
            {
                "carrier": "yamato",
                "tracking_number": example_number("yamato", "delivered", 3),
                "shipped_at": (utcnow() - timedelta(days=2)).isoformat(),
            }
        ],
    }
    url = "/api/v1/orders/LOG-1"
    assert client.put(url, json=order, headers=h).status_code == 201
    assert client.put(url, json={**order, "name": API_NAME + " Jr"}, headers=h).status_code == 200
    parcel = {"carrier": "1003", "tracking_number": "987654321098"}
    replay = {**h, "Idempotency-Key": "logs-replay-1"}
    for _ in range(2):
        r = client.post(f"{url}/shipments", json=parcel, headers=replay)
        assert r.status_code == 201
    assert r.headers["Idempotent-Replayed"] == "true"
    link = client.post(f"{url}/link", headers=h).json["link"]
    two = {**order, "email": f"{API_EMAIL}, {EMAIL}"}
    assert client.put(url, json=two, headers=h).status_code == 422
    body = json.dumps(order)[:-1].encode()  # cut short: not JSON
    r = client.put(url, data=body, headers=h, content_type="application/json")
    assert r.status_code == 400
    assert client.put(url, json=order, headers={"Authorization": key[:-2]}).status_code == 401
    wrong = {"Authorization": f"Bearer {key[:-4]}abcd"}
    assert client.put(url, json=order, headers=wrong).status_code == 401
    # The secret part follows the second "_" (it may hold "_" itself: split there only).
    return [key, key.split("_", 2)[-1], link.rsplit("/", 1)[1]]


def _hooks(client) -> None:
    payload = {
        "id": 820982911946154508,
        "name": "#LOG-2",
        "email": EMAIL,
        "phone": PHONE,
        "created_at": "2026-11-24T10:15:30+09:00",
        "updated_at": "2026-11-24T10:15:30+09:00",
        "currency": "JPY",
        "total_price": "1200.00",
        "shipping_address": {"name": NAME, "zip": POSTCODE, "address1": ADDRESS},
        "line_items": [{"id": 1, "sku": "TEA-01", "name": "Sencha", "quantity": 1}],
    }
    raw = json.dumps(payload, ensure_ascii=False).encode()
    for secret, status in ((SHOP_SECRET, 200), ("not-the-secret", 401)):
        digest = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
        headers = {
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
            "X-Shopify-Event-Id": f"ev-{status}",
            "Content-Type": "application/json",
        }
        r = client.post("/hooks/shopify/sakura-tea", data=raw, headers=headers)
        assert r.status_code == status


def _worker(app, session) -> None:
    order = make_order(session, email=EMAIL.lower())
    session.add(Shipment(order_id=order.id, carrier="flaky", tracking_number="FLAKY000001"))
    for parcel in session.exec(select(Shipment)).all():
        parcel.next_check_at = utcnow() - timedelta(minutes=1)
        session.add(parcel)
    queued = session.exec(select(Notification).where(Notification.status == "queued")).all()
    assert len(queued) >= 2
    for note in queued:
        note.send_after, note.send_before = utcnow() - timedelta(minutes=1), None
        session.add(note)
    session.commit()
    with SmtpServer() as smtp:
        smtp.handler.answers = [f"550 5.1.1 <{EMAIL.lower()}>: Recipient address rejected"]
        app.config["SMTP_URL"] = smtp.url
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert smtp.messages, "no mail went through the test server"


def test_a_whole_journey_logs_no_personal_data_and_no_secret(
    app, client, session, records, monkeypatch
):
    values = list(PERSONAL) + list(SECRETS)
    made, number = _customer(app, client, session, monkeypatch)
    values += made
    _staff(app, client, session, number)
    values += _api(app, client, session)
    _hooks(client)
    _worker(app, session)

    texts = _formatted(records)
    lowered = {kind: [t.lower() for t in lines] for kind, lines in texts.items()}
    for value in values:
        for kind, lines in lowered.items():
            found = [t for t in lines if value.lower() in t]
            assert not found, f"{value!r} in a {kind} log line: {found[0][:400]}"

    messages = [r.getMessage() for r in records]
    # The journey was logged: a line per request, the refused webhook, the crash, the failing
    # carrier and mail, and the round's summary.
    assert any("bad signature" in m for m in messages)
    assert any(m.startswith("Exception on portal.ask_shop [POST]") for m in messages)
    assert any(m.startswith("sync: flaky") and "fetch failed" in m for m in messages)
    assert any(re.match(r"mail \d+ not sent: SMTPDataError 550$", m) for m in messages)
    assert any(m.startswith("worker: ") and " checked, " in m for m in messages)
    _check_json(texts["json"])


def _formatted(records) -> dict[str, list[str]]:
    out = {}
    for kind in ("plain", "json"):
        formatter = logs.formatter(kind, redacted=False, messages=False)
        out[kind] = [formatter.format(r) for r in records]
    return out


def _check_json(lines: list[str]) -> None:
    parsed = [json.loads(line) for line in lines]
    requests = [p for p in parsed if p["logger"] == "todoku.request"]
    assert len(requests) >= 30
    for line in requests:
        assert {"time", "level", "message", "request_id", "status", "duration_ms"} <= set(line)
        assert line["time"].endswith("+00:00")
    endpoints = {line.get("endpoint") for line in requests}
    assert {
        "portal.lookup",
        "returns.submit_return",
        "api.put_order",
        "shop_hooks.shopify",
    } <= endpoints
    assert {line["status"] for line in requests} >= {200, 303, 401, 422, 500}
    (crash,) = [p for p in parsed if p["message"].startswith("Exception on")]
    assert "message not logged" in crash["exception"] and crash["request_id"]
    assert crash["brand"] == "sakura-tea"
    (summary,) = [p for p in parsed if p["logger"] == "todoku.worker"]
    assert summary["checked"] >= 2 and summary["failed"] >= 1 and summary["mail_sent"] >= 1
