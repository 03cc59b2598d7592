"""Going live without mailing everyone (issue 21): news that is old when Todoku learns of it is
recorded, not mailed; its follow-up goes only when still due in the future; a later milestone
supersedes an unsent earlier one; an import marked as history (``--no-mail``, the upload's
checkbox) never mails its customers and shows a badge; staff can still send such a mail again,
with a fresh Message-ID."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from carriers import Status, TrackingEvent, TrackingResult
from tests.support.imports import run_imports
from tests.support.smtp import SmtpServer
from tracking.dashboard import actions
from tracking.mail import coupons, freshness, outbox, triggers
from tracking.mail.models import CouponCode, Notification
from tracking.orders.imports.generic import TEMPLATE
from tracking.orders.models import Order, OrderItem, Shipment
from tracking.staff import auth as staff
from tracking.sync.apply import apply_results

PASSWORD = "correct horse battery"
# 5 Dec 2026, 06:00 UTC (15:00 in Tokyo: outside the shop's quiet hours).
NOW = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def _brand(app, slug="sakura-tea"):
    return app.extensions["todoku_brands"][slug]


def _order(
    session, number: str, brand: str = "sakura-tea", history: bool = False, days_ago: float = 12
) -> Shipment:
    """An order of one item in one Yamato parcel, handed over ``days_ago`` and not yet
    scanned."""
    order = Order(
        brand=brand, number=number, email=f"{number.lower()}@example.jp", name="山田 花子"
    )
    order.history = history
    session.add(order)
    session.flush()
    item = OrderItem(order_id=order.id, sku="A", name="煎茶", qty=1)
    parcel = Shipment(
        order_id=order.id,
        carrier="yamato",
        tracking_number=f"{abs(hash(number)) % 10**12:012d}",
        shipped_at=NOW - timedelta(days=days_ago),
    )
    session.add_all([item, parcel])
    session.commit()
    return parcel


def _result(parcel: Shipment, status: Status, at: datetime) -> TrackingResult:
    """What the carrier answers: ``status`` at ``at`` (after a pick-up scan a day earlier)."""
    events = [TrackingEvent(at, status, str(status))]
    if status is not Status.IN_TRANSIT:
        events.append(TrackingEvent(at - timedelta(days=1), Status.IN_TRANSIT, "荷物受付"))
    return TrackingResult(
        "yamato",
        parcel.tracking_number,
        status,
        events,
        delivered_at=at if status is Status.DELIVERED else None,
    )


def _learn(session, parcel: Shipment, status: Status, at: datetime, now: datetime = NOW):
    """The worker stores the carrier's answer at ``now`` (its hooks queue the mail)."""
    with time_machine.travel(now, tick=False):
        apply_results(session, [(parcel, _result(parcel, status, at))])
    session.commit()


def _mails(session, parcel: Shipment) -> list[Notification]:
    return list(
        session.exec(
            select(Notification)
            .where(Notification.order_id == parcel.order_id)
            .order_by(Notification.id)
        ).all()
    )


def _sent(app, session, now) -> list:
    with SmtpServer() as smtp:
        app.config["SMTP_URL"] = smtp.url
        while outbox.deliver_pending(session, now=now):
            pass
        return list(smtp.messages)


def test_a_delivery_ten_days_old_is_recorded_not_mailed_and_gets_no_follow_up(ctx, session):
    parcel = _order(session, "OLD-1")
    _learn(session, parcel, Status.DELIVERED, NOW - timedelta(days=10))
    mails = {m.kind: m for m in _mails(session, parcel)}
    assert set(mails) == {"delivered", "follow_up"}  # written down, so the mail page says why
    assert {m.status for m in mails.values()} == {freshness.STALE}
    assert "10 days before Todoku learned of it" in mails["delivered"].last_error
    assert "no longer due" in mails["follow_up"].last_error
    # Nothing goes, not now and not when the follow-up would have been due.
    assert _sent(ctx, session, NOW + timedelta(days=30)) == []


def test_a_fresh_delivery_still_mails_and_its_follow_up_waits(ctx, session):
    parcel = _order(session, "NEW-1")
    _learn(session, parcel, Status.DELIVERED, NOW - timedelta(hours=2))
    delivered, follow_up = _mails(session, parcel)
    assert (delivered.kind, delivered.status) == ("delivered", "queued")
    days = _brand(ctx).mail.triggers.follow_up.days
    assert follow_up.kind == "follow_up" and follow_up.status == "queued"
    assert follow_up.send_after.replace(tzinfo=UTC) >= NOW + timedelta(days=days - 1)
    sent = _sent(ctx, session, NOW + timedelta(minutes=1))
    assert [m["Message-ID"] for m in sent] == [delivered.message_id]  # not the follow-up yet


def test_a_follow_up_still_due_in_the_future_goes_for_a_late_learned_delivery(ctx, session):
    parcel = _order(session, "LATE-1")
    days = _brand(ctx).mail.triggers.follow_up.days
    delivered_at = NOW - timedelta(days=days - 2)  # old news, its follow-up due in two days
    _learn(session, parcel, Status.DELIVERED, delivered_at)
    delivered, follow_up = _mails(session, parcel)
    assert delivered.status == freshness.STALE
    assert follow_up.status == "queued" and follow_up.send_after.replace(tzinfo=UTC) > NOW


def test_old_news_draws_no_coupon_from_the_pool(ctx, session):
    coupons.import_csv(session, "northpeak", "NP-A\nNP-B\n")
    session.commit()
    parcel = _order(session, "NP-OLD", brand="northpeak")
    _learn(session, parcel, Status.DELIVERED, NOW - timedelta(days=10))
    assert {m.status for m in _mails(session, parcel)} == {freshness.STALE}
    issued = session.exec(select(CouponCode).where(CouponCode.order_id.is_not(None))).all()
    assert issued == []


def test_other_old_milestones_are_not_mailed_either(ctx, session):
    parcel = _order(session, "OFD-1")
    _learn(session, parcel, Status.OUT_FOR_DELIVERY, NOW - timedelta(days=3))
    (note,) = _mails(session, parcel)
    assert (note.kind, note.status) == ("out_for_delivery", freshness.STALE)
    fresh = _order(session, "OFD-2")
    _learn(session, fresh, Status.OUT_FOR_DELIVERY, NOW - timedelta(hours=1))
    assert [(m.kind, m.status) for m in _mails(session, fresh)] == [("out_for_delivery", "queued")]


def test_delivered_supersedes_the_unsent_shipped_mail_and_only_delivered_goes(ctx, session):
    parcel = _order(session, "SUP-1", days_ago=0.5)
    _learn(session, parcel, Status.IN_TRANSIT, NOW - timedelta(hours=5))
    (shipped,) = _mails(session, parcel)
    assert (shipped.kind, shipped.status) == ("shipped", "queued")  # no worker round since
    _learn(session, parcel, Status.DELIVERED, NOW - timedelta(minutes=10))
    kinds = [(m.kind, m.status) for m in _mails(session, parcel)]
    assert kinds == [("shipped", "superseded"), ("delivered", "queued"), ("follow_up", "queued")]
    sent = _sent(ctx, session, NOW + timedelta(minutes=1))
    delivered = _mails(session, parcel)[1]
    assert [m["Message-ID"] for m in sent] == [delivered.message_id]


def test_an_old_delivery_supersedes_the_unsent_shipped_mail_too(ctx, session):
    parcel = _order(session, "SUP-2", days_ago=5.5)
    five_days_ago = NOW - timedelta(days=5)
    _learn(session, parcel, Status.IN_TRANSIT, five_days_ago, now=five_days_ago)
    # The worker was down for four days: the delivery is old news when it is learned.
    _learn(session, parcel, Status.DELIVERED, NOW - timedelta(days=4))
    kinds = [(m.kind, m.status) for m in _mails(session, parcel)]
    assert kinds[:2] == [("shipped", "superseded"), ("delivered", freshness.STALE)]
    assert _sent(ctx, session, NOW) == []


def test_staff_send_an_old_news_mail_again_with_a_fresh_message_id(ctx, session):
    parcel = _order(session, "RES-1")
    _learn(session, parcel, Status.DELIVERED, NOW - timedelta(days=10))
    note = _mails(session, parcel)[0]
    first_id = note.message_id
    outbox.requeue(session, note, now=NOW)
    sent = _sent(ctx, session, NOW + timedelta(minutes=1))
    session.refresh(note)
    assert note.status == "sent" and note.message_id != first_id
    assert [m["Message-ID"] for m in sent] == [note.message_id]


def test_history_orders_get_no_mail_at_all(ctx, session):
    parcel = _order(session, "HIST-1", history=True)
    _learn(session, parcel, Status.DELIVERED, NOW - timedelta(hours=1))  # even fresh news
    late = _order(session, "HIST-2", history=True)
    late.status = Status.PENDING.value
    session.add(late)
    session.commit()
    triggers.scan(session, ctx.extensions["todoku_brands"], now=NOW)  # "not registered" is due
    assert _mails(session, parcel) == [] and _mails(session, late) == []


def _login(app, client, session):
    with app.app_context():
        staff.create_staff(session, "sakura-tea", "a@sakura.example", PASSWORD)
    client.post("/admin/login", data={"email": "a@sakura.example", "password": PASSWORD})


def test_cli_no_mail_imports_a_delivered_backlog_as_history_with_a_badge(
    app, client, session, tmp_path
):
    path = tmp_path / "backlog.csv"
    path.write_text(TEMPLATE, encoding="utf-8")
    args = ["orders", "import", str(path), "--brand", "sakura-tea", "--format", "generic"]
    result = app.test_cli_runner().invoke(args=[*args, "--no-mail"])
    assert result.exit_code == 0, result.output
    order = session.exec(select(Order).where(Order.number == "ST-2001")).one()
    assert order.history is True
    parcel = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
    with app.app_context():
        _learn(session, parcel, Status.DELIVERED, NOW - timedelta(days=12))
    assert _mails(session, parcel) == []
    _login(app, client, session)
    listing = client.get("/admin/sakura-tea/orders?lang=en").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td[^>]*><a [^>]*>ST-2001</a>.*?</td>", listing, re.S)[0]
    assert "Imported as history" in row
    page = client.get("/admin/sakura-tea/orders/ST-2001?lang=en").get_data(as_text=True)
    assert 'id="history-badge"' in page and "Imported as history" in page
    page = client.get("/admin/sakura-tea/orders/ST-2001?lang=ja").get_data(as_text=True)
    assert "履歴として取り込み" in page


def test_an_import_without_no_mail_is_not_history(app, session, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(TEMPLATE, encoding="utf-8")
    args = ["orders", "import", str(path), "--brand", "sakura-tea", "--format", "generic"]
    assert app.test_cli_runner().invoke(args=args).exit_code == 0
    assert session.exec(select(Order).where(Order.number == "ST-2001")).one().history is False
    # Importing the same file as history afterwards marks it (and never unmarks it).
    assert app.test_cli_runner().invoke(args=[*args, "--no-mail"]).exit_code == 0
    assert app.test_cli_runner().invoke(args=args).exit_code == 0
    session.expire_all()
    assert session.exec(select(Order).where(Order.number == "ST-2001")).one().history is True


def _upload(client, history: bool):
    data = {"format": "generic", "file": (io.BytesIO(TEMPLATE.encode()), "backlog.csv")}
    if history:
        data["history"] = "1"
    return client.post("/admin/sakura-tea/import", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("history", [True, False])
def test_the_upload_checkbox_imports_as_history(app, client, session, history):
    _login(app, client, session)
    form = client.get("/admin/sakura-tea/import?lang=en").get_data(as_text=True)
    assert 'name="history" value="1"' in form and "Import as history" in form
    r = _upload(client, history)
    assert r.status_code == 303
    assert run_imports(app) == 1  # the worker runs the preview
    page = client.get(r.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert ('id="import-history"' in page) is history
    confirm = re.search(r'action="([^"]+/confirm)"', page)[1]
    assert client.post(confirm).status_code == 303
    assert run_imports(app) == 1
    order = session.exec(select(Order).where(Order.number == "ST-2001")).one()
    assert order.history is history


def test_the_mail_page_says_why_an_old_news_mail_was_not_sent(app, client, session):
    with app.app_context():
        parcel = _order(session, "PAGE-1")
        _learn(session, parcel, Status.DELIVERED, NOW - timedelta(days=10))
    _login(app, client, session)
    page = client.get("/admin/sakura-tea/mail?lang=en").get_data(as_text=True)
    assert "Not sent: old news when Todoku learned of it" in page
    assert "10 days before Todoku learned of it" in page
    note = _mails(session, parcel)[0]
    assert f"/mail/{note.id}/resend" in page  # "Send again" is offered


def test_staff_resend_the_shipping_mail_of_a_history_order(ctx, session):
    parcel = _order(session, "HIST-3", history=True)
    _learn(session, parcel, Status.IN_TRANSIT, NOW - timedelta(hours=1))
    assert _mails(session, parcel) == []
    order = session.get(Order, parcel.order_id)
    note = actions.resend_shipping_mail(
        session, _brand(ctx), order, "a@sakura.example", "resend-key-1"
    )
    session.commit()
    assert note.kind == "shipped" and note.status == "queued" and note.to_address == order.email
