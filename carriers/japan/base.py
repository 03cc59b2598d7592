"""The part every Japanese scraper shares: politeness, HTTP via ``carriers.http``, error wrapping.

Subclasses supply ``rules`` (carrier-specific rows, checked before the shared JP table),
``_request`` (how to ask for a batch) and ``_parse_page`` (the layout knowledge).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import replace

from .. import http
from ..base import Adapter
from ..errors import ParseFailed
from ..model import DeliveryWindow, Pickup, TrackingEvent, TrackingResult
from ..parsing import newest_first, result, shape_guard
from ..pickup import fold, stated_until_text
from ..status import Status
from .dates import parse_jp_datetime
from .html import Node, decode, labelled_value, parse_html
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
        pickup: Pickup | None = None,
    ) -> TrackingResult:
        """The page's events through the one result builder (``carriers.parsing.result``).
        A page without events fails loudly; pages list oldest first, so on equal timestamps the
        row listed last is the newest; ``raw_status`` is the page's summary line, else the
        newest event's raw text."""
        if not events:
            raise ParseFailed(f"{self.code}: page for {number} has no events")
        events = newest_first(events, listed_oldest_first=True)
        out = result(
            self.code, number, events, edd=estimated, raw_status=summary or events[0].raw_code
        )
        if pickup is not None and out.status is Status.AVAILABLE_FOR_PICKUP:
            out = replace(out, pickup=pickup)
        return out

    #: Labels of the line naming where a held parcel waits [?: wording not seen live; the
    #: event's own place is used when none is found].
    place_labels = (
        "受取場所",
        "お受け取り場所",
        "受取店舗",
        "お受け取り店舗",
        "保管場所",
        "保管店",
    )

    def told_pickup(self, block: Node) -> Pickup | None:
        """What the page itself says about a held parcel: the place line and the last day
        (保管期限 … / 受取期限 …, a range's end); None when it says neither."""
        found = (labelled_value(block, label) for label in self.place_labels)
        place = next((v for v in found if v), "")
        until_text = stated_until_text(block.text())
        until = None
        if until_text:
            try:
                until = parse_jp_datetime(until_text, future=True).date()
            except ParseFailed:
                until = None
        if not place and until is None:
            return None
        return Pickup(place=fold(place), until=until)
