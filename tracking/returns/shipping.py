"""How a return's parcel comes back to the shop, as the status page and the approval mail say it:
the method the shop's rules pick (``[returns.shipping]``), the carriers and the address block.

Pure apart from ``current_app``-free inputs: the policy, the brand's country and carriers, and
the return's payer and resolutions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tracking.addresses.postal import PostalAddress
from tracking.returns.config import COD_CARRIERS, ReturnPolicy, ShippingRule

#: Statuses in which the parcel is still to be packed and sent: the instructions apply.
TO_SEND = frozenset({"approved"})


def rules(policy: ReturnPolicy, country: str) -> list[ShippingRule]:
    """The shop's rules, or the defaults: the shop pays → 着払い in Japan when there is an
    address to send to, else a label the shop uploads; the customer pays → sent by them."""
    if policy.shipping.rules:
        return policy.shipping.rules
    home = (policy.ship_to.country if policy.ship_to else None) or country
    shop_pays = "cod" if home == "JP" and policy.ship_to is not None else "label"
    return [
        ShippingRule(paid_by="merchant", method=shop_pays),
        ShippingRule(method="customer"),
    ]


def method_for(policy: ReturnPolicy, country: str, paid_by: str, resolutions: Iterable[str]) -> str:
    """The first rule that fits: payer (if the rule names one) and any item's resolution (if
    it names some). No rule fitting means the customer sends it as they like."""
    asked = set(resolutions)
    for rule in rules(policy, country):
        if rule.paid_by is not None and rule.paid_by != paid_by:
            continue
        if rule.resolutions and not asked & set(rule.resolutions):
            continue
        return rule.method
    return "customer"


def cod_carriers(policy: ReturnPolicy, brand_carriers: Iterable[str]) -> list[str]:
    """Carriers the customer may hand a 着払い parcel to: the configured ones, else the shop's
    own among Yamato, Sagawa and Japan Post, else all three."""
    if policy.shipping.cod_carriers:
        return list(policy.shipping.cod_carriers)
    own = [c for c in COD_CARRIERS if c in set(brand_carriers)]
    return own or list(COD_CARRIERS)


@dataclass(frozen=True)
class Plan:
    method: str  # one of config.SHIPPING_METHODS
    address: PostalAddress | None  # the ship-back address in the reader's language
    slip_address: PostalAddress | None  # the same in Japanese, for a Japanese carrier's slip
    carriers: list[str]  # 着払い: where it can be handed in
    label_ready: bool  # a label (uploaded or shared) can be downloaded now
    show_qr: bool  # the return number's QR code: printed and put in the box, scanned at the shop
    home: str  # the reader's country: an address elsewhere gets its country line


def plan(
    policy: ReturnPolicy,
    *,
    country: str,
    brand_carriers: Iterable[str],
    status: str,
    paid_by: str,
    resolutions: Iterable[str],
    has_label: bool,
    locale: str,
    fallback: str,
    home: str,
) -> Plan:
    method = method_for(policy, country, paid_by, resolutions)
    ship_to = policy.ship_to
    address = ship_to.postal(locale, fallback, country) if ship_to else None
    slip = ship_to.postal("ja", fallback, country) if ship_to else None
    label_ready = (method == "label" and has_label) or method == "shared_label"
    return Plan(
        method=method,
        address=address,
        slip_address=slip,
        carriers=cod_carriers(policy, brand_carriers) if method == "cod" else [],
        label_ready=label_ready,
        # Only while the box is still to be packed: the printed page goes inside and the shop
        # scans it on arrival. Once sent, received or closed, nobody scans it any more.
        show_qr=status in TO_SEND,
        home=home,
    )
