"""``[privacy]`` section of a brand file: how long an order's personal data is kept."""

from __future__ import annotations

from pydantic import Field

from tracking.brands.base import Strict

# Two years after the last event: past Japan's usual warranty and return windows and the
# statute a customer has to complain, with no reason to keep names and addresses longer.
DEFAULT_RETAIN_DAYS = 730


class PrivacyConfig(Strict):
    # Days after an order's last event (its own update, a parcel's, a return's, a question's)
    # before the worker erases its personal data; the figures keep counting it.
    retain_days: int = Field(default=DEFAULT_RETAIN_DAYS, ge=30, le=3650)
