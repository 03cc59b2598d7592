"""The watchlist's reasons and ages, and the alerts digest (new entries once, through the outbox)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from tracking.dashboard import alerts, watchlist
from tracking.dashboard.models import AlertSettings
from tracking.mail.models import Notification
from tracking.orders.models import Order, Shipment, ShipmentEvent
from tracking.staff.auth import create_staff

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _context(app):
    with app.app_context():
        yield


def parcel(session, number, status, *, brand="sakura-tea", carrier="yamato", scan_days=None, **kw):
    o = Order(brand=brand, number=number, email=f"{number}@x.example")
    session.add(o)
    session.commit()
    s = Shipment(
        order_id=o.id,
        carrier=carrier,
        tracking_number=f"T{number}",
        status=status,
        shipped_at=kw.pop("shipped_at", NOW - timedelta(days=1)),
        **kw,
    )
    session.add(s)
    session.commit()
    if scan_days is not None:
        session.add(
            ShipmentEvent(
                shipment_id=s.id, occurred_at=NOW - timedelta(days=scan_days), status=status
            )
        )
        session.commit()
    return s


def test_each_reason_with_its_age(session):
    parcel(session, "W-EXC", "exception", scan_days=2)
    parcel(session, "W-ATT", "attempt_failed", scan_days=0)
    parcel(session, "W-PICK", "available_for_pickup", scan_days=1)
    parcel(session, "W-RET", "returning_to_sender", scan_days=3)
    parcel(session, "W-LATE", "in_transit", scan_days=1, late=True, edd_end=date(2026, 11, 17))
    parcel(session, "W-STALL", "in_transit", scan_days=5)  # yamato: stalled after 3 days
    parcel(session, "W-JP", "in_transit", carrier="japanpost", scan_days=3)  # japanpost: 4 days
    parcel(session, "W-NEW", "pending", shipped_at=NOW - timedelta(days=3))
    parcel(session, "W-FRESH", "pending", shipped_at=NOW - timedelta(hours=5))
    parcel(session, "W-FAIL", "in_transit", scan_days=0, failures=3)
    parcel(session, "W-OK", "in_transit", scan_days=1)
    parcel(session, "W-DONE", "delivered", scan_days=9, late=True)
    parcel(session, "W-OTHER", "exception", brand="northpeak", scan_days=1)
    got = {
        (e.reason, e.order_number): e.age_days(NOW)
        for e in watchlist.entries(session, "sakura-tea", NOW)
    }
    assert got == {
        ("exception", "W-EXC"): 2,
        ("attempt_failed", "W-ATT"): 0,
        ("pickup", "W-PICK"): 1,
        ("returning", "W-RET"): 3,
        ("late", "W-LATE"): 3,
        ("stalled", "W-STALL"): 5,
        ("not_registered", "W-NEW"): 3,
        ("failing_checks", "W-FAIL"): None,  # never checked: no age
    }
    counts = watchlist.counts(watchlist.entries(session, "sakura-tea", NOW))
    assert counts["exception"] == 1 and counts["stalled"] == 1 and sum(counts.values()) == 8


def test_the_digest_lists_new_entries_once_and_exceptions_can_mail_at_once(app, session):
    create_staff(session, "sakura-tea", "desk@sakura.example", "long enough password")
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    parcel(session, "D-EXC", "exception", scan_days=1)
    parcel(session, "D-ATT", "attempt_failed", scan_days=1)
    session.add(AlertSettings(brand="sakura-tea", digest=True, immediate_exceptions=True))
    session.commit()
    assert alerts.run(session, brand, "https://todoku.example", NOW) == 2
    mails = session.exec(select(Notification).order_by(Notification.id)).all()
    assert [m.kind for m in mails] == ["watch_exception", "watch_digest"]
    digest = mails[1]
    assert digest.to_address == "desk@sakura.example" and digest.locale == "ja"
    assert "2件" in digest.subject
    assert "D-EXC" in digest.body_text and "D-ATT" in digest.body_text
    assert "https://todoku.example/admin/sakura-tea/watchlist" in digest.body_text
    # The next run finds nothing new: nothing is mailed again.
    assert alerts.run(session, brand, "https://todoku.example", NOW + timedelta(days=1)) == 0
    parcel(session, "D-PICK", "available_for_pickup", scan_days=0)
    assert alerts.run(session, brand, "https://todoku.example", NOW + timedelta(days=1)) == 1
    last = session.exec(select(Notification).order_by(Notification.id.desc())).first()
    assert "D-PICK" in last.body_text and "D-EXC" not in last.body_text


def test_digest_off_mails_nothing_and_recipients_override_staff(app, session):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    parcel(session, "O-EXC", "exception", scan_days=1)
    session.add(AlertSettings(brand="sakura-tea", digest=False))
    session.commit()
    assert alerts.run(session, brand, "https://x.example", NOW) == 0
    row = session.exec(select(AlertSettings)).one()
    row.digest, row.recipients = True, ["ops@sakura.example"]
    session.add(row)
    session.commit()
    parcel(session, "O-ATT", "attempt_failed", scan_days=1)
    assert alerts.run(session, brand, "https://x.example", NOW) == 1
    mail = session.exec(select(Notification)).one()
    assert mail.to_address == "ops@sakura.example" and "O-ATT" in mail.body_text


def test_recipients_are_validated(app):
    with app.test_request_context("/?lang=en"):
        assert alerts.parse_recipients("A@B.example, c@d.example\n") == (
            ["a@b.example", "c@d.example"],
            None,
        )
        assert alerts.parse_recipients("nope")[1] == "nope is not an email address."
        assert alerts.parse_recipients("\n".join(f"a{i}@b.example" for i in range(21)))[1]


def test_the_cli_queues_each_brands_digest(app, session):
    parcel(session, "C-EXC", "exception", scan_days=1)
    create_staff(session, "sakura-tea", "cli@sakura.example", "long enough password")
    result = app.test_cli_runner().invoke(args=["dashboard", "digest"])
    assert result.exit_code == 0, result.output
    assert "sakura-tea: 1 mails queued" in result.output
