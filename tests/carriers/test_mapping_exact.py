"""The whole answer of every carrier's ``classify``: the status *and* the sub-status, and the
exact warning an unmapped code leaves behind. Raw code → expected pairs are written out from
/work/shared/reference/carriers.md (§2.1–2.4, §3.1–3.4, §4.1) and USPS Pub. 199 Appendix G
(event codes 01 Delivered, 02 Notice Left, MA Manifest acknowledgement / label created, OF Out
for delivery), never read from the adapters' tables. ``make mutation`` found these answers
untested: a row turned into "delivered", a dropped row or a sub-status "XXXX" went unnoticed.
"""

from __future__ import annotations

import logging

import pytest

from carriers import Status as S
from carriers import aftership, dhl, easypost, fedex, parsing, ship24, track17, ups, usps
from carriers.aggregator import AggregatorAdapter
from carriers.simulated import SimulatedAdapter


def warning_of(classify, caplog) -> tuple[object, list[str]]:
    """What ``classify()`` returns and the warnings it logs (the once-per-code memory cleared)."""
    parsing._unknown_seen.clear()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="todoku.carriers"):
        answer = classify()
    return answer, [r.getMessage() for r in caplog.records]


# --- USPS (§2.4: eventCode per Pub. 199 App. G; else the eventType text) ---------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("01", S.DELIVERED),
        ("02", S.ATTEMPT_FAILED),
        ("MA", S.INFO_RECEIVED),
        ("OF", S.OUT_FOR_DELIVERY),
    ],
)
def test_usps_event_code_decides_without_a_text(code, expected):
    assert usps.classify_event(code, "") is expected


def test_usps_event_code_decides_over_the_text():
    # The code is the carrier's own classification; a free text never overrides it.
    assert usps.classify_event("01", "Arrived at Post Office") is S.DELIVERED
    assert usps.classify_event("OF", "Delivered") is S.OUT_FOR_DELIVERY


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Shipping Label Created, USPS Awaiting Item", S.INFO_RECEIVED),
        ("Pre-Shipment Info Sent to USPS", S.INFO_RECEIVED),
        ("Held in Customs", S.EXCEPTION),
        ("Customs Clearance", S.IN_TRANSIT),
        ("Out for Delivery", S.OUT_FOR_DELIVERY),
        ("Notice Left (No Authorized Recipient Available)", S.ATTEMPT_FAILED),
        ("Delivery Attempted - No Access to Delivery Location", S.ATTEMPT_FAILED),
        ("Available for Pickup", S.AVAILABLE_FOR_PICKUP),
        ("Return to Sender", S.RETURNING_TO_SENDER),
        ("Delivered, In/At Mailbox", S.DELIVERED),
        ("Delivered, Front Door/Porch", S.DELIVERED),
        ("Delayed", S.DELAYED),
        ("Accepted at USPS Origin Facility", S.IN_TRANSIT),
        ("USPS picked up item", S.IN_TRANSIT),
        ("Arrived at USPS Regional Facility", S.IN_TRANSIT),
        ("Departed USPS Regional Facility", S.IN_TRANSIT),
        ("Processed through USPS Facility", S.IN_TRANSIT),
        ("In Transit to Next Facility", S.IN_TRANSIT),
        ("IN TRANSIT TO NEXT FACILITY", S.IN_TRANSIT),  # case does not matter
    ],
)
def test_usps_event_text(text, expected):
    assert usps.classify_event("", text) is expected


def test_usps_unmapped_event_names_the_code_else_the_text(caplog):
    answer, messages = warning_of(lambda: usps.classify_event("ZZ", "Something new"), caplog)
    assert answer is S.UNKNOWN
    assert messages == ["usps: unmapped status 'ZZ' (Something new)"]
    answer, messages = warning_of(lambda: usps.classify_event("", "Something new"), caplog)
    assert answer is S.UNKNOWN
    assert messages == ["usps: unmapped status 'Something new' (Something new)"]


# --- UPS (§2.1: status.type; D and X refined by the description) -----------------------------


@pytest.mark.parametrize(
    ("type_", "text", "expected"),
    [
        ("M", "Shipper created a label, UPS has not received the package yet.", S.INFO_RECEIVED),
        ("MV", "Shipment voided", S.CANCELLED),
        ("I", "Arrived at Facility", S.IN_TRANSIT),
        ("P", "Pickup Scan", S.IN_TRANSIT),
        ("U", "The delivery date has been updated", S.DELAYED),
        ("X", "Severe weather conditions have delayed delivery", S.EXCEPTION),
        ("D", "out for delivery today", S.OUT_FOR_DELIVERY),  # case does not matter
        ("D", "DELIVERED", S.DELIVERED),
    ],
)
def test_ups_types_carry_no_sub_status(type_, text, expected):
    assert ups.classify(type_, text) == (expected, "")


def test_ups_texts_refine_only_their_own_type():
    # "Delivered" under an exception type is not a delivery; "attempted" under I is movement.
    assert ups.classify("X", "Delivered to the wrong address") == (S.EXCEPTION, "")
    assert ups.classify("I", "Delivery attempted at a previous stop") == (S.IN_TRANSIT, "")


def test_ups_unmapped_type_and_unplaceable_d(caplog):
    answer, messages = warning_of(lambda: ups.classify("ZZ", "new thing"), caplog)
    assert answer == (S.UNKNOWN, "")
    assert messages == ["ups: unmapped status 'ZZ' (new thing)"]
    answer, messages = warning_of(lambda: ups.classify("D", "Driver update"), caplog)
    assert answer == (S.UNKNOWN, "")
    assert messages == ["ups: unmapped status 'D:Driver update' (Driver update)"]


# --- FedEx (§2.2 status codes; DE/SE split by exceptionCode / its text) ----------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("OC", (S.INFO_RECEIVED, "")),
        ("PU", (S.IN_TRANSIT, "picked_up")),
        ("PX", (S.IN_TRANSIT, "picked_up")),
        ("DP", (S.IN_TRANSIT, "departed")),
        ("LO", (S.IN_TRANSIT, "departed")),
        ("AR", (S.IN_TRANSIT, "arrived_hub")),
        ("CC", (S.IN_TRANSIT, "customs")),
        ("IT", (S.IN_TRANSIT, "")),
        ("Ow", (S.IN_TRANSIT, "")),  # FedEx spells "On the way" in mixed case
        ("ow", (S.IN_TRANSIT, "")),
        ("dl", (S.DELIVERED, "")),
        ("OD", (S.OUT_FOR_DELIVERY, "")),
        ("HP", (S.AVAILABLE_FOR_PICKUP, "")),
        ("DY", (S.DELAYED, "")),
        ("RS", (S.RETURNING_TO_SENDER, "")),
        ("CA", (S.CANCELLED, "")),
        ("DE", (S.EXCEPTION, "")),
        ("SE", (S.EXCEPTION, "")),
        ("de", (S.EXCEPTION, "")),
    ],
)
def test_fedex_whole_answer(code, expected):
    assert fedex.classify(code) == expected


@pytest.mark.parametrize("code", ["DE", "SE"])
@pytest.mark.parametrize(
    "text",
    [
        "Customer not available or business closed",
        "Business closed",
        "No one available to sign",
        "Delivery attempt made",
        "CUSTOMER NOT AVAILABLE",
    ],
)
def test_fedex_attempt_words_make_an_attempt(code, text):
    assert fedex.classify(code, "", text) == (S.ATTEMPT_FAILED, "")


def test_fedex_exception_code_is_the_sub_status():
    assert fedex.classify("DE", "08", "") == (S.ATTEMPT_FAILED, "08")
    assert fedex.classify("SE", "03", "Incorrect address") == (S.EXCEPTION, "03")
    # An attempt word on another code changes nothing: only DE/SE are split.
    assert fedex.classify("IT", "08", "Business closed") == (S.IN_TRANSIT, "")


def test_fedex_unmapped_code(caplog):
    answer, messages = warning_of(lambda: fedex.classify("ZZ", "", "new thing"), caplog)
    assert answer == (S.UNKNOWN, "")
    assert messages == ["fedex: unmapped status 'ZZ' (new thing)"]
    answer, messages = warning_of(lambda: fedex.classify("zz"), caplog)
    assert answer == (S.UNKNOWN, "")
    assert messages == ["fedex: unmapped status 'ZZ'"]


# --- DHL (§2.3: five statusCodes; description rules; Express events with a description only) -


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("pre-transit", "Shipment information received", (S.INFO_RECEIVED, "")),
        ("transit", "Arrived at Sort Facility LEIPZIG - GERMANY", (S.IN_TRANSIT, "")),
        ("transit", "Customs status updated", (S.IN_TRANSIT, "customs")),
        ("transit", "Clearance event", (S.IN_TRANSIT, "customs")),
        ("failure", "Clearance processing complete at LEIPZIG", (S.IN_TRANSIT, "customs")),
        ("failure", "Customs clearance status updated", (S.IN_TRANSIT, "customs")),
        ("failure", "Address incomplete", (S.EXCEPTION, "")),
        ("delivered", "Delivered - Signed for by: SMITH", (S.DELIVERED, "")),
        ("transit", "OUT FOR DELIVERY", (S.OUT_FOR_DELIVERY, "")),  # case does not matter
    ],
)
def test_dhl_whole_answer(code, text, expected):
    assert dhl.classify(code, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Shipment is out with courier for delivery", (S.OUT_FOR_DELIVERY, "")),
        ("Awaiting collection at the retail outlet", (S.AVAILABLE_FOR_PICKUP, "")),
        ("The shipment could not be delivered", (S.ATTEMPT_FAILED, "")),
        ("Clearance processing complete at LEIPZIG", (S.IN_TRANSIT, "customs")),
        ("Delivered - Signed for by: SMITH", (S.DELIVERED, "")),
    ],
)
def test_dhl_event_with_a_description_only(text, expected):
    # §2.3: some Express events carry only a description; it alone decides.
    assert dhl.classify("", text) == expected


def test_dhl_text_rules_refine_only_their_own_code():
    # A pickup or return wording under "delivered" stays delivered.
    assert dhl.classify("delivered", "Delivered: picked up by the recipient, ready for pickup") == (
        S.DELIVERED,
        "",
    )


def test_dhl_unmapped(caplog):
    answer, messages = warning_of(lambda: dhl.classify("zz", "new thing"), caplog)
    assert answer == (S.UNKNOWN, "")
    assert messages == ["dhl: unmapped status 'zz' (new thing)"]
    answer, messages = warning_of(lambda: dhl.classify("", "Something new"), caplog)
    assert answer == (S.UNKNOWN, "")
    assert messages == ["dhl: unmapped status 'Something new' (Something new)"]


# --- AfterShip (§3.1 tags and subtags) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "subtag", "expected"),
    [
        ("Exception", "Exception_004", (S.DELAYED, "customs")),
        ("Exception", "Exception_005", (S.DELAYED, "Exception_005")),
        ("Exception", "Exception_016", (S.DELAYED, "Exception_016")),  # processing delay
        ("Exception", "Exception_017", (S.DELAYED, "Exception_017")),  # extreme weather
        ("Exception", "Exception_010", (S.RETURNING_TO_SENDER, "Exception_010")),
        ("Exception", "Exception_011", (S.RETURNED_TO_SENDER, "Exception_011")),
        ("Exception", "Exception_012", (S.EXCEPTION, "damaged")),
        ("InTransit", "InTransit_005", (S.IN_TRANSIT, "customs")),
        ("InTransit", "InTransit_007", (S.IN_TRANSIT, "departed")),
        ("AttemptFail", "AttemptFail_002", (S.ATTEMPT_FAILED, "not_home")),
        ("AttemptFail", "AttemptFail_001", (S.ATTEMPT_FAILED, "AttemptFail_001")),
        ("Delivered", "Delivered_003", (S.DELIVERED, "signed")),
        ("Delivered", "", (S.DELIVERED, "")),
    ],
)
def test_aftership_whole_answer(tag, subtag, expected):
    assert aftership.classify(tag, subtag) == expected


def test_aftership_tag_alone_has_no_sub_status():
    assert aftership.classify("InTransit") == (S.IN_TRANSIT, "")


def test_aftership_unmapped(caplog):
    answer, messages = warning_of(lambda: aftership.classify("ZZ", "ZZ_001", "new thing"), caplog)
    assert answer == (S.UNKNOWN, "ZZ_001")
    assert messages == ["aftership: unmapped status 'ZZ' (new thing)"]
    answer, messages = warning_of(lambda: aftership.classify("ZZ"), caplog)
    assert answer == (S.UNKNOWN, "")
    assert messages == ["aftership: unmapped status 'ZZ'"]


# --- 17TRACK (§3.2 status and sub_status; events carry only the sub_status) ------------------


@pytest.mark.parametrize(
    ("status", "sub", "expected"),
    [
        ("InTransit", "InTransit_PickedUp", (S.IN_TRANSIT, "picked_up")),
        ("InTransit", "InTransit_Departure", (S.IN_TRANSIT, "departed")),
        ("", "InTransit_Arrival", (S.IN_TRANSIT, "arrived_hub")),
        ("", "InTransit_CustomsRequiringInformation", (S.IN_TRANSIT, "customs")),
        ("", "Exception_Damage", (S.EXCEPTION, "damaged")),
        ("", "Exception_Lost", (S.EXCEPTION, "lost")),
        ("", "Exception_Delayed", (S.DELAYED, "Exception_Delayed")),
        ("", "Exception_Returning", (S.RETURNING_TO_SENDER, "Exception_Returning")),
        ("", "Exception_Returned", (S.RETURNED_TO_SENDER, "Exception_Returned")),
        ("", "Exception_Cancel", (S.CANCELLED, "Exception_Cancel")),
        ("", "DeliveryFailure_InvalidAddress", (S.EXCEPTION, "DeliveryFailure_InvalidAddress")),
        ("Delivered", "", (S.DELIVERED, "")),
        ("Delivered", "Delivered_Other", (S.DELIVERED, "Delivered_Other")),
    ],
)
def test_track17_whole_answer(status, sub, expected):
    assert track17.classify(status, sub) == expected


def test_track17_status_alone_has_no_sub_status():
    assert track17.classify("OutForDelivery") == (S.OUT_FOR_DELIVERY, "")


def test_track17_unmapped(caplog):
    answer, messages = warning_of(lambda: track17.classify("ZZ", "", "new thing"), caplog)
    assert answer == (S.UNKNOWN, "")
    assert messages == ["track17: unmapped status 'ZZ' (new thing)"]
    answer, messages = warning_of(lambda: track17.classify("", "Zz_Thing"), caplog)
    assert answer == (S.UNKNOWN, "Zz_Thing")
    assert messages == ["track17: unmapped status 'Zz'"]


# --- EasyPost (§3.3 status + status_detail) -----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "detail", "expected"),
    [
        ("failure", "delivery_attempt_failed", (S.ATTEMPT_FAILED, "delivery_attempt_failed")),
        ("failure", "ATTEMPTED_DELIVERY", (S.ATTEMPT_FAILED, "ATTEMPTED_DELIVERY")),
        ("failure", "address_correction", (S.EXCEPTION, "address_correction")),
        ("failure", None, (S.EXCEPTION, "")),
        ("in_transit", "arrived_at_destination", (S.IN_TRANSIT, "arrived_at_destination")),
        ("in_transit", None, (S.IN_TRANSIT, "")),
        ("delivered", "", (S.DELIVERED, "")),
    ],
)
def test_easypost_whole_answer(status, detail, expected):
    assert easypost.classify(status, detail) == expected


def test_easypost_attempt_detail_splits_only_failure():
    assert easypost.classify("in_transit", "attempt_scheduled") == (
        S.IN_TRANSIT,
        "attempt_scheduled",
    )


def test_easypost_status_alone_has_no_sub_status():
    assert easypost.classify("pre_transit") == (S.INFO_RECEIVED, "")


def test_easypost_unmapped(caplog):
    answer, messages = warning_of(
        lambda: easypost.classify("zz", "some_detail", "new thing"), caplog
    )
    assert answer == (S.UNKNOWN, "some_detail")
    assert messages == ["easypost: unmapped status 'zz' (new thing)"]
    answer, messages = warning_of(lambda: easypost.classify("zz", None), caplog)
    assert answer == (S.UNKNOWN, "")
    assert messages == ["easypost: unmapped status 'zz'"]


# --- Ship24 (§3.4 milestone; the finer statusCode decides where it says more) ------------------


@pytest.mark.parametrize(
    ("milestone", "code", "expected"),
    [
        ("exception", "exception_return_to_sender", S.RETURNING_TO_SENDER),
        ("exception", "exception_returned_to_sender", S.RETURNED_TO_SENDER),
        ("exception", "exception_cancelled", S.CANCELLED),
        ("exception", "exception_delayed", S.DELAYED),
        ("exception", "exception_other", S.EXCEPTION),
        # The statusCode is the finer of the two and wins over a lagging milestone.
        ("in_transit", "delivery_out_for_delivery", S.OUT_FOR_DELIVERY),
        ("in_transit", "delivery_ready_for_pickup", S.AVAILABLE_FOR_PICKUP),
        ("delivered", "delivery_delivered", S.DELIVERED),
        ("expired", "", S.EXPIRED),
    ],
)
def test_ship24_code_then_milestone(milestone, code, expected):
    assert ship24.classify(milestone, code=code) is expected


def test_ship24_unmapped(caplog):
    answer, messages = warning_of(lambda: ship24.classify("zz", "new thing"), caplog)
    assert answer is S.UNKNOWN
    assert messages == ["ship24: unmapped status 'zz' (new thing)"]
    answer, messages = warning_of(lambda: ship24.classify("zz"), caplog)
    assert messages == ["ship24: unmapped status 'zz'"]


# --- Number validation of the aggregators and the demo carrier (docs/carriers.md) ------------


@pytest.mark.parametrize(
    ("number", "accepted"),
    [
        ("", False),
        ("ABC", False),
        ("ABCD", True),
        ("1Z999AA10123456784", True),
        ("4" * 40, True),
        ("4" * 41, False),
        ("1Z-999", False),
        ("AB CD", False),
    ],
)
def test_aggregators_accept_4_to_40_letters_and_digits(number, accepted):
    assert AggregatorAdapter().validate(number) is accepted


@pytest.mark.parametrize(
    ("number", "accepted"), [("", False), ("SIM1001", True), ("SIM-1001", False)]
)
def test_demo_carrier_accepts_letters_and_digits(number, accepted):
    assert SimulatedAdapter().validate(number) is accepted


# --- The finer signal decides: a sub-status that names its status wins over a coarser or
# missing status (reference §3.1/§3.2 list each sub-status under the status it refines) -------


@pytest.mark.parametrize(
    ("tag", "subtag", "expected"),
    [
        ("Exception", "InTransit_005", S.IN_TRANSIT),  # customs cleared: routine, no problem
        ("Exception", "InTransit_006", S.IN_TRANSIT),  # customs started
        ("", "AttemptFail_001", S.ATTEMPT_FAILED),  # a checkpoint with a subtag only
        ("", "AttemptFail_002", S.ATTEMPT_FAILED),
        ("", "AttemptFail_003", S.ATTEMPT_FAILED),
        ("", "Exception_016", S.DELAYED),
        ("", "Exception_017", S.DELAYED),
    ],
)
def test_aftership_subtag_decides(tag, subtag, expected):
    assert aftership.classify(tag, subtag)[0] is expected


@pytest.mark.parametrize(
    ("sub", "expected"),
    [
        ("InTransit_CustomsProcessing", S.IN_TRANSIT),
        ("InTransit_CustomsReleased", S.IN_TRANSIT),
        ("DeliveryFailure_NoBody", S.ATTEMPT_FAILED),
        ("DeliveryFailure_Security", S.ATTEMPT_FAILED),
        ("DeliveryFailure_Rejected", S.ATTEMPT_FAILED),
        ("DeliveryFailure_InvalidAddress", S.EXCEPTION),
        ("Exception_Delayed", S.DELAYED),
    ],
)
def test_track17_sub_status_decides_over_a_coarser_status(sub, expected):
    assert (
        track17.classify("Exception" if expected is not S.EXCEPTION else "InTransit", sub)[0]
        is expected
    )


# --- Japanese scrapers (§1.6: substring rules after NFKC; an unknown text is logged) ---------


@pytest.mark.parametrize("code", ["yamato", "sagawa", "japanpost", "seino", "fukuyama"])
def test_japanese_unmapped_text_is_logged_under_its_carrier(code, caplog):
    import carriers

    adapter = carriers.get(code)
    answer, messages = warning_of(lambda: adapter.classify("ＸＹＺ新状態"), caplog)
    assert answer == (S.UNKNOWN, "")
    # The text is logged as folded (NFKC): full-width letters become ASCII.
    assert messages == [f"{code}: unmapped status 'XYZ新状態'"]


@pytest.mark.parametrize("code", ["yamato", "sagawa", "japanpost", "seino", "fukuyama"])
def test_japanese_common_rows_apply_to_every_carrier(code):
    import carriers

    adapter = carriers.get(code)
    assert adapter.classify("配達完了（宅配ボックス）") == (S.DELIVERED, "delivery_box")
    assert adapter.classify("差出人に返送済み") == (S.RETURNED_TO_SENDER, "")
    assert adapter.classify("調査中") == (S.EXCEPTION, "investigating")


# docs/carriers-japan.md "Summary of the shared mapping" (reference §1.6/§4.1), written out:
# every raw text maps the same for all five Japanese carriers; (status, sub) where the summary
# names a sub-status, else the status alone. Carrier-specific wordings follow below.
JP_SHARED = [
    ("出荷指示", S.INFO_RECEIVED, None),
    ("伝票発行", S.INFO_RECEIVED, None),
    ("依頼受付", S.INFO_RECEIVED, None),
    ("荷物受付", S.IN_TRANSIT, "picked_up"),
    ("集荷", S.IN_TRANSIT, "picked_up"),
    ("引受", S.IN_TRANSIT, "picked_up"),
    ("発送", S.IN_TRANSIT, "picked_up"),
    ("Posting/Collection", S.IN_TRANSIT, "picked_up"),
    ("発送済み", S.IN_TRANSIT, None),
    ("輸送中", S.IN_TRANSIT, None),
    ("作業店通過", S.IN_TRANSIT, None),
    ("中継", S.IN_TRANSIT, None),
    ("通過", S.IN_TRANSIT, None),
    ("配達局から出発", S.IN_TRANSIT, None),
    ("配達店到着", S.IN_TRANSIT, "arrived_delivery_office"),
    ("到着", S.IN_TRANSIT, "arrived_delivery_office"),
    ("国際交換局", S.IN_TRANSIT, "customs"),
    ("通関", S.IN_TRANSIT, "customs"),
    ("税関", S.IN_TRANSIT, "customs"),
    ("Item presented to import Customs", S.IN_TRANSIT, "customs"),
    ("Arrival at outward office of exchange", S.IN_TRANSIT, None),
    ("Processing at delivery Post Office", S.IN_TRANSIT, None),
    ("転送", S.IN_TRANSIT, "forwarded"),
    ("依頼受付(日、時間帯変更)", S.IN_TRANSIT, "delivery_rescheduled"),
    ("配達希望受付", S.IN_TRANSIT, "delivery_rescheduled"),
    ("配達中", S.OUT_FOR_DELIVERY, None),
    ("持ち出し中", S.OUT_FOR_DELIVERY, None),
    ("Item out for physical delivery", S.OUT_FOR_DELIVERY, None),
    ("持戻(ご不在)", S.ATTEMPT_FAILED, None),
    ("持戻(休業)", S.ATTEMPT_FAILED, None),
    ("持戻り", S.ATTEMPT_FAILED, None),
    ("持ち戻り", S.ATTEMPT_FAILED, None),
    ("ご不在", S.ATTEMPT_FAILED, None),
    ("ご不在のため持ち戻り", S.ATTEMPT_FAILED, None),
    ("ご来店予定(保管中)", S.AVAILABLE_FOR_PICKUP, None),
    ("ご来店予定", S.AVAILABLE_FOR_PICKUP, None),
    ("依頼受付(店頭受取)", S.AVAILABLE_FOR_PICKUP, None),
    ("保管中", S.AVAILABLE_FOR_PICKUP, None),
    ("保管", S.AVAILABLE_FOR_PICKUP, None),
    ("営業所保管", S.AVAILABLE_FOR_PICKUP, None),
    ("店頭保管", S.AVAILABLE_FOR_PICKUP, None),
    ("Retention", S.AVAILABLE_FOR_PICKUP, None),
    ("配達完了", S.DELIVERED, None),
    ("配達完了(宅配ボックス)", S.DELIVERED, "delivery_box"),
    ("宅配ボックス", S.DELIVERED, "delivery_box"),
    ("投函完了", S.DELIVERED, "mailbox"),
    ("お客様引渡完了", S.DELIVERED, None),
    ("引渡完了", S.DELIVERED, None),
    ("お届け済み", S.DELIVERED, None),
    ("お届け先にお届け済み", S.DELIVERED, None),
    ("窓口でお渡し", S.DELIVERED, "picked_up_by_recipient"),
    ("コンビニエンスストアに引渡", S.DELIVERED, "picked_up_by_recipient"),
    ("配達は終了致しました", S.DELIVERED, None),
    ("Final delivery", S.DELIVERED, None),
    ("調査中", S.EXCEPTION, None),
    ("持戻(転居)", S.EXCEPTION, None),
    ("持戻(ポスト投函不可)", S.EXCEPTION, None),
    ("宛所不明", S.EXCEPTION, None),
    ("営業所へお問い合わせください", S.EXCEPTION, None),
    ("返品", S.RETURNING_TO_SENDER, None),
    ("返送中", S.RETURNING_TO_SENDER, None),
    ("差出人に返送中", S.RETURNING_TO_SENDER, None),
    ("差出人に返送済み", S.RETURNED_TO_SENDER, None),
    ("返送済", S.RETURNED_TO_SENDER, None),
]
JP_CARRIERS = ["yamato", "sagawa", "japanpost", "seino", "fukuyama"]


@pytest.mark.parametrize("code", JP_CARRIERS)
@pytest.mark.parametrize(("raw", "status", "sub"), JP_SHARED)
def test_japanese_shared_mapping(code, raw, status, sub):
    import carriers

    got = carriers.get(code).classify(raw)
    assert got[0] is status
    if sub is not None:
        assert got[1] == sub


@pytest.mark.parametrize(
    ("code", "raw", "expected"),
    [
        # A closed business is not an absent recipient (docs/carriers-japan.md, Yamato).
        ("yamato", "持戻(休業)", (S.ATTEMPT_FAILED, "business_closed")),
        ("yamato", "持戻(ご不在)", (S.ATTEMPT_FAILED, "recipient_absent")),
        ("seino", "お届け済", (S.DELIVERED, "")),
        ("seino", "配達済", (S.DELIVERED, "")),
        ("seino", "配達済み", (S.DELIVERED, "")),
        ("seino", "営業所保管", (S.AVAILABLE_FOR_PICKUP, "held_at_office")),
        ("fukuyama", "お届け済", (S.DELIVERED, "")),
        ("fukuyama", "店頭保管", (S.AVAILABLE_FOR_PICKUP, "held_at_office")),
        ("japanpost", "お届け先にお届け済み", (S.DELIVERED, "")),
    ],
)
def test_japanese_carrier_wordings(code, raw, expected):
    import carriers

    assert carriers.get(code).classify(raw) == expected


@pytest.mark.parametrize("code", JP_CARRIERS)
def test_japanese_dispatched_is_not_a_pickup(code):
    # The summary puts 発送 under picked_up and 発送済み (dispatched onward) apart from it.
    import carriers

    assert carriers.get(code).classify("発送済み")[0] is S.IN_TRANSIT
    assert carriers.get(code).classify("発送済み")[1] != "picked_up"


def test_attempt_statuses_without_a_finer_sub_status():
    # §3.1/§3.2: AttemptFail and DeliveryFailure are attempts whatever their sub-status says.
    assert aftership.classify("AttemptFail") == (S.ATTEMPT_FAILED, "")
    assert aftership.classify("AttemptFail", "AttemptFail_099") == (
        S.ATTEMPT_FAILED,
        "AttemptFail_099",
    )
    assert track17.classify("DeliveryFailure") == (S.ATTEMPT_FAILED, "")
    assert track17.classify("", "DeliveryFailure_Other") == (
        S.ATTEMPT_FAILED,
        "DeliveryFailure_Other",
    )
