"""The reads behind the staff screens, each on its own: a brand finds its own accounts, mails,
captured failures, parcels, photos and returns, and another brand's id or number finds nothing
(the views turn that into a 404). Approving many returns skips what changed meanwhile."""

from __future__ import annotations

from sqlmodel import select

from tests.factories import make_order, make_parcel, make_return, make_staff
from tracking.mail import history
from tracking.mail.models import Notification
from tracking.returns import queue
from tracking.returns.models import ReturnLine, ReturnPhoto, ReturnRequest
from tracking.staff import accounts
from tracking.sync import lookups
from tracking.sync.models import CapturedFailure


def test_staff_accounts_are_the_brands_own(session):
    own = make_staff(session, "sakura-tea", email="b@sakura.example")
    make_staff(session, "sakura-tea", email="a@sakura.example")
    other = make_staff(session, "northpeak")
    assert [a.email for a in accounts.accounts(session, "sakura-tea")] == [
        "a@sakura.example",
        "b@sakura.example",
    ]
    assert accounts.account_of(session, "sakura-tea", own.id).id == own.id
    assert accounts.account_of(session, "sakura-tea", other.id) is None
    assert accounts.account_of(session, "sakura-tea", 2**31 - 1) is None


def test_switching_an_account_off_ends_its_sessions(session):
    account = make_staff(session, "sakura-tea")
    version = account.session_version
    accounts.switch_active(session, account)
    assert account.active is False and account.session_version == version + 1
    accounts.switch_active(session, account)
    assert account.active is True and account.session_version == version + 2


def _mail(session, brand: str, key: str) -> Notification:
    note = Notification(
        brand=brand,
        kind="shipped",
        dedupe_key=key,
        to_address="a@b.example",
        subject="s",
        body_text="b",
    )
    session.add(note)
    session.commit()
    return note


def test_the_mail_list_and_one_mail_are_the_brands_own(session):
    first = _mail(session, "sakura-tea", "k1")
    foreign = _mail(session, "northpeak", "k2")
    second = _mail(session, "sakura-tea", "k3")
    assert [n.id for n in history.recent(session, "sakura-tea")] == [second.id, first.id]
    assert [n.id for n in history.recent(session, "sakura-tea", limit=1)] == [second.id]
    assert history.mail_of(session, "sakura-tea", first.id).id == first.id
    assert history.mail_of(session, "sakura-tea", foreign.id) is None


def test_captured_failures_and_check_now_find_only_the_brands_parcels(session):
    ours = make_order(session, "sakura-tea", ship=False)
    theirs = make_order(session, "northpeak", ship=False)
    ours_parcel = make_parcel(session, ours, tracking_number="111122223333")
    theirs_parcel = make_parcel(session, theirs, tracking_number="444455556666")
    for parcel in (ours_parcel, theirs_parcel):
        session.add(
            CapturedFailure(
                carrier="yamato", tracking_number=parcel.tracking_number, shipment_id=parcel.id
            )
        )
    session.commit()
    assert [f.shipment_id for f in lookups.recent_failures(session, "sakura-tea")] == [
        ours_parcel.id
    ]
    assert lookups.parcel_by_number(session, "sakura-tea", "111122223333").id == ours_parcel.id
    assert lookups.parcel_by_number(session, "sakura-tea", "444455556666") is None


def test_a_photo_is_found_only_through_its_returns_brand(app, session):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    order = make_order(session)
    with app.app_context():
        rr = make_return(session, brand, order)
    line = session.exec(select(ReturnLine).where(ReturnLine.return_id == rr.id)).first()
    photo = ReturnPhoto(
        return_id=rr.id, line_id=line.id, stored_name="x.jpg", width=1, height=1, size=1
    )
    session.add(photo)
    session.commit()
    assert queue.photo_of(session, "sakura-tea", photo.id) == (photo, rr)
    assert queue.photo_of(session, "northpeak", photo.id) is None
    assert queue.photo_of(session, "sakura-tea", photo.id + 1000) is None


def test_approving_many_skips_unknown_stale_and_foreign_returns(app, session):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    with app.app_context():
        fresh = make_return(session, brand, make_order(session))
        stale = make_return(session, brand, make_order(session))
        picks = [(fresh.rma, fresh.version), (stale.rma, stale.version - 1), ("RMA-NONE", 1)]
        picks.append((fresh.rma, None))
        done, skipped = queue.approve_many(session, brand, picks, actor="staff:a@b", reason="")
    assert (done, skipped) == (1, 3)
    rows = {r.id: r.status for r in session.exec(select(ReturnRequest)).all()}
    assert rows[fresh.id] == "approved" and rows[stale.id] == "requested"
