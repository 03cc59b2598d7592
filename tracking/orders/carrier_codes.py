"""Which carrier a shipment goes with: our own codes, the names Shopify writes in
``tracking_company``, Rakuten's numeric 配送会社 codes, or (when nothing is given) the tracking
number's format among the brand's carriers. Anything else is an error naming the choices."""

from __future__ import annotations

import carriers
from tracking import normalize
from tracking.brands.brand import Brand

# Shopify FulfillmentTrackingInfo.company values (sent exactly so), to our codes.
SHOPIFY = {
    "Japan Post (JA)": "japanpost",
    "Japan Post (EN)": "japanpost",
    "Yamato (JA)": "yamato",
    "Yamato (EN)": "yamato",
    "Sagawa (JA)": "sagawa",
    "Sagawa (EN)": "sagawa",
    "西濃運輸": "seino",
    "西濃スーパーエキスプレス": "seino",
    "福山通運": "fukuyama",
    "DHL Express": "dhl",
    "FedEx": "fedex",
    "UPS": "ups",
    "USPS": "usps",
}
# Rakuten 配送会社 codes with an adapter of ours (1000 is その他: no carrier to ask).
RAKUTEN = {
    "1001": "yamato",
    "1030": "yamato",
    "1002": "sagawa",
    "1003": "japanpost",
    "1017": "japanpost",
    "1029": "japanpost",
    "1004": "seino",
    "1005": "seino",
    "1006": "fukuyama",
    "1018": "dhl",
    "1019": "fedex",
    "1020": "ups",
    "1024": "usps",
}
# Carrier names as Japanese shops write them in their own files.
NAMES = {
    "ヤマト運輸": "yamato",
    "ヤマト": "yamato",
    "クロネコヤマト": "yamato",
    "佐川急便": "sagawa",
    "佐川": "sagawa",
    "日本郵便": "japanpost",
    "ゆうパック": "japanpost",
    "ゆうパケット": "japanpost",
    "JAPAN POST": "japanpost",
    "YAMATO": "yamato",
    "SAGAWA": "sagawa",
}


class CarrierNotResolved(ValueError):
    def __init__(self, message: str, candidates: list[str], ambiguous: bool = False):
        super().__init__(message)
        self.candidates, self.ambiguous = candidates, ambiguous


def brand_carriers(brand: Brand) -> list[str]:
    """The carriers a brand ships with (its ``[carriers.*]`` sections), else every direct one."""
    if brand.carriers:
        return list(brand.carriers)
    return [c for c in carriers.codes() if not getattr(carriers.get(c), "accepts_any", False)]


def resolve(brand: Brand, given: str, tracking_number: str) -> str:
    """Our carrier code for ``given`` (may be empty) and ``tracking_number``."""
    raw = normalize.clean(given)
    if raw:
        code = _named(raw)
        if code is None:
            known = sorted(set(carriers.codes()))
            raise CarrierNotResolved(
                f"unknown carrier {raw!r}; use one of: {', '.join(known)}", known
            )
        return code
    allowed = brand_carriers(brand)
    found = [c for c in carriers.detect(tracking_number) if c in allowed]
    if len(found) == 1:
        return found[0]
    if not found:
        raise CarrierNotResolved(
            f"no carrier of this shop ({', '.join(allowed)}) uses tracking numbers like "
            f"{tracking_number!r}; give the carrier",
            allowed,
        )
    raise CarrierNotResolved(
        f"tracking number {tracking_number!r} fits several carriers ({', '.join(found)}); "
        "give the carrier",
        found,
        ambiguous=True,
    )


def _named(raw: str) -> str | None:
    if raw.lower() in carriers.REGISTRY:
        return raw.lower()
    if raw in SHOPIFY:
        return SHOPIFY[raw]
    if raw.isdigit() and len(raw) == 4:
        return RAKUTEN.get(raw)
    return NAMES.get(raw) or NAMES.get(raw.upper())
