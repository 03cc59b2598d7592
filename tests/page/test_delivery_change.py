"""Before the first attempt (issue 25): the carrier's own page for changing the day, time or place
on in-transit and out-for-delivery parcels of Yamato, Sagawa and Japan Post, in the page and the
out-for-delivery mail; where the parcel was left once the scans say so."""

from __future__ import annotations

import pytest
from sqlmodel import select

import carriers
from carriers import Status
from tests.page.test_view import page
from tracking.mail import content
from tracking.orders.models import Shipment
from tracking.page.view import ParcelView

NUMBER = "444413758703"


@pytest.mark.parametrize(
    ("code", "url", "membership", "changes"),
    [
        (
            "yamato",
            f"https://member.kms.kuronekoyamato.co.jp/parcel/detail?pno={NUMBER}",
            "クロネコメンバーズ",
            ("day", "time", "place", "okihai"),
        ),
        (
            "sagawa",
            f"https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={NUMBER}",
            "スマートクラブ",
            ("day", "time"),  # a pickup point only after a missed delivery
        ),
        (
            "japanpost",
            "https://trackings.post.japanpost.jp/services/srv/search/direct"
            f"?reqCodeNo1={NUMBER}&searchKind=S002&locale=ja",
            "ゆうびんID",
            ("day", "time", "place", "okihai"),
        ),
    ],
)
def test_each_japanese_carrier_names_its_change_page(code, url, membership, changes):
    change = carriers.get(code).delivery_change(NUMBER)
    assert (change.url, change.number_filled, change.changes) == (url, True, changes)
    assert change.membership_name("ja") == membership
    assert change.membership_name("en") and change.membership_name("fr")  # falls back to en


@pytest.mark.parametrize("code", ["ups", "fedex", "dhl", "usps", "seino", "fukuyama", "simulated"])
def test_other_carriers_have_none(code):
    assert carriers.get(code).delivery_change(NUMBER) is None


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        ("pending", False),
        ("in_transit", True),
        ("out_for_delivery", True),
        ("attempt_failed", False),  # the redelivery offer instead
        ("delivered", False),
    ],
)
def test_offered_while_on_the_way_only(status, offered):
    view = ParcelView(Shipment(order_id=1, carrier="yamato", tracking_number=NUMBER, status=status))
    assert (view.delivery_change is not None) is offered


def test_in_transit_yamato_page_offers_the_change_in_both_languages(client, demo, token_for):
    ja = page(client, demo, token_for, "ST-1003", "ja")
    assert "受け取り日時・場所を変更" in ja
    assert "member.kms.kuronekoyamato.co.jp/parcel/detail?pno=" in ja
    assert "クロネコメンバーズ（無料）への登録が必要です。" in ja
    assert "置き配" in ja
    en = page(client, demo, token_for, "ST-1003", "en")
    assert "Change delivery day, time or place" in en
    assert "It needs a free Kuroneko Members account." in en


def test_out_for_delivery_japan_post_page_offers_it(client, demo, token_for):
    assert "受け取り日時・場所を変更" in page(client, demo, token_for, "ST-1002", "ja")


def test_not_offered_when_delivered_or_missed(client, demo, token_for):
    for number in ("ST-1001", "ST-1004"):
        html = page(client, demo, token_for, number, "ja")
        assert "受け取り日時・場所を変更" not in html, number


def test_the_place_the_scans_name_is_shown(client, demo, token_for, session):
    (parcel,) = session.exec(select(Shipment).where(Shipment.order_id == demo["ST-1001"].id)).all()
    assert "お届け場所" not in page(client, demo, token_for, "ST-1001", "ja")
    parcel.sub_status = "delivery_box"
    session.add(parcel)
    session.commit()
    assert "お届け場所：宅配ボックス" in page(client, demo, token_for, "ST-1001", "ja")
    assert "Left at: a delivery box" in page(client, demo, token_for, "ST-1001", "en")


def test_the_japanese_rows_name_the_place():
    yamato = carriers.get("yamato")
    assert yamato.classify("配達完了（宅配ボックス）") == (Status.DELIVERED, "delivery_box")
    assert yamato.classify("配達完了（置き配）") == (Status.DELIVERED, "left_at_door")


def test_out_for_delivery_mail_carries_the_change_link(app):
    on_the_way = Shipment(
        order_id=1, carrier="japanpost", tracking_number=NUMBER, status="out_for_delivery"
    )
    with app.test_request_context():
        button = content.delivery_change([on_the_way])
        assert button is not None and "reqCodeNo1=" + NUMBER in button.url
        ups = Shipment(order_id=1, carrier="ups", tracking_number="1Z", status="out_for_delivery")
        assert content.delivery_change([ups]) is None
        on_the_way.status = "in_transit"
        assert content.delivery_change([on_the_way]) is None
