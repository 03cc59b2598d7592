"""Mail modes: how one mail goes out, chosen per order, not per brand.

A brand can sell on Rakuten and on its own Shopify shop at once. Rakuten's buyers have masked
addresses that accept mail only through Rakuten's relay, from the address registered in RMS, and
Rakuten's rules allow order-related content only. So the mode is the order's:

* ``rakuten``: the brand has ``[mail.rakuten_mode]`` and the order's source is one of its
  ``sources``, or the order's address is a masked Rakuten one (whatever the source says). Sent
  through ``[mail.rakuten_mode.smtp]`` from its ``from_address``; no coupon (none drawn from a
  pool, none on the tracking page), no warranty reminder, the follow-up only within three weeks
  of shipping.
* ``normal``: everything else, through ``[mail.smtp]`` or ``SMTP_URL`` with every extra.

The mode is fixed when a mail is queued (``notifications.mail_mode``); the outbox claims and
sends each brand's mail per mode through that mode's transport (``routes``)."""

from __future__ import annotations

from sqlalchemy import and_, or_
from sqlmodel import col

from tracking.brands import sources
from tracking.brands.brand import Brand
from tracking.mail.config import SmtpSettings
from tracking.mail.models import Notification
from tracking.orders.models import Order

NORMAL, RAKUTEN = "normal", "rakuten"
MODES = (NORMAL, RAKUTEN)


def mode_for(brand: Brand, order: Order | None) -> str:
    """The mode of mail to ``order``'s customer (``normal`` without an order)."""
    rakuten = brand.mail.rakuten_mode
    if rakuten is None or order is None:
        return NORMAL
    if order.source in rakuten.sources or sources.is_rakuten_masked(order.email):
        return RAKUTEN
    return NORMAL


def offers_allowed(brand: Brand, order: Order | None) -> bool:
    """Coupons and other extras: never in Rakuten mode (order-related content only)."""
    return mode_for(brand, order) == NORMAL


def smtp_settings(brand: Brand | None, mode: str) -> SmtpSettings | None:
    """The server section ``mode``'s mail of ``brand`` goes through (None: ``SMTP_URL``)."""
    if brand is None:
        return None
    if mode == RAKUTEN and brand.mail.rakuten_mode is not None:
        return brand.mail.rakuten_mode.smtp
    return brand.mail.smtp


def modes_of(brand: Brand) -> tuple[str, ...]:
    return MODES if brand.mail.rakuten_mode is not None else (NORMAL,)


def routes(brands: dict[str, Brand], transport_for) -> dict:
    """Transport → {mode: [brand slugs]}: which queued mail goes over which connection.
    A brand in Rakuten mode has its relay; its normal mail goes as any other brand's. A
    mode without a transport (no ``SMTP_URL``) stays in the outbox."""
    groups: dict = {}
    for slug, brand in brands.items():
        for mode in modes_of(brand):
            transport = transport_for(brand, mode)
            if transport is not None:
                groups.setdefault(transport, {}).setdefault(mode, []).append(slug)
    return groups


def owned(route: dict[str, list[str]]):
    """The outbox rows one route sends: its brands' mail of each of its modes."""
    return or_(
        *(
            and_(Notification.mail_mode == mode, col(Notification.brand).in_(slugs))
            for mode, slugs in route.items()
        )
    )


def check_secrets(brands: dict[str, Brand], secrets_env: dict[str, str]) -> list[str]:
    """Start-up problems: a server secret (``[mail.smtp]``, ``[mail.rakuten_mode.smtp]``) that
    the environment does not hold."""
    problems = []
    for slug, brand in brands.items():
        rakuten = brand.mail.rakuten_mode
        for section, smtp in (
            ("[mail.smtp]", brand.mail.smtp),
            ("[mail.rakuten_mode.smtp]", rakuten.smtp if rakuten else None),
        ):
            for key in ("user_env", "password_env"):
                name = getattr(smtp, key) if smtp else None
                if name and not secrets_env.get(name):
                    problems.append(f"brand {slug!r}: {section} {key}: ${name} is not set")
    return problems
