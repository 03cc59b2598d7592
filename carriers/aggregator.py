"""What the aggregator adapters (AfterShip, 17TRACK, Ship24, EasyPost) share.

An aggregator tracks numbers of many carriers, so it accepts any number (``accepts_any``: never
"detected") and is told the underlying carrier by the caller: ``fetch(numbers, carrier="yamato")``.
``SLUGS`` maps OUR carrier codes onto the aggregator's own carrier identifiers. ``None`` means
"not verified / not needed": the aggregator is asked to detect the carrier itself.
"""

from __future__ import annotations

from .base import Adapter
from .errors import UnknownCarrier

#: Our carrier codes, the keys every aggregator's SLUGS covers.
OUR_CODES = ("yamato", "sagawa", "japanpost", "seino", "fukuyama", "ups", "fedex", "dhl", "usps")


class AggregatorAdapter(Adapter):
    accepts_any = True
    api_key_env: str = ""
    SLUGS: dict[str, str | int | None] = {}

    @property
    def credentials(self) -> tuple[str, ...]:
        return (self.api_key_env,)

    def validate(self, number: str) -> bool:
        return bool(number) and number.isalnum() and 4 <= len(number) <= 40

    def slug(self, carrier: str | None) -> str | int | None:
        """The aggregator's identifier for our ``carrier`` code (None: let it detect)."""
        if carrier is None:
            return None
        if carrier not in self.SLUGS:
            raise UnknownCarrier(carrier)
        return self.SLUGS[carrier]
