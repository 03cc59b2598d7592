"""Input checked at the door, probed as an attacker would (issue 20), on SQLite and PostgreSQL:
dates at the calendar's edges, NUL and lone surrogates in signed webhooks, oversized webhook
bodies, photos with a broken EXIF block, a poisoned login ``next``, ids past 32 bits and bad
text in every text field. Each refused request answers 4xx and stores nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import struct
from datetime import date
from urllib.parse import quote

import pytest
from PIL import Image
from sqlalchemy import func
from sqlmodel import select

from tests.factories import items_of, make_order
from tests.support import FIXTURES
from tracking.mail.models import Notification
from tracking.orders.models import Order, Shipment, ShipmentEvent
from tracking.page.models import Feedback, Inquiry, PageEvent
from tracking.returns.models import ReturnEvent, ReturnPhoto, ReturnRequest
from tracking.staff.api_keys import create_api_key
from tracking.staff.models import StaffUser
from tracking.sync import webhooks
from tracking.sync.models import WebhookFeed

BRAND = "sakura-tea"
STAFF = "/admin/sakura-tea"
PASSWORD = "todoku-demo-staff"  # the demo accounts' (tracking.staff.demo)
HOOK_SECRET = "door-hook-secret"
SHOP_SECRET = "door-shop-secret"
EDGES = ["0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-09:00"]
TABLES = (
    Order,
    Shipment,
    ShipmentEvent,
    WebhookFeed,
    ReturnRequest,
    ReturnEvent,
    ReturnPhoto,
    Feedback,
    Inquiry,
    PageEvent,
    StaffUser,
    Notification,
)


@pytest.fixture
def app_config(app_config, tmp_path):
    return {
        **app_config,
        "CARRIER_WEBHOOK_SECRETS": {"SAKURA_TEA_AFTERSHIP_WEBHOOK_SECRET": HOOK_SECRET},
        "SHOPIFY_WEBHOOK_SECRETS": {"SAKURA_TEA": SHOP_SECRET},
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        # Many probes from one address: the limits are tested elsewhere. (Not RATELIMIT_ENABLED:
        # the limiter is one object per process, switching it off would outlast this test.)
        "LOOKUP_RATE_LIMIT": "1000 per minute",
    }


def counts(session) -> dict[str, int]:
    session.expire_all()
    return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in TABLES}


@pytest.fixture
def unchanged(session):
    """Row counts before the test; call it at the end to assert nothing was stored."""
    before = counts(session)

    def check() -> None:
        assert counts(session) == before

    return check


@pytest.fixture
def api(app, session):
    with app.app_context():
        return {"Authorization": "Bearer " + create_api_key(session, BRAND, "door")}


def staff_client(app, email: str = "staff@sakura-tea.example"):
    client = app.test_client()
    r = client.post("/admin/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 303, r.data
    return client


def aftership_body(number: str = "1234567890", **changes) -> bytes:
    tracking = json.loads((FIXTURES / "aftership" / "delivered.json").read_text())
    msg = tracking["data"]["trackings"][0] | {"tracking_number": number} | changes
    return json.dumps({"event": "tracking_update", "event_id": "door-1", "msg": msg}).encode()


def post_aftership(client, body: bytes, **kwargs):
    digest = hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).digest()
    headers = {"aftership-hmac-sha256": base64.b64encode(digest).decode()}
    headers["Content-Type"] = "application/json"
    return client.post(f"/hooks/aftership/{BRAND}", data=body, headers=headers, **kwargs)


def post_shopify(client, topic: str, body: bytes):
    digest = hmac.new(SHOP_SECRET.encode(), body, hashlib.sha256).digest()
    headers = {
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Topic": topic,
        "Content-Type": "application/json",
    }
    return client.post(f"/hooks/shopify/{BRAND}", data=body, headers=headers)


SHOPIFY_ORDER = {
    "id": 4400000000001,
    "name": "#D-1",
    "email": "door@example.com",
    "created_at": "2026-11-24T10:15:30+09:00",
    "currency": "JPY",
    "total_price": "1200.00",
    "line_items": [{"sku": "TEA-01", "name": "Sencha", "quantity": 1, "price": "1200.00"}],
}


@pytest.fixture
def parcel(demo, session):
    """A parcel the AfterShip webhooks below are about (the fixture's number)."""
    shipment = Shipment(
        order_id=demo["ST-1003"].id, carrier="dhl", tracking_number="1234567890", status="pending"
    )
    session.add(shipment)
    session.commit()
    return shipment


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# 1. Dates at the calendar's edges --------------------------------------------------------


@pytest.mark.parametrize("edge", EDGES)
def test_calendar_edges_are_4xx_in_bodies_queries_cursors_and_webhooks(
    app, client, session, api, parcel, unchanged, edge
):
    order = {"email": "door@example.com", "placed_at": edge}
    r = client.put("/api/v1/orders/D-1", json=order, headers=api)
    assert r.status_code == 422 and r.json["error"]["field"] == "placed_at"
    shipped = {
        "email": "door@example.com",
        "shipments": [{"tracking_number": "1", "shipped_at": edge}],
    }
    r = client.put("/api/v1/orders/D-1", json=shipped, headers=api)
    assert r.status_code == 422 and r.json["error"]["field"] == "shipments.0.shipped_at"
    r = client.put(
        "/api/v1/orders/D-1",
        json={"email": "door@example.com", "requested_date": edge[:10]},
        headers=api,
    )
    assert r.status_code == 422 and r.json["error"]["field"] == "requested_date"

    r = client.get(f"/api/v1/orders?updated_since={quote(edge)}", headers=api)
    assert r.status_code == 400 and r.json["error"]["field"] == "updated_since"
    r = client.get(f"/api/v1/orders?cursor={cursor(json.dumps([edge, 1]))}", headers=api)
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_cursor"
    deep = cursor("[" * 1500)  # past the recursion limit of a recursive parser
    r = client.get(f"/api/v1/orders?cursor={deep}", headers=api)
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_cursor"

    # A staff filter drops a day it cannot use (the list still answers).
    staff = staff_client(app)
    for page in ("orders", "figures"):
        for name in ("since", "until"):
            assert staff.get(f"{STAFF}/{page}?{name}={quote(edge)}").status_code == 200

    r = post_aftership(client, aftership_body().replace(b"2026-", edge[:5].encode()))
    assert r.status_code == 422 and r.json["error"]["code"] == "date_out_of_range"
    body = json.dumps({**SHOPIFY_ORDER, "created_at": edge}).encode()
    assert post_shopify(client, "orders/create", body).status_code == 400
    unchanged()


# 2. Signed webhook payloads with NUL and lone surrogates ----------------------------------


@pytest.mark.parametrize("bad", ["\\u0000", "\\ud800", "A\\udfffB"])
def test_signed_webhooks_with_nul_or_lone_surrogates_are_refused(
    client, session, parcel, unchanged, caplog, bad
):
    # Spelled as JSON escapes: the bytes are valid UTF-8, the decoded strings are not text.
    body = aftership_body().replace(b'"1234567890"', f'"1234567890{bad}"'.encode(), 1)
    assert bad.encode() in body
    r = post_aftership(client, body)
    assert r.status_code == 400 and r.json["error"]["code"] == "malformed"

    order = json.dumps(SHOPIFY_ORDER).replace('"#D-1"', f'"#D-1{bad}"').encode()
    r = post_shopify(client, "orders/create", order)
    assert r.status_code == 422 and r.json["error"]["field"] == "name"
    fulfillment = {"id": 1, "order_id": "4400000000001", "tracking_number": "300000000016"}
    raw = json.dumps(fulfillment).replace('"4400000000001"', f'"44{bad}"').encode()
    r = post_shopify(client, "fulfillments/create", raw)
    assert r.status_code == 422 and r.json["error"]["field"] == "order_id"
    assert any("refused" in m.getMessage() for m in caplog.records)
    assert any("malformed body" in m.getMessage() for m in caplog.records)
    unchanged()


# 3. Webhook bodies are capped before they are read or verified ----------------------------


def test_oversized_webhook_bodies_are_413_before_the_signature_is_checked(
    app, client, session, parcel, unchanged, monkeypatch
):
    checked = []

    def verify(*args) -> bool:  # a signature check that passes and says it was asked
        checked.append(args)
        return True

    monkeypatch.setattr(webhooks, "verify", verify)
    big = aftership_body(note="x" * (app.config["API_MAX_BODY_BYTES"] + 1))
    r = post_aftership(client, big)
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    # Chunked (no Content-Length): stopped while reading, at the same cap.
    r = client.post(
        f"/hooks/aftership/{BRAND}",
        input_stream=io.BytesIO(big),
        headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert r.status_code == 413
    # A form body is not parsed first (the door's own form check would read it all).
    form = b"a=" + b"x" * (app.config["API_MAX_BODY_BYTES"] + 1)
    r = client.post(
        f"/hooks/ship24/{BRAND}",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    r = post_shopify(
        client, "orders/create", json.dumps({**SHOPIFY_ORDER, "note": big.decode()}).encode()
    )
    assert r.status_code == 413
    assert checked == []
    unchanged()


# 4. Photos with a broken EXIF block ------------------------------------------------------


def _jpeg_with_exif(*entries: tuple[int, int, int, bytes]) -> bytes:
    """A 64×48 JPEG whose EXIF IFD0 holds ``entries`` (tag, type, count, 4-byte value)."""
    ifd = b"II*\x00" + struct.pack("<IH", 8, len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHI", tag, kind, count) + value
    ifd += struct.pack("<I", 0)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "JPEG", exif=b"Exif\x00\x00" + ifd)
    return out.getvalue()


ROTATE_270 = (0x0112, 3, 1, struct.pack("<HH", 6, 0))  # Orientation: turn a quarter
BROKEN_TAGS = {
    "float_make": (0x010F, 11, 1, struct.pack("<f", 1.5)),  # Make must be a string
    "string_unit": (0x0128, 2, 4, b"ab\x00\x00"),  # ResolutionUnit must be a SHORT
    "negative_width": (0x0100, 9, 1, struct.pack("<i", -5)),  # ImageWidth must be >= 0
}


def _return_form(client, token: str, order, session, photo: bytes):
    item = items_of(session, order)[0]
    data = {
        "key": "door-photo-key-0001",
        f"qty-{item.id}": "1",
        f"reason-{item.id}": "damaged",
        f"resolution-{item.id}": "refund",
        f"photos-{item.id}": (io.BytesIO(photo), "p.jpg"),
    }
    return client.post(f"/{BRAND}/o/{token}/return", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("tag", sorted(BROKEN_TAGS))
def test_photo_with_a_broken_exif_tag_is_reencoded_upright_without_exif(
    app, client, session, token_for, tag
):
    order = make_order(session, email="door@example.com")
    r = _return_form(
        client, token_for(order), order, session, _jpeg_with_exif(ROTATE_270, BROKEN_TAGS[tag])
    )
    assert r.status_code == 303, r.data[:300]
    photo = session.exec(select(ReturnPhoto)).one()
    stored = Image.open(app.config["UPLOAD_DIR"] + "/" + photo.stored_name)
    assert stored.size == (48, 64)  # turned as the Orientation tag said
    assert not stored.getexif()  # the broken block is not carried over


def test_photo_pillow_cannot_reencode_is_the_forms_error_and_nothing_stored(
    client, session, token_for, unchanged_after_order
):
    order, unchanged = unchanged_after_order
    truncated = _jpeg_with_exif(ROTATE_270)[:300]
    r = _return_form(client, token_for(order), order, session, truncated)
    assert r.status_code == 422
    assert "写真はJPEG・PNG・WebP形式でお送りください。" in r.data.decode()
    unchanged()


@pytest.fixture
def unchanged_after_order(session):
    order = make_order(session, email="door@example.com")
    before = counts(session)

    def check() -> None:
        assert counts(session) == before

    return order, check


# 5. The login's next -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/admin/%0d%0aSet-Cookie:%20x=1", "/admin/%0aLocation:%20//evil.example", "/admin/x%00"],
)
def test_control_characters_in_login_next_are_refused(app, demo, target):
    client = app.test_client()
    form = {"email": "staff@sakura-tea.example", "password": PASSWORD}
    assert client.get(f"/admin/login?next={target}").status_code == 400
    r = client.post(f"/admin/login?next={target}", data=form)
    assert r.status_code == 400 and "Set-Cookie: x" not in str(r.headers)
    assert client.get(f"{STAFF}/").status_code == 302  # not logged in


@pytest.mark.parametrize(
    "target",
    ["//evil.example/admin/", "https://evil.example/admin/", "/admin/\\\\evil.example", "/\\evil"],
)
def test_other_hosts_in_login_next_are_ignored(app, demo, target):
    client = app.test_client()
    form = {"email": "staff@sakura-tea.example", "password": PASSWORD}
    r = client.post(f"/admin/login?next={quote(target)}", data=form)
    assert r.status_code == 303 and r.headers["Location"] == f"{STAFF}/"


# 6. Ids past 32 bits -----------------------------------------------------------------------


@pytest.mark.parametrize("big", ["2147483648", "9223372036854775808", "1" * 30])
def test_ids_past_32_bits_are_404_or_ignored(app, client, session, api, demo, unchanged, big):
    owner = staff_client(app, "owner@sakura-tea.example")
    for path in (f"mail/{big}/html", f"photos/{big}"):
        assert owner.get(f"{STAFF}/{path}").status_code == 404
    for path in (
        f"mail/{big}/resend",
        f"inquiries/{big}/reply",
        f"settings/keys/{big}/revoke",
        f"settings/staff/{big}/active",
    ):
        assert owner.post(f"{STAFF}/{path}", data={"reply": "hi"}).status_code == 404
    r = owner.get(f"{STAFF}/orders?after={big}")
    assert r.status_code == 200 and b"ST-1001" in r.data  # paging from an impossible id: ignored
    rma = session.exec(select(ReturnRequest).where(ReturnRequest.brand == BRAND)).first().rma
    assert (
        owner.post(f"{STAFF}/returns/bulk-approve", data={"pick": f"{rma}:{big}"}).status_code
        == 303
    )
    r = client.get(
        f"/api/v1/orders?cursor={cursor(json.dumps(['2026-11-24T00:00:00+00:00', int(big)]))}",
        headers=api,
    )
    assert r.status_code == 400
    r = client.post(
        f"/api/v1/returns/{rma}/transitions",
        json={"action": "approve", "version": int(big)},
        headers=api,
    )
    assert r.status_code in (400, 422) and r.json["error"]["field"] in ("version", None)
    unchanged()


# 7. Every text field ----------------------------------------------------------------------

NUL = "a\x00b"
HUGE = "x" * 25_000  # past the door's longest form value


@pytest.fixture
def question(demo, session) -> Inquiry:
    """An open question for the staff reply form."""
    asked = Inquiry(
        brand=BRAND, order_id=demo["ST-1001"].id, message="届きますか?", reply_by=date(2026, 12, 1)
    )
    session.add(asked)
    session.commit()
    return asked


def _surfaces(app, session, token_for, demo, question):
    """(client, method, url, form) for every text field people and staff type into."""
    customer = app.test_client()
    staff = staff_client(app)
    owner = staff_client(app, "owner@sakura-tea.example")
    token = token_for(demo["ST-1001"])
    item = items_of(session, demo["ST-1001"])[0]
    return [
        (customer, "post", f"/{BRAND}/lookup", {"number": "ST-1001", "contact": "{}"}),
        (customer, "post", f"/{BRAND}/lookup", {"number": "{}", "contact": "x@example.com"}),
        (customer, "post", f"/{BRAND}/o/{token}/feedback", {"rating": "5", "comment": "{}"}),
        (customer, "post", f"/{BRAND}/o/{token}/feedback", {"rating": "{}"}),
        (customer, "post", f"/{BRAND}/o/{token}/ask", {"message": "{}"}),
        (
            customer,
            "post",
            f"/{BRAND}/o/{token}/return",
            {"key": "door-text-key-00001", f"qty-{item.id}": "1", "note": "{}"},
        ),
        (customer, "post", "/admin/login", {"email": "{}", "password": PASSWORD}),
        (staff, "get", f"{STAFF}/orders?q={{}}", None),
        (staff, "get", f"{STAFF}/orders?status={{}}&carrier={{}}", None),
        (staff, "get", f"{STAFF}/returns?q={{}}&reason={{}}", None),
        (staff, "get", f"{STAFF}/orders/{{}}", None),
        (staff, "post", f"{STAFF}/carriers/check", {"number": "{}"}),
        (staff, "post", f"{STAFF}/inquiries/{question.id}/reply", {"reply": "{}"}),
        (owner, "post", f"{STAFF}/settings/staff", {"email": "{}", "password": "x" * 20}),
        (owner, "post", f"{STAFF}/settings/keys", {"name": "{}"}),
    ]


def _fire(client, method, url, form, value):
    if form is None:
        return client.get(url.replace("{}", quote(value.encode("utf-8", "surrogatepass"))))
    data = {k: v.replace("{}", value) for k, v in form.items()}
    return client.post(url, data=data)


@pytest.mark.parametrize("value", [NUL, HUGE], ids=["nul", "huge"])
def test_nul_and_huge_text_are_refused_at_every_field(
    app, session, token_for, demo, question, unchanged, value
):
    for client, method, url, form in _surfaces(app, session, token_for, demo, question):
        r = _fire(client, method, url, form, value)
        assert r.status_code == 400, (url, form)
    unchanged()


@pytest.mark.parametrize("value", ["\udc80", "1" * 30], ids=["surrogate", "30-digits"])
def test_surrogates_and_long_numbers_never_reach_the_database_as_errors(
    app, session, token_for, demo, question, value
):
    # A surrogate cannot be sent as UTF-8 text: percent-encoded (%ED%B2%80) it is decoded as
    # U+FFFD, in a path, a query and a form alike; a 30-digit number is just text or no id.
    for client, method, url, form in _surfaces(app, session, token_for, demo, question):
        if form is not None:
            body = "&".join(
                f"{k}={quote(v.replace('{}', value).encode('utf-8', 'surrogatepass'))}"
                for k, v in form.items()
            )
            r = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        else:
            r = _fire(client, method, url, form, value)
        assert r.status_code < 500, (url, form)


def test_api_paths_and_queries_with_nul_are_400(client, api, unchanged):
    for url in ("/api/v1/orders/%00", "/api/v1/returns?q=%00", "/api/v1/orders?status=%00"):
        r = client.get(url, headers=api)
        assert r.status_code == 400 and r.json["error"]["code"] == "control_character", url
    r = client.put(
        "/api/v1/orders/D-1", json={"email": "a@example.com", "name": "a\x00"}, headers=api
    )
    assert r.status_code == 422 and r.json["error"]["field"] == "name"
    unchanged()
