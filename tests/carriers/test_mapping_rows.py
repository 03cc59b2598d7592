"""One event text per text rule of UPS and DHL, worded as the carriers word their events (the
statusCode/type decides nothing alone there: reference §2.1, §2.3), and what an unmapped code
leaves behind. Written from the reference, not from the adapters' tables: tests/mutation/tables.py
found these rows untested (a row turned into "delivered" went unnoticed)."""

from __future__ import annotations

import logging

import pytest

from carriers import Status as S
from carriers import aftership, dhl, easypost, fedex, parsing, ship24, track17, ups, usps


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("transit", "Out for delivery", S.OUT_FOR_DELIVERY),
        ("transit", "Shipment is out with courier for delivery", S.OUT_FOR_DELIVERY),
        ("transit", "Ready for pickup at the DHL Service Point", S.AVAILABLE_FOR_PICKUP),
        ("transit", "Available for pickup at the DHL Packstation", S.AVAILABLE_FOR_PICKUP),
        ("transit", "Awaiting collection at the retail outlet", S.AVAILABLE_FOR_PICKUP),
        ("transit", "The shipment is being returned to the sender", S.RETURNING_TO_SENDER),
        ("transit", "Shipment returned to shipper", S.RETURNING_TO_SENDER),
        ("failure", "Shipment returned to shipper", S.RETURNING_TO_SENDER),
        ("failure", "The shipment is being returned", S.RETURNING_TO_SENDER),
        ("failure", "Delivery attempt made", S.ATTEMPT_FAILED),
        ("failure", "Recipient not at home", S.ATTEMPT_FAILED),
        ("failure", "Recipient not available", S.ATTEMPT_FAILED),
        ("failure", "The shipment could not be delivered", S.ATTEMPT_FAILED),
        ("failure", "Address incomplete", S.EXCEPTION),
        ("transit", "Arrived at the delivery depot", S.IN_TRANSIT),
    ],
)
def test_dhl_text_rows(code, text, expected):
    assert dhl.classify(code, text) == (expected, "")


@pytest.mark.parametrize(
    ("type_", "text", "expected"),
    [
        ("D", "Out For Delivery Today", (S.OUT_FOR_DELIVERY, "")),
        ("D", "Loaded on Delivery Vehicle", (S.OUT_FOR_DELIVERY, "loaded")),
        ("D", "Delivered", (S.DELIVERED, "")),
        ("X", "Returned to the sender", (S.RETURNING_TO_SENDER, "")),
        ("X", "Returning to Sender", (S.RETURNING_TO_SENDER, "")),
        ("X", "Delivery attempt made; the receiver was not in", (S.ATTEMPT_FAILED, "")),
        ("X", "Delivery was attempted", (S.ATTEMPT_FAILED, "")),
        (
            "X",
            "Delivered to UPS Access Point. Awaiting pickup",
            (S.AVAILABLE_FOR_PICKUP, "access_point"),
        ),
        ("X", "Address corrected", (S.EXCEPTION, "")),
        ("I", "Departed from Facility", (S.IN_TRANSIT, "")),
    ],
)
def test_ups_text_rows(type_, text, expected):
    assert ups.classify(type_, text) == expected


@pytest.mark.parametrize(
    ("carrier", "classify", "code"),
    [
        ("ups", lambda: ups.classify("ZZ", "new thing"), "'ZZ'"),
        ("ups", lambda: ups.classify("D", "new thing"), "'D:new thing'"),
        ("fedex", lambda: fedex.classify("ZZ", "", "new thing"), "'ZZ'"),
        ("dhl", lambda: dhl.classify("zz", "new thing"), "'zz'"),
        ("usps", lambda: (usps.classify_event("ZZ", "new thing"), ""), "new thing"),
        ("aftership", lambda: aftership.classify("ZZ"), "'ZZ'"),
        ("track17", lambda: track17.classify("ZZ"), "'ZZ'"),
        ("easypost", lambda: easypost.classify("zz"), "'zz'"),
    ],
)
def test_an_unmapped_code_is_unknown_with_no_sub_status_and_logged_by_name(
    carrier, classify, code, caplog
):
    parsing._unknown_seen.clear()
    with caplog.at_level(logging.WARNING, logger="todoku.carriers"):
        assert classify() == (S.UNKNOWN, "")
    message = caplog.records[0].getMessage()
    assert message.startswith(f"{carrier}: unmapped status") and code in message


def test_ship24_unknown_milestone():
    parsing._unknown_seen.clear()
    assert ship24.classify("zz") is S.UNKNOWN


def test_fedex_sub_statuses():
    assert fedex.classify("PU") == (S.IN_TRANSIT, "picked_up")
    assert fedex.classify("DP") == (S.IN_TRANSIT, "departed")
    assert fedex.classify("DL") == (S.DELIVERED, "")
    assert fedex.classify("DE", "08") == (S.ATTEMPT_FAILED, "08")
    assert fedex.classify("DE", "", "Customer not available or business closed") == (
        S.ATTEMPT_FAILED,
        "",
    )
    assert fedex.classify("SE", "03", "Incorrect address") == (S.EXCEPTION, "03")


@pytest.mark.parametrize("code", ["AC", "AX", "PM"])  # At Canada Post, At USPS, In Progress
def test_fedex_handover_and_progress_codes_are_in_transit(code):
    assert fedex.classify(code) == (S.IN_TRANSIT, "")
