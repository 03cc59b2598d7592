"""An order's language: the one its mail is written in.

In order of trust: the language staff chose on the order page, the platform's (Shopify's
customer locale, the API's or a CSV's ``locale``), else the shipping country's (Japan: Japanese;
elsewhere: the brand's other language), else the brand's default. A Shopify CSV export has no
language column, so a US customer's order is known only by its country.

``orders.locale`` holds a platform's or staff's choice (a primary tag, ``en``), ``orders.country``
the country; the country's language is worked out when a mail is written, so a brand that
adds a language later mails its customers in it."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, col, select

from tracking.brands.brand import SUPPORTED_LOCALES, Brand
from tracking.orders import parcels
from tracking.orders.models import Order, OrderChange
from tracking.timeutil import utcnow

JAPAN = "JP"
#: ``OrderChange.source`` of a staff member's edit (``admin:<email>``).
STAFF_PREFIX = "admin:"


def primary(tag: str) -> str:
    """``en-US`` / ``ja_JP`` / ``EN`` → ``en`` / ``ja`` / ``en``; anything else → ``""``."""
    found = re.match(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$", (tag or "").strip())
    return found[1].lower() if found else ""


def from_country(brand: Brand, country: str) -> str | None:
    """The shipping country's language among the brand's: Japanese in Japan, the brand's other
    language elsewhere; None when the country is unknown or the brand has no such language."""
    country = (country or "").upper()
    if not country:
        return None
    if country == JAPAN:
        return "ja" if "ja" in brand.locales else None
    others = [loc for loc in brand.locales if loc != "ja"]
    return others[0] if others else None


def locale_for(brand: Brand, order: Order | None) -> str:
    """The language of mail to ``order``'s customer (see the module's docstring)."""
    if order is None:
        return brand.default_locale
    if order.locale in brand.locales:
        return order.locale
    return from_country(brand, order.country) or brand.default_locale


def staff_chose(session: Session, order: Order) -> bool:
    """Did staff set this order's language? Then a platform's update does not undo it."""
    if order.id is None:
        return False
    rows = session.exec(
        select(OrderChange.changes)
        .where(OrderChange.order_id == order.id, col(OrderChange.source).startswith(STAFF_PREFIX))
        .order_by(col(OrderChange.id).desc())
    ).all()
    return any(isinstance(c, dict) and "locale" in c for c in rows)


def staff_chose_many(session: Session, order_ids: set[int]) -> set[int]:
    """``staff_chose`` for many orders in one query: the ids of those whose language staff set."""
    if not order_ids:
        return set()
    rows = session.exec(
        select(OrderChange.order_id, OrderChange.changes).where(
            col(OrderChange.order_id).in_(order_ids),
            col(OrderChange.source).startswith(STAFF_PREFIX),
        )
    ).all()
    return {i for i, c in rows if isinstance(c, dict) and "locale" in c}


class BadLanguage(ValueError):
    pass


def set_language(
    session: Session,
    brand: Brand,
    order: Order,
    locale: str,
    *,
    source: str,
    now: datetime | None = None,
) -> bool:
    """Staff set the order's language (one the brand offers); recorded in the order's history
    as ``locale: [old, new]``. Returns False when it was already that. Does not commit."""
    if locale not in brand.locales or locale not in SUPPORTED_LOCALES:
        raise BadLanguage(locale)
    if order.locale == locale:
        return False
    now = now or utcnow()
    parcels.record_change(session, order, source, {"locale": [order.locale, locale]}, now)
    order.locale = locale
    return True


#: Country names shops' files write instead of a code (a name we do not know is no hint).
_NAMES = {"japan": JAPAN, "日本": JAPAN, "日本国": JAPAN, "united states": "US", "usa": "US"}


def country_code(value: str) -> str:
    """A file's or platform's country cell as ISO 3166-1 alpha-2 (``JP``), or ``""``."""
    value = (value or "").strip()
    if re.fullmatch(r"[A-Za-z]{2}", value):
        return value.upper()
    return _NAMES.get(value.lower(), "")
