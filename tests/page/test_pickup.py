"""A parcel waiting at a convenience store (issue 25, demo ST-1009): the page says where to collect
it, until when (the shop's zone, 「12月8日(火)」 / "Tue 8 Dec") and what to bring, in ja and en;
the story stays one (no delivery date beside it, no deadline once collected); times the carrier
gave only roughly are never shown as exact."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from tests.page.test_view import page
from tracking.orders.models import Shipment, ShipmentEvent
from tracking.timeutil import utcnow

JA_WEEKDAYS = "月火水木金土日"


def _parcel(session, demo, number="ST-1009") -> Shipment:
    (parcel,) = session.exec(select(Shipment).where(Shipment.order_id == demo[number].id)).all()
    return parcel


def _save(session, row):
    session.add(row)
    session.commit()


def _ja_day(day) -> str:
    return f"{day.month}月{day.day}日({JA_WEEKDAYS[day.weekday()]})"


def test_the_demo_parcel_waits_at_a_convenience_store_with_its_last_day(
    client, demo, token_for, session
):
    parcel = _parcel(session, demo)
    assert parcel.status == "available_for_pickup"
    assert (parcel.pickup_kind, parcel.pickup_place) == ("store", "ファミリーマート 渋谷公園通り店")
    assert parcel.pickup_until_source == "period" and parcel.pickup_until is not None
    ja = page(client, demo, token_for, "ST-1009", "ja")
    assert "お受け取り場所" in ja and "ファミリーマート 渋谷公園通り店" in ja
    assert "（コンビニエンスストア）" in ja or "(コンビニエンスストア)" in ja
    assert f"{_ja_day(parcel.pickup_until)}までにお受け取りください。" in ja
    assert "本人確認書類" in ja and "保管期間から算出" in ja
    estimate = ja.split('<div class="estimate">', 1)[1].split("</div>", 1)[0]
    assert estimate.strip() == ""  # no delivery date beside a parcel to collect
    en = page(client, demo, token_for, "ST-1009", "en")
    day = parcel.pickup_until
    assert "Collect it at" in en and "(Convenience store)" in en
    assert f"Collect it by {day.strftime('%a')} {day.day} {day.strftime('%b')}." in en


def test_the_last_day_and_an_ended_hold_are_said_plainly(client, demo, token_for, session):
    parcel = _parcel(session, demo)
    today = utcnow().astimezone(parcel_zone()).date()
    parcel.pickup_until = today
    _save(session, parcel)
    ja = page(client, demo, token_for, "ST-1009", "ja")
    assert f"本日{_ja_day(today)}がお受け取り期限です。" in ja
    parcel.pickup_until = today - timedelta(days=1)
    _save(session, parcel)
    en = page(client, demo, token_for, "ST-1009", "en")
    assert "holding period ended" in en and "Collect it by" not in en
    assert "photo ID" not in en  # no errand to a place that may no longer have it


def parcel_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Tokyo")  # sakura-tea's zone


def test_a_hold_without_a_known_last_day_points_to_the_carrier(client, demo, token_for, session):
    parcel = _parcel(session, demo)
    parcel.pickup_until, parcel.pickup_until_source = None, ""
    _save(session, parcel)
    ja = page(client, demo, token_for, "ST-1009", "ja")
    assert (
        "保管期限は配送業者のページでご確認ください。" in ja
        and "までにお受け取りください" not in ja
    )


def test_a_locker_says_how_it_opens(client, demo, token_for, session):
    parcel = _parcel(session, demo)
    parcel.pickup_kind, parcel.pickup_place = "locker", "PUDOステーション 渋谷駅"
    _save(session, parcel)
    en = page(client, demo, token_for, "ST-1009", "en")
    assert "The locker opens with the code" in en and "(Parcel locker)" in en


def test_once_collected_no_deadline_remains(client, demo, token_for, session):
    parcel = _parcel(session, demo)
    parcel.status = "delivered"
    parcel.delivered_at = utcnow()
    _save(session, parcel)
    ja = page(client, demo, token_for, "ST-1009", "ja")
    assert "お受け取り場所" not in ja and "までにお受け取りください" not in ja


def test_rough_times_are_not_shown_as_exact(client, demo, token_for, session):
    parcel = _parcel(session, demo)
    events = session.exec(
        select(ShipmentEvent)
        .where(ShipmentEvent.shipment_id == parcel.id)
        .order_by(ShipmentEvent.occurred_at)
    ).all()
    day_only, guessed = events[1], events[2]
    day_only.time_precision, guessed.time_precision = "date", "about"
    session.add_all([day_only, guessed])
    _save(session, parcel)
    local = guessed.occurred_at.astimezone(parcel_zone())
    clock = f"{local.hour}:{local.minute:02d}"
    ja = page(client, demo, token_for, "ST-1009", "ja")
    assert f"{clock}頃" in ja
    assert f'datetime="{day_only.occurred_at.isoformat()}"' not in ja  # no time for a day-only row
    en = page(client, demo, token_for, "ST-1009", "en")
    assert "about " in en


def test_staff_see_where_it_waits_until_when_and_rough_times(client, demo, session):
    parcel = _parcel(session, demo)
    (event,) = session.exec(
        select(ShipmentEvent)
        .where(ShipmentEvent.shipment_id == parcel.id)
        .order_by(ShipmentEvent.occurred_at)
        .limit(1)
    ).all()
    event.time_precision = "about"
    session.add(event)
    session.commit()
    r = client.post("/admin/login", data={"email": "staff@sakura-tea.example", "password": STAFF})
    assert r.status_code == 303
    html = client.get("/admin/sakura-tea/orders/ST-1009?lang=ja").get_data(as_text=True)
    assert "保管場所：ファミリーマート 渋谷公園通り店" in html
    assert f"お受け取り期限 {_ja_day(parcel.pickup_until)}" in html and "保管期間から算出" in html
    assert "頃" in html


STAFF = "todoku-demo-staff"
