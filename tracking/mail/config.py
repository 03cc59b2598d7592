"""``[mail]`` section of a brand file: who the mail is from, how it is sent, which triggers are
on (each with its delay), quiet hours, after-sales content, coupons and Rakuten mode, which
applies per order source (``[mail.rakuten_mode]``; ``tracking.mail.modes``).

Secrets never sit in the brand file: ``[mail.smtp]`` names environment variables (they must start
with ``TODOKU_SMTP_``), read by ``tracking/config.py`` and checked at start-up."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from pydantic import EmailStr, Field, field_validator, model_validator

from tracking.brands import sources
from tracking.brands.base import Localized, Strict

SECRET_PREFIX = "TODOKU_SMTP_"
#: Every trigger a brand can switch on or off, in the order the staff preview lists them.
TRIGGERS = (
    "shipped_partial",
    "shipped",
    "out_for_delivery",
    "delivered",
    "attempted",
    "pickup",
    "pickup_reminder",
    "exception",
    "late",
    "not_registered",
    "follow_up",
    "warranty",
)
#: After-sales mail: held by quiet hours by default, stopped by unsubscribing.
FOLLOW_UP_TRIGGERS = frozenset({"follow_up", "warranty"})


def _secret_name(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(rf"{SECRET_PREFIX}[A-Z0-9_]+", value):
        raise ValueError(f"must name an environment variable starting with {SECRET_PREFIX}")
    return value


class SmtpSettings(Strict):
    """The brand's own mail server (for Rakuten: the あんしんメルアド relay)."""

    host: str = Field(pattern=r"^[A-Za-z0-9.-]{1,253}$")
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False  # implicit TLS (port 465); exclusive with starttls
    user_env: str | None = None  # name of the variable holding the SMTP AUTH user
    password_env: str | None = None  # … and the password

    @field_validator("user_env", "password_env")
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        return _secret_name(value)

    @model_validator(mode="after")
    def _one_tls(self) -> SmtpSettings:
        if self.ssl and self.starttls:
            raise ValueError("choose ssl (implicit TLS) or starttls, not both")
        if bool(self.user_env) != bool(self.password_env):
            raise ValueError("set both user_env and password_env, or neither")
        return self


class Trigger(Strict):
    enabled: bool = True
    delay_minutes: int = Field(default=0, ge=0, le=60 * 24 * 30)
    # Hold it during quiet hours? Unset: yes, every customer notice can wait until morning.
    quiet_hours: bool | None = None


class DaysTrigger(Trigger):
    days: int = Field(default=3, ge=0, le=3650)


class Triggers(Strict):
    shipped_partial: Trigger = Trigger()
    shipped: Trigger = Trigger()
    out_for_delivery: Trigger = Trigger()
    delivered: Trigger = Trigger()
    attempted: Trigger = Trigger()
    # Waiting at a convenience store, locker or office: where and until when.
    pickup: Trigger = Trigger()
    # One reminder before the last day to collect it (tracking.mail.triggers.scan).
    pickup_reminder: Trigger = Trigger()
    exception: Trigger = Trigger()
    late: Trigger = Trigger()
    not_registered: DaysTrigger = DaysTrigger(days=3)
    follow_up: DaysTrigger = DaysTrigger(days=5)
    # Sent this many days before the warranty (returns.tags.*.warranty_days) ends.
    warranty: DaysTrigger = DaysTrigger(enabled=False, days=30)


class QuietHours(Strict):
    start: time = time(21, 0)  # shop-local
    end: time = time(8, 0)

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end must differ")
        return self


class Coupon(Strict):
    """A next-purchase coupon in the delivered and follow-up mails: one fixed code, or
    ``pool = true`` for unique codes imported with ``flask --app app coupons import``."""

    code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{3,64}$")
    pool: bool = False
    text: Localized = Localized(
        en="A thank-you coupon for your next order", ja="次回のお買い物で使えるクーポン"
    )

    @model_validator(mode="after")
    def _one_source(self) -> Coupon:
        if bool(self.code) == self.pool:
            raise ValueError("set either code or pool = true")
        return self


class RakutenMode(Strict):
    """Mail about orders from ``sources`` (and to Rakuten's masked addresses): sent through
    Rakuten's relay (あんしんメルアド) from the address registered in RMS, order-related only."""

    sources: list[str] = Field(default_factory=lambda: ["rakuten"], min_length=1)
    from_address: EmailStr  # registered in RMS; the relay refuses any other sender
    from_name: Localized | None = None  # default: [mail] from_name, else the brand's name
    smtp: SmtpSettings

    @field_validator("sources")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        try:
            return [sources.check(v) for v in value]
        except sources.UnknownSource as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _relay(self) -> RakutenMode:
        missing = [
            key
            for key, ok in (
                ("smtp.user_env", self.smtp.user_env),
                ("smtp.starttls", self.smtp.starttls),
            )
            if not ok
        ]
        if missing:
            raise ValueError(
                "rakuten_mode sends through Rakuten's relay (STARTTLS, SMTP AUTH); missing: "
                + ", ".join(missing)
            )
        return self


class MailConfig(Strict):
    enabled: bool = True
    from_name: Localized | None = None  # default: the brand's name
    from_address: EmailStr | None = None  # default: the address in MAIL_FROM
    smtp: SmtpSettings | None = None  # default: SMTP_URL
    # Orders from these sources mail in Rakuten mode; every other order as above.
    rakuten_mode: RakutenMode | None = None
    quiet_hours: QuietHours | None = QuietHours()
    # The day's deliveries are over (customer-local): out-for-delivery not sent by then is
    # skipped, never sent late. None: no limit.
    deliveries_end: time | None = time(21, 0)
    # At most one return mail per customer per return in this many minutes: updates in
    # between are folded into one mail saying the latest state (tracking.mail.coalesce).
    return_mail_minutes: int = Field(default=5, ge=0, le=24 * 60)
    triggers: Triggers = Triggers()
    tips: list[Localized] = Field(default_factory=list, max_length=10)  # care and usage tips
    review_url: str | None = Field(default=None, pattern=r"^https://[^\s]+$")
    coupon: Coupon | None = None

    @model_validator(mode="before")
    @classmethod
    def _old_mode(cls, data: Any) -> Any:
        # The brand-wide switch mailed either every order through Rakuten's relay or none:
        # refused with the rewrite, not guessed (which of the brand's mail is Rakuten's?).
        if isinstance(data, dict) and "follow_mail_mode" in data:
            raise ValueError(
                "follow_mail_mode was replaced by a [mail.rakuten_mode] section that applies "
                "per order source: remove follow_mail_mode and write [mail.rakuten_mode] with "
                'sources = ["rakuten"], from_address (the RMS-registered sender) and '
                "[mail.rakuten_mode.smtp] (the relay; was [mail.smtp]); see docs/mail.md"
            )
        return data

    def trigger(self, kind: str) -> Trigger:
        return getattr(self.triggers, kind)

    def holds_in_quiet_hours(self, kind: str) -> bool:
        """Customer notices (triggers, return updates) wait out quiet hours unless the trigger
        says ``quiet_hours = false``; receipts and staff mail never ask (docs/mail.md)."""
        if self.quiet_hours is None:
            return False
        choice = self.trigger(kind).quiet_hours if kind in TRIGGERS else None
        return True if choice is None else choice
