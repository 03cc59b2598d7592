"""The customer's own return tracking number on the status page: checked like any number, kept
on a refusal, tracked like every return parcel, changeable until the shop has the parcel, with
and without htmx; another brand's link is a 404."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.factories import items_of, make_order, make_return
from tracking.orders.models import Shipment
from tracking.returns import transitions
from tracking.returns.links import return_token
from tracking.returns.models import ReturnEvent, ReturnRequest

GOOD = "300000000016"  # 11 digits + the mod-7 check digit: Yamato, Sagawa or Japan Post
OTHER = "300000000020"
BAD = "300000000017"  # the check digit is wrong


@pytest.fixture
def approved(app, session):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    order = make_order(session)
    with app.app_context():
        rr = make_return(
            session, brand, order, (items_of(session, order)[0], 1, "changed_mind", "refund")
        )
        transitions.transition(session, brand, rr, "approve", actor="staff:t")
        return rr, f"/sakura-tea/r/{return_token('sakura-tea', rr.public_id)}"


def _parcels(session, rr):
    return session.exec(
        select(Shipment).where(Shipment.order_id == rr.order_id, Shipment.direction == "return")
    ).all()


def test_a_valid_number_ships_the_return_and_is_tracked(client, session, approved):
    rr, url = approved
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert 'name="tracking_number"' in page and 'name="csrf_token"' in page
    r = client.post(
        url + "/parcel", data={"carrier": "yamato", "tracking_number": "３０００-０００００-０１６"}
    )
    assert r.status_code == 303 and r.headers["Location"] == url
    session.refresh(rr)
    assert (rr.status, rr.return_carrier, rr.return_tracking_number) == (
        "in_transit",
        "yamato",
        GOOD,
    )
    (parcel,) = _parcels(session, rr)
    assert (parcel.carrier, parcel.tracking_number, parcel.return_id) == ("yamato", GOOD, rr.id)
    assert parcel.next_check_at is not None  # due: the worker polls it like any parcel
    event = session.exec(select(ReturnEvent).where(ReturnEvent.action == "ship")).one()
    assert event.actor == "customer"
    shown = client.get(url + "?lang=en").get_data(as_text=True)
    assert GOOD in shown and "Wrong number? Change it" in shown


def test_a_bad_number_is_explained_in_the_customers_language_and_kept(client, session, approved):
    rr, url = approved
    r = client.post(url + "/parcel?lang=ja", data={"carrier": "yamato", "tracking_number": BAD})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "お問い合わせ番号" in page and f'value="{BAD}"' in page and 'aria-invalid="true"' in page
    assert '<option value="yamato" selected>' in page
    session.refresh(rr)
    assert rr.status == "approved" and _parcels(session, rr) == []


def test_htmx_gets_the_region_back_on_a_refusal_and_is_redirected_on_success(client, approved):
    _rr, url = approved
    hx = {"HX-Request": "true"}
    r = client.post(
        url + "/parcel?lang=en", data={"carrier": "", "tracking_number": GOOD}, headers=hx
    )
    # 12 digits with a mod-7 check fit both of the shop's Japanese carriers: choose one.
    assert r.status_code == 422
    fragment = r.get_data(as_text=True).strip()
    assert fragment.startswith("<section") and 'id="return-tracking"' in fragment
    assert "please choose the carrier" in fragment
    r = client.post(
        url + "/parcel", data={"carrier": "japanpost", "tracking_number": GOOD}, headers=hx
    )
    assert r.status_code == 204 and r.headers["HX-Redirect"] == url


def test_the_number_can_be_changed_until_the_shop_has_the_parcel(app, client, session, approved):
    rr, url = approved
    client.post(url + "/parcel", data={"carrier": "yamato", "tracking_number": GOOD})
    r = client.post(url + "/parcel", data={"carrier": "yamato", "tracking_number": OTHER})
    assert r.status_code == 303
    session.refresh(rr)
    assert (rr.status, rr.return_tracking_number) == ("in_transit", OTHER)
    change = session.exec(select(ReturnEvent).where(ReturnEvent.action == "parcel")).one()
    assert change.actor == "customer" and GOOD in change.reason and OTHER in change.reason
    old, new = sorted(_parcels(session, rr), key=lambda p: p.id)
    assert old.next_check_at is None and new.next_check_at is not None  # the old one is dropped
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Tracking number changed" in page
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    with app.app_context():
        transitions.transition(session, brand, rr, "receive", actor="staff:t")
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert 'name="tracking_number"' not in page  # received: nothing left to change
    r = client.post(url + "/parcel?lang=en", data={"carrier": "yamato", "tracking_number": GOOD})
    assert r.status_code == 422 and "already received your parcel" in r.get_data(as_text=True)
    session.refresh(rr)
    assert (rr.status, rr.return_tracking_number) == ("received", OTHER)


def test_before_approval_no_number_is_taken(app, client, session):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    order = make_order(session)
    with app.app_context():
        rr = make_return(session, brand, order)
        url = f"/sakura-tea/r/{return_token('sakura-tea', rr.public_id)}"
    assert 'name="tracking_number"' not in client.get(url).get_data(as_text=True)
    r = client.post(url + "/parcel", data={"carrier": "yamato", "tracking_number": GOOD})
    assert r.status_code == 422
    assert session.get(ReturnRequest, rr.id).status == "requested"


def test_another_brands_link_is_a_404(client, session, approved):
    rr, _url = approved
    with client.application.app_context():
        foreign = return_token("northpeak", rr.public_id)
    r = client.post(
        f"/northpeak/r/{foreign}/parcel", data={"carrier": "yamato", "tracking_number": GOOD}
    )
    assert r.status_code == 404
    r = client.post(
        f"/sakura-tea/r/{foreign}/parcel", data={"carrier": "yamato", "tracking_number": GOOD}
    )
    assert r.status_code == 404
    session.refresh(rr)
    assert rr.status == "approved"


def test_the_form_needs_its_csrf_token(app, client, session, approved):
    rr, url = approved
    app.config["WTF_CSRF_ENABLED"] = True
    r = client.post(url + "/parcel", data={"carrier": "yamato", "tracking_number": GOOD})
    assert r.status_code == 400
    session.refresh(rr)
    assert rr.status == "approved"


def test_staff_see_the_customers_number_and_its_change(app, client, session, approved):
    from tracking.staff import auth as staff

    rr, url = approved
    client.post(url + "/parcel", data={"carrier": "yamato", "tracking_number": GOOD})
    client.post(url + "/parcel", data={"carrier": "yamato", "tracking_number": OTHER})
    staff.create_staff(session, "sakura-tea", "s@sakura.example", "correct horse battery")
    client.post(
        "/admin/login", data={"email": "s@sakura.example", "password": "correct horse battery"}
    )
    page = client.get(f"/admin/sakura-tea/returns/{rr.rma}?lang=en").get_data(as_text=True)
    assert OTHER in page and "Tracking number changed" in page
