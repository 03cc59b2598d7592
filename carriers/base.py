"""What every adapter provides. Subclasses keep HTTP in ``fetch`` and parsing pure in ``parse``."""

from __future__ import annotations

from collections.abc import Iterable

from .account import Account, installation
from .model import DeliveryChange, TrackingResult

USER_AGENT = "Todoku/0.1 (+https://github.com/todoku/todoku; order tracking portal)"
# Seconds: (connect, read). Every outbound call uses an explicit timeout.
TIMEOUT = (5, 15)


class Adapter:
    code: str = ""
    #: The carrier's name as customers know it, per locale (``en`` is the fallback).
    names: dict[str, str] = {}
    #: How many numbers one ``fetch`` call may carry.
    batch_size: int = 1
    #: What a fetch needs: credential field → the installation's variable for it
    #: (``carriers.account``). Empty: no credentials (page scrapers, the simulator).
    credential_env: dict[str, str] = {}

    @property
    def credentials(self) -> tuple[str, ...]:
        """The installation's variables (``carriers list`` shows whether they are set)."""
        return tuple(self.credential_env.values())

    def account(self, given: Account | None) -> Account:
        """The account a fetch uses: the caller's, else the installation's own (read from the
        environment now: the command line and tests that set variables)."""
        return given if given is not None else installation(self)

    @property
    def name(self) -> str:
        return self.names.get("en", self.code)

    def display_name(self, locale: str) -> str:
        return self.names.get(locale) or self.name

    def validate(self, number: str) -> bool:
        raise NotImplementedError

    def tracking_url(self, number: str) -> str:
        """The carrier's public page for humans."""
        raise NotImplementedError

    def redelivery_url(self, number: str) -> str | None:
        """Where a customer books a redelivery (再配達), when the carrier has such a page."""
        return None

    def delivery_change(self, number: str) -> DeliveryChange | None:
        """Where a customer changes the day, time or place before the first attempt, when the
        carrier has such a page (the Japanese carriers; see docs/carriers-japan.md)."""
        return None

    def fetch(self, numbers: Iterable[str], **context) -> dict[str, bytes]:
        """Do the HTTP: return the raw body per number. ``context`` carries the ``account``
        (``carriers.account.Account``; None: the installation's) and optional hints (e.g.
        ``shipped_at``) that adapters may ignore."""
        raise NotImplementedError

    def parse(self, body: bytes, tracking_number: str) -> TrackingResult:
        """Pure: bytes in, result out; raises ``NotFound`` or ``ParseFailed``."""
        raise NotImplementedError

    def track(self, number: str, **context) -> TrackingResult:
        body = self.fetch([number], **context)[number]
        return self.parse(body, number)
