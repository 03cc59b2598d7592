"""An offline carrier for the demo and tests: realistic journeys without any network.

The journey is chosen by the number (``scenario_for``) and laid out from the shipment's
``shipped_at`` (passed by the caller as context; a default age otherwise). ``fetch`` reveals the
steps whose time has come, so a journey progresses with the real clock; ``parse`` is pure.
Japanese-looking numbers (12 digits, or S10 ending in JP) get Japanese texts and places.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .base import Adapter
from .errors import NotFound, ParseFailed
from .model import DeliveryWindow, TrackingEvent, TrackingResult
from .numbers import mod7_complete, ups_check_digit
from .parsing import unknown
from .registry import get
from .status import Status

# raw code -> (status, sub_status). Read at a glance; the contract test checks every code.
MAPPING: dict[str, tuple[Status, str]] = {
    "LABEL": (Status.INFO_RECEIVED, ""),
    "PICKUP": (Status.IN_TRANSIT, "picked_up"),
    "DEPART": (Status.IN_TRANSIT, "departed"),
    "ARRIVE": (Status.IN_TRANSIT, "arrived_hub"),
    "DEPOT": (Status.IN_TRANSIT, "arrived_delivery_office"),
    "OUT": (Status.OUT_FOR_DELIVERY, ""),
    "DELIVERED": (Status.DELIVERED, ""),
    "DELIVERED_BOX": (Status.DELIVERED, "delivery_box"),
    "ATTEMPT": (Status.ATTEMPT_FAILED, ""),
    "HELD": (Status.AVAILABLE_FOR_PICKUP, ""),
    "DELAY": (Status.DELAYED, ""),
    "ISSUE": (Status.EXCEPTION, ""),
    "RTS": (Status.RETURNING_TO_SENDER, ""),
    "RETURNED": (Status.RETURNED_TO_SENDER, ""),
}

# (raw code, Japanese carrier text, English carrier text)
_TEXT = {
    "LABEL": ("出荷指示", "Shipping label created"),
    "PICKUP": ("荷物受付", "Picked up"),
    "DEPART": ("発送", "Departed facility"),
    "ARRIVE": ("作業店通過", "Arrived at sort facility"),
    "DEPOT": ("配達店到着", "Arrived at delivery station"),
    "OUT": ("配達中", "Out for delivery"),
    "DELIVERED": ("配達完了", "Delivered"),
    "DELIVERED_BOX": ("配達完了（宅配ボックス）", "Delivered to parcel locker"),
    "ATTEMPT": ("持戻（ご不在）", "Delivery attempted: no one available"),
    "HELD": ("ご来店予定（保管中）", "Held at pickup point"),
    "DELAY": ("輸送遅延", "Delayed: weather"),
    "ISSUE": ("調査中", "Address problem: carrier investigating"),
    "RTS": ("返品", "Returning to sender"),
    "RETURNED": ("差出人に返送済み", "Returned to sender"),
}

_PLACES_JP = ["静岡ベース", "羽田クロノゲート", "東京ベース", "渋谷神南センター"]
_PLACES_INTL = ["Portland, OR", "Louisville, KY", "Chicago, IL", "Denver, CO"]
#: Where a held parcel waits (the demo's parcel at a convenience store, ``carriers.pickup``).
_PICKUP_JP = "ファミリーマート 渋谷公園通り店"
_PICKUP_INTL = "Parcel shop, 1200 SW Broadway, Portland, OR"


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[tuple[float, str], ...]  # (hours after shipped_at, raw code)
    edd_days: tuple[int, int] = (1, 2)  # carrier promise, days after shipping (JP scale)


_BASE = ((-6, "LABEL"), (0, "PICKUP"), (3, "DEPART"), (14, "ARRIVE"), (20, "DEPOT"))

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("delivered", (*_BASE, (26, "OUT"), (30, "DELIVERED"))),
    Scenario("out_for_delivery", (*_BASE, (26, "OUT"))),
    # Keeps moving: in transit for a day or so, then out for delivery and delivered.
    Scenario("in_transit", (*_BASE, (40, "OUT"), (44, "DELIVERED")), edd_days=(2, 3)),
    Scenario("info_received", _BASE[:1]),
    Scenario("attempt_failed", (*_BASE, (26, "OUT"), (29, "ATTEMPT"))),
    Scenario("available_for_pickup", (*_BASE, (26, "OUT"), (29, "ATTEMPT"), (33, "HELD"))),
    Scenario("exception", (*_BASE[:4], (22, "ISSUE")), edd_days=(2, 3)),
    Scenario("delayed", (*_BASE[:4], (20, "DELAY")), edd_days=(3, 4)),
    Scenario(
        "returned",
        (*_BASE, (26, "OUT"), (29, "ATTEMPT"), (80, "RTS"), (100, "RETURNED")),
    ),
    Scenario("delivered_box", (*_BASE, (26, "OUT"), (30, "DELIVERED_BOX"))),
    Scenario("pending", ()),
)
SCENARIO_BY_NAME = {s.name: s for s in SCENARIOS}


# Scans happen in the working day of the place the parcel travels (the demo shops' zones):
# a journey laid out by the hour from any moment would deliver at 2 am.
ZONE_JP, ZONE_INTL = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")
DAY_START, DAY_END = 8, 21
_NIGHT = timedelta(hours=24 - (DAY_END - 1 - DAY_START))  # 20:00 → 08:00 next day


def daytime(at: datetime, zone: ZoneInfo) -> datetime:
    """``at`` moved into 08:00–21:00 local time, never later and never out of order: the day
    until 20:00 stays as it is; the night from 20:00 to 08:00 is pressed into 20:00–21:00
    (02:00 → 20:30). Monotonic, so a journey keeps its order; never later, so whatever a
    journey showed at a moment it still shows."""
    local = at.astimezone(zone)
    evening = datetime.combine(local.date(), time(DAY_END - 1), tzinfo=zone)
    if local.hour < DAY_START:
        evening -= timedelta(days=1)
    elif local < evening:
        return at
    into = (local - evening) / _NIGHT  # 0 ≤ into < 1 through the night
    return (evening + timedelta(hours=into)).astimezone(at.tzinfo or UTC)


def scenario_for(number: str) -> Scenario:
    """Deterministic: the same number always plays the same journey."""
    return SCENARIOS[zlib.crc32(number.encode()) % len(SCENARIOS)]


def is_japanese(number: str) -> bool:
    return (number.isdigit() and len(number) in (11, 12)) or number.endswith("JP")


def example_number(carrier: str, scenario: str, salt: int = 0) -> str:
    """A number that is valid for ``carrier`` and whose simulated journey is ``scenario`` (for demo
    data: the number looks real and the offline carrier plays the wanted story). ``salt`` picks
    another number for the same pair."""
    adapter = get(carrier)
    wanted = SCENARIO_BY_NAME[scenario]
    for i in range(salt * 9973, salt * 9973 + 10_000):
        if carrier == "ups":
            body = f"{'A1B2C3'}{i:09d}"[-15:]
            number = "1Z" + body + ups_check_digit(body)
        elif carrier == "dhl":
            number = mod7_complete(f"{(i % 10**9):09d}")
            number = number if len(number) == 10 else number[-10:]
        else:  # the 12-digit mod-7 family
            number = mod7_complete(f"{(30_000_000_000 + i):011d}")
        if adapter.validate(number) and scenario_for(number) is wanted:
            return number
    raise ValueError(f"no {carrier} number found for scenario {scenario!r}")


class SimulatedAdapter(Adapter):
    code = "simulated"
    names = {"en": "Simulated carrier", "ja": "シミュレーション配送"}
    batch_size = 100
    accepts_any = True
    #: Journeys outside Japan take longer.
    intl_scale = 2.5

    def validate(self, number: str) -> bool:
        return bool(number) and number.isalnum()

    def tracking_url(self, number: str) -> str:
        return f"https://carrier.invalid/track/{number}"

    def fetch(
        self,
        numbers: Iterable[str],
        *,
        shipped_at: dict[str, datetime] | None = None,
        now: datetime | None = None,
        **context,
    ) -> dict[str, bytes]:
        now = now or datetime.now(UTC)
        return {
            n: json.dumps(self.journey(n, (shipped_at or {}).get(n), now)).encode() for n in numbers
        }

    def journey(self, number: str, shipped_at: datetime | None, now: datetime) -> dict:
        scenario = scenario_for(number)
        if not scenario.steps:
            return {"number": number, "found": False}
        jp = is_japanese(number)
        scale = 1.0 if jp else self.intl_scale
        start = shipped_at or now - timedelta(hours=36 * scale)
        places = _PLACES_JP if jp else _PLACES_INTL
        events = []
        zone = ZONE_JP if jp else ZONE_INTL
        for i, (hours, code) in enumerate(scenario.steps):
            at = daytime(start + timedelta(hours=hours * scale), zone)
            if at > now:
                break
            text_ja, text_en = _TEXT[code]
            events.append(
                {
                    "at": at.isoformat(),
                    "code": code,
                    "text": text_ja if jp else text_en,
                    "location": (_PICKUP_JP if jp else _PICKUP_INTL)
                    if code == "HELD"
                    else places[min(max(i - 1, 0), len(places) - 1)],
                }
            )
        lo, hi = (round(d * scale) for d in scenario.edd_days)
        shipped_day = start.date()
        return {
            "number": number,
            "found": True,
            "events": events,
            "edd": [
                (shipped_day + timedelta(days=lo)).isoformat(),
                (shipped_day + timedelta(days=hi)).isoformat(),
            ],
        }

    def parse(self, body: bytes, tracking_number: str) -> TrackingResult:
        try:
            data = json.loads(body)
            if not data.get("found"):
                raise NotFound(tracking_number)
            events = []
            for raw in reversed(data["events"]):
                status, sub = MAPPING.get(raw["code"]) or (
                    unknown(self.code, raw["code"], raw["text"]),
                    "",
                )
                events.append(
                    TrackingEvent(
                        occurred_at=datetime.fromisoformat(raw["at"]),
                        status=status,
                        sub_status=sub,
                        description=raw["text"],
                        location=raw.get("location", ""),
                        raw_code=raw["code"],
                    )
                )
            edd = data.get("edd")
            window = DeliveryWindow(date.fromisoformat(edd[0]), date.fromisoformat(edd[1]))
        except NotFound:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ParseFailed(f"simulated body unreadable: {exc}") from exc
        latest = events[0] if events else None
        status = latest.status if latest else Status.INFO_RECEIVED
        delivered_at = latest.occurred_at if latest and status is Status.DELIVERED else None
        return TrackingResult(
            carrier=self.code,
            tracking_number=tracking_number,
            status=status,
            sub_status=latest.sub_status if latest else "",
            events=events,
            estimated_delivery=None if delivered_at else window,
            delivered_at=delivered_at,
            raw_status=latest.description if latest else "",
        )
