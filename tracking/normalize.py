"""Normalising what customers type: full-width characters, the many dash look-alikes, spaces."""

from __future__ import annotations

import re
import unicodedata

from carriers.numbers import DASHES

_DASH = re.compile(f"[{re.escape(DASHES)}]")
_SPACE = re.compile(r"\s+")


def clean(text: str | None) -> str:
    """NFKC (full-width → half-width), every dash variant → '-', spaces trimmed and folded."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _DASH.sub("-", text)
    return _SPACE.sub(" ", text).strip()


def order_number(text: str | None) -> str:
    return clean(text).replace(" ", "").upper()


def email(text: str | None) -> str:
    return clean(text).replace(" ", "").lower()


def postcode(text: str | None) -> str:
    """Postcodes compared without separators or the 〒 mark: 150-0001 == １５０ー０００１."""
    return re.sub(r"[^0-9A-Z]", "", clean(text).upper())
