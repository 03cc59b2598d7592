"""How estimates read in both locales, the tracking page's estimate hero, and [shipping]."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from flask import g
from sqlmodel import select

from tracking.brands.brand import BrandConfigError, load_brands
from tracking.estimates.display import estimate_hero, slot_label, window_text
from tracking.orders.models import Order, Shipment

# Monday 23 Nov 2026, 10:00 in Tokyo
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app):
    def make(lang: str):
        c = app.test_request_context(f"/sakura-tea/?lang={lang}")
        c.push()
        g.brand = app.extensions["todoku_brands"]["sakura-tea"]
        return c

    pushed = []
    yield lambda lang: pushed.append(make(lang))
    for c in pushed:
        c.pop()


@pytest.mark.parametrize(
    "lang,start,end,slot,text",
    [
        (
            "ja",
            date(2026, 11, 24),
            date(2026, 11, 24),
            "14-16",
            "明日 11月24日(火) 14〜16時のお届け予定",
        ),
        (
            "en",
            date(2026, 11, 24),
            date(2026, 11, 24),
            "14-16",
            "Arriving tomorrow, Tue 24 Nov, 2–4 pm",
        ),
        ("ja", date(2026, 11, 23), date(2026, 11, 23), "am", "本日 午前中のお届け予定"),
        ("en", date(2026, 11, 23), date(2026, 11, 23), "", "Arriving today"),
        ("ja", date(2026, 11, 25), date(2026, 11, 26), "", "11月25日(水)〜11月26日(木)お届け予定"),
        ("en", date(2026, 11, 25), date(2026, 11, 26), "", "Arriving Wed 25 Nov – Thu 26 Nov"),
        ("en", date(2026, 11, 22), date(2026, 11, 24), "", "Arriving by Tue 24 Nov"),
        (
            "ja",
            date(2026, 11, 26),
            date(2026, 11, 26),
            "19-21",
            "11月26日(木) 19〜21時のお届け予定",
        ),
        ("en", date(2027, 1, 5), date(2027, 1, 5), "", "Arriving Tue 5 Jan 2027"),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_window_wording(ctx, lang, start, end, slot, text):
    ctx(lang)
    assert window_text(start, end, slot) == text


def test_slot_labels():
    assert [slot_label(s, "ja") for s in ("am", "12-14", "18-20")] == [
        "午前中",
        "12〜14時",
        "18〜20時",
    ]
    assert [slot_label(s, "en") for s in ("12-14", "18-20", "19-21")] == [
        "12–2 pm",
        "6–8 pm",
        "7–9 pm",
    ]


@time_machine.travel(NOW, tick=False)
def test_late_and_finished_parcels(ctx):
    ctx("ja")
    late = Shipment(order_id=1, carrier="yamato", tracking_number="x", late=True)
    late.edd_start = late.edd_end = date(2026, 11, 20)
    # Never a claim that anyone is checking: nobody may have been told (orders.story).
    assert estimate_hero(late) == "予定より遅れています"
    returned = Shipment(order_id=1, carrier="ups", tracking_number="x", status="returned_to_sender")
    returned.edd_start = returned.edd_end = date(2026, 11, 20)
    assert estimate_hero(returned) == ""


def hero(client, session, token_for, brand, number, lang):
    order = session.exec(select(Order).where(Order.brand == brand, Order.number == number)).one()
    html = client.get(f"/{brand}/o/{token_for(order)}?lang={lang}").get_data(as_text=True)
    found = re.findall(r'data-source="([a-z_]+)">\s*<p class="hero">(.+?)</p>', html)
    return [(source, re.sub(r"<[^>]+>", "", text)) for source, text in found]  # phrase marks


@pytest.mark.parametrize(
    "brand,number,source,words",
    [
        ("sakura-tea", "ST-1007", "customer_slot", "明日"),
        ("sakura-tea", "ST-1002", "carrier", "お届け予定"),
        ("sakura-tea", "ST-1101", "learned", "お届け予定"),
        ("sakura-tea", "ST-1102", "lane_table", "お届け予定"),
        ("sakura-tea", "ST-1103", "carrier", "予定より遅れています"),
        ("northpeak", "NP-2101", "default", "Arriving"),
    ],
)
def test_demo_page_shows_every_source(
    client, session, demo, token_for, brand, number, source, words
):
    found = hero(client, session, token_for, brand, number, "ja" if brand == "sakura-tea" else "en")
    assert found and found[0][0] == source and words in found[0][1]


def test_customer_slot_on_the_demo_page_in_english(client, session, demo, token_for):
    [(source, text)] = hero(client, session, token_for, "sakura-tea", "ST-1007", "en")
    assert source == "customer_slot" and text.startswith("Arriving tomorrow") and "2–4 pm" in text


def test_estimate_partial_for_an_unshipped_order(client, demo, token_for):
    order = demo["ST-1005"]
    html = client.get(f"/sakura-tea/o/{token_for(order)}?lang=en").get_data(as_text=True)
    assert 'data-source="order"' in html and "Arriving" in html


def write_brand(tmp_path, shipping: str):
    (tmp_path / "shop.toml").write_text(
        f'slug = "shop"\n[name]\nja = "店"\n[support]\nemail = "a@b.example"\n[shipping]\n{shipping}\n',
        encoding="utf-8",
    )
    return tmp_path


@pytest.mark.parametrize(
    "line,key",
    [
        ('cutoff = "25:00"', "shipping.cutoff"),
        ('ship_days = ["mon", "funday"]', "shipping.ship_days"),
        ('closure = ["12-29"]', "shipping.closure"),
        ('closure = ["13-01", "01-03"]', "shipping.closure"),
        ('country = "japan"', "shipping.country"),
        ("processing_days = -1", "shipping.processing_days"),
        ("surprise = 1", "shipping.surprise"),
        ('carrier = "pigeon"', "shipping.carrier"),
    ],
)
def test_bad_shipping_config_names_the_key(tmp_path, line, key):
    with pytest.raises(BrandConfigError) as err:
        load_brands(write_brand(tmp_path, line))
    assert key in str(err.value)


def test_shipping_config_of_the_demo_brands():
    from tracking.config import ROOT

    brands = load_brands(ROOT / "brands")
    tea = brands["sakura-tea"].shipping
    assert tea.closure_span == ((12, 29), (1, 3)) and tea.cutoff_time.hour == 14
    assert brands["northpeak"].shipping.country == "US"


@pytest.mark.parametrize(
    "status", ["attempt_failed", "available_for_pickup", "returning_to_sender"]
)
def test_no_date_while_the_parcel_waits_for_the_customer(ctx, status):
    from datetime import date

    from tracking.estimates.display import estimate_hero
    from tracking.orders.models import Shipment

    shipment = Shipment(
        order_id=1,
        carrier="yamato",
        tracking_number="1",
        status=status,
        edd_start=date(2026, 11, 24),
        edd_end=date(2026, 11, 24),
    )
    ctx("en")
    assert estimate_hero(shipment) == ""
