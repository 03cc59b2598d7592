"""``[[webhooks]]`` of a brand file: the shop's endpoints for outbound events.

The brand file names the variable that holds each endpoint's secret (``secret_env``), never the
secret itself. ``https`` only in production: validated with the context ``{"production": True}``
(``brands.brand.check_brand_file``), ``http`` allowed in development and tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator

from tracking.brands.base import Strict
from tracking.brands.problems import N_, Invalid

#: Every event type, in the order the docs list them.
EVENT_TYPES = (
    "parcel.shipped",
    "parcel.out_for_delivery",
    "parcel.attempted",
    "parcel.delivered",
    "parcel.exception",
    "order.late",
    "return.updated",
    "inquiry.created",
)

VARIABLE = r"^[A-Z][A-Z0-9_]{0,99}$"


class WebhookEndpoint(Strict):
    url: str = Field(max_length=2000)
    # The event types this endpoint receives: a list, or "all".
    events: Any = "all"  # checked below: one line for any wrong shape
    # The variable holding the endpoint's signing secret ("whsec_" + base64 of 24-64 bytes).
    secret_env: str = Field(pattern=VARIABLE)
    # Add the customer's email and language to the events this endpoint receives (a tool that
    # keys on the person, such as Klaviyo, needs it). Every endpoint that receives the same
    # event gets the same body, so it then carries the email too. Off by default.
    customer_email: bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, value: str, info: ValidationInfo) -> str:
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError:
            host, parts = None, None
        if parts is None or parts.scheme not in ("http", "https") or not host:
            raise Invalid(N_('"%(value)s" is not a web address (https://…)'), value=value)
        if parts.username or parts.password:
            raise Invalid(N_("a webhook address must not carry a user name or password"))
        if any(ord(c) < 33 for c in value):
            raise Invalid(N_('"%(value)s" is not a web address (https://…)'), value=value)
        production = bool((info.context or {}).get("production"))
        if production and parts.scheme != "https":
            raise Invalid(
                N_('"%(value)s": webhooks are sent over https only in production'), value=value
            )
        return value

    @field_validator("events")
    @classmethod
    def _known(cls, value: Any) -> list[str] | str:
        if value == "all":
            return value
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise Invalid(N_('list event types, or write events = "all"'))
        for name in value:
            if name not in EVENT_TYPES:
                raise Invalid(
                    N_('unknown event type "%(value)s"; known: %(known)s'),
                    value=name,
                    known=", ".join(EVENT_TYPES),
                )
        return list(dict.fromkeys(value))

    def wants(self, event_type: str) -> bool:
        return self.events == "all" or event_type in self.events
