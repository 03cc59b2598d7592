"""Races, as an attacker (or a retrying client) would start them: the same create sent many
times at the very same moment, against the Flask app on PostgreSQL with real threads (a
barrier releases them together), and against two real gunicorn workers. Every caller gets the
same answer, nobody a 500, and the row exists once.

SQLite serialises writers, so the threaded races run on PostgreSQL only; the deterministic
checks of the same rules (a key in progress, a key given back, a stale key taken over, a reply
that lost) run on both databases."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlmodel import Session, select

from tests.factories import STAFF_PASSWORD, make_order, make_return, make_staff
from tests.support import ROOT
from tests.support.server import free_port, serving
from tracking.dashboard import inquiries
from tracking.db import get_engine
from tracking.mail.models import Notification
from tracking.orders import receipts
from tracking.orders.models import (
    IntakeReceipt,
    Order,
    OrderChange,
    OrderItem,
    Shipment,
    ShipmentItem,
)
from tracking.page.inquiry import ask
from tracking.page.models import Inquiry
from tracking.returns import transitions
from tracking.returns.models import ReturnEvent, ReturnRequest
from tracking.security import order_token
from tracking.staff.api_keys import create_api_key
from tracking.staff.models import ApiKey
from tracking.timeutil import utcnow
from tracking.web.api import routes
from tracking.web.api.idempotency import fingerprint

SECRET = "shpss_race_secret"
ORDER = {
    "email": "hanako@example.com",
    "name": "山田 花子",
    "postcode": "150-0001",
    "items": [
        {"sku": "TEA-01", "name": "煎茶 100g", "quantity": 2, "price": 1200},
        {"sku": "TEA-02", "name": "ほうじ茶", "quantity": 1, "price": 900},
    ],
    "shipments": [
        {
            "carrier": "yamato",
            "tracking_number": "1234-5678-9012",
            "items": [{"sku": "TEA-01", "quantity": 2}],
        }
    ],
}
SHOPIFY_ORDER = {
    "id": 820982911946154508,
    "name": "#7001",
    "email": "hanako@example.com",
    "created_at": "2026-11-24T10:15:30+09:00",
    "updated_at": "2026-11-24T10:15:30+09:00",
    "currency": "JPY",
    "total_price": "3300.00",
    "shipping_address": {"name": "山田 花子", "zip": "150-0001"},
    "line_items": [
        {"id": 1, "sku": "TEA-01", "name": "Sencha", "quantity": 2, "price": "1200.00"},
        {"id": 2, "sku": "TEA-02", "name": "Hojicha", "quantity": 1, "price": "900.00"},
    ],
    "fulfillments": [
        {
            "id": 1,
            "status": "success",
            "tracking_company": "Yamato (JA)",
            "tracking_number": "300000000016",
            "line_items": [{"sku": "TEA-01", "quantity": 2}],
        }
    ],
}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SHOPIFY_WEBHOOK_SECRETS": {"SAKURA_TEA": SECRET}}


@pytest.fixture
def on_postgres(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the threaded race needs PostgreSQL")


@pytest.fixture
def api_headers(app, session) -> dict:
    with app.app_context():
        return {"Authorization": "Bearer " + create_api_key(session, "sakura-tea", "wms")}


def at_once(n: int, call) -> list:
    """``call(i)`` in ``n`` threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[str] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call(i)
        except Exception as exc:  # reported below, with the others
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    return results


def answer(response) -> tuple[int, dict, dict]:
    return response.status_code, response.get_json(silent=True) or {}, dict(response.headers)


def order_url(number: str, tail: str = "") -> str:
    return f"/api/v1/orders/{quote(number, safe='')}{tail}"


def rows(session, model, *where) -> list:
    session.expire_all()
    return list(session.exec(select(model).where(*where)).all())


# --- order upserts ----------------------------------------------------------------------------


def test_eight_concurrent_puts_of_a_new_order_store_it_once(app, session, api_headers, on_postgres):
    results = at_once(
        8,
        lambda _: answer(app.test_client().put(order_url("#R-1"), json=ORDER, headers=api_headers)),
    )
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200] * 7 + [201]
    assert {body["result"] for status, body, _ in results if status == 200} == {"unchanged"}
    assert len({json.dumps(body["order"], sort_keys=True) for _, body, _ in results}) == 1
    (order,) = rows(session, Order, Order.number == "#R-1")
    assert len(rows(session, OrderItem, OrderItem.order_id == order.id)) == 2
    (parcel,) = rows(session, Shipment, Shipment.order_id == order.id)
    assert len(rows(session, ShipmentItem, ShipmentItem.shipment_id == parcel.id)) == 1
    assert rows(session, OrderChange) == []


def test_concurrent_puts_adding_one_parcel_and_item_add_each_once(
    app, session, api_headers, on_postgres
):
    client = app.test_client()
    first = {**ORDER, "items": ORDER["items"][:1], "shipments": []}
    assert client.put(order_url("#R-2"), json=first, headers=api_headers).status_code == 201
    results = at_once(
        8,
        lambda _: answer(app.test_client().put(order_url("#R-2"), json=ORDER, headers=api_headers)),
    )
    assert sorted(body["result"] for _, body, _ in results) == ["unchanged"] * 7 + ["updated"]
    assert {status for status, _, _ in results} == {200}
    (order,) = rows(session, Order, Order.number == "#R-2")
    assert len(rows(session, OrderItem, OrderItem.order_id == order.id)) == 2
    assert len(rows(session, Shipment, Shipment.order_id == order.id)) == 1
    assert len(rows(session, OrderChange, OrderChange.order_id == order.id)) == 1


def test_concurrent_parcel_posts_add_the_parcel_once(app, session, api_headers, on_postgres):
    client = app.test_client()
    first = {**ORDER, "shipments": []}
    assert client.put(order_url("#R-4"), json=first, headers=api_headers).status_code == 201
    parcel = ORDER["shipments"][0]
    results = at_once(
        8,
        lambda _: answer(
            app.test_client().post(
                order_url("#R-4", "/shipments"), json=parcel, headers=api_headers
            )
        ),
    )
    assert sorted(status for status, _, _ in results) == [200] * 7 + [201]
    (order,) = rows(session, Order, Order.number == "#R-4")
    (shipment,) = rows(session, Shipment, Shipment.order_id == order.id)
    assert len(rows(session, ShipmentItem, ShipmentItem.shipment_id == shipment.id)) == 1


def shopify_post(client, body: bytes, event: str, topic: str = "orders/create"):
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
    return client.post(
        "/hooks/shopify/sakura-tea",
        data=body,
        content_type="application/json",
        headers={
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": signature.decode(),
            "X-Shopify-Event-Id": event,
        },
    )


@pytest.mark.parametrize("events", ["one event id", "six event ids"])
def test_six_identical_shopify_deliveries_at_once_store_the_order_once(
    app, session, on_postgres, events
):
    body = json.dumps(SHOPIFY_ORDER).encode()
    results = at_once(
        6,
        lambda i: answer(
            shopify_post(app.test_client(), body, "ev-1" if events == "one event id" else f"ev-{i}")
        ),
    )
    assert {status for status, _, _ in results} == {200}
    assert {body["status"] for _, body, _ in results} <= {"applied", "duplicate"}
    (order,) = rows(session, Order, Order.brand == "sakura-tea", Order.number == "#7001")
    assert order.external_id == str(SHOPIFY_ORDER["id"])
    assert len(rows(session, OrderItem, OrderItem.order_id == order.id)) == 2
    assert len(rows(session, Shipment, Shipment.order_id == order.id)) == 1
    assert len(rows(session, IntakeReceipt, IntakeReceipt.scope == "shopify-order")) == 1


def test_six_copies_of_one_fulfillment_at_once_add_the_parcel_once(app, session, on_postgres):
    order_body = json.dumps({**SHOPIFY_ORDER, "fulfillments": []}).encode()
    assert shopify_post(app.test_client(), order_body, "ev-order").status_code == 200
    fulfillment = {
        **SHOPIFY_ORDER["fulfillments"][0],
        "order_id": SHOPIFY_ORDER["id"],
        "name": "#7001.1",
        "updated_at": "2026-11-25T09:00:00+09:00",
    }
    body = json.dumps(fulfillment).encode()
    results = at_once(
        6,
        lambda i: answer(
            shopify_post(app.test_client(), body, f"ev-f{i}", topic="fulfillments/create")
        ),
    )
    assert {status for status, _, _ in results} == {200}
    (order,) = rows(session, Order, Order.number == "#7001")
    (shipment,) = rows(session, Shipment, Shipment.order_id == order.id)
    assert len(rows(session, ShipmentItem, ShipmentItem.shipment_id == shipment.id)) == 1
    assert len(rows(session, IntakeReceipt, IntakeReceipt.scope == "shopify-fulfillment")) == 1


# --- Idempotency-Key --------------------------------------------------------------------------


def link_request(client, headers, key: str = "link-once"):
    return client.post(
        order_url("#R-3", "/link"), headers={**headers, "Idempotency-Key": key}, json=None
    )


@pytest.fixture
def linked_order(app, session, api_headers) -> Order:
    client = app.test_client()
    assert client.put(order_url("#R-3"), json=ORDER, headers=api_headers).status_code == 201
    return rows(session, Order, Order.number == "#R-3")[0]


def retry_until_answered(client, headers) -> tuple[int, dict, dict]:
    for _ in range(50):
        status, body, head = answer(link_request(client, headers))
        if status != 409:
            return status, body, head
        assert body["error"]["code"] == "idempotency_in_progress"
        time.sleep(0.05)  # not Retry-After: the first request is known to be done by now
    raise AssertionError("the key stayed in progress")


def test_six_concurrent_link_requests_with_one_key_issue_one_link(
    app, session, api_headers, linked_order, on_postgres
):
    results = at_once(6, lambda _: answer(link_request(app.test_client(), api_headers)))
    assert {status for status, _, _ in results} <= {200, 409}
    for status, body, head in results:
        if status == 409:
            assert body["error"]["code"] == "idempotency_in_progress" and head["Retry-After"]
    final = [retry_until_answered(app.test_client(), api_headers) for _ in range(2)]
    links = {body["link"] for status, body, _ in results + final if status == 200}
    assert len(links) == 1
    session.refresh(linked_order)
    with app.app_context():
        token = order_token("sakura-tea", linked_order.public_id)
    assert links.pop().endswith(f"/sakura-tea/o/{token}")  # the one link still works


@pytest.fixture
def held_link(monkeypatch):
    """``fresh_link`` that waits until the test lets it go: a request caught mid-work."""
    started, go = threading.Event(), threading.Event()
    real = routes.fresh_link

    def slow(session, order):
        started.set()
        assert go.wait(timeout=30)
        return real(session, order)

    monkeypatch.setattr(routes, "fresh_link", slow)
    return started, go


def test_a_second_caller_is_told_to_retry_then_gets_the_first_answer(
    app, api_headers, linked_order, held_link
):
    app.config["IDEMPOTENCY_WAIT_SECONDS"] = 0
    started, go = held_link
    first: list = []
    worker = threading.Thread(
        target=lambda: first.append(answer(link_request(app.test_client(), api_headers)))
    )
    worker.start()
    assert started.wait(timeout=30)
    status, body, head = answer(link_request(app.test_client(), api_headers))
    assert status == 409 and body["error"]["code"] == "idempotency_in_progress"
    assert int(head["Retry-After"]) >= 1
    go.set()
    worker.join(timeout=30)
    assert first[0][0] == 200
    status, body, head = answer(link_request(app.test_client(), api_headers))
    assert status == 200 and body == first[0][1] and head["Idempotent-Replayed"] == "true"


def test_a_waiting_caller_gets_the_first_answer_without_a_retry(
    app, api_headers, linked_order, held_link, on_postgres
):
    app.config["IDEMPOTENCY_WAIT_SECONDS"] = 10
    started, go = held_link
    first: list = []
    worker = threading.Thread(
        target=lambda: first.append(answer(link_request(app.test_client(), api_headers)))
    )
    worker.start()
    assert started.wait(timeout=30)
    second: list = []
    waiter = threading.Thread(
        target=lambda: second.append(answer(link_request(app.test_client(), api_headers)))
    )
    waiter.start()
    go.set()
    worker.join(timeout=30)
    waiter.join(timeout=30)
    assert first[0][0] == second[0][0] == 200 and first[0][1] == second[0][1]


def test_a_failed_request_gives_its_key_back(app, session, api_headers, linked_order, monkeypatch):
    def broken(session, order):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(routes, "fresh_link", broken)
    with pytest.raises(RuntimeError):
        link_request(app.test_client(), api_headers)
    assert rows(session, IntakeReceipt, IntakeReceipt.key == "link-once") == []
    monkeypatch.undo()
    status, body, _ = answer(link_request(app.test_client(), api_headers))
    assert status == 200 and "/sakura-tea/o/" in body["link"]


@pytest.mark.parametrize("age, taken_over", [(120, True), (5, False)])
def test_a_key_left_pending_by_a_dead_worker_is_taken_over_once_stale(
    app, session, api_headers, linked_order, age, taken_over
):
    app.config.update(IDEMPOTENCY_WAIT_SECONDS=0, IDEMPOTENCY_STALE_SECONDS=60)
    (api_key,) = rows(session, ApiKey)  # receipts are kept per API key
    receipts.reserve(
        session,
        "sakura-tea",
        f"api-key:{api_key.id}",
        "link-once",
        fingerprint=fingerprint("POST", "/api/v1/orders/#R-3/link", b""),
        stale_after=timedelta(seconds=60),
        now=utcnow() - timedelta(seconds=age),
    )
    status, body, _ = answer(link_request(app.test_client(), api_headers))
    if taken_over:
        assert status == 200 and "/sakura-tea/o/" in body["link"]
    else:
        assert status == 409 and body["error"]["code"] == "idempotency_in_progress"


# --- one reply per question -------------------------------------------------------------------


@pytest.fixture
def question(app, session) -> Inquiry:
    with app.test_request_context():
        brand = app.extensions["todoku_brands"]["sakura-tea"]
        order = make_order(session)
        return ask(session, brand, order, "ギフト包装できますか?", "ja")


def test_two_staff_replying_at_once_one_reply_counts(app, session, question, on_postgres):
    emails = ["aoi@sakura-tea.example", "ren@sakura-tea.example"]
    clients = []
    for email in emails:
        make_staff(session, email=email)
        client = app.test_client()
        r = client.post("/admin/login", data={"email": email, "password": STAFF_PASSWORD})
        assert r.status_code == 303
        clients.append(client)
    replies = ["はい、包装します。", "申し訳ありません、できません。"]
    url = f"/admin/sakura-tea/inquiries/{question.id}/reply?lang=en"
    results = at_once(
        2, lambda i: clients[i].post(url, data={"reply": replies[i]}).get_data(as_text=True)
    )
    session.refresh(question)
    winner = replies.index(question.reply)
    loser = 1 - winner
    assert question.replied_by == emails[winner]
    assert "This question has already been answered." in results[loser]
    assert replies[winner] in results[loser] and replies[loser] in results[loser]
    (mail,) = rows(session, Notification, Notification.kind == "inquiry_reply")
    assert replies[winner] in mail.body_text and replies[loser] not in mail.body_text


def test_a_reply_from_a_stale_page_loses_to_the_first(app, session, question):
    """The conditional update, without threads: the second reply was read while open."""
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    order = session.get(Order, question.order_id)
    with Session(get_engine(app), expire_on_commit=False) as second:
        stale = second.get(Inquiry, question.id)  # what the second staff member's page read
        assert stale.status == "open"
        with app.test_request_context():
            inquiries.reply(session, brand, question, order, "はい。", "aoi@sakura-tea.example")
            with pytest.raises(inquiries.AlreadyAnswered):
                inquiries.reply(second, brand, stale, order, "いいえ。", "ren@sakura-tea.example")
        assert stale.reply == "はい。" and stale.replied_by == "aoi@sakura-tea.example"
    assert len(rows(session, Notification, Notification.kind == "inquiry_reply")) == 1


# --- staff acting on one return at once -------------------------------------------------------


def test_two_staff_approving_one_return_at_once_approve_it_once(app, session, on_postgres):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    with app.app_context():
        order = make_order(session, delivered_at=utcnow() - timedelta(days=1))
        rr = make_return(session, brand, order)

    def approve(i: int) -> str:
        with app.app_context(), Session(get_engine(app), expire_on_commit=False) as own:
            mine = own.get(ReturnRequest, rr.id)
            try:
                transitions.transition(own, brand, mine, "approve", actor=f"staff-{i}")
            except transitions.TransitionError as exc:
                return exc.code
            return "approved"

    outcomes = at_once(4, approve)
    # A loser that read the return before the winner's write is "stale", one that read it
    # after is "illegal" (approved cannot be approved): either way it moved nothing.
    assert outcomes.count("approved") == 1
    assert set(outcomes) - {"approved"} <= {"stale", "illegal"}
    events = rows(session, ReturnEvent, ReturnEvent.return_id == rr.id)
    assert [e.action for e in events].count("approve") == 1


# --- two real gunicorn workers ----------------------------------------------------------------


def test_concurrent_puts_at_two_gunicorn_workers_store_each_order_once(
    app, session, api_headers, database_url, on_postgres, tmp_path
):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TODOKU_ENV", "FLASK_"))}
    env.update(DATABASE_URL=database_url, SECRET_KEY="race-test-" + "x" * 32)
    env["TODOKU_BASE_URL"] = f"http://127.0.0.1:{port}"
    web = serving(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        + ["app:create_app()"],
        port=port,
        cwd=ROOT,
        env=env,
        log=tmp_path / "gunicorn.log",
    )

    def put(number: str, base: str) -> int:
        request = urllib.request.Request(
            base + order_url(number),
            data=json.dumps(ORDER).encode(),
            method="PUT",
            headers={**api_headers, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    with web as base:
        numbers = [f"#G-{n}" for n in range(5)]
        statuses = at_once(8 * len(numbers), lambda i: put(numbers[i % len(numbers)], base))
    assert sorted(statuses) == [200] * 35 + [201] * 5, (tmp_path / "gunicorn.log").read_text()[
        -3000:
    ]
    for number in numbers:
        (order,) = rows(session, Order, Order.number == number)
        assert len(rows(session, OrderItem, OrderItem.order_id == order.id)) == 2
        assert len(rows(session, Shipment, Shipment.order_id == order.id)) == 1
