"""The part every Japanese scraper shares: politeness, HTTP via ``carriers.http``, error wrapping.

Subclasses supply ``rules`` (carrier-specific rows, checked before the shared JP table),
``_request`` (how to ask for a batch) and ``_parse_page`` (the layout knowledge).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from .. import http
from ..base import Adapter
from ..errors import ParseFailed
from ..model import DeliveryWindow, TrackingEvent, TrackingResult
from ..parsing import newest_first, result, shape_guard
from ..status import Status
from .html import Node, decode, parse_html
from .rules import COMMON_RULES, Rule, classify

_last_request: dict[str, float] = {}
#: Indirection so tests can observe the politeness pauses without sleeping.
_sleep = time.sleep
_lock = threading.Lock()


class JapaneseAdapter(Adapter):
    #: Fallback page encoding when the page declares none.
    encoding = "utf-8"
    #: Politeness: at least this many seconds between two requests to the same carrier. These
    #: are public pages for humans, not APIs; one request per second keeps us a good citizen.
    min_interval = 1.0
    #: Carrier-specific rows, checked before ``COMMON_RULES``.
    rules: tuple[Rule, ...] = ()

    # ------------------------------------------------------------------ mapping

    def classify(self, raw: str) -> tuple[Status, str]:
        return classify(raw, self.rules + COMMON_RULES, self.code)

    # ------------------------------------------------------------------ HTTP

    def _throttle(self) -> None:
        with _lock:
            wait = _last_request.get(self.code, 0.0) + self.min_interval - time.monotonic()
            if wait > 0:
                _sleep(wait)
            _last_request[self.code] = time.monotonic()

    def fetch(self, numbers: Iterable[str], **context) -> dict[str, bytes]:
        numbers = list(numbers)
        out: dict[str, bytes] = {}
        for start in range(0, len(numbers), self.batch_size):
            batch = numbers[start : start + self.batch_size]
            self._throttle()
            body = self._request(batch).content
            # A multi-number page is handed to each number; parse picks its own block.
            out.update(dict.fromkeys(batch, body))
        return out

    def _request(self, batch: list[str]):
        """Default: GET the human tracking page (idempotent, so one retry is allowed)."""
        (number,) = batch
        return http.request("GET", self.tracking_url(number), retries=1)

    # ------------------------------------------------------------------ parsing

    def parse(self, body: bytes, tracking_number: str) -> TrackingResult:
        text = decode(body, self.encoding, self.code)
        with shape_guard(self.code):
            return self._parse_page(parse_html(text), tracking_number)

    def _parse_page(self, root: Node, number: str) -> TrackingResult:
        raise NotImplementedError

    def page_result(
        self,
        number: str,
        events: list[TrackingEvent],
        estimated: DeliveryWindow | None = None,
        summary: str = "",
    ) -> TrackingResult:
        """The page's events through the one result builder (``carriers.parsing.result``).
        A page without events fails loudly; pages list oldest first, so on equal timestamps the
        row listed last is the newest; ``raw_status`` is the page's summary line, else the
        newest event's raw text."""
        if not events:
            raise ParseFailed(f"{self.code}: page for {number} has no events")
        events = newest_first(events, listed_oldest_first=True)
        return result(
            self.code, number, events, edd=estimated, raw_status=summary or events[0].raw_code
        )
