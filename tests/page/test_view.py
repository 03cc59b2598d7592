"""What the tracking page says: progress paths, notices, redelivery, privacy, live refresh."""

from __future__ import annotations

import re

import pytest

from carriers import Status
from tracking.orders.models import Shipment
from tracking.page.view import ParcelView, mask_email


def progress(status: str) -> list[tuple[str, str]]:
    return ParcelView(
        Shipment(order_id=1, carrier="yamato", tracking_number="1", status=status)
    ).progress


def test_happy_path_progress():
    assert progress("pending") == [
        ("ordered", "current"),
        ("shipped", "todo"),
        ("in_transit", "todo"),
        ("out_for_delivery", "todo"),
        ("delivered", "todo"),
    ]
    assert [s for _, s in progress("in_transit")] == ["done", "done", "current", "todo", "todo"]
    assert [s for _, s in progress("out_for_delivery")][3] == "current"
    assert [s for _, s in progress("delivered")] == ["done"] * 5


@pytest.mark.parametrize(
    ("status", "at", "step", "state"),
    [
        ("attempt_failed", 3, "attempt_failed", "alert"),
        ("available_for_pickup", 3, "available_for_pickup", "current"),
        ("delayed", 2, "delayed", "alert"),
        ("exception", 2, "exception", "alert"),
        ("returning_to_sender", 3, "returning_to_sender", "alert"),
    ],
)
def test_detours_replace_the_step_where_they_happen(status, at, step, state):
    steps = progress(status)
    assert steps[at] == (step, state)
    assert all(s == "done" for _, s in steps[:at]) and all(s == "todo" for _, s in steps[at + 1 :])


def test_return_path_ends_back_at_the_shop():
    assert progress("returning_to_sender")[4] == ("returned_to_sender", "todo")
    assert progress("returned_to_sender")[3:] == [
        ("returning_to_sender", "done"),
        ("returned_to_sender", "done"),
    ]


def test_every_status_has_a_progress_bar():
    for status in Status:
        steps = progress(status.value)
        assert len(steps) == 5 and steps[0][0] == "ordered"


def test_email_masking():
    assert mask_email("hanako@example.com") == "ha***@example.com"
    assert mask_email("ken@example.com") == "k***@example.com"
    assert mask_email("a@b.example") == "a***@b.example"
    assert mask_email("broken") == "***"


def page(client, demo, token_for, number, lang="en", **headers) -> str:
    order = demo[number]
    r = client.get(f"/{order.brand}/o/{token_for(order)}?lang={lang}", headers=headers)
    assert r.status_code == 200
    return r.get_data(as_text=True)


@pytest.mark.parametrize("number", ["ST-1001", "ST-1004", "NP-2001", "NP-2002"])
def test_privacy_no_contact_details_of_the_customer(client, demo, token_for, number):
    order = demo[number]
    html = page(client, demo, token_for, number)
    assert order.email not in html
    assert mask_email(order.email) in html
    assert order.name not in html
    assert order.postcode not in html
    if order.phone:
        assert order.phone not in html


def test_attempted_delivery_links_to_redelivery(client, demo, token_for):
    html = page(client, demo, token_for, "ST-1004", "ja")
    assert "再配達のお申し込み" in html
    assert "https://member.kms.kuronekoyamato.co.jp/parcel/detail?pno=" in html
    assert 'class="progress"' in html and 'class="alert" aria-current="step"' in html


def test_no_redelivery_link_when_delivered(client, demo, token_for):
    html = page(client, demo, token_for, "ST-1001")
    # Yamato's tracking link is the same parcel page, and the shop's FAQ names the button: the
    # button itself is what must not show.
    assert "Schedule redelivery</a>" not in html and 'class="notice' not in html


def test_exception_explains_and_gives_the_shop_contact(client, demo, token_for):
    html = page(client, demo, token_for, "NP-2002")
    notice = html.split('class="notice alert"')[1].split("</div>")[0]
    assert "contact the shop" in notice
    assert "help@northpeak.example" in notice and "503-555-0142" in notice


def test_pickup_and_delay_say_what_to_do(client, demo, token_for):
    assert "photo ID" in page(client, demo, token_for, "ST-1006")
    assert "you do not need to do anything" in page(client, demo, token_for, "ST-1008")


def test_journey_is_grouped_by_day_newest_first(client, demo, token_for):
    html = page(client, demo, token_for, "ST-1001")
    journey = html.split('class="timeline"')[1].split("</section>")[0]
    days = re.findall(r'<h4 class="day">([^<]+)</h4>', journey)
    assert len(days) >= 2 and len(set(days)) == len(days)
    times = re.findall(r'<time datetime="([^"]+)"', journey)
    assert times == sorted(times, reverse=True)


def test_tracking_number_is_text_with_a_copy_button(client, demo, token_for):
    html = page(client, demo, token_for, "ST-1001")
    number = re.search(r'<span class="mono tn" id="tn-1">(\d+)</span>', html).group(1)
    assert 'data-copy="tn-1"' in html and "hidden>Copy</button>" in html
    assert len(number) == 12


def test_multi_parcel_cards_and_unshipped_items(client, demo, token_for):
    html = page(client, demo, token_for, "NP-2001")
    assert html.count('class="card parcel') == 2
    first, second = html.split('class="card parcel')[1:3]
    assert "Ridgeline 2P Tent" in first and "Switchback Hiking Boots" in second
    unshipped = page(client, demo, token_for, "ST-1005")
    assert "Not shipped yet" in unshipped and "常滑焼 急須" in unshipped


def test_status_fragment_refreshes_with_the_brand_cadence(client, demo, token_for, app):
    part = page(client, demo, token_for, "ST-1003", **{"HX-Request": "true"})
    assert part.lstrip().startswith('<div id="status"') and 'hx-trigger="every 300s"' in part
    assert "Last checked" in part and "<html" not in part
    app.config["PAGE_REFRESH_SECONDS"] = 5
    assert 'hx-trigger="every 5s"' in page(client, demo, token_for, "ST-1003")


def test_live_refresh_stops_at_a_terminal_status(client, demo, token_for):
    for number in ("ST-1001", "NP-2004"):  # delivered; returned to the shop
        assert "hx-trigger" not in page(client, demo, token_for, number)


def test_vary_and_cache_headers(client, demo, token_for):
    order = demo["ST-1003"]
    for headers in ({}, {"HX-Request": "true"}):
        r = client.get(f"/{order.brand}/o/{token_for(order)}", headers=headers)
        assert "HX-Request" in r.headers["Vary"]
        assert r.headers["Cache-Control"] == "private, no-store"


def test_faq_and_contact_in_both_languages(client, demo, token_for):
    ja = page(client, demo, token_for, "ST-1002", "ja").replace("<wbr>", "")  # phrase marks
    en = page(client, demo, token_for, "ST-1002", "en")
    assert "お届け日時を変更できますか？" in ja and "Can I change the delivery date" in en
    assert "support@sakura-tea.example" in ja and "平日 10:00〜17:00" in ja


def test_feedback_only_once_something_is_delivered(client, demo, token_for):
    assert "How was your delivery?" in page(client, demo, token_for, "ST-1001")
    assert "How was your delivery?" not in page(client, demo, token_for, "ST-1003")


def test_customer_refresh_never_calls_a_carrier(client, demo, token_for, monkeypatch):
    """The page and its Refresh read what the worker stored: no carrier request, no sync."""
    import carriers.http
    import tracking.sync.rounds

    calls = []

    def forbidden(*args, **kwargs):
        calls.append(args)
        raise AssertionError("a customer request called a carrier")

    monkeypatch.setattr(carriers.http, "request", forbidden)
    monkeypatch.setattr(tracking.sync.rounds, "_sync_chunk", forbidden)
    monkeypatch.setattr(tracking.sync.rounds, "check_now", forbidden)
    full = page(client, demo, token_for, "ST-1003")
    part = page(client, demo, token_for, "ST-1003", **{"HX-Request": "true"})
    assert "Last checked" in full and part.lstrip().startswith('<div id="status"')
    assert calls == []
