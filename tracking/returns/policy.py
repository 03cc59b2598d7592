"""Return policy as pure functions: what an item allows, whether a request is valid, what it costs.

No database, no request: the service gathers ``ItemFacts`` and calls these, so every rule and
every boundary is tested without a server. Days are counted in the shop's time zone: the last day
of a 30-day window is the whole of the 30th local day after the start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tracking.returns.config import Reason, ReturnPolicy

MAX_PHOTOS = 5


@dataclass(frozen=True)
class ItemFacts:
    item_id: int
    sku: str
    variant: str
    tags: tuple[str, ...]
    returnable: bool
    price: int
    shipped_qty: int
    returned_qty: int  # in requests that are not declined or cancelled
    ordered_at: datetime
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    variants: tuple[str, ...] = ()  # exchange choices listed on the order line


@dataclass(frozen=True)
class ItemEligibility:
    facts: ItemFacts
    available_qty: int = 0
    blocked: str = ""  # a ``display.BLOCKED_LABELS`` key, or "" when the item can be returned
    window_ends: date | None = None
    warranty_ends: date | None = None
    in_window: bool = False
    reasons: tuple[Reason, ...] = ()
    resolutions: tuple[str, ...] = ()
    exchange_variants: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.blocked and self.available_qty > 0


@dataclass
class LineInput:
    item_id: int
    qty: int
    reason: str = ""
    resolution: str = ""
    variant: str = ""
    note: str = ""
    photo_count: int = 0


@dataclass(frozen=True)
class LineAmount:
    """One line's money, in minor units of the order's currency (yen; cents)."""

    item_id: int
    value: int  # price × quantity
    fee: int = 0  # restocking fee (refunds only)
    refund: int = 0
    credit: int = 0  # store credit, with the bonus


@dataclass
class Quote:
    fault: str
    return_shipping_paid_by: str
    restocking_fee: int  # every fee: the lines' restocking fees and the request's handling fee
    refund_estimate: int  # refund + credit (what the API and the CSV have always called it)
    checks: list[dict] = field(default_factory=list)
    refund_amount: int = 0  # paid back, after fees
    credit_amount: int = 0  # store credit, bonus included
    handling_fee: int = 0  # the part of restocking_fee that is the flat per-request fee
    lines: tuple[LineAmount, ...] = ()


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def last_day(start: datetime, days: int, tz: ZoneInfo) -> date:
    """The last local day on which the window is still open."""
    return local_day(start, tz) + timedelta(days=days)


def _window_start(policy: ReturnPolicy, facts: ItemFacts) -> datetime | None:
    return {
        "delivery": facts.delivered_at,
        "shipment": facts.shipped_at,
        "order": facts.ordered_at,
    }[policy.window_from]


def item_eligibility(
    policy: ReturnPolicy, facts: ItemFacts, now: datetime, tz: ZoneInfo
) -> ItemEligibility:
    """What the customer may do with one order line today."""
    rules = [policy.tags[t] for t in facts.tags if t in policy.tags]
    available = max(0, facts.shipped_qty - facts.returned_qty)

    def blocked(code: str, **extra) -> ItemEligibility:
        return ItemEligibility(facts=facts, available_qty=available, blocked=code, **extra)

    if not policy.enabled:
        return blocked("disabled")
    if not facts.returnable:
        return blocked("not_returnable")
    if any(r.final_sale for r in rules):
        return blocked("final_sale")
    if facts.shipped_qty <= 0:
        return blocked("not_shipped")
    start = _window_start(policy, facts)
    if start is None:
        return blocked("not_delivered" if policy.window_from == "delivery" else "not_shipped")
    windows = [r.window_days for r in rules if r.window_days is not None]
    window_days = max(windows) if windows else policy.window_days
    warranty_days = max([policy.warranty_days] + [r.warranty_days or 0 for r in rules])
    today = local_day(now, tz)
    window_ends = last_day(start, window_days, tz)
    warranty_ends = last_day(start, warranty_days, tz) if warranty_days else None
    in_window = today <= window_ends
    in_warranty = warranty_ends is not None and today <= warranty_ends
    dates = {"window_ends": window_ends, "warranty_ends": warranty_ends, "in_window": in_window}
    if available <= 0:
        return blocked("all_returned", **dates)

    reasons = list(policy.reasons)
    if any(r.merchant_fault_only for r in rules):
        reasons = [r for r in reasons if r.fault == "merchant"]
    variants = tuple(
        v
        for v in dict.fromkeys(facts.variants or tuple(policy.catalogue.get(facts.sku, ())))
        if v != facts.variant
    )
    if in_window:
        resolutions = [
            r
            for r in policy.resolutions
            if (r != "repair" or in_warranty) and (r != "exchange" or variants)
        ]
    elif in_warranty and "repair" in policy.resolutions:
        # After the return window a warranty claim is still open: a defect, repaired or replaced.
        resolutions = ["repair"]
        reasons = [r for r in reasons if r.fault == "merchant"]
    else:
        return blocked("window_closed", **dates)
    if not reasons or not resolutions:
        return blocked("not_returnable", **dates)
    return ItemEligibility(
        facts=facts,
        available_qty=available,
        reasons=tuple(reasons),
        resolutions=tuple(resolutions),
        exchange_variants=variants if "exchange" in resolutions else (),
        **dates,
    )


def validate_lines(
    policy: ReturnPolicy, items: dict[int, ItemEligibility], lines: list[LineInput]
) -> dict[str, str]:
    """Errors keyed ``"<item_id>-<field>"`` (or ``"items"``); empty when the request is valid."""
    errors: dict[str, str] = {}
    chosen = [line for line in lines if line.qty > 0]
    if not chosen:
        return {"items": "none"}
    for line in chosen:
        key = str(line.item_id)
        elig = items.get(line.item_id)
        if elig is None or not elig.ok:
            errors[f"{key}-qty"] = "blocked"
            continue
        if line.qty > elig.available_qty:
            errors[f"{key}-qty"] = "qty"
        reason = next((r for r in elig.reasons if r.code == line.reason), None)
        if reason is None:
            errors[f"{key}-reason"] = "reason"
        elif line.photo_count < reason.photos:
            errors[f"{key}-photos"] = "photos"
        if line.photo_count > MAX_PHOTOS:
            errors[f"{key}-photos"] = "too_many_photos"
        if line.resolution not in elig.resolutions:
            errors[f"{key}-resolution"] = "resolution"
        elif line.resolution == "exchange" and line.variant not in elig.exchange_variants:
            errors[f"{key}-variant"] = "variant"
    return errors


def quote(policy: ReturnPolicy, items: dict[int, ItemEligibility], lines: list[LineInput]) -> Quote:
    """Who pays what, in minor units. Fees follow the fault side of each line's reason.

    Rounding: amounts are whole minor units (yen for JPY, cents for USD), so a percentage is
    rounded down: the restocking fee in the customer's favour, the store-credit bonus in the
    shop's. The flat handling fee (of the request's fault side) comes off the refund only and
    never makes it negative: a fee larger than the refund leaves a refund of zero."""
    fee = refund = credit = 0
    merchant_fault = False
    amounts = []
    for line in lines:
        if line.qty <= 0:
            continue
        reason = policy.reason(line.reason)
        side = reason.fault if reason else "customer"
        merchant_fault = merchant_fault or side == "merchant"
        value = items[line.item_id].facts.price * line.qty
        amount = LineAmount(line.item_id, value)
        if line.resolution == "refund":
            line_fee = value * policy.fault_rule(side).restocking_fee_percent // 100
            amount = LineAmount(line.item_id, value, fee=line_fee, refund=value - line_fee)
        elif line.resolution == "store_credit":
            bonus = value * policy.store_credit_bonus_percent // 100
            amount = LineAmount(line.item_id, value, credit=value + bonus)
        fee += amount.fee
        refund += amount.refund
        credit += amount.credit
        amounts.append(amount)
    fault = "merchant" if merchant_fault else "customer"
    handling = min(policy.fault_rule(fault).handling_fee, refund) if refund else 0
    refund -= handling
    return Quote(
        fault=fault,
        return_shipping_paid_by=policy.fault_rule(fault).return_shipping,
        restocking_fee=fee + handling,
        refund_estimate=refund + credit,
        refund_amount=refund,
        credit_amount=credit,
        handling_fee=handling,
        lines=tuple(amounts),
    )


def over_cap(policy: ReturnPolicy, prior_requests: int) -> bool:
    """Beyond the cap a request is not refused: a person looks at it (needs_review)."""
    cap = policy.max_requests_per_customer
    return cap is not None and prior_requests >= cap


def checks(
    policy: ReturnPolicy,
    items: dict[int, ItemEligibility],
    lines: list[LineInput],
    prior_requests: int,
) -> list[dict]:
    """What staff see on the detail page: each rule, passed or not, with its figures (plain
    data, worded in the staff member's language when shown)."""
    out = []
    for line in lines:
        if line.qty <= 0:
            continue
        elig = items[line.item_id]
        out.append(
            {
                "check": "window",
                "item_id": line.item_id,
                "ok": elig.in_window,
                "window_ends": elig.window_ends.isoformat() if elig.window_ends else None,
                "warranty_ends": elig.warranty_ends.isoformat() if elig.warranty_ends else None,
            }
        )
        reason = policy.reason(line.reason)
        need = reason.photos if reason else 0
        out.append(
            {
                "check": "photos",
                "item_id": line.item_id,
                "ok": line.photo_count >= need,
                "count": line.photo_count,
                "required": need,
            }
        )
    out.append(
        {
            "check": "customer_cap",
            "item_id": None,
            "ok": not over_cap(policy, prior_requests),
            "prior": prior_requests,
            "cap": policy.max_requests_per_customer,
            "days": policy.cap_period_days,
        }
    )
    return out
