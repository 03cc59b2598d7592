"""Rakuten mode per order source (``[mail.rakuten_mode]``, intake-formats.md §2.6–2.7): one brand
sells on Rakuten and on Shopify at once. Mail about its Rakuten orders (their source, or a masked
Rakuten address) goes through the brand's relay with STARTTLS and SMTP AUTH from the registered
address and stays order-related (no coupon, no warranty reminder, follow-up only within three
weeks of shipping); mail about its Shopify orders goes through the normal server with the
coupon. The app refuses to start when a relay setting is missing or the old brand-wide switch is
still there."""

from __future__ import annotations

import shutil
import ssl
from datetime import timedelta
from pathlib import Path

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import select

from tests.support import ROOT
from tests.support.smtp import SmtpServer, free_port, parts
from tracking.brands.brand import BrandConfigError
from tracking.config import ConfigError
from tracking.mail import outbox, triggers
from tracking.mail.models import CouponCode, Notification
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentItem
from tracking.staff.auth import create_staff
from tracking.timeutil import utcnow

REGISTERED = "order@sakura-tea.example"
USER, PASSWORD = "rakuten-relay-id", "relay-secret"
SECRETS = {"TODOKU_SMTP_RAKUTEN_USER": USER, "TODOKU_SMTP_RAKUTEN_PASS": PASSWORD}
RELAY = {
    "host": '"127.0.0.1"',
    "starttls": "true",
    "user_env": '"TODOKU_SMTP_RAKUTEN_USER"',
    "password_env": '"TODOKU_SMTP_RAKUTEN_PASS"',
}


def brands_dir(
    tmp_path: Path, port: int, *, drop: str | None = None, from_address=True, extra: str = ""
) -> Path:
    """The demo brands with sakura-tea selling on Rakuten too: ``[mail.rakuten_mode]`` for the
    source "rakuten", its relay on ``port``, and a pool coupon (so a code drawn for the wrong
    order would show). ``drop`` leaves one relay key out (or the whole relay section, or
    switches STARTTLS off); ``extra`` goes into ``[mail]`` as it is."""
    target = tmp_path / f"brands-{drop or 'full'}-{from_address}-{len(extra)}"
    shutil.copytree(ROOT / "brands", target)
    path = target / "sakura-tea.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("[mail]\n", "[mail]\n" + extra, 1)
    text = text.replace('code = "SAKURA-THANKS10"', "pool = true")
    text += '\n[mail.rakuten_mode]\nsources = ["rakuten"]\n'
    if from_address:
        text += f'from_address = "{REGISTERED}"\n'
    relay = {**RELAY, "port": str(port)}
    if drop == "smtp":
        relay = {}
    elif drop == "starttls":  # on by default: the mistake is switching it off
        relay["starttls"] = "false"
    elif drop:
        relay.pop(drop)
    if relay:
        text += "\n[mail.rakuten_mode.smtp]\n" + "".join(f"{k} = {v}\n" for k, v in relay.items())
    path.write_text(text, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


class Relay(SmtpServer):
    """aiosmtpd as Rakuten's relay: STARTTLS required before AUTH, AUTH required before MAIL."""

    def __init__(self, ca):
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_ctx)
        self.logins: list[tuple[str, bool]] = []
        super().__init__(
            tls_context=server_ctx,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=self._authenticate,
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (USER, PASSWORD)
        self.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok)


@pytest.fixture
def relay(ca):
    with Relay(ca) as server:
        yield server


@pytest.fixture
def shop_server():
    """The installation's own server (``SMTP_URL``): every mail not in Rakuten mode."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def rakuten_app(app_config, tmp_path, relay, shop_server, ca):
    from app import create_app

    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    app = create_app(
        {
            **app_config,
            "BRANDS_DIR": str(brands_dir(tmp_path, relay.port)),
            "SMTP_SECRETS": SECRETS,
            "SMTP_URL": shop_server.url,
            "MAIL_TLS_CONTEXT": client_ctx,
        }
    )
    yield app
    app.extensions["todoku_engine"].dispose()


def _order(
    session,
    shipped_days_ago: float,
    delivered_days_ago: float,
    *,
    number: str = "R-1",
    email: str = "abc1@pc.fw.rakuten.ne.jp",
    source: str = "rakuten",
) -> Order:
    now = utcnow()
    order = Order(brand="sakura-tea", number=number, email=email, name="楽天 太郎", source=source)
    session.add(order)
    session.flush()
    item = OrderItem(order_id=order.id, sku="S", name="煎茶", qty=1)
    parcel = Shipment(
        order_id=order.id,
        carrier="yamato",
        tracking_number="123456789012",
        status="delivered",
        shipped_at=now - timedelta(days=shipped_days_ago),
        delivered_at=now - timedelta(days=delivered_days_ago),
    )
    session.add_all([item, parcel])
    session.flush()
    session.add(ShipmentItem(shipment_id=parcel.id, order_item_id=item.id, qty=1))
    session.commit()
    return order


def _session(app):
    from sqlmodel import Session

    from tracking.db import get_engine

    return Session(get_engine(app), expire_on_commit=False)


def _deliver_all(session) -> None:
    later = utcnow() + timedelta(days=30)
    while outbox.deliver_pending(session, now=later):
        pass


def test_one_brand_rakuten_order_via_the_relay_without_coupon_shopify_order_normal_with_coupon(
    rakuten_app, relay, shop_server
):
    with rakuten_app.app_context(), _session(rakuten_app) as session:
        brand = rakuten_app.extensions["todoku_brands"]["sakura-tea"]
        session.add(CouponCode(brand="sakura-tea", code="POOL-CODE-1"))
        rakuten = _order(session, shipped_days_ago=3, delivered_days_ago=1)
        shopify = _order(
            session,
            shipped_days_ago=3,
            delivered_days_ago=1,
            number="#1001",
            email="hanako@example.com",
            source="shopify",
        )
        for order in (rakuten, shopify):
            triggers.order_changed(session, brand, order)
        session.commit()
        _deliver_all(session)
        notes = session.exec(select(Notification).order_by(Notification.id)).all()
        issued = session.exec(select(CouponCode).where(CouponCode.order_id.is_not(None))).all()
    by_order = {(n.order_id, n.kind): (n.mail_mode, n.status) for n in notes}
    assert by_order == {
        (rakuten.id, "delivered"): ("rakuten", "sent"),
        (rakuten.id, "follow_up"): ("rakuten", "sent"),
        (shopify.id, "delivered"): ("normal", "sent"),
        (shopify.id, "follow_up"): ("normal", "sent"),
    }
    # The Rakuten order's mail: only through the relay, logged in, from the registered address.
    assert relay.logins and all(ok for _login, ok in relay.logins)
    assert {e.mail_from for e in relay.handler.envelopes} == {REGISTERED}
    assert {m["To"] for m in relay.messages} == {"abc1@pc.fw.rakuten.ne.jp"}
    for msg in relay.messages:
        assert REGISTERED in msg["From"]
        for part in parts(msg).values():
            assert "POOL-CODE-1" not in part and "クーポン" not in part  # no coupon
    # The Shopify order's mail: the normal server, with the coupon drawn for it alone.
    assert {m["To"] for m in shop_server.messages} == {"hanako@example.com"}
    assert len(shop_server.messages) == 2
    assert REGISTERED not in {e.mail_from for e in shop_server.handler.envelopes}
    assert [(c.order_id, c.code) for c in issued] == [(shopify.id, "POOL-CODE-1")]
    delivered = next(m for m in shop_server.messages if "POOL-CODE-1" in parts(m)["text/plain"])
    assert "クーポン" in parts(delivered)["text/plain"]


def test_a_masked_rakuten_address_is_rakuten_mode_whatever_the_source(rakuten_app, relay):
    """An order taken in before sources were recorded (``""``), or sent by an API caller that
    named another source, still reaches a Rakuten buyer only through the relay."""
    with rakuten_app.app_context(), _session(rakuten_app) as session:
        brand = rakuten_app.extensions["todoku_brands"]["sakura-tea"]
        order = _order(session, shipped_days_ago=3, delivered_days_ago=1, source="")
        note = triggers.order_changed(session, brand, order)
        session.commit()
        assert note.mail_mode == "rakuten"
        _deliver_all(session)
    assert {e.mail_from for e in relay.handler.envelopes} == {REGISTERED}


def test_follow_up_only_within_three_weeks_of_shipping_and_only_for_rakuten(rakuten_app):
    with rakuten_app.app_context(), _session(rakuten_app) as session:
        brand = rakuten_app.extensions["todoku_brands"]["sakura-tea"]
        # Shipped 20 days ago, delivered 2 days ago: the follow-up (5 days after delivery) would
        # fall 23 days after shipping, past Rakuten's three weeks.
        order = _order(session, shipped_days_ago=20, delivered_days_ago=2)
        shopify = _order(
            session,
            shipped_days_ago=20,
            delivered_days_ago=2,
            number="#1002",
            email="taro@example.com",
            source="shopify",
        )
        for o in (order, shopify):
            triggers.order_changed(session, brand, o)
        session.commit()
        kinds = session.exec(select(Notification.order_id, Notification.kind)).all()
    assert sorted(kinds) == sorted(
        [(order.id, "delivered"), (shopify.id, "delivered"), (shopify.id, "follow_up")]
    )


def test_the_tracking_page_shows_the_coupon_to_the_shopify_order_only(rakuten_app):
    from tracking.page.view import coupon_for, page_view

    with rakuten_app.app_context(), _session(rakuten_app) as session:
        brand = rakuten_app.extensions["todoku_brands"]["sakura-tea"]
        rakuten = _order(session, shipped_days_ago=3, delivered_days_ago=1)
        shopify = _order(session, 3, 1, number="#1003", email="jiro@example.com", source="shopify")
        seen = {}
        for order in (rakuten, shopify):
            view = page_view(session, "sakura-tea", order.public_id)
            view.pool_coupon = "GIVEN-CODE"
            seen[order.source] = coupon_for(brand, view, "ja")
    assert seen["rakuten"] is None
    assert seen["shopify"] is not None and seen["shopify"][1] == "GIVEN-CODE"


@pytest.mark.parametrize(
    "drop, says",
    [
        ("smtp", "rakuten_mode.smtp"),
        ("starttls", "rakuten_mode.*starttls"),
        ("user_env", "user_env"),
        ("password_env", "password_env"),
    ],
)
def test_start_up_refuses_a_rakuten_mode_without_its_relay(app_config, tmp_path, drop, says):
    from app import create_app

    config = {
        **app_config,
        "BRANDS_DIR": str(brands_dir(tmp_path, free_port(), drop=drop)),
        "SMTP_SECRETS": SECRETS,
    }
    with pytest.raises(BrandConfigError, match=says):
        create_app(config)


def test_start_up_refuses_a_rakuten_mode_without_its_registered_address(app_config, tmp_path):
    from app import create_app

    config = {
        **app_config,
        "BRANDS_DIR": str(brands_dir(tmp_path, free_port(), from_address=False)),
        "SMTP_SECRETS": SECRETS,
    }
    with pytest.raises(BrandConfigError, match="rakuten_mode.from_address"):
        create_app(config)


def test_start_up_refuses_the_old_brand_wide_switch_saying_what_to_write(app_config, tmp_path):
    from app import create_app

    old = 'follow_mail_mode = "rakuten"\n'
    config = {
        **app_config,
        "BRANDS_DIR": str(brands_dir(tmp_path, free_port(), extra=old)),
        "SMTP_SECRETS": SECRETS,
    }
    with pytest.raises(BrandConfigError, match=r"follow_mail_mode was replaced.*rakuten_mode"):
        create_app(config)


def test_start_up_refuses_an_unknown_source(app_config, tmp_path):
    from app import create_app

    target = brands_dir(tmp_path, free_port())
    path = target / "sakura-tea.toml"
    text = path.read_text(encoding="utf-8").replace(
        'sources = ["rakuten"]', 'sources = ["rakuton"]'
    )
    path.write_text(text, encoding="utf-8")
    config = {**app_config, "BRANDS_DIR": str(target), "SMTP_SECRETS": SECRETS}
    with pytest.raises(BrandConfigError, match="rakuten_mode.sources.*unknown source 'rakuton'"):
        create_app(config)


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_start_up_refuses_when_a_relay_secret_is_not_in_the_environment(
    app_config, tmp_path, missing
):
    from app import create_app

    secrets = {k: v for k, v in SECRETS.items() if k != missing}
    config = {
        **app_config,
        "BRANDS_DIR": str(brands_dir(tmp_path, free_port())),
        "SMTP_SECRETS": secrets,
    }
    with pytest.raises(ConfigError, match=rf"rakuten_mode.smtp.*{missing}"):
        create_app(config)


def test_return_mail_and_the_staff_outbox_carry_the_orders_mode(rakuten_app):
    """Mail rendered for an order outside the triggers (returns, inquiry replies) takes the
    order's mode too; staff see which mail goes through the relay."""
    from tracking.mail import render

    with rakuten_app.app_context(), _session(rakuten_app) as session:
        brand = rakuten_app.extensions["todoku_brands"]["sakura-tea"]
        order = _order(session, shipped_days_ago=3, delivered_days_ago=1)
        note = outbox.enqueue_rendered(
            session,
            brand,
            order,
            kind="return_approved",
            dedupe_key="return:RMA-1:approved",
            build=lambda locale: render.Content(subject="Return", heading="Return"),
        )
        session.commit()
        assert note.mail_mode == "rakuten"
        create_staff(session, "sakura-tea", "staff@sakura-tea.example", "a-long-test-password")
    client = rakuten_app.test_client()
    login = {"email": "staff@sakura-tea.example", "password": "a-long-test-password"}
    assert client.post("/admin/login", data=login).status_code == 303
    page = client.get("/admin/sakura-tea/mail?lang=en").get_data(as_text=True)
    assert "via Rakuten&#39;s relay" in page or "via Rakuten's relay" in page
