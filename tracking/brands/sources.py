"""Where an order came from (``orders.source``): the known values, in one place, so a brand's
``[mail.rakuten_mode] sources``, the API's ``source`` field and a CSV's ``source`` column are
checked against the same list. An order taken in before sources were recorded has ``""``.

Rakuten's masked buyer addresses (``…@pc.fw.rakuten.ne.jp``) also say "from Rakuten": they
accept mail only through Rakuten's relay, whatever the order's recorded source."""

from __future__ import annotations

#: source → what it is (docs/mail.md lists them).
SOURCES = {
    "rakuten": "Rakuten Ichiba (RMS order file)",
    "shopify": "Shopify (export or webhooks)",
    "amazon": "Amazon (sent through the API or the generic CSV)",
    "yahoo": "Yahoo! Shopping (sent through the API or the generic CSV)",
    "api": "the JSON API, when the caller names no source",
    "csv": "Todoku's generic CSV, when the file names no source",
    "staff": "typed in by staff",
    "demo": "the demo shops",
}
#: The relay's domain: a masked address is ``<random>@pc.fw.rakuten.ne.jp``.
RAKUTEN_MASKED_DOMAIN = "fw.rakuten.ne.jp"


class UnknownSource(ValueError):
    pass


def check(value: str) -> str:
    """``value`` when it is a known source (lower-cased, trimmed); ``UnknownSource`` else."""
    clean = (value or "").strip().lower()
    if clean not in SOURCES:
        raise UnknownSource(f"unknown source {value!r}; known: {', '.join(SOURCES)}")
    return clean


def is_rakuten_masked(email: str) -> bool:
    """A Rakuten buyer's masked address (``…@pc.fw.rakuten.ne.jp`` and its siblings)."""
    domain = (email or "").rsplit("@", 1)[-1].strip().lower().rstrip(".")
    return "@" in (email or "") and (
        domain == RAKUTEN_MASKED_DOMAIN or domain.endswith("." + RAKUTEN_MASKED_DOMAIN)
    )
