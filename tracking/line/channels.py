"""A brand's LINE channel: its ``[line]`` section with the secret and access token the
environment holds for it (``LINE_CHANNELS``, read by ``tracking/config.py`` from
``<SLUG>_LINE_CHANNEL_SECRET`` and ``<SLUG>_LINE_CHANNEL_TOKEN``). No section, switched off or a
variable missing: no channel, and LINE is neither offered nor sent for the brand."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from tracking.brands import sources
from tracking.brands.brand import Brand
from tracking.line.client import DEFAULT_BASE
from tracking.line.config import LineConfig, env_key

#: Seconds a push or reply may take before it counts as "no answer".
TIMEOUT = 5.0


@dataclass(frozen=True)
class Channel:
    config: LineConfig
    secret: str
    token: str
    base: str  # the API's base URL


def channel_for(brand: Brand | None) -> Channel | None:
    cfg = brand.line if brand is not None else None
    if cfg is None or not cfg.enabled:
        return None
    values = current_app.config.get("LINE_CHANNELS", {}).get(env_key(brand.slug), {})
    secret, token = values.get("secret", ""), values.get("token", "")
    if not secret or not token:
        return None
    base = current_app.config.get("LINE_API_URL") or DEFAULT_BASE
    return Channel(cfg, secret, token, base)


def rakuten_order(brand: Brand, order) -> bool:
    """An order from Rakuten: its source is Rakuten's (or one of the brand's
    ``[mail.rakuten_mode] sources``), or its address is a masked Rakuten one. Rakuten allows
    buyers to be contacted about their order only through its relay, so such an order is never
    offered LINE nor sent a LINE message, whether or not the brand set up Rakuten mode."""
    rakuten = brand.mail.rakuten_mode
    named = rakuten.sources if rakuten is not None else ["rakuten"]
    return order.source in named or sources.is_rakuten_masked(order.email)


def offered(brand: Brand, order) -> Channel | None:
    """The brand's channel when LINE may be offered for ``order`` (None: no LINE for it)."""
    if rakuten_order(brand, order):
        return None
    return channel_for(brand)


def check_brands(brands: dict[str, Brand], channels: dict[str, dict]) -> list[str]:
    """Start-up problems: a brand with ``[line]`` whose variables are not set."""
    problems = []
    for slug, brand in brands.items():
        if brand.line is None or not brand.line.enabled:
            continue
        have = channels.get(env_key(slug), {})
        for part, suffix in (("secret", "SECRET"), ("token", "TOKEN")):
            if not have.get(part):
                problems.append(
                    f"brand {slug!r}: [line]: ${env_key(slug)}_LINE_CHANNEL_{suffix} is not set"
                )
    return problems
