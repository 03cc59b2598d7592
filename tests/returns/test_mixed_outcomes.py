"""A return whose lines ask for different resolutions gets each of them: staff take one outcome
step per resolution, the return stays ``inspected`` until the last one, each step is recorded
and mailed once, and the customer's status page shows everything given. The API's
``allowed_actions`` and amounts follow the same rules."""

from __future__ import annotations

import pytest
from sqlmodel import select

from carriers.simulated import example_number
from tests.returns.test_resolutions import PASSWORD, detail_page, inspected, offered, status_url
from tracking.mail.models import Notification
from tracking.returns import machine, outcomes, transitions
from tracking.returns.models import ReturnEvent, ReturnLine, StoreCredit
from tracking.staff import auth as staff
from tracking.staff.api_keys import create_api_key


@pytest.fixture
def brand(app):
    return app.extensions["todoku_brands"]["sakura-tea"]


@pytest.fixture
def staff_client(client, session):
    staff.create_staff(session, "sakura-tea", "a@sakura.example", PASSWORD)
    client.post("/admin/login", data={"email": "a@sakura.example", "password": PASSWORD})
    return client


def test_machine_rules_for_mixed_outcomes():
    assert machine.staff_actions("inspected", {"refund", "exchange"}) == ["refund", "exchange"]
    assert machine.staff_actions("inspected", {"refund", "exchange"}, {"refund"}) == ["exchange"]
    # A take-back beside another outcome needs no step of its own: close follows.
    assert machine.staff_actions("inspected", {"recycle", "refund"}) == ["refund"]
    assert machine.staff_actions("inspected", {"recycle"}) == ["close"]
    assert machine.outcome_target("refund", {"refund", "exchange"}) == "inspected"
    assert machine.outcome_target("exchange", {"refund", "exchange"}, {"refund"}) == "exchanged"
    assert machine.outcome_target("refund", {"refund"}) == "refunded"
    assert machine.outcome_target("refund", {"refund", "recycle"}) == "refunded"


def test_refund_and_exchange_are_both_carried_out(app, session, brand, staff_client):
    order, rr = inspected(
        app,
        session,
        brand,
        ("sen", 1, "changed_mind", "refund"),
        ("yun", 1, "changed_mind", "exchange", "白磁"),
    )
    assert offered(detail_page(staff_client, rr)) == {"refund", "exchange"}
    url = f"/admin/sakura-tea/returns/{rr.rma}/transition?lang=en"
    r = staff_client.post(url, data={"action": "refund", "version": str(rr.version)})
    assert r.status_code == 303
    session.refresh(rr)
    # The refund is paid and mailed; the return waits for its exchange.
    assert (rr.status, rr.paid_amount) == ("inspected", 1620)
    assert offered(detail_page(staff_client, rr)) == {"exchange"}
    # The refund cannot be given twice.
    r = staff_client.post(url, data={"action": "refund", "version": str(rr.version)})
    assert r.status_code == 409
    number = example_number("yamato", "delivered", 32)
    r = staff_client.post(
        url,
        data={
            "action": "exchange",
            "version": str(rr.version),
            "carrier": "yamato",
            "tracking_number": number,
        },
    )
    assert r.status_code == 303
    session.refresh(rr)
    assert (rr.status, rr.paid_amount, rr.replacement_tracking_number) == (
        "exchanged",
        1620,
        number,
    )
    kinds = sorted(
        n.kind
        for n in session.exec(select(Notification).where(Notification.order_id == order.id))
        if n.kind in ("return_refunded", "return_exchanged")
    )
    assert kinds == ["return_exchanged", "return_refunded"]
    steps = [
        (e.action, e.from_status, e.to_status)
        for e in session.exec(select(ReturnEvent).where(ReturnEvent.return_id == rr.id))
        if e.action in machine.OUTCOMES
    ]
    assert steps == [("refund", "inspected", "inspected"), ("exchange", "inspected", "exchanged")]
    page = staff_client.get(status_url(app, rr, "en")).get_data(as_text=True)
    assert "Your replacement" in page and number in page and "paid on" in page
    assert offered(detail_page(staff_client, rr)) == {"close"}


def test_credit_then_refund_issue_the_code_and_pay(app, session, brand, staff_client):
    _order, rr = inspected(
        app,
        session,
        brand,
        ("sen", 1, "changed_mind", "refund"),
        ("yun", 1, "changed_mind", "store_credit"),
    )
    with app.app_context():
        transitions.transition(session, brand, rr, "credit", actor="staff:t@x")
        assert rr.status == "inspected"
        code = session.exec(select(StoreCredit).where(StoreCredit.return_id == rr.id)).one()
        # The customer sees the code while the refund is still to come.
        page = staff_client.get(status_url(app, rr, "en")).get_data(as_text=True)
        assert code.code in page
        # The credited line cannot be turned into something else now.
        credited = session.exec(
            select(ReturnLine).where(
                ReturnLine.return_id == rr.id, ReturnLine.resolution == "store_credit"
            )
        ).one()
        with pytest.raises(transitions.TransitionError) as info:
            outcomes.change_resolution(
                session,
                brand,
                rr,
                line_id=credited.id,
                resolution="refund",
                actor="staff:t@x",
                reason="x",
            )
        assert info.value.code == "resolution"
        transitions.transition(session, brand, rr, "refund", actor="staff:t@x")
    assert (rr.status, rr.paid_amount) == ("refunded", rr.refund_amount)
    assert rr.refund_amount > 0 and code.amount == rr.credit_amount


def test_api_allowed_actions_and_amounts_follow_the_request(app, session, brand, client):
    order, rr = inspected(
        app,
        session,
        brand,
        ("sen", 1, "changed_mind", "refund"),
        ("yun", 1, "changed_mind", "exchange", "白磁"),
    )
    with app.app_context():
        secret = create_api_key(session, "sakura-tea", "warehouse")
    h = {"Authorization": f"Bearer {secret}"}
    listed = client.get("/api/v1/returns", headers=h).json["returns"][0]
    assert listed["allowed_actions"] == ["refund", "exchange"]
    assert listed["resolutions"] == ["exchange", "refund"] and listed["outcomes_given"] == []
    assert (listed["currency"], listed["refund_amount"], listed["credit_amount"]) == (
        order.currency,
        1620,
        0,
    )
    assert listed["paid_amount"] is None
    r = client.post(
        f"/api/v1/returns/{rr.rma}/transitions",
        json={"action": "refund", "version": rr.version},
        headers=h,
    )
    assert r.status_code == 200
    moved = r.json["return"]
    assert (moved["status"], moved["allowed_actions"], moved["outcomes_given"]) == (
        "inspected",
        ["exchange"],
        ["refund"],
    )
    assert moved["paid_amount"] == 1620 and moved["paid_at"]
    # A refused step answers with the same fields.
    r = client.post(
        f"/api/v1/returns/{rr.rma}/transitions",
        json={"action": "refund", "version": moved["version"]},
        headers=h,
    )
    assert r.status_code == 409 and r.json["error"]["code"] == "resolution_mismatch"
    assert r.json["return"]["allowed_actions"] == ["exchange"]
