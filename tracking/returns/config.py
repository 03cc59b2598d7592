"""``[returns]`` section of a brand file: the return policy.

Every rule the customer form offers is also enforced on the server from this one model
(see ``tracking.policy``). Documented key by key in docs/brand-config.md.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from tracking.brands.base import Localized, Phone, Strict

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


class ShipBack(Strict):
    name: Localized
    postcode: str = Field(pattern=r"^[0-9A-Za-z -]{3,12}$")
    address: Localized
    phone: Phone | None = None


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

    def reason(self, code: str) -> Reason | None:
        return next((r for r in self.reasons if r.code == code), None)

    def fault_rule(self, side: str) -> FaultRule:
        return self.merchant_fault if side == "merchant" else self.customer_fault
