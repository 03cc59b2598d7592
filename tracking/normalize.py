"""Normalising what customers type: full-width characters, the many dash look-alikes, spaces;
and the one email rule every entry point (forms, API, imports, webhooks, the outbox) applies."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from carriers.numbers import DASHES

_DASH = re.compile(f"[{re.escape(DASHES)}]")
_SPACE = re.compile(r"\s+")


class NotOneAddress(ValueError):
    """Not exactly one email address (a list, a display name, a quoted local part, junk)."""


def clean(text: str | None) -> str:
    """NFKC (full-width → half-width), every dash variant → '-', spaces trimmed and folded."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _DASH.sub("-", text)
    return _SPACE.sub(" ", text).strip()


def order_number(text: str | None) -> str:
    return clean(text).replace(" ", "").upper()


def email(text: str | None) -> str:
    """The compared and stored form of an address (lookups compare what customers type)."""
    return clean(text).replace(" ", "").lower()


def email_address(text: str | None) -> str:
    """Exactly one deliverable-looking address, in ``email``'s form; ``NotOneAddress`` else.

    email-validator refuses what would become a second recipient in ``To:`` (``a@x,b@y``,
    ``a@x;b@y``, ``Name <a@x>``, quoted local parts) and special-use domains. No DNS lookup:
    the check must not depend on the network, and masked addresses such as Rakuten's
    ``…@pc.fw.rakuten.ne.jp`` stay accepted."""
    value = email(text)
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise NotOneAddress(str(exc)) from None
    return value


def is_one_address(text: str | None) -> bool:
    try:
        email_address(text)
    except NotOneAddress:
        return False
    return True


def postcode(text: str | None) -> str:
    """Postcodes compared without separators or the 〒 mark: 150-0001 == １５０ー０００１."""
    return re.sub(r"[^0-9A-Z]", "", clean(text).upper())
