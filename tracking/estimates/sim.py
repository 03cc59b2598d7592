"""A synthetic delivery history, and the accuracy report that compares the estimate sources.

The simulation is deliberately not the lane table: real lanes differ from the carriers'
published days in ways only history shows — a prefecture at the far end of its region, a shop
whose parcels often miss the day's trunk line, weather, 年末年始 and Golden Week backlogs. Each
lane gets a hidden offset from a hash, each parcel gets noise; calendars and holidays come from
``calendars`` like everything else. The report fits on the older part of the history and
measures on the newer, held-out part.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta

from tracking import calendars
from tracking.estimates import lanes
from tracking.estimates.config import ShippingConfig
from tracking.estimates.lanes import Lane
from tracking.estimates.learned import LearnedLanes
from tracking.estimates.models import LaneObservation
from tracking.estimates.sources import Estimate, from_default, from_lane_table, from_learned

# carrier, service, share of parcels
MIX = (
    ("yamato", "宅急便", 0.45),
    ("sagawa", "飛脚宅配便", 0.15),
    ("japanpost", "ゆうパック", 0.25),
    ("japanpost", "クリックポスト", 0.15),
)
ORIGINS = ("4200851", "1500001")  # 静岡 (the demo tea shop), 東京


def _lane_offset(carrier: str, origin: str, dest: str, table_days: int) -> int:
    """The lane's hidden truth against the table: some faster, many a day slower."""
    u = (zlib.crc32(f"{carrier}|{origin}|{dest}".encode()) % 1000) / 1000
    if u < 0.15 and table_days >= 2:
        return -1
    if u < 0.45:
        return 1
    return 0


def _seasonal(day: date, rng: random.Random) -> int:
    if (day.month == 12 and day.day >= 26) or (day.month == 1 and day.day <= 5):
        return 1 if rng.random() < 0.5 else 0  # 年末年始 backlog
    if (day.month == 4 and day.day >= 29) or (day.month == 5 and day.day <= 6):
        return 1 if rng.random() < 0.3 else 0  # Golden Week
    return 0


def _noise(rng: random.Random) -> int:
    u = rng.random()
    if u < 0.01:
        return rng.randint(3, 5)  # lost in a hub, weather closure
    if u < 0.03:
        return 2
    if u < 0.09:
        return 1
    return 0


def _postcodes() -> list[str]:
    prefixes = [f"{i:03d}" for i in range(1, 1000)]
    return [p for p in prefixes if lanes.place_for(p + "0001", "JP").region]


def simulate(
    n: int,
    end: date,
    seed: int = 7,
    *,
    mix: tuple[tuple[str, str, float], ...] = MIX,
    origins: tuple[str, ...] = ORIGINS,
    prefixes: list[str] | None = None,
) -> list[LaneObservation]:
    """``n`` delivered parcels handed over on shipping days up to ``end``, oldest first.
    ``mix``/``origins``/``prefixes`` narrow it to some lanes (the demo uses one)."""
    rng = random.Random(seed)
    prefixes = prefixes or _postcodes()
    ship = calendars.shipping_calendar("JP", frozenset(range(5)), ((12, 29), (1, 3)))
    span = max(60, n // 40)  # about 40 parcels a day
    days = [d for d in (end - timedelta(i) for i in range(span, 0, -1)) if ship.is_open(d)]
    weights = [m for _c, _s, m in mix]
    rows = []
    for i in range(n):
        handover = days[i * len(days) // n]
        carrier, service, _ = rng.choices(mix, weights)[0]
        origin = lanes.place_for(rng.choice(origins), "JP")
        postcode = rng.choice(prefixes) + f"{rng.randint(0, 9999):04d}"
        dest = lanes.place_for(postcode, "JP")
        table = lanes.lane_days(carrier, service, origin, dest, handover)
        if table is None:
            continue
        cal = calendars.delivery_calendar(carrier, service, "JP")
        missed_pickup = 1 if rng.random() < 0.25 else 0
        offset = _lane_offset(carrier, origin.key, dest.key, table.days)
        days_true = max(1, table.days + offset + _seasonal(handover, rng) + _noise(rng))
        departure = handover + timedelta(days=missed_pickup)
        delivered = cal.add(departure, days_true)
        carrier_start = carrier_end = promised = None
        if service != "クリックポスト":
            # the carrier knows the pickup and its own network, not tomorrow's weather
            carrier_start = carrier_end = cal.add(departure, max(1, table.days + offset))
            if carrier != "sagawa" and rng.random() < 0.08:
                promised = cal.add(handover, table.days + 2)
                if delivered <= promised:
                    delivered = promised if rng.random() < 0.97 else promised + timedelta(1)
        rows.append(
            LaneObservation(
                carrier=carrier,
                service=service,
                origin_country="JP",
                origin_region=origin.region,
                origin_key=origin.key,
                dest_country="JP",
                dest_region=dest.region,
                dest_key=dest.key,
                dest_postcode=postcode,
                handover_on=handover,
                delivered_on=delivered,
                transit_days=cal.count(handover, delivered),
                carrier_start=carrier_start,
                carrier_end=carrier_end,
                promised_on=promised,
                synthetic=True,
            )
        )
    return rows


# --- the report -----------------------------------------------------------------------------


@dataclass
class Score:
    n: int = 0
    inside: int = 0
    early: int = 0
    late: int = 0
    abs_error: float = 0.0
    width: int = 0

    def add(self, est: Estimate, delivered: date) -> None:
        self.n += 1
        if delivered < est.start:
            self.early += 1
        elif delivered > est.end:
            self.late += 1
        else:
            self.inside += 1
        # error against the middle of the window, in days
        middle = est.start + (est.end - est.start) / 2
        self.abs_error += abs((delivered - middle).total_seconds()) / 86400
        self.width += est.width

    def row(self) -> dict:
        n = self.n or 1
        return {
            "n": self.n,
            "in_window": self.inside / n,
            "early": self.early / n,
            "late": self.late / n,
            "mae_days": self.abs_error / n,
            "width_days": self.width / n,
        }


@dataclass
class Report:
    train: int
    test: int
    sources: dict[str, Score] = field(default_factory=dict)
    head_to_head: dict[str, Score] = field(default_factory=dict)

    def lines(self) -> list[str]:
        head = (
            f"{'source':<14}{'parcels':>8}{'in window':>11}{'early':>8}{'late':>8}"
            f"{'MAE d':>8}{'width d':>9}"
        )
        out = [f"fitted on {self.train} deliveries, measured on {self.test} held out", head]
        out += [_fmt(name, s) for name, s in self.sources.items()]
        out += ["", "same parcels (where the learned lane has enough history):", head]
        out += [_fmt(name, s) for name, s in self.head_to_head.items()]
        return out


def _fmt(name: str, score: Score) -> str:
    r = score.row()
    return (
        f"{name:<14}{r['n']:>8}{r['in_window']:>11.1%}{r['early']:>8.1%}{r['late']:>8.1%}"
        f"{r['mae_days']:>8.2f}{r['width_days']:>9.2f}"
    )


def _place(country: str, region: str, key: str, postcode: str = "") -> lanes.Place:
    if postcode:
        return lanes.place_for(postcode, country)
    prefecture = key if country == "JP" and key not in (region, country) else ""
    return lanes.Place(country, region, prefecture)


def evaluate(rows: list[LaneObservation], cfg: ShippingConfig, holdout: float = 0.2) -> Report:
    """Fit on the oldest ``1 - holdout`` of ``rows`` (by hand-over day), score each source on
    the rest. A source is scored on the parcels it can speak for."""
    rows = sorted(rows, key=lambda r: (r.handover_on, r.id or 0))
    cut = int(len(rows) * (1 - holdout))
    train, test = rows[:cut], rows[cut:]
    model = LearnedLanes(cfg.learned_min_sample).fit(train)
    names = ("customer_slot", "carrier", "learned", "lane_table", "default", "chosen")
    report = Report(len(train), len(test), {k: Score() for k in names})
    report.head_to_head = {k: Score() for k in ("learned", "lane_table")}
    for r in test:
        lane = Lane(
            r.carrier,
            r.service,
            _place(r.origin_country, r.origin_region, r.origin_key),
            _place(r.dest_country, r.dest_region, r.dest_key, r.dest_postcode),
        )
        found: dict[str, Estimate | None] = {
            "customer_slot": (
                Estimate(r.promised_on, r.promised_on, "customer_slot", "high")
                if r.promised_on
                else None
            ),
            "carrier": (
                Estimate(r.carrier_start, r.carrier_end or r.carrier_start, "carrier", "high")
                if r.carrier_start
                else None
            ),
            "learned": from_learned(model, lane, r.handover_on),
            "lane_table": from_lane_table(lane, r.handover_on),
            "default": from_default(cfg, lane, r.handover_on),
        }
        for name, est in found.items():
            if est is not None:
                report.sources[name].add(est, r.delivered_on)
        chosen = next(e for e in found.values() if e is not None)
        report.sources["chosen"].add(chosen, r.delivered_on)
        if found["learned"] and found["lane_table"]:
            report.head_to_head["learned"].add(found["learned"], r.delivered_on)
            report.head_to_head["lane_table"].add(found["lane_table"], r.delivered_on)
    return report
