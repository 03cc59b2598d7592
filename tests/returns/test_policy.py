"""Every policy rule and its boundary, as pure functions (no server, no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tracking.brands.base import Localized
from tracking.brands.brand import Brand
from tracking.returns import policy as P
from tracking.returns.config import FaultRule, Reason, ReturnPolicy, TagRule

JST = ZoneInfo("Asia/Tokyo")
LA = ZoneInfo("America/Los_Angeles")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def facts(**kw) -> P.ItemFacts:
    base = dict(
        item_id=1,
        sku="YUN-01",
        variant="藍",
        tags=(),
        returnable=True,
        price=1000,
        shipped_qty=2,
        returned_qty=0,
        ordered_at=utc(2026, 10, 28),
        shipped_at=utc(2026, 10, 30),
        delivered_at=utc(2026, 11, 1, 14, 59, 59),  # 23:59:59 on 1 Nov in Tokyo
        variants=("白磁", "藍"),
    )
    base.update(kw)
    return P.ItemFacts(**base)


POLICY = ReturnPolicy(
    window_days=8,
    resolutions=["refund", "exchange", "store_credit", "repair", "recycle"],
    store_credit_bonus_percent=10,
    customer_fault=FaultRule(return_shipping="customer", restocking_fee_percent=10),
    merchant_fault=FaultRule(return_shipping="merchant"),
    tags={
        "sale": TagRule(final_sale=True),
        "hygiene": TagRule(merchant_fault_only=True),
        "long": TagRule(window_days=30),
        "warranty": TagRule(warranty_days=365),
    },
)


# --- the window, counted in the shop's time zone ---------------------------------------------


@pytest.mark.parametrize(
    ("now", "open_"),
    [
        (utc(2026, 11, 9, 14, 59, 59), True),  # 23:59:59 on the 8th day after, Tokyo: last moment
        (utc(2026, 11, 9, 15, 0, 0), False),  # 00:00 the next Tokyo day: closed
    ],
)
def test_last_day_of_the_window_is_the_whole_local_day(now, open_):
    e = P.item_eligibility(POLICY, facts(), now, JST)
    assert e.window_ends.isoformat() == "2026-11-09"
    assert e.ok is open_
    assert e.blocked == ("" if open_ else "window_closed")


def test_a_delivery_just_after_local_midnight_starts_the_next_day():
    f = facts(delivered_at=utc(2026, 11, 1, 15, 0, 0))  # 00:00 on 2 Nov in Tokyo
    e = P.item_eligibility(POLICY, f, utc(2026, 11, 10, 14, 0), JST)
    assert e.window_ends.isoformat() == "2026-11-10" and e.ok


def test_the_same_instant_is_another_day_in_another_shops_time_zone():
    # 1 Nov 14:59 UTC is still 1 Nov in Los Angeles (07:59), so LA's window ends on 9 Nov as well,
    # but 2 Nov 06:00 UTC is 1 Nov 23:00 in LA and already 2 Nov in Tokyo.
    f = facts(delivered_at=utc(2026, 11, 2, 6, 0))
    assert P.item_eligibility(POLICY, f, utc(2026, 11, 2, 7), LA).window_ends.isoformat() == (
        "2026-11-09"
    )
    assert P.item_eligibility(POLICY, f, utc(2026, 11, 2, 7), JST).window_ends.isoformat() == (
        "2026-11-10"
    )


@pytest.mark.parametrize(
    ("window_from", "ends"),
    [("delivery", "2026-11-09"), ("shipment", "2026-11-07"), ("order", "2026-11-05")],
)
def test_window_counts_from_delivery_shipment_or_order(window_from, ends):
    p = POLICY.model_copy(update={"window_from": window_from})
    assert P.item_eligibility(p, facts(), utc(2026, 11, 2), JST).window_ends.isoformat() == ends


def test_not_delivered_yet_cannot_be_returned_when_the_window_counts_from_delivery():
    e = P.item_eligibility(POLICY, facts(delivered_at=None), utc(2026, 11, 2), JST)
    assert e.blocked == "not_delivered"
    p = POLICY.model_copy(update={"window_from": "shipment"})
    assert P.item_eligibility(p, facts(delivered_at=None), utc(2026, 11, 2), JST).ok


def test_unshipped_items_cannot_be_returned():
    f = facts(shipped_qty=0, shipped_at=None, delivered_at=None)
    p = POLICY.model_copy(update={"window_from": "order"})
    assert P.item_eligibility(p, f, utc(2026, 10, 29), JST).blocked == "not_shipped"


# --- per-tag rules ---------------------------------------------------------------------------


def test_final_sale_is_never_returnable():
    e = P.item_eligibility(POLICY, facts(tags=("sale",)), utc(2026, 11, 2), JST)
    assert e.blocked == "final_sale" and not e.ok


def test_item_marked_not_returnable_on_the_order():
    e = P.item_eligibility(POLICY, facts(returnable=False), utc(2026, 11, 2), JST)
    assert e.blocked == "not_returnable"


def test_hygiene_items_only_offer_shop_side_reasons():
    e = P.item_eligibility(POLICY, facts(tags=("hygiene",)), utc(2026, 11, 2), JST)
    assert e.ok and {r.fault for r in e.reasons} == {"merchant"}


def test_tag_window_overrides_the_shop_window():
    e = P.item_eligibility(POLICY, facts(tags=("long",)), utc(2026, 12, 1, 14, 59), JST)
    assert e.window_ends.isoformat() == "2026-12-01" and e.ok


def test_warranty_after_the_window_offers_repair_only_and_only_for_defects():
    f = facts(tags=("warranty",))
    e = P.item_eligibility(POLICY, f, utc(2027, 6, 1), JST)
    assert e.ok and not e.in_window
    assert e.resolutions == ("repair",)
    assert {r.fault for r in e.reasons} == {"merchant"}
    assert e.warranty_ends.isoformat() == "2027-11-01"
    # The day after the warranty ends: nothing left.
    assert P.item_eligibility(POLICY, f, utc(2027, 11, 1, 15, 0), JST).blocked == "window_closed"


def test_repair_is_not_offered_without_a_warranty():
    e = P.item_eligibility(POLICY, facts(), utc(2026, 11, 2), JST)
    assert "repair" not in e.resolutions and "refund" in e.resolutions


def test_a_tag_without_a_warranty_gives_no_repair():
    # The "long" tag only lengthens the window; the shop itself gives no warranty (0 days), so
    # repair is not offered even on the first day (docs/returns.md: repair is under warranty).
    e = P.item_eligibility(POLICY, facts(tags=("long",)), utc(2026, 11, 2), JST)
    assert e.ok and e.warranty_ends is None
    assert e.resolutions == ("refund", "exchange", "store_credit", "recycle")


# Delivered 1 Nov 15:30 UTC: already 2 Nov 00:30 in Tokyo, still 1 Nov 08:30 in Los Angeles, so
# the 365-day warranty ends on another date in each shop's zone (and on neither in UTC for Tokyo).
@pytest.mark.parametrize(
    ("tz", "ends", "last_moment", "first_closed"),
    [
        (JST, "2027-11-02", utc(2027, 11, 2, 14, 59, 59), utc(2027, 11, 2, 15, 0)),
        (LA, "2027-11-01", utc(2027, 11, 2, 6, 59, 59), utc(2027, 11, 2, 7, 0)),  # PDT, UTC-7
    ],
)
def test_the_last_warranty_day_is_open_in_the_shops_zone(tz, ends, last_moment, first_closed):
    f = facts(tags=("warranty",), delivered_at=utc(2026, 11, 1, 15, 30))
    last = P.item_eligibility(POLICY, f, last_moment, tz)
    assert last.warranty_ends.isoformat() == ends
    assert last.ok and not last.in_window and last.resolutions == ("repair",)
    after = P.item_eligibility(POLICY, f, first_closed, tz)
    assert after.blocked == "window_closed" and not after.ok


def test_no_allowed_reason_makes_the_item_not_returnable():
    # A hygiene item takes only shop-side reasons; a shop that lists none leaves nothing to pick.
    p = POLICY.model_copy(update={"reasons": [r for r in POLICY.reasons if r.fault == "customer"]})
    e = P.item_eligibility(p, facts(tags=("hygiene",)), utc(2026, 11, 2), JST)
    assert e.blocked == "not_returnable" and not e.ok
    assert e.reasons == () and e.resolutions == ()
    assert e.available_qty == 2
    assert e.window_ends.isoformat() == "2026-11-09" and e.in_window


def test_no_possible_resolution_makes_the_item_not_returnable():
    # The shop offers exchange only and the item has no other variant.
    p = POLICY.model_copy(update={"resolutions": ["exchange"]})
    e = P.item_eligibility(p, facts(variants=()), utc(2026, 11, 2), JST)
    assert e.blocked == "not_returnable" and not e.ok
    assert e.window_ends.isoformat() == "2026-11-09" and e.in_window
    assert e.warranty_ends is None


def test_exchange_needs_another_variant():
    e = P.item_eligibility(POLICY, facts(variants=()), utc(2026, 11, 2), JST)
    assert "exchange" not in e.resolutions
    e = P.item_eligibility(POLICY, facts(), utc(2026, 11, 2), JST)
    assert e.exchange_variants == ("白磁",)  # the variant bought is not offered


def test_no_exchange_variants_are_listed_when_the_shop_offers_no_exchange():
    p = POLICY.model_copy(update={"resolutions": ["refund", "store_credit"]})
    e = P.item_eligibility(p, facts(), utc(2026, 11, 2), JST)
    assert e.ok and e.resolutions == ("refund", "store_credit")
    assert e.exchange_variants == ()


def test_catalogue_variants_when_the_order_line_lists_none():
    p = POLICY.model_copy(update={"catalogue": {"YUN-01": ["藍", "黒"]}})
    e = P.item_eligibility(p, facts(variants=()), utc(2026, 11, 2), JST)
    assert e.exchange_variants == ("黒",)


def test_quantities_already_being_returned_are_not_offered_again():
    assert (
        P.item_eligibility(POLICY, facts(returned_qty=1), utc(2026, 11, 2), JST).available_qty == 1
    )
    e = P.item_eligibility(POLICY, facts(returned_qty=2), utc(2026, 11, 2), JST)
    assert e.blocked == "all_returned"
    # Staff still see when the window of a fully returned line ends.
    assert e.window_ends.isoformat() == "2026-11-09" and e.in_window


def test_a_shop_can_switch_online_returns_off():
    p = POLICY.model_copy(update={"enabled": False})
    assert P.item_eligibility(p, facts(), utc(2026, 11, 2), JST).blocked == "disabled"


# --- validating a request --------------------------------------------------------------------


def _items(**kw):
    return {1: P.item_eligibility(POLICY, facts(**kw), utc(2026, 11, 2), JST)}


def test_valid_request_has_no_errors():
    lines = [P.LineInput(1, 2, "changed_mind", "refund")]
    assert P.validate_lines(POLICY, _items(), lines) == {}


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (P.LineInput(1, 3, "changed_mind", "refund"), {"1-qty": "qty"}),
        (P.LineInput(1, 1, "", "refund"), {"1-reason": "reason"}),
        (P.LineInput(1, 1, "nonsense", "refund"), {"1-reason": "reason"}),
        (P.LineInput(1, 1, "changed_mind", "repair"), {"1-resolution": "resolution"}),
        (P.LineInput(1, 1, "changed_mind", "exchange", "藍"), {"1-variant": "variant"}),
        (P.LineInput(1, 1, "damaged", "refund", photo_count=0), {"1-photos": "photos"}),
        (
            P.LineInput(1, 1, "changed_mind", "refund", photo_count=6),
            {"1-photos": "too_many_photos"},
        ),
        (P.LineInput(99, 1, "changed_mind", "refund"), {"99-qty": "blocked"}),
    ],
)
def test_each_invalid_choice_is_named(line, error):
    assert P.validate_lines(POLICY, _items(), [line]) == error


def test_photo_requirement_met_exactly():
    line = P.LineInput(1, 1, "damaged", "refund", photo_count=1)
    assert P.validate_lines(POLICY, _items(), [line]) == {}


def test_nothing_chosen():
    assert P.validate_lines(POLICY, _items(), [P.LineInput(1, 0)]) == {"items": "none"}


def test_hygiene_item_refuses_a_customer_reason():
    line = P.LineInput(1, 1, "changed_mind", "refund")
    assert P.validate_lines(POLICY, _items(tags=("hygiene",)), [line]) == {"1-reason": "reason"}


# --- fees, who pays, bonus, cap --------------------------------------------------------------


def test_customer_fault_refund_pays_restocking_and_shipping():
    q = P.quote(POLICY, _items(), [P.LineInput(1, 2, "changed_mind", "refund")])
    assert (q.fault, q.return_shipping_paid_by) == ("customer", "customer")
    assert (q.restocking_fee, q.refund_estimate) == (200, 1800)


def test_shop_fault_refund_is_free_for_the_customer():
    q = P.quote(POLICY, _items(), [P.LineInput(1, 1, "damaged", "refund")])
    assert (q.fault, q.return_shipping_paid_by, q.restocking_fee, q.refund_estimate) == (
        "merchant",
        "merchant",
        0,
        1000,
    )


def test_store_credit_gets_the_bonus_and_no_fee():
    q = P.quote(POLICY, _items(), [P.LineInput(1, 2, "changed_mind", "store_credit")])
    assert (q.restocking_fee, q.refund_estimate) == (0, 2200)


def test_exchange_has_no_money_and_follows_fault_for_shipping():
    q = P.quote(POLICY, _items(), [P.LineInput(1, 1, "changed_mind", "exchange", "白磁")])
    assert (q.refund_estimate, q.return_shipping_paid_by) == (0, "customer")


@pytest.mark.parametrize(
    ("cap", "prior", "review"), [(None, 99, False), (3, 2, False), (3, 3, True)]
)
def test_per_customer_cap_sends_to_review_from_the_cap_on(cap, prior, review):
    p = POLICY.model_copy(update={"max_requests_per_customer": cap})
    assert P.over_cap(p, prior) is review


def test_checks_record_what_passed_and_failed():
    p = POLICY.model_copy(update={"max_requests_per_customer": 1})
    out = P.checks(p, _items(), [P.LineInput(1, 1, "damaged", "refund", photo_count=1)], 1)
    assert {c["check"]: c["ok"] for c in out} == {
        "window": True,
        "photos": True,
        "customer_cap": False,
    }


# --- the [returns] section of a brand file ----------------------------------------------------


def _brand(returns: dict) -> dict:
    return {
        "slug": "x",
        "name": {"en": "X"},
        "support": {"email": "a@b.example"},
        "returns": returns,
    }


@pytest.mark.parametrize(
    ("returns", "key"),
    [
        ({"window_dayz": 3}, "returns.window_dayz"),
        ({"window_from": "payment"}, "returns.window_from"),
        ({"rma_prefix": "st-"}, "returns.rma_prefix"),
        ({"resolutions": ["refund", "refund"]}, "returns.resolutions"),
        ({"resolutions": ["cash"]}, "returns.resolutions.0"),
        (
            {"reasons": [{"code": "a", "label": {"en": "A"}, "photos": 6}]},
            "returns.reasons.0.photos",
        ),
        ({"tags": {"x": {"final": True}}}, "returns.tags.x.final"),
        (
            {"customer_fault": {"return_shipping": "nobody"}},
            "returns.customer_fault.return_shipping",
        ),
    ],
)
def test_bad_returns_config_names_the_key(returns, key):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        Brand.model_validate(_brand(returns))
    assert key in {".".join(str(p) for p in e["loc"]) for e in info.value.errors()}


def test_duplicate_reason_codes_are_refused():
    from pydantic import ValidationError

    reason = {"code": "a", "label": {"en": "A"}}
    with pytest.raises(ValidationError, match="duplicate code 'a'"):
        Brand.model_validate(_brand({"reasons": [reason, reason]}))


def test_demo_brands_carry_a_return_policy(app):
    brands = app.extensions["todoku_brands"]
    assert brands["sakura-tea"].returns.rma_prefix == "ST"
    assert brands["northpeak"].returns.tags["hydration"].merchant_fault_only
    # A reason states only its code and label: the customer's side, no photos by default.
    reason = Reason(code="x", label=Localized(en="X"))
    assert (reason.code, reason.fault, reason.photos) == ("x", "customer", 0)
