"""Boundaries of the rules that decide who sees what and who gets paid, pure (no database):
what customers type, tracking numbers one character off, windows under several rules, mixed
fault and the amount of every resolution. Expected values are worked out by hand here."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

import carriers
from carriers.numbers import (
    dhl_express_valid,
    fedex_valid,
    mod7_valid,
    mod10_31_check_digit,
    normalize,
    s10_valid,
    ups_valid,
    usps_impb_valid,
)
from tracking import normalize as N
from tracking.returns import policy as P
from tracking.returns.config import FaultRule, ReturnPolicy, TagRule

JST = ZoneInfo("Asia/Tokyo")

# --- what customers type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "ST-1001",
        "st-1001",
        " ST-1001 ",
        "ＳＴ－１００１",  # full width, full-width hyphen
        "ST‐1001",  # U+2010 hyphen
        "ST–1001",  # en dash
        "ST—1001",  # em dash
        "ST−1001",  # minus sign
        "STー1001",  # katakana long vowel mark from an IME
        "ST - 1001",
        "S T-1001",
        "\tST-1001\n",
    ],
)
def test_order_numbers_in_every_shape(typed):
    assert N.order_number(typed) == "ST-1001"


@pytest.mark.parametrize(
    "typed",
    [
        "150-0001",
        "1500001",
        "〒150-0001",
        "〒 150-0001",
        "１５０－０００１",
        "１５０ー０００１",
        "150 0001",
    ],
)
def test_japanese_postcodes_in_every_shape(typed):
    assert N.postcode(typed) == "1500001"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("97205", "97205"),
        ("97205-1234", "972051234"),
        ("sw1a 1aa", "SW1A1AA"),
        ("K1A 0B1", "K1A0B1"),
    ],
)
def test_other_postcodes(typed, expected):
    assert N.postcode(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "Hanako@Example.com",
        " hanako@example.com ",
        "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｃｏｍ",
        "hanako @ example.com",  # a space typed inside
        "hanako@exam ple.com",
    ],
)
def test_emails_fold_case_and_width(typed):
    assert N.email(typed) == "hanako@example.com"


@pytest.mark.parametrize("typed", ["", None, "   ", "〒", "-", "ー", "〒 - ", "\u3000"])
def test_a_postcode_of_nothing_but_marks_is_empty(typed):
    assert N.postcode(typed) == ""


def test_clean_keeps_inner_spaces_single():
    assert N.clean("  a \u3000 b  ") == "a b"
    assert N.clean(None) == ""


# --- tracking numbers one character off, per scheme --------------------------------------------


@pytest.mark.parametrize("typed", ["", None, " ", "ー", "－ －"])
def test_a_tracking_number_of_nothing_is_empty(typed):
    # Nothing typed (or only spaces and dashes) stays nothing: never a number to look up.
    assert carriers.numbers.normalize(typed) == ""


VALID = {
    "mod7 (Yamato, Sagawa, Japan Post)": ("300000000016", mod7_valid),
    "DHL Express": ("1234567891", dhl_express_valid),  # 123456789 % 7 == 1
    "UPS 1Z": ("1ZCIETST0111111114", ups_valid),  # UPS's own test number
    "UPU S10": ("EG725089303JP", s10_valid),
    "FedEx Express 12": ("123456789012", fedex_valid),
    "USPS IMpb 22": ("9400111899223397658533", usps_impb_valid),
}


@pytest.mark.parametrize(("number", "valid"), VALID.values(), ids=VALID.keys())
def test_tracking_numbers_one_digit_too_long_or_short(number, valid):
    assert valid(number)
    assert not valid(number[:-1])  # one short
    assert not valid(number + "0")  # one long, check digit no longer last
    assert not valid(number[:-1] + "0" + number[-1])  # one long, same check digit


@pytest.mark.parametrize(
    "number",
    [
        "2ZCIETST0111111114",  # UPS's test number under another prefix
        "1ZCIETST011111111",  # one short
        "1Z.IETST0111111115",  # a mark where a letter belongs (its check digit fits)
        "1ZCIETST011111111.",
    ],
)
def test_ups_wants_1z_and_letters_or_digits(number):
    assert not ups_valid(number)


@pytest.mark.parametrize("length", [11, 13])
def test_mod7_is_twelve_digits_only(length):
    body = "1" * (length - 1)
    assert not mod7_valid(body + str(int(body) % 7))


@pytest.mark.parametrize(
    ("code", "number", "ok"),
    [
        ("yamato", "3000-0000-0016", True),
        ("yamato", "30000000001", False),  # 11 digits
        ("yamato", "3000000000160", False),  # 13 digits
        ("yamato", "300000000015", False),  # check digit off by one
        ("sagawa", "300000000016", True),
        ("sagawa", "300000000017", False),
        ("dhl", "1234567891", True),
        ("dhl", "123456789", False),
        ("dhl", "12345678911", False),
        ("ups", "1zcietst0111111114", True),
        ("ups", "1ZCIETST011111111", False),
        ("ups", "1ZCIETST01111111140", False),
        ("ups", "1ZCIETST0111111115", False),
        ("fukuyama", "1234567890", False),  # 10
        ("fukuyama", "12345678901", True),  # 11
        ("fukuyama", "123456789012", True),  # 12
        ("fukuyama", "1234567890123", False),  # 13
    ],
)
def test_adapters_validate_what_customers_paste(code, number, ok):
    assert carriers.get(code).validate(normalize(number)) is ok


def test_fedex_lengths_outside_the_schemes_are_refused():
    for length in (11, 13, 14, 16, 19, 21, 23):
        assert not fedex_valid("1" * length), length


def test_usps_impb_lengths():
    assert not usps_impb_valid("9" * 19)
    assert not usps_impb_valid("9" * 23)
    # Pub. 199: 20-22 digits. One digit more or less is refused even when its mod-10 fits.
    for body in ("940011189922339765853", "94001118992233976585"):
        longer = body + "1"
        longer += mod10_31_check_digit(longer)
        assert len(longer) in (23, 22) and usps_impb_valid(longer) is (len(longer) == 22)
    short = "940011189922339765"  # 18 digits + check = 19
    assert not usps_impb_valid(short + mod10_31_check_digit(short))


# --- the return window of an item under several rules ---------------------------------------

POLICY = ReturnPolicy(
    window_days=14,
    resolutions=["refund", "exchange", "store_credit", "repair", "recycle"],
    store_credit_bonus_percent=10,
    customer_fault=FaultRule(return_shipping="customer", restocking_fee_percent=10),
    merchant_fault=FaultRule(return_shipping="merchant"),
    tags={
        "sale": TagRule(final_sale=True),
        "hygiene": TagRule(merchant_fault_only=True),
        "short": TagRule(window_days=7),
        "long": TagRule(window_days=30),
        "warranty": TagRule(warranty_days=365),
    },
)
DELIVERED = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)  # 12:00 on 1 Nov in Tokyo


def facts(**kw) -> P.ItemFacts:
    base = dict(
        item_id=1,
        sku="CUP",
        variant="blue",
        tags=(),
        returnable=True,
        price=1000,
        shipped_qty=2,
        returned_qty=0,
        ordered_at=datetime(2026, 10, 25, 3, tzinfo=UTC),
        shipped_at=datetime(2026, 10, 30, 3, tzinfo=UTC),
        delivered_at=DELIVERED,
        variants=("blue", "white"),
    )
    base.update(kw)
    return P.ItemFacts(**base)


def tokyo(day: int, month: int = 11, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=JST)


@pytest.mark.parametrize(
    ("tags", "last_day"),
    [
        ((), "2026-11-15"),  # the shop's 14 days
        (("unknown-tag",), "2026-11-15"),
        (("short",), "2026-11-08"),  # a tag's window replaces the shop's, shorter too
        (("long",), "2026-12-01"),
        (("short", "long"), "2026-12-01"),  # several tags: the longest window
        (("long", "short"), "2026-12-01"),
        (("warranty",), "2026-11-15"),  # a warranty does not lengthen the return window
    ],
)
def test_window_of_an_item_under_several_rules(tags, last_day):
    e = P.item_eligibility(POLICY, facts(tags=tags), tokyo(2), JST)
    assert e.window_ends.isoformat() == last_day
    y, m, d = map(int, last_day.split("-"))
    assert P.item_eligibility(POLICY, facts(tags=tags), tokyo(d, m, 23), JST).in_window
    after = datetime(y, m, d, 23, 59, tzinfo=JST).timestamp() + 60
    closed = P.item_eligibility(POLICY, facts(tags=tags), datetime.fromtimestamp(after, JST), JST)
    assert not closed.in_window
    # After the window only a warranty keeps something open (repair).
    assert closed.blocked == ("" if "warranty" in tags else "window_closed")


@pytest.mark.parametrize(
    ("window_from", "last_day"),
    [("delivery", "2026-11-15"), ("shipment", "2026-11-13"), ("order", "2026-11-08")],
)
def test_window_counts_from_the_policy_start(window_from, last_day):
    policy = POLICY.model_copy(update={"window_from": window_from})
    assert P.item_eligibility(policy, facts(), tokyo(2), JST).window_ends.isoformat() == last_day


def test_warranty_keeps_repair_open_after_the_window_for_defects_only():
    e = P.item_eligibility(POLICY, facts(tags=("warranty",)), tokyo(1, 12), JST)
    assert e.ok and not e.in_window
    assert e.resolutions == ("repair",)
    assert {r.fault for r in e.reasons} == {"merchant"}
    assert e.warranty_ends.isoformat() == "2027-11-01"
    gone = P.item_eligibility(
        POLICY, facts(tags=("warranty",)), tokyo(2, 11).replace(year=2027), JST
    )
    assert gone.blocked == "window_closed"


def test_final_sale_beats_a_long_window():
    e = P.item_eligibility(POLICY, facts(tags=("long", "sale")), tokyo(2), JST)
    assert e.blocked == "final_sale" and not e.ok


@pytest.mark.parametrize(("shipped", "returned", "available"), [(2, 0, 2), (2, 1, 1), (2, 2, 0)])
def test_available_quantity(shipped, returned, available):
    e = P.item_eligibility(POLICY, facts(shipped_qty=shipped, returned_qty=returned), tokyo(2), JST)
    assert e.available_qty == available
    assert e.ok is (available > 0)


def test_exactly_the_available_quantity_may_be_asked_for():
    items = {1: P.item_eligibility(POLICY, facts(returned_qty=1), tokyo(2), JST)}
    line = P.LineInput(item_id=1, qty=1, reason="changed_mind", resolution="refund")
    assert P.validate_lines(POLICY, items, [line]) == {}
    line.qty = 2
    assert P.validate_lines(POLICY, items, [line]) == {"1-qty": "qty"}


# --- who pays what ---------------------------------------------------------------------------


def _items(*prices):
    return {
        i: P.item_eligibility(POLICY, facts(item_id=i, price=p), tokyo(2), JST)
        for i, p in enumerate(prices, start=1)
    }


@pytest.mark.parametrize(
    ("reason", "resolution", "fee", "refund", "shipping"),
    [
        # 2 × 1,000 yen: customer's side pays 10 % restocking and the parcel back.
        ("changed_mind", "refund", 200, 1800, "customer"),
        ("damaged", "refund", 0, 2000, "merchant"),
        ("wrong_item", "refund", 0, 2000, "merchant"),
        # Store credit: the value plus the 10 % bonus, whoever's fault, no fee.
        ("changed_mind", "store_credit", 0, 2200, "customer"),
        ("damaged", "store_credit", 0, 2200, "merchant"),
        # Goods, not money.
        ("changed_mind", "exchange", 0, 0, "customer"),
        ("damaged", "exchange", 0, 0, "merchant"),
        ("damaged", "repair", 0, 0, "merchant"),
        ("changed_mind", "recycle", 0, 0, "customer"),
    ],
)
def test_every_resolutions_amount(reason, resolution, fee, refund, shipping):
    line = P.LineInput(item_id=1, qty=2, reason=reason, resolution=resolution)
    q = P.quote(POLICY, _items(1000), [line])
    assert (q.restocking_fee, q.refund_estimate, q.return_shipping_paid_by) == (
        fee,
        refund,
        shipping,
    )


def test_fees_round_down_in_the_customers_favour():
    line = P.LineInput(item_id=1, qty=1, reason="changed_mind", resolution="refund")
    q = P.quote(POLICY, _items(999), [line])
    assert (q.restocking_fee, q.refund_estimate) == (99, 900)  # 99.9 yen fee → 99
    credit = P.LineInput(item_id=1, qty=1, reason="changed_mind", resolution="store_credit")
    assert P.quote(POLICY, _items(999), [credit]).refund_estimate == 1098  # 1,098.9 → 1,098


def test_mixed_fault_request_each_line_pays_its_own_fee_and_the_shop_pays_shipping():
    lines = [
        P.LineInput(item_id=1, qty=1, reason="damaged", resolution="refund"),
        P.LineInput(item_id=2, qty=2, reason="changed_mind", resolution="refund"),
    ]
    q = P.quote(POLICY, _items(3000, 500), lines)
    assert q.fault == "merchant"
    assert q.return_shipping_paid_by == "merchant"
    assert q.restocking_fee == 100  # 10 % of 2 × 500 only
    assert q.refund_estimate == 3000 + 900
    # Order of lines does not matter.
    assert P.quote(POLICY, _items(3000, 500), lines[::-1]).fault == "merchant"


def test_customer_fault_only_when_every_line_is_the_customers():
    lines = [
        P.LineInput(item_id=1, qty=1, reason="changed_mind", resolution="refund"),
        P.LineInput(item_id=2, qty=1, reason="changed_mind", resolution="exchange"),
    ]
    q = P.quote(POLICY, _items(1000, 1000), lines)
    assert (q.fault, q.return_shipping_paid_by, q.restocking_fee, q.refund_estimate) == (
        "customer",
        "customer",
        100,
        900,
    )


def test_unknown_reason_counts_as_the_customers_side_and_zero_lines_are_ignored():
    lines = [
        P.LineInput(item_id=1, qty=1, reason="no-such-reason", resolution="refund"),
        P.LineInput(item_id=2, qty=0, reason="damaged", resolution="refund"),
    ]
    q = P.quote(POLICY, _items(1000, 1000), lines)
    assert (q.fault, q.restocking_fee, q.refund_estimate) == ("customer", 100, 900)


@pytest.mark.parametrize(
    ("cap", "prior", "review"), [(None, 99, False), (2, 1, False), (2, 2, True), (2, 3, True)]
)
def test_cap_boundary(cap, prior, review):
    policy = POLICY.model_copy(update={"max_requests_per_customer": cap})
    assert P.over_cap(policy, prior) is review


def test_checks_shown_to_staff_state_each_figure():
    items = {
        1: P.item_eligibility(POLICY, facts(item_id=1), tokyo(2), JST),
        2: P.item_eligibility(POLICY, facts(item_id=2, tags=("warranty",)), tokyo(2), JST),
    }
    lines = [
        P.LineInput(item_id=1, qty=1, reason="damaged", resolution="refund", photo_count=0),
        P.LineInput(item_id=3, qty=0, reason="damaged", resolution="refund"),  # not chosen
        P.LineInput(item_id=2, qty=1, reason="no-such", resolution="refund", photo_count=2),
    ]
    policy = POLICY.model_copy(update={"max_requests_per_customer": 3})
    assert P.checks(policy, items, lines, prior_requests=3) == [
        {
            "check": "window",
            "item_id": 1,
            "ok": True,
            "window_ends": "2026-11-15",
            "warranty_ends": None,
        },
        {"check": "photos", "item_id": 1, "ok": False, "count": 0, "required": 1},
        {
            "check": "window",
            "item_id": 2,
            "ok": True,
            "window_ends": "2026-11-15",
            "warranty_ends": "2027-11-01",
        },
        {"check": "photos", "item_id": 2, "ok": True, "count": 2, "required": 0},
        {"check": "customer_cap", "item_id": None, "ok": False, "prior": 3, "cap": 3, "days": 365},
    ]


def test_a_line_of_nothing_before_the_others_changes_no_amount():
    # Each chosen line pays its own fee (above); a line with nothing chosen counts for nothing,
    # wherever it stands in the form.
    lines = [
        P.LineInput(item_id=2, qty=0, reason="damaged", resolution="refund"),
        P.LineInput(item_id=1, qty=1, reason="changed_mind", resolution="refund"),
        P.LineInput(item_id=3, qty=1, reason="changed_mind", resolution="store_credit"),
    ]
    q = P.quote(POLICY, _items(1000, 1000, 1000), lines)
    assert (q.fault, q.restocking_fee, q.refund_estimate) == ("customer", 100, 900 + 1100)


def test_checks_of_an_item_without_a_window_say_so():
    # Not delivered yet: no window has started; the panel says so instead of failing.
    items = {1: P.item_eligibility(POLICY, facts(delivered_at=None), tokyo(2), JST)}
    line = P.LineInput(item_id=1, qty=1, reason="changed_mind", resolution="refund")
    window = P.checks(POLICY, items, [line], prior_requests=0)[0]
    assert window == {
        "check": "window",
        "item_id": 1,
        "ok": False,
        "window_ends": None,
        "warranty_ends": None,
    }


def test_fees_and_refunds_add_up_over_the_lines():
    lines = [
        P.LineInput(item_id=1, qty=1, reason="changed_mind", resolution="refund"),
        P.LineInput(item_id=2, qty=2, reason="changed_mind", resolution="refund"),
        P.LineInput(item_id=3, qty=1, reason="changed_mind", resolution="store_credit"),
        P.LineInput(item_id=1, qty=1, reason="changed_mind", resolution="store_credit"),
    ]
    q = P.quote(POLICY, _items(1000, 500, 2000), lines)
    # Fees: 10 % of 1,000 and of 2 × 500. Refunds: 900 + 900, credits 2,200 + 1,100.
    assert (q.restocking_fee, q.refund_estimate) == (100 + 100, 900 + 900 + 2200 + 1100)


@pytest.mark.parametrize("length", [21, 23, 34])
def test_fedex_96_barcode_is_22_digits_only(length):
    # The "96" Ground barcode is 22 digits; a longer or shorter "96…" number is refused even
    # when the digits after its 7-digit head pass the mod-10 check.
    body = ("1234567890" * 3)[: length - 8]
    number = "9611111" + body + mod10_31_check_digit(body)
    assert len(number) == length
    assert not fedex_valid(number)


def test_up_to_five_photos_per_item():
    # docs/returns.md: up to 5 photos per item.
    items = {1: P.item_eligibility(POLICY, facts(), tokyo(2), JST)}
    line = P.LineInput(item_id=1, qty=1, reason="damaged", resolution="refund", photo_count=5)
    assert P.validate_lines(POLICY, items, [line]) == {}
    line.photo_count = 6
    assert P.validate_lines(POLICY, items, [line]) == {"1-photos": "too_many_photos"}


def test_every_line_is_checked_after_a_blocked_one():
    items = {
        1: P.item_eligibility(POLICY, facts(item_id=1, tags=("sale",)), tokyo(2), JST),
        2: P.item_eligibility(POLICY, facts(item_id=2), tokyo(2), JST),
    }
    lines = [
        P.LineInput(item_id=1, qty=1, reason="changed_mind", resolution="refund"),
        P.LineInput(item_id=2, qty=1, reason="no-such", resolution="refund"),
    ]
    assert P.validate_lines(POLICY, items, lines) == {"1-qty": "blocked", "2-reason": "reason"}


@pytest.mark.parametrize(
    ("window_from", "missing", "blocked"),
    [("delivery", "delivered_at", "not_delivered"), ("shipment", "shipped_at", "not_shipped")],
)
def test_a_window_that_has_not_started_blocks_with_its_reason(window_from, missing, blocked):
    policy = POLICY.model_copy(update={"window_from": window_from})
    e = P.item_eligibility(policy, facts(**{missing: None}), tokyo(2), JST)
    # The blocked line still names its item and what is available (the page lists it).
    assert (e.blocked, e.ok, e.facts.item_id, e.available_qty) == (blocked, False, 1, 2)
