"""Refund and store-credit amounts at their boundaries (pure policy, no database): zero, a fee
as large as the price and larger, rounding in yen and in cents, the bonus, mixed requests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracking.returns import policy as P
from tracking.returns.config import FaultRule, ReturnPolicy


def facts(item_id: int, price: int) -> P.ItemFacts:
    t = datetime(2026, 11, 1, tzinfo=UTC)
    return P.ItemFacts(
        item_id=item_id,
        sku=f"S{item_id}",
        variant="",
        tags=(),
        returnable=True,
        price=price,
        shipped_qty=9,
        returned_qty=0,
        ordered_at=t,
        shipped_at=t,
        delivered_at=t,
    )


def items(*prices: int) -> dict[int, P.ItemEligibility]:
    return {i: P.ItemEligibility(facts=facts(i, p)) for i, p in enumerate(prices, start=1)}


def policy(fee_pct=0, handling=0, bonus=0, shop_handling=0) -> ReturnPolicy:
    return ReturnPolicy(
        store_credit_bonus_percent=bonus,
        customer_fault=FaultRule(
            return_shipping="customer", restocking_fee_percent=fee_pct, handling_fee=handling
        ),
        merchant_fault=FaultRule(return_shipping="merchant", handling_fee=shop_handling),
    )


def line(item_id, qty, resolution, reason="changed_mind"):
    return P.LineInput(item_id, qty, reason, resolution)


@pytest.mark.parametrize(
    ("price", "qty", "pct", "fee", "refund"),
    [
        (0, 1, 10, 0, 0),  # a free item: nothing to pay back, no fee
        (1980, 0, 10, 0, 0),  # a line of nothing
        (1980, 1, 0, 0, 1980),  # no fee
        (1980, 1, 10, 198, 1782),  # exact
        (1999, 1, 10, 199, 1800),  # ¥199.9 → ¥199: rounded down, in the customer's favour
        (1, 1, 10, 0, 1),  # ¥0.1 of fee is no fee
        (1980, 1, 100, 1980, 0),  # a fee as large as the price leaves nothing
        (1980, 3, 15, 891, 5049),  # on the line's value, not per unit (297 × 3 = 891 too)
        (333, 3, 10, 99, 900),  # 99.9 → 99, not 3 × 33 = 99 … and not 100
    ],
)
def test_restocking_fee_in_yen(price, qty, pct, fee, refund):
    q = P.quote(policy(fee_pct=pct), items(price), [line(1, qty, "refund")])
    assert (q.restocking_fee, q.refund_amount, q.credit_amount) == (fee, refund, 0)
    assert q.refund_estimate == refund


@pytest.mark.parametrize(
    ("cents", "pct", "fee", "refund"),
    [
        (4999, 15, 749, 4250),  # $7.4985 → $7.49 (cents are the minor unit)
        (5, 15, 0, 5),  # 0.75 cent of fee is none
        (10000, 100, 10000, 0),
    ],
)
def test_restocking_fee_in_cents(cents, pct, fee, refund):
    q = P.quote(policy(fee_pct=pct), items(cents), [line(1, 1, "refund")])
    assert (q.restocking_fee, q.refund_amount) == (fee, refund)


@pytest.mark.parametrize(
    ("price", "handling", "fee", "refund"),
    [
        (1980, 550, 550, 1430),
        (550, 550, 550, 0),  # the fee equals the refund
        (300, 550, 300, 0),  # larger than the price: the refund is zero, never negative
        (0, 550, 0, 0),  # nothing refunded, nothing charged
    ],
)
def test_handling_fee_never_makes_a_refund_negative(price, handling, fee, refund):
    q = P.quote(policy(handling=handling), items(price), [line(1, 1, "refund")])
    assert (q.restocking_fee, q.handling_fee, q.refund_amount) == (fee, fee, refund)


def test_handling_fee_is_taken_once_per_request_and_only_from_refunds():
    q = P.quote(
        policy(handling=500, bonus=10),
        items(1000, 1000, 1000),
        [line(1, 2, "refund"), line(2, 1, "refund"), line(3, 1, "store_credit")],
    )
    assert (q.refund_amount, q.credit_amount, q.handling_fee) == (2500, 1100, 500)
    only_credit = P.quote(policy(handling=500), items(1000), [line(1, 1, "store_credit")])
    assert (only_credit.credit_amount, only_credit.handling_fee) == (1000, 0)


def test_a_shop_fault_request_takes_the_shops_handling_fee():
    q = P.quote(
        policy(handling=500, shop_handling=0),
        items(1000, 1000),
        [line(1, 1, "refund", "damaged"), line(2, 1, "refund")],
    )
    # One shop-side line makes the request the shop's: its handling fee (none) applies.
    assert (q.fault, q.handling_fee, q.refund_amount) == ("merchant", 0, 2000)


@pytest.mark.parametrize(
    ("price", "qty", "bonus", "credit"),
    [
        (1000, 2, 0, 2000),
        (1000, 2, 10, 2200),
        (999, 1, 10, 1098),  # 99.9 of bonus → 99: rounded down, in the shop's favour
        (1999, 3, 5, 6296),  # 5997 + 299.85 → 6296
        (1000, 1, 100, 2000),  # the largest bonus doubles it
        (0, 1, 50, 0),
    ],
)
def test_store_credit_bonus(price, qty, bonus, credit):
    q = P.quote(policy(fee_pct=50, bonus=bonus), items(price), [line(1, qty, "store_credit")])
    # No restocking fee on credit, whatever the fee percentage.
    assert (q.credit_amount, q.refund_amount, q.restocking_fee) == (credit, 0, 0)


def test_exchange_repair_and_recycle_carry_no_money():
    for res in ("exchange", "repair", "recycle"):
        q = P.quote(policy(fee_pct=10, handling=500, bonus=10), items(1000), [line(1, 1, res)])
        assert (q.refund_amount, q.credit_amount, q.restocking_fee) == (0, 0, 0), res


def test_each_lines_amount_adds_up_to_the_totals():
    q = P.quote(
        policy(fee_pct=10, bonus=10),
        items(1000, 500, 700),
        [line(1, 1, "refund"), line(2, 2, "store_credit"), line(3, 1, "exchange")],
    )
    assert [(a.item_id, a.value, a.fee, a.refund, a.credit) for a in q.lines] == [
        (1, 1000, 100, 900, 0),
        (2, 1000, 0, 0, 1100),
        (3, 700, 0, 0, 0),
    ]
    assert sum(a.refund for a in q.lines) == q.refund_amount
    assert sum(a.credit for a in q.lines) == q.credit_amount
    assert sum(a.fee for a in q.lines) == q.restocking_fee
