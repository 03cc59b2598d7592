"""Rakuten mode (``follow_mail_mode = "rakuten"``, intake-formats.md §2.6–2.7): mail goes through
the brand's relay with STARTTLS and SMTP AUTH from the registered address, stays order-related
(no coupon, no warranty reminder, follow-up only within three weeks of shipping), and the app
refuses to start when a relay setting is missing."""

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
from tracking.orders.models import Order, OrderItem, Shipment
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


def brands_dir(tmp_path: Path, port: int, *, drop: str | None = None, from_address=True) -> Path:
    """The demo brands with sakura-tea in Rakuten mode (a pool coupon configured, to prove it
    is never used), its relay on ``port``; ``drop`` leaves one relay key out (or the whole
    ``[mail.smtp]``, or switches STARTTLS off)."""
    target = tmp_path / f"brands-{drop or 'full'}-{from_address}"
    shutil.copytree(ROOT / "brands", target)
    path = target / "sakura-tea.toml"
    text = path.read_text(encoding="utf-8")
    mode = 'follow_mail_mode = "rakuten"\n'
    if from_address:
        mode += f'from_address = "{REGISTERED}"\n'
    text = text.replace("[mail]\n", "[mail]\n" + mode, 1)
    text = text.replace('code = "SAKURA-THANKS10"', "pool = true")
    relay = {**RELAY, "port": str(port)}
    if drop == "smtp":
        relay = {}
    elif drop == "starttls":  # on by default: the mistake is switching it off
        relay["starttls"] = "false"
    elif drop:
        relay.pop(drop)
    if relay:
        text += "\n[mail.smtp]\n" + "".join(f"{k} = {v}\n" for k, v in relay.items())
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
def rakuten_app(app_config, tmp_path, relay, ca):
    from app import create_app

    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    app = create_app(
        {
            **app_config,
            "BRANDS_DIR": str(brands_dir(tmp_path, relay.port)),
            "SMTP_SECRETS": SECRETS,
            "MAIL_TLS_CONTEXT": client_ctx,
        }
    )
    yield app
    app.extensions["todoku_engine"].dispose()


def _order(session, shipped_days_ago: float, delivered_days_ago: float) -> Order:
    now = utcnow()
    order = Order(
        brand="sakura-tea", number="R-1", email="abc1@pc.fw.rakuten.ne.jp", name="楽天 太郎"
    )
    session.add(order)
    session.flush()
    session.add(OrderItem(order_id=order.id, sku="S", name="煎茶", qty=1))
    session.add(
        Shipment(
            order_id=order.id,
            carrier="yamato",
            tracking_number="123456789012",
            status="delivered",
            shipped_at=now - timedelta(days=shipped_days_ago),
            delivered_at=now - timedelta(days=delivered_days_ago),
        )
    )
    session.add(CouponCode(brand="sakura-tea", code="NEVER-SENT-1"))
    session.commit()
    return order


def _session(app):
    from sqlmodel import Session

    from tracking.db import get_engine

    return Session(get_engine(app), expire_on_commit=False)


def test_relay_mail_goes_out_over_starttls_with_auth_from_the_registered_address(
    rakuten_app, relay
):
    with rakuten_app.app_context(), _session(rakuten_app) as session:
        brand = rakuten_app.extensions["todoku_brands"]["sakura-tea"]
        order = _order(session, shipped_days_ago=3, delivered_days_ago=1)
        triggers.order_changed(session, brand, order)
        session.commit()
        later = utcnow() + timedelta(days=30)
        while outbox.deliver_pending(session, now=later):
            pass
        notes = session.exec(select(Notification).order_by(Notification.id)).all()
        coupons_issued = session.exec(
            select(CouponCode).where(CouponCode.order_id.is_not(None))
        ).all()
    assert [(n.kind, n.status) for n in notes] == [("delivered", "sent"), ("follow_up", "sent")]
    assert relay.logins and all(ok for _login, ok in relay.logins)
    assert {e.mail_from for e in relay.handler.envelopes} == {REGISTERED}
    for msg in relay.messages:
        assert REGISTERED in msg["From"]
        body = parts(msg)
        for part in body.values():
            assert "NEVER-SENT-1" not in part and "クーポン" not in part  # no coupon
    assert coupons_issued == []  # the pool is never drawn in Rakuten mode


def test_follow_up_only_within_three_weeks_of_shipping_and_no_warranty(rakuten_app):
    with rakuten_app.app_context(), _session(rakuten_app) as session:
        brand = rakuten_app.extensions["todoku_brands"]["sakura-tea"]
        # Shipped 20 days ago, delivered 2 days ago: the follow-up (5 days after delivery) would
        # fall 23 days after shipping, past Rakuten's three weeks.
        order = _order(session, shipped_days_ago=20, delivered_days_ago=2)
        triggers.order_changed(session, brand, order)
        session.commit()
        kinds = session.exec(select(Notification.kind)).all()
    assert kinds == ["delivered"]


@pytest.mark.parametrize(
    "drop, says",
    [
        ("smtp", "rakuten.*smtp"),
        ("starttls", "rakuten.*starttls"),
        ("user_env", "user_env"),
        ("password_env", "password_env"),
    ],
)
def test_start_up_refuses_a_rakuten_brand_without_its_relay(app_config, tmp_path, drop, says):
    from app import create_app

    config = {
        **app_config,
        "BRANDS_DIR": str(brands_dir(tmp_path, free_port(), drop=drop)),
        "SMTP_SECRETS": SECRETS,
    }
    with pytest.raises(BrandConfigError, match=says):
        create_app(config)


def test_start_up_refuses_a_rakuten_brand_without_its_registered_address(app_config, tmp_path):
    from app import create_app

    config = {
        **app_config,
        "BRANDS_DIR": str(brands_dir(tmp_path, free_port(), from_address=False)),
        "SMTP_SECRETS": SECRETS,
    }
    with pytest.raises(BrandConfigError, match="from_address"):
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
    with pytest.raises(ConfigError, match=missing):
        create_app(config)
