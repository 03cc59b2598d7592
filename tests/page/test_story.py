"""One story per parcel on the page and in the mail (``orders.story``): the headline, the
estimate and the notices never contradict each other."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from sqlmodel import select

from tests.page.test_view import page
from tracking.i18n import format_day
from tracking.orders.models import Shipment
from tracking.timeutil import utcnow


def _parcel(session, demo, **fields) -> Shipment:
    s = session.exec(select(Shipment).where(Shipment.order_id == demo["ST-1003"].id)).one()
    for name, value in fields.items():
        setattr(s, name, value)
    session.add(s)
    session.commit()
    return s


def test_a_problem_shows_no_arrival_date(client, demo, token_for, session):
    soon = utcnow().date() + timedelta(days=2)
    _parcel(
        session,
        demo,
        status="exception",
        edd_start=soon,
        edd_end=soon + timedelta(days=3),
        edd_source="carrier",
        late=False,
    )
    en = page(client, demo, token_for, "ST-1003")
    assert "Problem with delivery" in en and "Arriving" not in en
    assert "please contact the shop" in en.lower()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_past_window_reads_late_never_as_a_past_date(client, demo, token_for, session, app, lang):
    # The window ended three days ago and the worker has not flagged it yet (no scan since).
    end = utcnow().date() - timedelta(days=3)
    _parcel(
        session,
        demo,
        status="in_transit",
        edd_start=end - timedelta(days=1),
        edd_end=end,
        edd_source="carrier",
        late=False,
    )
    html = page(client, demo, token_for, "ST-1003", lang).replace("<wbr>", "")
    html = html.split("</head>", 1)[1]  # the body: the description names no date
    with app.test_request_context(f"/?lang={lang}"):
        past_day = format_day(end)
    assert past_day not in html
    if lang == "en":
        assert "Later than estimated" in html and "Arriving" not in html
        assert "later than we estimated" in html and "checking" not in html
    else:
        assert "予定より遅れています" in html and "お届け予定" not in html
        assert "確認しています" not in html


def test_out_for_delivery_reads_today_whatever_the_estimate_said(client, demo, token_for, session):
    later = utcnow().date() + timedelta(days=4)
    _parcel(
        session,
        demo,
        status="out_for_delivery",
        edd_start=later,
        edd_end=later,
        edd_source="lane_table",
        late=False,
    )
    en = page(client, demo, token_for, "ST-1003")
    assert "Arriving today" in en and "Arriving Sun" not in en and "Arriving Mon" not in en


@time_machine.travel("2026-12-05 03:00:00+00:00", tick=False)
def test_the_mail_follows_the_same_rules(app):
    from tracking.mail.content import parcel_estimate

    today = date(2026, 12, 5)
    with app.test_request_context("/?lang=en"):
        moving = Shipment(
            order_id=1,
            carrier="yamato",
            tracking_number="1",
            status="in_transit",
            edd_start=date(2026, 12, 1),
            edd_end=date(2026, 12, 2),
        )
        assert parcel_estimate(moving, today) == "Later than estimated"
        moving.edd_start, moving.edd_end = date(2026, 12, 7), date(2026, 12, 8)
        assert parcel_estimate(moving, today) == "Mon 7 Dec – Tue 8 Dec"
        moving.status = "exception"
        assert parcel_estimate(moving, today) == ""
        moving.status = "out_for_delivery"
        assert parcel_estimate(moving, today) == "Today, Sat 5 Dec"


@pytest.mark.parametrize(
    ("qty", "en", "ja"),
    [
        (1, "We are preparing this item.", "下記の商品は発送準備中です。"),
        (2, "We are preparing these items.", "下記の商品は発送準備中です。"),
    ],
)
def test_singular_and_plural_of_the_items_not_shipped(client, session, token_for, qty, en, ja):
    from tests.factories import make_order

    items = [{"sku": "S", "name": "急須", "qty": qty}]
    order = make_order(session, items=items, ship=False, placed_at=utcnow())  # dated estimate
    url = f"/sakura-tea/o/{token_for(order)}"
    english = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert en in english and ("these items" in english) == (qty > 1)
    japanese = client.get(f"{url}?lang=ja").get_data(as_text=True)
    assert ja in japanese and "これらの" not in japanese
