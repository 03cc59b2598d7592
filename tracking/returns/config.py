"""``[returns]`` section of a brand file: the return policy.

Every rule the customer form offers is also enforced on the server from this one model
(see ``tracking.policy``). Documented key by key in docs/brand-config.md.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from tracking.addresses.postal import PostalAddress
from tracking.brands.base import Localized, Phone, Strict
from tracking.brands.problems import N_, Invalid

FaultSide = Literal["customer", "merchant"]
Resolution = Literal["refund", "exchange", "store_credit", "repair", "recycle"]
RESOLUTIONS: tuple[str, ...] = ("refund", "exchange", "store_credit", "repair", "recycle")


class Reason(Strict):
    code: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    label: Localized
    fault: FaultSide = "customer"
    photos: int = Field(default=0, ge=0, le=5)  # photos required per item with this reason


class TagRule(Strict):
    final_sale: bool = False  # never returnable (セール品・返品不可)
    merchant_fault_only: bool = False  # hygiene items: only shop-side reasons (衛生用品)
    window_days: int | None = Field(default=None, ge=0, le=3650)  # overrides window_days
    warranty_days: int | None = Field(default=None, ge=0, le=3650)  # repair allowed until then


class FaultRule(Strict):
    return_shipping: FaultSide  # who pays the parcel back
    restocking_fee_percent: int = Field(default=0, ge=0, le=100)  # refunds only
    # A flat fee per request (返品手数料), in minor units of the order's currency (yen; cents),
    # taken from the refund only and never below zero.
    handling_fee: int = Field(default=0, ge=0, le=10_000_000)


#: Text of an address field: the same in every language ("1200 SW Park Ave") or per language.
Text = str | Localized


def _text(value: Text | None, locale: str, fallback: str) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value.get(locale, fallback)


class ShipBack(Strict):
    """Where customers send returns, in parts, so each country's order can be kept
    (``tracking.addresses.postal``). ``address`` is the older one-line form."""

    name: Localized
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")  # default: [shipping]
    postcode: str = Field(pattern=r"^[0-9A-Za-z -]{3,12}$")
    region: Text | None = None  # prefecture / state
    locality: Text | None = None  # city and town
    street: Text | None = None  # street and number
    extra: Text | None = None  # building, floor, department
    address: Localized | None = None  # one line, already in the country's order
    phone: Phone | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ShipBack:
        if self.address is None and self.street is None:
            raise Invalid(N_("give street (and region, locality) or address"), key="street")
        if self.address is not None and self.street is not None:
            raise Invalid(N_("give either street or address, not both"), key="address")
        return self

    def postal(self, locale: str, fallback: str, default_country: str) -> PostalAddress:
        one_line = _text(self.address, locale, fallback)
        return PostalAddress(
            country=self.country or default_country,
            postcode=self.postcode,
            region=_text(self.region, locale, fallback),
            locality=_text(self.locality, locale, fallback),
            street=one_line or _text(self.street, locale, fallback),
            extra=_text(self.extra, locale, fallback),
            name=self.name.get(locale, fallback),
            organization=True,  # a shop's returns desk
            phone=self.phone or "",
        )


#: How the parcel comes back (docs/returns.md, "Return shipping"): a label the shop uploads per
#: return, one shared label file, a carrier pickup the shop books, cash on delivery to the shop
#: (着払い), or sent and paid by the customer.
ShippingMethod = Literal["label", "shared_label", "pickup", "cod", "customer"]
SHIPPING_METHODS: tuple[str, ...] = ("label", "shared_label", "pickup", "cod", "customer")
#: Carriers whose counters take a parcel paid by the receiver (着払い).
COD_CARRIERS: tuple[str, ...] = ("yamato", "sagawa", "japanpost")


class ShippingRule(Strict):
    """A return matches when the payer is ``paid_by`` (if given) and one of its items asks for
    one of ``resolutions`` (if given); the first matching rule's ``method`` applies."""

    paid_by: FaultSide | None = None
    resolutions: list[Resolution] = Field(default_factory=list)
    method: ShippingMethod

    @property
    def catches_all(self) -> bool:
        return self.paid_by is None and not self.resolutions


class ReturnShipping(Strict):
    rules: list[ShippingRule] = Field(default_factory=list)  # empty: the defaults (docs)
    cod_carriers: list[str] = Field(default_factory=list)  # empty: the shop's among COD_CARRIERS
    shared_label: str | None = None  # a PDF under brands/assets/ (method "shared_label")
    label_carrier: str | None = None  # the carrier of the shop's labels, named to the customer
    pickup_note: Localized | None = None  # method "pickup": how the carrier collects it

    @field_validator("cod_carriers")
    @classmethod
    def _cod_carriers(cls, value: list[str]) -> list[str]:
        for code in value:
            if code not in COD_CARRIERS:
                raise Invalid(
                    N_('"%(value)s" takes no cash-on-delivery (着払い) parcels; use %(known)s'),
                    value=code,
                    known=", ".join(COD_CARRIERS),
                )
        return value

    @model_validator(mode="after")
    def _usable(self) -> ReturnShipping:
        for i, rule in enumerate(self.rules):
            if rule.method == "shared_label" and not self.shared_label:
                raise Invalid(
                    N_('method "shared_label" needs shared_label, a PDF file in brands/assets/'),
                    key="shared_label",
                )
            if rule.method == "pickup" and self.pickup_note is None:
                raise Invalid(
                    N_('method "pickup" needs pickup_note: how the carrier collects the parcel'),
                    key="pickup_note",
                )
            if rule.catches_all and i < len(self.rules) - 1:
                raise Invalid(
                    N_("rule %(n)s matches every return: the rules after it are never used"),
                    n=i + 1,
                    key="rules",
                )
        return self


def _default_reasons() -> list[Reason]:
    return [
        Reason(
            code="changed_mind",
            label=Localized(ja="イメージと違った", en="Changed my mind"),
            fault="customer",
        ),
        Reason(
            code="damaged",
            label=Localized(ja="破損・汚損があった", en="Arrived damaged"),
            fault="merchant",
            photos=1,
        ),
        Reason(
            code="wrong_item",
            label=Localized(ja="注文と違う商品が届いた", en="Wrong item sent"),
            fault="merchant",
        ),
    ]


class ReturnPolicy(Strict):
    enabled: bool = True
    window_days: int = Field(default=30, ge=0, le=3650)
    # The clock of the window: a day count means nothing without it.
    window_from: Literal["delivery", "shipment", "order"] = "delivery"
    warranty_days: int = Field(default=0, ge=0, le=3650)  # for every item; tags may extend
    tags: dict[str, TagRule] = Field(default_factory=dict)
    reasons: list[Reason] = Field(default_factory=_default_reasons, min_length=1)
    resolutions: list[Resolution] = Field(
        default_factory=lambda: ["refund", "exchange", "store_credit"], min_length=1
    )
    store_credit_bonus_percent: int = Field(default=0, ge=0, le=100)
    # Where a store-credit code comes from: made up here (unguessable, unique), or drawn from
    # the shop's pool of codes it created on its platform (``flask coupons import --purpose
    # store_credit``): then an empty pool stops the step instead of issuing a code the
    # platform would not know.
    store_credit_codes: Literal["generated", "pool"] = "generated"
    customer_fault: FaultRule = FaultRule(return_shipping="customer")
    merchant_fault: FaultRule = FaultRule(return_shipping="merchant")
    # More requests than this by one email within cap_period_days go to needs_review.
    max_requests_per_customer: int | None = Field(default=None, ge=1)
    cap_period_days: int = Field(default=365, ge=1, le=3650)
    cod_bank_details: bool = True  # cash-on-delivery refunds go by bank transfer (JP)
    ship_to: ShipBack | None = None
    shipping: ReturnShipping = ReturnShipping()
    instructions: Localized | None = None  # what to put in the box, where to drop it off
    rma_prefix: str = "R"
    # This shop's words for a resolution (a clothes shop: "Exchange (size or colour)"); the
    # defaults are neutral ("Exchange"), fit for a coffee roaster as for a bootmaker.
    resolution_labels: dict[Resolution, Localized] = Field(default_factory=dict)
    exchange_label: Localized | None = None  # the "exchange for" field (default "Exchange for")
    # Exchange variants by SKU, for items whose order line lists none.
    catalogue: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("rma_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{1,6}", value):
            raise ValueError("use 1-6 capital letters, e.g. 'ST'")
        return value

    @field_validator("resolutions")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("list each resolution once")
        return value

    @model_validator(mode="after")
    def _reason_codes(self) -> ReturnPolicy:
        codes = [r.code for r in self.reasons]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"reasons: duplicate code {dupes[0]!r}")
        return self

    def shipping_problem(self, country: str) -> Invalid | None:
        """What stops the return-shipping rules from working for a shop in ``country``: 着払い
        needs an address in Japan to send to (checked here: the default country is the brand's)."""
        if not any(rule.method == "cod" for rule in self.shipping.rules):
            return None
        if self.ship_to is None:
            return Invalid(
                N_('method "cod" (着払い) needs [returns.ship_to], the address to send to'),
                key="shipping.rules",
            )
        if (self.ship_to.country or country) != "JP":
            return Invalid(
                N_("cash on delivery (着払い) is for addresses in Japan only; use another method"),
                key="shipping.rules",
            )
        return None

    def reason(self, code: str) -> Reason | None:
        return next((r for r in self.reasons if r.code == code), None)

    def fault_rule(self, side: str) -> FaultRule:
        return self.merchant_fault if side == "merchant" else self.customer_fault
