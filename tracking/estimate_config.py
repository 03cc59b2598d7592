"""``[shipping]`` section of a brand file: what delivery estimates need to know."""

from __future__ import annotations

from .brand_base import Strict


class ShippingConfig(Strict):
    pass
