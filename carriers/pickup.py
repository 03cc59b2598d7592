"""Pickup points: where a parcel waits for its customer (a convenience store, a locker, the
carrier's office or a post office) and until when.

Pure (standard library only). An adapter that reads more than the events (a page's 保管期限,
its 受取場所 line) puts it on ``TrackingResult.pickup``; ``pickup_of`` completes it from the
events for every carrier: the place from the scan at the pickup point, the kind of place from the
words, and the last day from the carrier's own date when it gave one, else from its documented
holding period (``HOLDING``) counted from the arrival at the pickup point.

Holding periods: reference ``channels-and-privacy.md`` §C2 (sources there and in
docs/carriers.md, "Pickup points"). A period marked ``verified=False`` is a ``[?]`` there: a
secondary source only. Where the counting rule is unclear ("7 days"), the day of arrival counts
as the first day: the earlier reading, so a customer who trusts the date is never too late.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .model import Pickup, TrackingEvent, TrackingResult
from .status import Status

STORE = "store"  # a convenience store or another shop taking parcels (取扱店)
LOCKER = "locker"  # PUDO, 宅配便ロッカー, はこぽす, a parcel locker
OFFICE = "office"  # the carrier's depot: 営業所, センター, 店頭受取
POST_OFFICE = "post_office"  # 郵便局 (窓口, 局留)
KINDS = (STORE, LOCKER, OFFICE, POST_OFFICE)

#: Where the deadline came from (``Shipment.pickup_until_source``).
STATED = "carrier"  # the carrier's own date in its answer
PERIOD = "period"  # computed from the documented holding period

# Words that name the kind of place, most specific first (NFKC, case-folded substrings).
_WORDS = (
    (LOCKER, ("ロッカー", "pudo", "はこぽす", "locker", "packstation", "parcel terminal")),
    (
        STORE,
        (
            "コンビニ",
            "セブン-イレブン",
            "セブンイレブン",
            "ファミリーマート",
            "ファミマ",
            "ローソン",
            "ミニストップ",
            "デイリーヤマザキ",
            "セイコーマート",
            "取扱店",
            "convenience store",
            "parcelshop",
            "parcel shop",
            "service point",
            "access point",
            "retail",
        ),
    ),
    (POST_OFFICE, ("郵便局", "局留", "post office")),
    (OFFICE, ("営業所", "センター", "店頭受取", "ご来店", "depot", "service center", "facility")),
)
#: A carrier's default when its words name no kind: Japan Post holds at the post office.
DEFAULT_KIND = {"japanpost": POST_OFFICE, "yamato": OFFICE, "sagawa": OFFICE}
#: Carriers whose "held" text also means "waiting for the delivery day the customer chose"
#: (Sagawa's 保管中, reference §C3): at their office, only a hold after a missed delivery gets a
#: computed last day.
AMBIGUOUS = frozenset({"sagawa"})


@dataclass(frozen=True, slots=True)
class Holding:
    days: int
    #: The day of arrival is day 1 (False: the day after is, e.g. はこぽす "3 days from the day
    #: after 入庫").
    arrival_counts: bool
    #: Confirmed by the carrier's own terms or FAQ (False: ``[?]`` in the reference).
    verified: bool
    source: str


HOLDING: dict[tuple[str, str], Holding] = {
    ("yamato", OFFICE): Holding(
        7, True, True, "Yamato 店頭受取 terms (dev mirror of the official page): 1 week"
    ),
    ("yamato", STORE): Holding(3, True, True, "Yamato 店頭受取 terms: 取扱店 3 days incl."),
    ("yamato", LOCKER): Holding(3, True, False, "PUDO / 指定ロッカー 3 days [?] (weak source)"),
    ("sagawa", OFFICE): Holding(8, True, True, "Sagawa official FAQ: 8 days incl. the first day"),
    ("sagawa", STORE): Holding(7, True, False, "Sagawa convenience store 7 days incl. [?]"),
    ("japanpost", POST_OFFICE): Holding(
        7, True, True, "ゆうパック 不在 7 days (the extension to 10: unconfirmed)"
    ),
    ("japanpost", OFFICE): Holding(
        7, True, True, "ゆうパック 不在 7 days (the extension to 10: unconfirmed)"
    ),
    ("japanpost", LOCKER): Holding(3, False, True, "はこぽす: 3 days from the day after 入庫"),
}
#: The pickup place's clock: the day counting happens where the parcel waits.
CARRIER_ZONES = {
    "yamato": ZoneInfo("Asia/Tokyo"),
    "sagawa": ZoneInfo("Asia/Tokyo"),
    "japanpost": ZoneInfo("Asia/Tokyo"),
}


def fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


# A phone number beside the place ("TEL 011-000-0000", "(TEL:0570-01-0000)"): not its name.
_PHONE = re.compile(
    r"[(（]?\s*(?:TEL|Tel|tel|電話)\s*[:：.]?\s*[\d()\-‐－ ]{6,}[)）]?|\b0\d{1,4}-\d{1,4}-\d{3,4}\b"
)
# A name in brackets in the scan's own words: 「はこぽす（札幌駅前ロッカー）に入庫」.
_BRACKETED = re.compile(r"[(（]([^()（）]{2,60})[)）]")


def clean_place(text: str) -> str:
    """The place as the carrier names it, without the phone number pages print beside it."""
    return fold(_PHONE.sub(" ", fold(text))).strip(" ,、")


def kind_of(text: str, carrier: str = "") -> str:
    """The kind of place the words name; else the carrier's default (a Japanese carrier holds at
    its office or post office), else "" (unknown: the page names the place only)."""
    folded = fold(text).casefold()
    for kind, words in _WORDS:
        if any(w in folded for w in words):
            return kind
    return DEFAULT_KIND.get(carrier, "")


def last_day(carrier: str, kind: str, since: datetime) -> date | None:
    """The last day to collect a parcel that reached a ``kind`` of place at ``since``, by the
    carrier's documented holding period counted in the place's zone; None when the period is
    not documented (the page then points to the carrier's page)."""
    holding = HOLDING.get((carrier, kind))
    if holding is None or since.tzinfo is None:
        return None
    zone = CARRIER_ZONES.get(carrier)
    arrived = since.astimezone(zone).date() if zone else since.date()
    return arrived + timedelta(days=holding.days - (1 if holding.arrival_counts else 0))


def reminder_lead(since: date | None, until: date) -> int:
    """How many days before the last day the one reminder goes: 2, or 1 when the whole period
    is short (3 days: a store or a locker), so it never lands on the day of arrival."""
    if since is not None and (until - since).days + 1 <= 4:
        return 1
    return 2


_DEADLINE = re.compile(
    r"(?:保管期限|保管期間|受取期限|受け取り期限|お受け取り期限|お預かり期限|受取可能期間|"
    r"受取可能期限|Hold until|Collect by|Pick ?up by|Available until)"
    r"[^0-9]{0,12}((?:\d{4}\s*[年/-]\s*)?\d{1,2}\s*[月/-]\s*\d{1,2}(?:\s*日)?)"
    r"(?:[^0-9]{0,6}[~〜-]\s*((?:\d{4}\s*[年/-]\s*)?\d{1,2}\s*[月/-]\s*\d{1,2}(?:\s*日)?))?",
    re.IGNORECASE,
)


def stated_until_text(text: str) -> str | None:
    """The date text of a 保管期限 / "hold until" the carrier printed (a range's end), or None."""
    m = _DEADLINE.search(fold(text))
    if not m:
        return None
    return m[2] or m[1]


def _arrival(events: list[TrackingEvent]) -> tuple[TrackingEvent | None, TrackingEvent | None]:
    """(the scan that put the parcel at the pickup point, the missed delivery right before it).
    The arrival is the oldest of the newest run of pickup scans, not counting a request row
    (依頼受付(店頭受取): asked for, not there yet). A parcel taken back after a missed delivery
    (持戻, ご不在) is held from that day: the carriers count the period from the first notice."""
    run: list[TrackingEvent] = []
    before: TrackingEvent | None = None
    for event in events:  # newest first
        if event.status is not Status.AVAILABLE_FOR_PICKUP:
            before = event
            break
        run.append(event)
    arrived = [e for e in run if "依頼受付" not in fold(e.raw_code or e.description)]
    arrival = (arrived or run or [None])[-1]
    missed = before if before is not None and before.status is Status.ATTEMPT_FAILED else None
    return arrival, missed


def pickup_of(result: TrackingResult, carrier: str = "") -> Pickup | None:
    """Where and until when ``result``'s parcel waits, or None when it is not waiting.
    ``carrier``: the parcel's carrier when the answer came through another adapter (an
    aggregator, the demo's simulated carrier); default the answer's own."""
    if result.status is not Status.AVAILABLE_FOR_PICKUP:
        return None
    told = result.pickup or Pickup()
    arrival, missed = _arrival(result.events)
    place = clean_place(told.place)
    named = _BRACKETED.search(fold(arrival.description)) if arrival is not None else None
    if not place and named and kind_of(named[1], "") in (LOCKER, STORE):
        place = clean_place(named[1])  # the locker or store the scan names, not the office
    if not place:
        if arrival is not None and arrival.location:
            place = clean_place(arrival.location)
        elif result.events and result.events[0].location:
            place = clean_place(result.events[0].location)
    words = " ".join(
        [place, result.raw_status, result.sub_status]
        + [f"{e.description} {e.raw_code}" for e in result.events[:3]]
    )
    carrier = carrier or result.carrier
    kind = told.kind or kind_of(words, carrier)
    since = told.since
    if since is None:
        since = (missed or arrival).occurred_at if (missed or arrival) is not None else None
    if carrier in AMBIGUOUS and kind == OFFICE and missed is None and told.since is None:
        since = None  # Sagawa's 保管中 may be a parcel waiting for its delivery day
    return Pickup(kind=kind, place=place[:200], since=since, until=told.until)


def deadline(carrier: str, pickup: Pickup) -> tuple[date | None, str]:
    """(last day, where it came from): the carrier's stated date first, else the period."""
    if pickup.until is not None:
        return pickup.until, STATED
    if pickup.since is not None:
        day = last_day(carrier, pickup.kind, pickup.since)
        if day is not None:
            return day, PERIOD
    return None, ""
