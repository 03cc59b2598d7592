"""UPS."""

from __future__ import annotations

from .base import Adapter
from .numbers import ups_valid


class UPSAdapter(Adapter):
    code = "ups"
    names = {"en": "UPS", "ja": "UPS"}

    def validate(self, number: str) -> bool:
        return ups_valid(number)

    def tracking_url(self, number: str) -> str:
        return f"https://www.ups.com/track?tracknum={number}"
