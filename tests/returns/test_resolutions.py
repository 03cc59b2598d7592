"""Resolutions carried out: the staff steps offered per requested resolution, a recorded change
of resolution, the refund marked paid (and the refunds CSV with 代引 bank details), the store
credit's code (generated or from the pool, mailed in ja and en), and the exchange's replacement
parcel from the staff form through a worker round to the customer's status page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import select

from carriers.simulated import example_number
from tests.factories import items_of, make_order, make_return
from tracking.mail import coupons
from tracking.mail.models import Notification
from tracking.orders.models import Shipment
from tracking.returns import machine, outcomes, transitions
from tracking.returns.links import return_token
from tracking.returns.models import ReturnEvent, StoreCredit
from tracking.staff import auth as staff
from tracking.sync import rounds as sync

PASSWORD = "correct horse battery"
BANK = {
    "bank_name": "さくら銀行",
    "branch_name": "渋谷支店",
    "account_type": "ordinary",
    "account_number": "0123456",
    "account_holder": "ヤマダ ハナコ",
}


@pytest.fixture
def brand(app):
    return app.extensions["todoku_brands"]["sakura-tea"]


@pytest.fixture
def staff_client(client, session):
    staff.create_staff(session, "sakura-tea", "a@sakura.example", PASSWORD)
    client.post("/admin/login", data={"email": "a@sakura.example", "password": PASSWORD})
    return client


def inspected(app, session, brand, *lines, **kw):
    order = make_order(session, **kw)
    yun, sen = items_of(session, order)
    items = {"yun": yun, "sen": sen}
    picked = [(items[name], *rest) for name, *rest in lines]
    with app.app_context():
        rr = make_return(
            session, brand, order, *picked, bank=BANK if kw.get("payment_method") == "cod" else None
        )
        for step in ("approve", "receive", "inspect"):
            transitions.transition(session, brand, rr, step, actor="staff:t@x")
    return order, rr


def status_url(app, rr, lang: str) -> str:
    with app.app_context():
        return f"/sakura-tea/r/{return_token('sakura-tea', rr.public_id)}?lang={lang}"


def detail_page(client, rr, lang="en"):
    return client.get(f"/admin/sakura-tea/returns/{rr.rma}?lang={lang}").get_data(as_text=True)


def offered(page: str) -> set[str]:
    return {a for a in machine.ACTIONS if f'name="action" value="{a}"' in page}


@pytest.mark.parametrize(
    ("line", "step"),
    [
        (("yun", 1, "changed_mind", "exchange", "白磁"), "exchange"),
        (("sen", 1, "changed_mind", "refund"), "refund"),
        (("sen", 1, "changed_mind", "store_credit"), "credit"),
        (("yun", 1, "wrong_item", "repair"), "repair"),
    ],
)
def test_after_inspection_staff_are_offered_what_was_asked_for(
    app, session, brand, staff_client, line, step
):
    _order, rr = inspected(app, session, brand, line)
    assert offered(detail_page(staff_client, rr)) == {step}
    # Another outcome is refused on the server too, whatever the form sent.
    other = "refund" if step != "refund" else "credit"
    r = staff_client.post(
        f"/admin/sakura-tea/returns/{rr.rma}/transition?lang=en",
        data={"action": other, "version": str(rr.version)},
    )
    assert r.status_code == 409 and "Change the resolution first" in r.get_data(as_text=True)
    session.refresh(rr)
    assert rr.status == "inspected"


def test_a_mixed_request_offers_each_asked_outcome(app, session, brand, staff_client):
    _order, rr = inspected(
        app,
        session,
        brand,
        ("sen", 1, "changed_mind", "refund"),
        ("yun", 1, "wrong_item", "repair"),
    )
    assert offered(detail_page(staff_client, rr)) == {"refund", "repair"}


def test_api_refuses_an_outcome_that_was_not_asked_for(app, session, brand, client):
    from tracking.staff.api_keys import create_api_key

    _order, rr = inspected(app, session, brand, ("yun", 1, "changed_mind", "exchange", "白磁"))
    with app.app_context():
        secret = create_api_key(session, "sakura-tea", "warehouse")
    r = client.post(
        f"/api/v1/returns/{rr.rma}/transitions",
        json={"action": "refund", "version": rr.version},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert r.status_code == 409 and r.json["error"]["code"] == "resolution_mismatch"


def test_changing_the_resolution_is_recorded_and_shown_to_the_customer(
    app, session, brand, staff_client, token_for
):
    order, rr = inspected(app, session, brand, ("sen", 1, "changed_mind", "refund"))
    assert (rr.refund_amount, rr.credit_amount) == (1620, 0)
    url = f"/admin/sakura-tea/returns/{rr.rma}/resolution?lang=en"
    page = detail_page(staff_client, rr)
    line_id = int(page.split('name="line">', 1)[1].split('value="', 1)[1].split('"', 1)[0])
    # No reason: refused, nothing changes.
    no_reason = {"line": str(line_id), "resolution": "store_credit", "version": str(rr.version)}
    r = staff_client.post(url, data=no_reason)
    assert r.status_code == 409 and "say why" in r.get_data(as_text=True)
    r = staff_client.post(url, data=no_reason | {"reason": "お客様のご希望でポイント返金に変更"})
    assert r.status_code == 303
    session.refresh(rr)
    # The amounts follow: 1,620 + 10 % bonus as credit, nothing refunded.
    assert (rr.refund_amount, rr.credit_amount, rr.refund_estimate) == (0, 1782, 1782)
    event = session.exec(
        select(ReturnEvent).where(
            ReturnEvent.return_id == rr.id, ReturnEvent.action == "resolution"
        )
    ).one()
    assert event.detail == {
        "line_id": line_id,
        "from": "refund",
        "to": "store_credit",
        "variant": "",
    }
    assert (
        event.reason == "お客様のご希望でポイント返金に変更"
        and event.actor == "staff:a@sakura.example"
    )
    assert offered(detail_page(staff_client, rr)) == {"credit"}
    status = staff_client.get(status_url(app, rr, "en")).get_data(as_text=True)
    assert "Changed to: Store credit" in status and "お客様のご希望でポイント返金に変更" in status
    # Stale: a second change at the version seen before is refused.
    r = staff_client.post(url, data=no_reason | {"reason": "again", "resolution": "refund"})
    assert r.status_code == 409 and "Someone else changed" in r.get_data(as_text=True)


def test_no_change_of_resolution_once_given(app, session, brand):
    _order, rr = inspected(app, session, brand, ("sen", 1, "changed_mind", "refund"))
    with app.app_context():
        transitions.transition(session, brand, rr, "refund", actor="staff:t@x")
        with pytest.raises(transitions.TransitionError) as info:
            outcomes.change_resolution(
                session, brand, rr, line_id=1, resolution="store_credit", actor="s", reason="x"
            )
    assert info.value.code == "illegal"


def test_refund_is_marked_paid_with_its_amount_and_mailed(app, session, brand, staff_client):
    _order, rr = inspected(app, session, brand, ("sen", 1, "changed_mind", "refund"))
    page = detail_page(staff_client, rr)
    assert "Pay ¥1,620 back to the customer" in page and "Mark refund of ¥1,620 paid" in page
    r = staff_client.post(
        f"/admin/sakura-tea/returns/{rr.rma}/transition",
        data={"action": "refund", "version": str(rr.version)},
    )
    assert r.status_code == 303
    session.refresh(rr)
    assert (rr.status, rr.paid_amount, rr.paid_by) == ("refunded", 1620, "staff:a@sakura.example")
    assert rr.paid_at is not None
    mail = session.exec(select(Notification).where(Notification.kind == "return_refunded")).one()
    assert "返金：￥1,620" in mail.body_text  # the order is Japanese


def test_refunds_csv_carries_amounts_and_cod_bank_details(app, session, brand, staff_client):
    _cod_order, cod = inspected(
        app, session, brand, ("sen", 1, "changed_mind", "refund"), payment_method="cod"
    )
    inspected(app, session, brand, ("yun", 1, "changed_mind", "store_credit"))
    r = staff_client.get("/admin/sakura-tea/refunds.csv")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["rma"] for row in rows] == [cod.rma]  # a credit is no refund to pay
    row = rows[0]
    assert (row["refund_amount"], row["payment_method"], row["bank_name"]) == (
        "1620",
        "cod",
        "さくら銀行",
    )
    assert row["account_number"] == '="0123456"'  # Excel keeps the leading zero
    assert row["paid_at"] == ""


def test_cod_bank_details_and_amount_are_on_the_staff_detail(app, session, brand, staff_client):
    _order, rr = inspected(
        app, session, brand, ("sen", 1, "changed_mind", "refund"), payment_method="cod"
    )
    page = detail_page(staff_client, rr)
    assert "さくら銀行" in page and "0123456" in page and "¥1,620" in page
    assert "by bank transfer: cash on delivery order" in page


@pytest.mark.parametrize(
    ("locale", "label", "amount"),
    [("ja", "クーポンコード", "￥2,662"), ("en", "Store credit code", "¥2,662")],
)
def test_store_credit_code_is_issued_once_shown_and_mailed(
    app, session, brand, staff_client, locale, label, amount
):
    _order, rr = inspected(
        app, session, brand, ("yun", 1, "changed_mind", "store_credit"), locale=locale
    )
    assert rr.credit_amount == 2662  # 2,420 + 10 %
    r = staff_client.post(
        f"/admin/sakura-tea/returns/{rr.rma}/transition",
        data={"action": "credit", "version": str(rr.version)},
    )
    assert r.status_code == 303
    credit = session.exec(select(StoreCredit).where(StoreCredit.return_id == rr.id)).one()
    assert credit.code.startswith("ST-CR-") and len(credit.code) == len("ST-CR-XXXX-XXXX-XXXX")
    assert (credit.amount, credit.currency, credit.source) == (2662, "JPY", "generated")
    mail = session.exec(select(Notification).where(Notification.kind == "return_credited")).one()
    assert credit.code in mail.body_text and credit.code in mail.body_html
    assert label in mail.body_text and amount.replace("￥", "¥") in mail.body_text.replace(
        "￥", "¥"
    )
    status = staff_client.get(status_url(app, rr, locale)).get_data(as_text=True)
    assert credit.code in status
    # A second click (an old form) finds the step taken: no second code.
    r = staff_client.post(
        f"/admin/sakura-tea/returns/{rr.rma}/transition",
        data={"action": "credit", "version": str(rr.version)},
    )
    assert r.status_code == 409
    assert len(session.exec(select(StoreCredit)).all()) == 1


def test_store_credit_from_the_pool_and_an_empty_pool(app, session, brand):
    pooled = brand.model_copy(
        update={"returns": brand.returns.model_copy(update={"store_credit_codes": "pool"})}
    )
    _o1, first = inspected(app, session, brand, ("yun", 1, "changed_mind", "store_credit"))
    _o2, second = inspected(app, session, brand, ("yun", 1, "changed_mind", "store_credit"))
    with app.app_context():
        coupons.import_csv(session, "sakura-tea", "code\nGIFT-0001\n", "store_credit")
        coupons.import_csv(session, "sakura-tea", "NEXT-10OFF\n")  # a mail coupon: never drawn
        transitions.transition(session, pooled, first, "credit", actor="staff:t@x")
        with pytest.raises(transitions.TransitionError) as info:
            transitions.transition(session, pooled, second, "credit", actor="staff:t@x")
    assert info.value.code == "no_codes"
    credit = session.exec(select(StoreCredit)).one()
    assert (credit.return_id, credit.code, credit.source) == (first.id, "GIFT-0001", "pool")
    session.refresh(second)
    assert second.status == "inspected"
    with app.app_context():
        assert coupons.remaining(session, "sakura-tea", "store_credit") == (0, 1)
        assert coupons.remaining(session, "sakura-tea") == (1, 0)


def test_exchange_parcel_from_staff_to_worker_to_customer(
    app, session, brand, staff_client, token_for
):
    order, rr = inspected(app, session, brand, ("yun", 1, "changed_mind", "exchange", "白磁"))
    url = f"/admin/sakura-tea/returns/{rr.rma}/transition?lang=en"
    page = detail_page(staff_client, rr)
    assert "Tracking number of the replacement" in page
    # A number that is not one: said why, nothing stored.
    r = staff_client.post(
        url,
        data={
            "action": "exchange",
            "version": str(rr.version),
            "carrier": "yamato",
            "tracking_number": "1234",
        },
    )
    assert r.status_code == 409 and "not a valid tracking number" in r.get_data(as_text=True)
    assert session.exec(select(Shipment).where(Shipment.direction == "replacement")).first() is None
    number = example_number("yamato", "delivered", 31)
    spaced = f"{number[:4]}-{number[4:8]}-{number[8:]}"  # typed as printed on the slip
    r = staff_client.post(
        url,
        data={
            "action": "exchange",
            "version": str(rr.version),
            "carrier": "yamato",
            "tracking_number": spaced,
        },
    )
    assert r.status_code == 303
    session.refresh(rr)
    assert (rr.status, rr.replacement_carrier, rr.replacement_tracking_number) == (
        "exchanged",
        "yamato",
        number,
    )
    parcel = session.exec(select(Shipment).where(Shipment.direction == "replacement")).one()
    assert (parcel.return_id, parcel.order_id, parcel.status) == (rr.id, order.id, "pending")
    # The worker tracks it like any parcel (the simulated carrier plays the journey).
    with app.app_context():
        sync.run_round(
            session,
            app.extensions["todoku_brands"],
            now=parcel.shipped_at + timedelta(hours=40),
        )
    session.refresh(parcel)
    assert parcel.status == "delivered" and parcel.last_checked_at is not None
    status = staff_client.get(status_url(app, rr, "en")).get_data(as_text=True)
    assert "Your replacement" in status and number in status
    assert "Carrier status: Delivered" in status
    # Still not one of the order's own parcels on its tracking page.
    page = staff_client.get(f"/sakura-tea/o/{token_for(order)}?lang=en").get_data(as_text=True)
    assert number not in page
    mail = session.exec(select(Notification).where(Notification.kind == "return_exchanged")).one()
    assert number in mail.body_text


def test_exchange_without_its_parcel_is_refused(app, session, brand):
    _order, rr = inspected(app, session, brand, ("yun", 1, "changed_mind", "exchange", "白磁"))
    with app.app_context(), pytest.raises(transitions.TransitionError) as info:
        transitions.transition(session, brand, rr, "exchange", actor="staff:t@x")
    assert info.value.code == "tracking"
