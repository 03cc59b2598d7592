"""Every raw code of reference §4.1 (UPS, FedEx, DHL, USPS, AfterShip, 17TRACK, EasyPost, Ship24)
maps to the normalized status the table gives. Where the table needs more than the code (UPS D,
FedEx DE/SE, DHL's five-value enum) the test says which extra input decides."""

from __future__ import annotations

import logging

import pytest

from carriers import Status, aftership, dhl, easypost, fedex, ship24, track17, ups, usps
from carriers.aggregator import OUR_CODES

S = Status


@pytest.mark.parametrize(
    ("type_", "text", "expected"),
    [
        ("M", "Shipper created a label", S.INFO_RECEIVED),
        ("I", "Departed from Facility", S.IN_TRANSIT),
        ("P", "Pickup Scan", S.IN_TRANSIT),  # older XML API type
        ("D", "Out For Delivery Today", S.OUT_FOR_DELIVERY),
        ("D", "Loaded on Delivery Vehicle", S.OUT_FOR_DELIVERY),
        # Table: "D + deliveryDate[type=DEL]". The event text is what we see per event; the
        # overall status also honours deliveryDate DEL (see fixtures/ups/delivered.json).
        ("D", "DELIVERED", S.DELIVERED),
        (
            "X",
            "The receiver was not available. Second delivery attempt tomorrow.",
            S.ATTEMPT_FAILED,
        ),
        ("X", "Severe weather conditions have delayed delivery.", S.EXCEPTION),
        ("X", "Returning to Sender", S.RETURNING_TO_SENDER),
        ("U", "Your delivery date has been updated", S.DELAYED),
        ("MV", "Shipment voided", S.CANCELLED),
    ],
)
def test_ups(type_, text, expected):
    assert ups.classify(type_, text)[0] is expected


def test_ups_d_alone_is_not_delivered():
    # UPS type D covers "loaded on vehicle", "out for delivery" and "delivered": with a text we
    # cannot place it stays UNKNOWN rather than being guessed as delivered.
    assert ups.classify("D", "Driver update")[0] is S.UNKNOWN


FEDEX = {
    S.INFO_RECEIVED: "OC OX EP",
    S.IN_TRANSIT: "PU PX AP IT IX AR AF DP LO SF FD OF AA EA EO PL PF TR CC CP AO Ow",
    S.OUT_FOR_DELIVERY: "OD ED AD",
    S.AVAILABLE_FOR_PICKUP: "HL HP",
    S.DELIVERED: "DL",
    S.DELAYED: "DY DD PD CD",
    S.EXCEPTION: "SE DE",  # without an attempt exception code
    S.RETURNING_TO_SENDER: "RS",
    S.CANCELLED: "CA",
}


@pytest.mark.parametrize(
    ("code", "expected"), [(c, s) for s, codes in FEDEX.items() for c in codes.split()]
)
def test_fedex(code, expected):
    assert fedex.classify(code)[0] is expected


def test_fedex_de_split_by_exception_code():
    assert fedex.classify("DE", "08", "Customer not available or business closed")[0] is (
        S.ATTEMPT_FAILED
    )
    assert fedex.classify("DE", "03", "Incorrect address")[0] is S.EXCEPTION
    assert fedex.classify("SE", "", "Business closed - delivery attempted")[0] is (S.ATTEMPT_FAILED)


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("pre-transit", "Shipment information received", S.INFO_RECEIVED),
        ("transit", "Processed at LEIPZIG", S.IN_TRANSIT),
        ("transit", "Shipment is out with courier for delivery", S.OUT_FOR_DELIVERY),
        (
            "transit",
            "The shipment is ready for pickup at the DHL Service Point",
            (S.AVAILABLE_FOR_PICKUP),
        ),
        ("delivered", "Delivered", S.DELIVERED),
        ("failure", "Delivery attempted; recipient not at home", S.ATTEMPT_FAILED),
        ("failure", "Clearance event", S.EXCEPTION),
        ("", "Shipment is out with courier for delivery", S.OUT_FOR_DELIVERY),
    ],
)
def test_dhl(code, text, expected):
    assert dhl.classify(code, text)[0] is expected


def test_dhl_unknown_status_code_is_unknown():
    # Table: "(404) / unknown" is pending; a shipment we *have* with statusCode "unknown" is
    # not guessed.
    assert dhl.classify("unknown", "Status not available")[0] is S.UNKNOWN


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("Pre-Shipment", S.INFO_RECEIVED),
        ("Accepted", S.IN_TRANSIT),
        ("In Transit", S.IN_TRANSIT),
        ("Out for Delivery", S.OUT_FOR_DELIVERY),
        ("Delivery Attempt", S.ATTEMPT_FAILED),
        ("Available for Pickup", S.AVAILABLE_FOR_PICKUP),
        ("Delivered", S.DELIVERED),
        ("Alert", S.EXCEPTION),
        ("Return to Sender", S.RETURNING_TO_SENDER),
    ],
)
def test_usps(category, expected):
    assert usps.CATEGORIES[category] is expected


@pytest.mark.parametrize(
    ("tag", "subtag", "expected"),
    [
        ("Pending", "Pending_001", S.PENDING),
        ("InfoReceived", "InfoReceived_001", S.INFO_RECEIVED),
        ("InTransit", "InTransit_001", S.IN_TRANSIT),
        ("OutForDelivery", "OutForDelivery_001", S.OUT_FOR_DELIVERY),
        ("AttemptFail", "AttemptFail_002", S.ATTEMPT_FAILED),
        ("AvailableForPickup", "AvailableForPickup_001", S.AVAILABLE_FOR_PICKUP),
        ("Delivered", "Delivered_001", S.DELIVERED),
        ("Exception", "Exception_004", S.DELAYED),
        ("Exception", "Exception_005", S.DELAYED),
        ("Exception", "Exception_007", S.EXCEPTION),
        ("Exception", "Exception_010", S.RETURNING_TO_SENDER),
        ("Exception", "Exception_011", S.RETURNED_TO_SENDER),
        ("Expired", "Expired_001", S.EXPIRED),
        # Table "Exception (cancel)": AfterShip has no cancel subtag, so it stays EXCEPTION.
    ],
)
def test_aftership(tag, subtag, expected):
    assert aftership.classify(tag, subtag)[0] is expected


@pytest.mark.parametrize(
    ("status", "sub", "expected"),
    [
        ("NotFound", "NotFound_Other", S.PENDING),  # parse raises NotFound for it
        ("InfoReceived", "InfoReceived", S.INFO_RECEIVED),
        ("InTransit", "InTransit_PickedUp", S.IN_TRANSIT),
        ("OutForDelivery", "", S.OUT_FOR_DELIVERY),
        ("DeliveryFailure", "DeliveryFailure_NoBody", S.ATTEMPT_FAILED),
        ("AvailableForPickup", "", S.AVAILABLE_FOR_PICKUP),
        ("Delivered", "", S.DELIVERED),
        ("Exception", "Exception_Delayed", S.DELAYED),
        ("Exception", "Exception_Damage", S.EXCEPTION),
        ("Exception", "Exception_Returning", S.RETURNING_TO_SENDER),
        ("Exception", "Exception_Returned", S.RETURNED_TO_SENDER),
        ("Exception", "Exception_Cancel", S.CANCELLED),
        ("Expired", "", S.EXPIRED),
        ("", "InTransit_Arrival", S.IN_TRANSIT),  # events carry only the sub-status
    ],
)
def test_track17(status, sub, expected):
    assert track17.classify(status, sub)[0] is expected


@pytest.mark.parametrize(
    ("status", "detail", "expected"),
    [
        ("unknown", "", S.PENDING),
        ("pre_transit", "", S.INFO_RECEIVED),
        ("in_transit", "", S.IN_TRANSIT),
        ("out_for_delivery", "", S.OUT_FOR_DELIVERY),
        ("failure", "delivery_attempt_failed", S.ATTEMPT_FAILED),
        ("available_for_pickup", "", S.AVAILABLE_FOR_PICKUP),
        ("delivered", "", S.DELIVERED),
        ("failure", "address_correction", S.EXCEPTION),
        ("error", "", S.EXCEPTION),
        # Table lists return_to_sender for both returning and returned; without a finer
        # detail we say "returning" (not terminal), the safer of the two.
        ("return_to_sender", "", S.RETURNING_TO_SENDER),
        ("cancelled", "", S.CANCELLED),
    ],
)
def test_easypost(status, detail, expected):
    assert easypost.classify(status, detail)[0] is expected


@pytest.mark.parametrize(
    ("milestone", "expected"),
    [
        ("pending", S.PENDING),
        ("info_received", S.INFO_RECEIVED),
        ("in_transit", S.IN_TRANSIT),
        ("out_for_delivery", S.OUT_FOR_DELIVERY),
        ("failed_attempt", S.ATTEMPT_FAILED),
        ("available_for_pickup", S.AVAILABLE_FOR_PICKUP),
        ("delivered", S.DELIVERED),
        # Returning, returned and cancelled all arrive as "exception" (table).
        ("exception", S.EXCEPTION),
    ],
)
def test_ship24(milestone, expected):
    assert ship24.classify(milestone) is expected


@pytest.mark.parametrize(
    "classify",
    [
        lambda: ups.classify("ZZ", "new thing"),
        lambda: fedex.classify("ZZ"),
        lambda: dhl.classify("zz", "new thing"),
        lambda: aftership.classify("ZZ"),
        lambda: track17.classify("ZZ"),
        lambda: easypost.classify("zz"),
        lambda: (ship24.classify("zz"),),
    ],
)
def test_unknown_codes_are_unknown_and_logged_once(classify, caplog):
    from carriers import parsing

    parsing._unknown_seen.clear()
    with caplog.at_level(logging.WARNING, logger="todoku.carriers"):
        assert classify()[0] is S.UNKNOWN
        classify()
    assert len(caplog.records) == 1
    assert "unmapped status" in caplog.records[0].getMessage()


@pytest.mark.parametrize("module", [aftership, track17, easypost, ship24])
def test_aggregators_cover_every_carrier_code(module):
    adapter = next(v for v in vars(module).values() if getattr(v, "SLUGS", None))
    assert set(adapter.SLUGS) == set(OUR_CODES)
