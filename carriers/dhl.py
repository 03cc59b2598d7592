"""DHL (Shipment Tracking – Unified)."""

from __future__ import annotations

from .base import Adapter
from .numbers import dhl_express_valid


class DHLAdapter(Adapter):
    code = "dhl"
    names = {"en": "DHL", "ja": "DHL"}

    def validate(self, number: str) -> bool:
        return dhl_express_valid(number)

    def tracking_url(self, number: str) -> str:
        return f"https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}"
