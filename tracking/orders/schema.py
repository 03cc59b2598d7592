"""What an order looks like coming in: the pydantic models every intake path validates against
(the JSON API's bodies, each CSV row, each Shopify webhook), so the rules and the OpenAPI schema
are written once.

Text is rejected where it would break a database or a page: NUL and other control characters,
lone surrogates, over-long values. Numbers are bounded (a 40-digit quantity would overflow
PostgreSQL's integers), and so are times and days (the calendar's edges overflow on conversion)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from tracking import normalize
from tracking.brands import sources

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _safe(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def text(max_length: int, min_length: int = 0):
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_safe)
    ]


def _email(value: str) -> str:
    """The one email rule (``normalize.email_address``): a list such as ``a@x.com,b@y.com``
    would become two recipients in ``To:``."""
    try:
        return normalize.email_address(value)
    except normalize.NotOneAddress as exc:
        raise PydanticCustomError(
            "invalid_email", "must be exactly one email address ({reason})", {"reason": str(exc)}
        ) from None


#: Full-width digits and any dash accepted, stored half-width (``normalize.phone``). Not
#: refused when odd ("+1 555 0100 ext. 2"): an order is never lost over its phone number.
Phone = Annotated[text(32), AfterValidator(normalize.phone)]


def _url(value: str) -> str:
    if value and not re.match(r"^https?://", value):
        raise ValueError("must start with http:// or https://")
    return value


def _time_in_range(value: datetime) -> datetime:
    try:
        return normalize.check_datetime(value)
    except normalize.BadInput:
        raise ValueError("must be a time between 1970 and 2200") from None


def _day_in_range(value: date) -> date:
    try:
        return normalize.check_date(value)
    except normalize.BadInput:
        raise ValueError("must be a day between 1970 and 2200") from None


def _source(value: str) -> str:
    """One of ``tracking.brands.sources`` (it picks the mail mode), or empty (the path's own)."""
    if not value:
        return ""
    try:
        return sources.check(value)
    except sources.UnknownSource:
        raise PydanticCustomError(
            "unknown_source",
            "unknown source {value!r}; known: {known}",
            {"value": value, "known": ", ".join(sources.SOURCES)},
        ) from None


def _country(value: str) -> str:
    return value.upper()


# Every time and day that comes in: an API body, a CSV row, a Shopify webhook.
Stamp = Annotated[AwareDatetime, AfterValidator(_time_in_range)]
Day = Annotated[date, AfterValidator(_day_in_range)]
Email = Annotated[text(254, 3), AfterValidator(_email)]
Url = Annotated[text(500), AfterValidator(_url)]
MAX_MONEY = 10**12  # minor units; far above any order, far below BIGINT


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ItemIn(Strict):
    sku: text(64) = ""
    name: text(200, 1)
    variant: text(100) = ""
    quantity: int = Field(default=1, ge=1, le=100_000)
    price: int = Field(default=0, ge=0, le=MAX_MONEY, description="Per unit, in minor units")
    image_url: Url = ""


class ShipmentItemIn(Strict):
    sku: text(64, 1)
    quantity: int = Field(default=1, ge=1, le=100_000)


class ShipmentIn(Strict):
    carrier: text(64) = Field(
        default="",
        description=(
            "Our carrier code (yamato, sagawa, japanpost, …), a Shopify tracking_company name "
            "or a Rakuten 配送会社 code; empty: detected from the number among the brand's "
            "carriers"
        ),
    )
    tracking_number: text(64, 1)
    service: text(64) = ""
    shipped_at: Stamp | None = None
    items: list[ShipmentItemIn] = Field(default_factory=list, max_length=500)


class OrderBody(Strict):
    """An order as sent to ``PUT /api/v1/orders/<number>`` (the number is in the path)."""

    email: Email
    placed_at: Stamp | None = None
    name: text(200) = ""
    phone: Phone = ""
    postcode: text(16) = ""
    address: text(500) = ""
    locale: text(8) = Field(
        default="",
        description='The customer\'s language ("ja", "en", "en-US"); empty: from the country',
    )
    country: Annotated[str, Field(pattern=r"^([A-Za-z]{2})?$"), AfterValidator(_country)] = Field(
        default="", description="Shipping country, ISO 3166-1 alpha-2 (JP, US)"
    )
    source: Annotated[text(16), AfterValidator(_source)] = Field(
        default="",
        description=(
            "Where the order came from: " + ", ".join(sources.SOURCES) + '; empty: "api" '
            "(Rakuten orders are mailed through the shop's Rakuten relay)"
        ),
    )
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "JPY"
    total: int | None = Field(default=None, ge=0, le=MAX_MONEY)
    payment_method: text(32) = Field(default="", description='e.g. "card", "cod" (代金引換)')
    tags: list[text(64)] = Field(default_factory=list, max_length=50)
    external_id: text(64) = Field(default="", description="The platform's own order id")
    requested_date: Day | None = None
    requested_slot: text(16) = ""
    items: list[ItemIn] | None = Field(default=None, max_length=500)
    shipments: list[ShipmentIn] | None = Field(default=None, max_length=50)


class OrderIn(OrderBody):
    number: text(64, 1)
