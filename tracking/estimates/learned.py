"""The learned lanes: transit days of our own delivered parcels on the same lane (carrier,
service, origin, destination), as robust percentiles, once the lane has enough deliveries."""

from __future__ import annotations

import math
from collections.abc import Iterable

from sqlalchemy import select as sa_select
from sqlalchemy import union
from sqlmodel import Session, select

from tracking.estimates.lanes import Lane
from tracking.estimates.models import LaneObservation

# Learned window: these percentiles of the lane's transit days (robust to the odd lost parcel,
# unlike a mean), over at most the newest RECENT deliveries of the lane.
LOW_Q, HIGH_Q = 0.10, 0.80
RECENT = 400
# A window wider than two delivery days helps nobody plan: when the percentiles are further
# apart, the two-day window holding the most deliveries between them is used instead.
MAX_SPREAD = 1


def quantile(sorted_values: list[int], q: float) -> int:
    """Nearest-rank percentile of an ascending list (an observed value, never interpolated)."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


class LearnedLanes:
    """Transit days per lane, fitted from delivered parcels. Looks up the finest lane first
    (prefecture / ZIP area) and falls back to the region lane; each needs ``min_sample``."""

    def __init__(self, min_sample: int = 30):
        self.min_sample = min_sample
        self.samples: dict[tuple, list[int]] = {}

    @staticmethod
    def keys(carrier, service, o_country, o_region, o_key, d_country, d_region, d_key):
        return (
            ("fine", carrier, service, o_country, o_key, d_country, d_key),
            ("region", carrier, service, o_country, o_region, d_country, d_region),
        )

    def fit(self, observations: Iterable[LaneObservation]) -> LearnedLanes:
        """``observations`` oldest first; only the newest RECENT per lane are kept."""
        for o in observations:
            for key in self.keys(
                o.carrier,
                o.service,
                o.origin_country,
                o.origin_region,
                o.origin_key,
                o.dest_country,
                o.dest_region,
                o.dest_key,
            ):
                self.samples.setdefault(key, []).append(o.transit_days)
        for key, values in self.samples.items():
            self.samples[key] = sorted(values[-RECENT:])
        return self

    def window(self, lane: Lane) -> tuple[int, int, int] | None:
        """(low days, high days, sample size) or None below the minimum sample."""
        o, d = lane.origin, lane.dest
        for key in self.keys(
            lane.carrier, lane.service, o.country, o.region, o.key, d.country, d.region, d.key
        ):
            values = self.samples.get(key)
            if values and len(values) >= self.min_sample:
                low, high = quantile(values, LOW_Q), quantile(values, HIGH_Q)
                if high - low > MAX_SPREAD:
                    low = max(
                        range(low, high - MAX_SPREAD + 1),
                        key=lambda a: sum(a <= v <= a + MAX_SPREAD for v in values),
                    )
                    high = low + MAX_SPREAD
                return low, high, len(values)
        return None


def learned_for(session: Session, lane: Lane, min_sample: int) -> LearnedLanes:
    """The learned model restricted to one lane's rows (what a single recompute needs)."""
    o, d = lane.origin, lane.dest
    base = select(LaneObservation).where(
        LaneObservation.carrier == lane.carrier,
        LaneObservation.service == lane.service,
        LaneObservation.origin_country == o.country,
        LaneObservation.dest_country == d.country,
    )
    # The newest RECENT rows of the fine lane and of the region lane, in one query (the
    # tracking page renders an unshipped order's estimate within its query budget).
    newest = [
        base.where(*cond).order_by(LaneObservation.handover_on.desc()).limit(RECENT).subquery()
        for cond in (
            (LaneObservation.origin_key == o.key, LaneObservation.dest_key == d.key),
            (LaneObservation.origin_region == o.region, LaneObservation.dest_region == d.region),
        )
    ]
    ids = union(*(sa_select(sub.c.id) for sub in newest))
    rows = session.exec(select(LaneObservation).where(LaneObservation.id.in_(ids))).all()
    ordered = sorted(rows, key=lambda r: (r.handover_on, r.id))
    return LearnedLanes(min_sample).fit(ordered)
