"""``[page]`` section of a brand file: what the tracking page shows beyond the basics —
cross-sell banners, FAQ, the "ask the shop" promise and the live-refresh cadence."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from carriers import Status
from tracking.brands.base import Localized, Strict
from tracking.brands.problems import N_, Invalid

LOCALES = ("ja", "en")
BANNER_ID = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
IMAGE_FILE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.(svg|png|webp|jpg)$"
# A host name as a brand file names an image host: letters, digits, dashes, dots; no scheme,
# port, path or wildcard.
IMAGE_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)
# Image hosts known to resize on request: the page asks for a thumbnail twice the shown size
# (``THUMB`` CSS pixels), not the product photo (often 1–2 MB). Others are sent as they are.
THUMB = 56
RESIZERS = {
    "cdn.shopify.com": ("width", str(THUMB * 2)),
    "thumbnail.image.rakuten.co.jp": ("_ex", f"{THUMB * 2}x{THUMB * 2}"),
}
# Where a banner may appear: after the parcels (the natural "while you wait" spot) or at the
# foot of the page after help. Never above the estimate: the customer came for the parcel.
Placement = Literal["after_status", "after_help"]


def check_target(value: str) -> str:
    """A banner target: an absolute http(s) URL with a host and no credentials or spaces."""
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError("must not contain spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL with a host, got {value!r}")
    if parts.username or parts.password:
        raise ValueError("must not contain a user name or password")
    return value


class Banner(Strict):
    id: str = Field(pattern=BANNER_ID)
    image: str = Field(pattern=IMAGE_FILE)  # file under brands/assets/
    alt: Localized
    title: Localized
    target: str
    # Shown only in these languages; empty means every language that has a title.
    locales: list[str] = Field(default_factory=list)
    start: date | None = None  # first day shown (shop-local), inclusive
    end: date | None = None  # last day shown (shop-local), inclusive
    placement: Placement = "after_status"
    # Targeting: empty means everyone. Tags match any item's tags; statuses any parcel's status.
    tags: list[str] = Field(default_factory=list)
    statuses: list[str] = Field(default_factory=list)

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        return check_target(value)

    @field_validator("locales")
    @classmethod
    def _locales(cls, value: list[str]) -> list[str]:
        for loc in value:
            if loc not in LOCALES:
                raise ValueError(f"unsupported locale {loc!r}; use {LOCALES}")
        return value

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: list[str]) -> list[str]:
        known = {s.value for s in Status}
        for status in value:
            if status not in known:
                raise ValueError(f"unknown shipment status {status!r}; use {sorted(known)}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Banner:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"banner {self.id!r}: end {self.end} is before start {self.start}")
        for loc in self.shown_in:
            if not getattr(self.title, loc, None):
                raise ValueError(f"banner {self.id!r}: title has no {loc!r} text")
            if not getattr(self.alt, loc, None):
                raise ValueError(f"banner {self.id!r}: alt has no {loc!r} text")
        if not self.shown_in:
            raise ValueError(f"banner {self.id!r}: needs a title in at least one language")
        return self

    @property
    def shown_in(self) -> list[str]:
        return self.locales or [loc for loc in LOCALES if getattr(self.title, loc, None)]


class FaqEntry(Strict):
    question: Localized
    answer: Localized


class PageConfig(Strict):
    banners_enabled: bool = True
    banners: list[Banner] = Field(default_factory=list)
    max_banners: int = Field(default=2, ge=0, le=6)  # per placement
    faq: list[FaqEntry] = Field(default_factory=list)
    # Promise shown after "ask the shop": answer within this many business days (Mon–Fri,
    # and Japanese public holidays off for shops in Asia/Tokyo).
    inquiry_reply_days: int = Field(default=1, ge=1, le=10)
    feedback_enabled: bool = True
    # How often the status region re-fetches itself while a parcel is still moving.
    refresh_seconds: int = Field(default=300, ge=30, le=3600)
    # Hosts the order items' images may come from (https only); the page's CSP allows exactly
    # these (plus our own host). An image from anywhere else is dropped at intake (the API
    # refuses it) and never shown.
    image_hosts: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("image_hosts", mode="before")
    @classmethod
    def _image_hosts(cls, value):
        if not isinstance(value, list):
            return value
        hosts: list[str] = []
        for host in value:
            if not isinstance(host, str) or not IMAGE_HOST.match(host.lower()):
                raise Invalid(
                    N_(
                        "%(value)s is not a host name: write the host alone, without https://, "
                        "a path or a *"
                    ),
                    value=f'"{host}"' if isinstance(host, str) else repr(host),
                )
            if host.lower() not in hosts:
                hosts.append(host.lower())
        return hosts

    def item_image(self, url: str | None) -> str | None:
        """``src`` for an order item's image, or None when it may not be shown: our own static
        files (the demo's), or https from one of ``image_hosts`` (a known resizing host is
        asked for a thumbnail)."""
        if not url:
            return None
        if url.startswith("/static/") and ".." not in url:
            return url
        parts = urlsplit(url)
        if (
            parts.scheme != "https"
            or parts.hostname not in self.image_hosts
            or parts.port is not None
            or parts.username
            or parts.password
        ):
            return None
        resize = RESIZERS.get(parts.hostname)
        if resize and resize[0] + "=" not in parts.query:
            url += ("&" if parts.query else "?") + "=".join(resize)
        return url

    def image_allowed(self, url: str | None) -> bool:
        return not url or self.item_image(url) is not None

    @field_validator("banners")
    @classmethod
    def _unique(cls, value: list[Banner]) -> list[Banner]:
        seen: set[str] = set()
        for banner in value:
            if banner.id in seen:
                raise ValueError(f"banner id {banner.id!r} is used twice")
            seen.add(banner.id)
        return value

    def banner(self, banner_id: str) -> Banner | None:
        """The declared banner with this id; None for anything else (tampered ids included)."""
        if not re.fullmatch(BANNER_ID, banner_id or ""):
            return None
        return next((b for b in self.banners if b.id == banner_id), None)
