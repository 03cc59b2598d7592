"""``[shipping]`` section of a brand file: what delivery estimates need to know."""

from __future__ import annotations

import re
from datetime import time

from pydantic import Field, field_validator, model_validator

from tracking.brands.base import Strict

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _month_day(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{2})-(\d{2})", value)
    if not match or not (1 <= int(match[1]) <= 12 and 1 <= int(match[2]) <= 31):
        raise ValueError(f"use MM-DD like 12-29, got {value!r}")
    return int(match[1]), int(match[2])


class ShippingConfig(Strict):
    # Where parcels leave from: the country and the postcode of the warehouse.
    country: str = "JP"
    origin_postcode: str = ""
    # Orders placed before this local time can ship the same working day.
    cutoff: str = "14:00"
    # Working days of handling after the order day (0: ships on the order day before cut-off).
    processing_days: int = Field(default=1, ge=0, le=30)
    ship_days: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:5]), min_length=1)
    # Closed for public holidays, and for a yearly break such as 年末年始 ("12-29".."01-03").
    closed_on_holidays: bool = True
    closure: list[str] = Field(default_factory=list)
    # What an order not yet shipped will most likely go with.
    carrier: str = "yamato"
    service: str = ""
    # The last resort when no carrier date, no history and no lane table know the lane.
    default_days: list[int] = Field(default_factory=lambda: [1, 3], min_length=2, max_length=2)
    # Learned lanes: deliveries a lane needs before its own history is trusted.
    learned_min_sample: int = Field(default=30, ge=5)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError(f"use a two-letter country code like JP, got {value!r}")
        return value

    @field_validator("carrier")
    @classmethod
    def _carrier(cls, value: str) -> str:
        import carriers
        from tracking.estimates.lanes import table_carriers

        known = set(carriers.REGISTRY) | table_carriers()
        if value not in known:
            raise ValueError(f"unknown carrier {value!r}; use one of {', '.join(sorted(known))}")
        return value

    @field_validator("cutoff")
    @classmethod
    def _cutoff(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"use a 24-hour time like 14:00, got {value!r}") from None
        return value

    @field_validator("ship_days")
    @classmethod
    def _ship_days(cls, value: list[str]) -> list[str]:
        for day in value:
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
        return value

    @field_validator("closure")
    @classmethod
    def _closure(cls, value: list[str]) -> list[str]:
        if value and len(value) != 2:
            raise ValueError('give the first and last closed day, like ["12-29", "01-03"]')
        for v in value:
            _month_day(v)
        return value

    @model_validator(mode="after")
    def _days(self) -> ShippingConfig:
        lo, hi = self.default_days
        if not 0 <= lo <= hi <= 60:
            raise ValueError("default_days must be [min, max] with 0 <= min <= max <= 60")
        return self

    @property
    def cutoff_time(self) -> time:
        return time.fromisoformat(self.cutoff)

    @property
    def ship_weekdays(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(d) for d in self.ship_days)

    @property
    def closure_span(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        if not self.closure:
            return None
        return _month_day(self.closure[0]), _month_day(self.closure[1])
