"""What the aggregator adapters (AfterShip, 17TRACK, Ship24, EasyPost) share.

An aggregator tracks numbers of many carriers, so it accepts any number (``accepts_any``: never
"detected") and is told the underlying carrier by the caller: ``fetch(numbers, carrier="yamato")``.
``SLUGS`` maps OUR carrier codes onto the aggregator's own carrier identifiers. ``None`` means
"not verified / not needed": the aggregator is asked to detect the carrier itself.

``fetch`` is shared: the API key from the account (``credential_env = {"api_key": …}``), the
base URL from the environment, our code turned into the
aggregator's slug, then one ``_request`` per batch (the subclass's HTTP).
"""

from __future__ import annotations

from collections.abc import Iterable

from .account import Account
from .base import Adapter
from .errors import UnknownCarrier
from .json_api import chunks, env_url

#: Our carrier codes, the keys every aggregator's SLUGS covers.
OUR_CODES = ("yamato", "sagawa", "japanpost", "seino", "fukuyama", "ups", "fedex", "dhl", "usps")


class AggregatorAdapter(Adapter):
    accepts_any = True
    #: The API's base URL, and the variable that overrides it (sandbox; tests: a local server).
    base_url: str = ""
    base_url_env: str = ""
    SLUGS: dict[str, str | int | None] = {}

    def validate(self, number: str) -> bool:
        return bool(number) and number.isalnum() and 4 <= len(number) <= 40

    def slug(self, carrier: str | None) -> str | int | None:
        """The aggregator's identifier for our ``carrier`` code (None: let it detect)."""
        if carrier is None:
            return None
        if carrier not in self.SLUGS:
            raise UnknownCarrier(carrier)
        return self.SLUGS[carrier]

    def fetch(
        self,
        numbers: Iterable[str],
        *,
        carrier: str | None = None,
        account: Account | None = None,
        **context,
    ):
        key = self.account(account).get("api_key")
        base = env_url(self.base_url_env, self.base_url)
        slug = self.slug(carrier)
        out: dict[str, bytes] = {}
        for batch in chunks(list(numbers), self.batch_size):
            response = self._request(batch, key=key, base=base, slug=slug)
            # One answer covers the batch; parse picks each number's entry.
            out.update(dict.fromkeys(batch, response.content))
        return out

    def _request(self, batch: list[str], *, key: str, base: str, slug: str | int | None):
        """The HTTP for one batch; returns the response whose body answers for all of it."""
        raise NotImplementedError
