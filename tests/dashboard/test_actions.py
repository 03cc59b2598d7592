"""Order detail actions: resend the shipping mail, add a parcel, correct a parcel's carrier or
number; roles, CSRF, brand isolation (404) and forms that keep what was typed."""

from __future__ import annotations

import re

from sqlmodel import select

from carriers.numbers import mod7_complete
from tracking.mail.models import Notification
from tracking.orders.models import Order, OrderChange, Shipment, ShipmentEvent

PASSWORD = "todoku-demo-staff"
SAKURA = "/admin/sakura-tea"


def login(client, email="staff@sakura-tea.example"):
    r = client.post("/admin/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 303, r.data
    return r


def resend_key(html: str) -> str:
    return re.search(r'name="key" value="([^"]+)"', html).group(1)


def resends(session, order) -> list[Notification]:
    session.expire_all()
    return [
        n
        for n in session.exec(select(Notification).where(Notification.order_id == order.id)).all()
        if ":resend:" in n.dedupe_key
    ]


def changes(session, order) -> list[OrderChange]:
    session.expire_all()
    return list(session.exec(select(OrderChange).where(OrderChange.order_id == order.id)).all())


def parcels(session, order) -> list[Shipment]:
    session.expire_all()
    return list(
        session.exec(
            select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)
        ).all()
    )


YAMATO_NEW = mod7_complete("40123456789")  # 12 digits, mod-7 check digit: a Yamato number
YAMATO_BAD = YAMATO_NEW[:-1] + str((int(YAMATO_NEW[-1]) + 1) % 10)


def test_resend_queues_a_new_mail_once_per_form_and_records_who(client, demo, session):
    order = demo["ST-1001"]
    login(client)  # staff (not owner) may resend
    html = client.get(f"{SAKURA}/orders/ST-1001?lang=en").data.decode()
    key = resend_key(html)
    r = client.post(f"{SAKURA}/orders/ST-1001/resend", data={"key": key})
    assert r.status_code == 303 and r.headers["Location"].endswith("#h-mails")
    again = client.post(f"{SAKURA}/orders/ST-1001/resend", data={"key": key})  # a double submit
    assert again.status_code == 303
    [note] = resends(session, order)
    assert note.kind == "shipped" and note.status == "queued" and note.to_address == order.email
    assert "ST-1001" in note.subject and note.locale == "ja"  # the customer's language
    history = [c for c in changes(session, order) if "mail.resend" in c.changes]
    assert [c.source for c in history] == ["admin:staff@sakura-tea.example"]
    page = client.get(f"{SAKURA}/orders/ST-1001?lang=en").data.decode()
    assert "(resent by staff)" in page and note.subject in page
    # A fresh form is a deliberate second resend.
    client.post(f"{SAKURA}/orders/ST-1001/resend", data={"key": resend_key(page)})
    assert len(resends(session, order)) == 2


def test_owner_may_resend_too_and_a_bad_key_is_refused(client, demo, session):
    login(client, "owner@sakura-tea.example")
    r = client.post(f"{SAKURA}/orders/ST-1001/resend?lang=en", data={"key": "x"})
    assert r.status_code == 422 and "The form has expired" in r.data.decode()
    assert resends(session, demo["ST-1001"]) == []
    page = client.get(f"{SAKURA}/orders/ST-1001").data.decode()
    assert (
        client.post(f"{SAKURA}/orders/ST-1001/resend", data={"key": resend_key(page)}).status_code
        == 303
    )


def test_resend_without_a_parcel_says_why(client, demo, session):
    order = Order(brand="sakura-tea", number="ST-NOPARCEL", email="np@example.com")
    session.add(order)
    session.commit()
    login(client)
    page = client.get(f"{SAKURA}/orders/ST-NOPARCEL?lang=ja").data.decode()
    r = client.post(f"{SAKURA}/orders/ST-NOPARCEL/resend?lang=ja", data={"key": resend_key(page)})
    assert r.status_code == 422
    assert "発送済みの荷物がまだありません" in r.data.decode()
    assert resends(session, order) == []


def test_add_a_parcel_validated_by_the_carriers_rules(client, demo, session):
    order = demo["ST-1001"]
    before = len(parcels(session, order))
    login(client)
    bad = client.post(
        f"{SAKURA}/orders/ST-1001/parcels?lang=ja",
        data={"carrier": "yamato", "tracking_number": YAMATO_BAD},
    )
    html = bad.data.decode()
    assert bad.status_code == 422
    assert f'value="{YAMATO_BAD}"' in html and 'aria-invalid="true"' in html  # kept, marked
    assert "この配送業者の追跡番号として正しくありません" in html
    assert len(parcels(session, order)) == before
    # Twelve digits with a mod-7 check fit Yamato and Japan Post alike: the carrier is asked for.
    vague = client.post(
        f"{SAKURA}/orders/ST-1001/parcels?lang=en",
        data={"carrier": "", "tracking_number": YAMATO_NEW},
    )
    assert vague.status_code == 422 and "fits several carriers" in vague.data.decode()
    # Typed with dashes and full-width digits.
    typed = f"{YAMATO_NEW[:4]}－{YAMATO_NEW[4:8]}-{YAMATO_NEW[8:]}".translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    ok = client.post(
        f"{SAKURA}/orders/ST-1001/parcels", data={"carrier": "yamato", "tracking_number": typed}
    )
    assert ok.status_code == 303
    new = parcels(session, order)[-1]
    assert (new.carrier, new.tracking_number, new.status) == ("yamato", YAMATO_NEW, "pending")
    assert new.next_check_at is not None and new.direction == "outbound"
    assert any(
        c.source == "admin:staff@sakura-tea.example"
        and f"shipments.yamato:{YAMATO_NEW}" in c.changes
        for c in changes(session, order)
    )
    dup = client.post(
        f"{SAKURA}/orders/ST-1001/parcels?lang=en",
        data={"carrier": "yamato", "tracking_number": YAMATO_NEW},
    )
    assert dup.status_code == 422 and "already on the order" in dup.data.decode()


def test_an_unknown_or_foreign_carrier_and_an_empty_number_keep_the_form(client, demo, session):
    login(client)
    for data, message in (
        ({"carrier": "dhl", "tracking_number": YAMATO_NEW}, "Please choose one of the shop"),
        ({"carrier": "nope", "tracking_number": YAMATO_NEW}, "Please choose one of the shop"),
        ({"carrier": "", "tracking_number": ""}, "Please enter the tracking number."),
        ({"carrier": "", "tracking_number": "ABC"}, "No carrier of this shop"),
    ):
        r = client.post(f"{SAKURA}/orders/ST-1001/parcels?lang=en", data=data)
        assert r.status_code == 422, data
        assert message in r.data.decode(), data


def test_correcting_a_number_resets_the_parcel_so_the_worker_checks_it_again(client, demo, session):
    order = demo["ST-1001"]
    shipment = parcels(session, order)[0]
    old = shipment.tracking_number
    assert shipment.status == "delivered"
    assert session.exec(
        select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id)
    ).first()
    login(client)
    r = client.post(
        f"{SAKURA}/orders/ST-1001/parcels",
        data={"shipment_id": shipment.id, "carrier": "yamato", "tracking_number": YAMATO_NEW},
    )
    assert r.status_code == 303
    session.expire_all()
    fixed = session.get(Shipment, shipment.id)
    assert (fixed.tracking_number, fixed.status, fixed.delivered_at) == (
        YAMATO_NEW,
        "pending",
        None,
    )
    assert fixed.next_check_at is not None and fixed.failures == 0 and not fixed.late
    assert (
        session.exec(select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id)).all()
        == []
    )
    [change] = [
        c
        for c in changes(session, order)
        if f"shipments.{shipment.id}.tracking_number" in c.changes
    ]
    assert change.changes[f"shipments.{shipment.id}.tracking_number"] == [old, YAMATO_NEW]
    assert change.source == "admin:staff@sakura-tea.example"
    page = client.get(f"{SAKURA}/orders/ST-1001?lang=en").data.decode()
    assert "Order history" in page and old in page and YAMATO_NEW in page
    # A wrong correction keeps what was typed in that parcel's form, opened.
    bad = client.post(
        f"{SAKURA}/orders/ST-1001/parcels?lang=en",
        data={"shipment_id": shipment.id, "carrier": "yamato", "tracking_number": YAMATO_BAD},
    )
    html = bad.data.decode()
    assert bad.status_code == 422 and f'value="{YAMATO_BAD}"' in html
    assert '<details class="fix" open>' in html


def test_actions_of_another_brand_are_404(client, demo, session):
    st = demo["ST-1001"]
    np_order = session.exec(select(Order).where(Order.brand == "northpeak")).first()
    np_parcel = session.exec(select(Shipment).where(Shipment.order_id == np_order.id)).first()
    st_parcel = parcels(session, st)[0]
    # Another brand's staff under this brand's URLs.
    login(client, "owner@northpeak.example")
    assert client.post(f"{SAKURA}/orders/ST-1001/resend", data={"key": "k" * 16}).status_code == 404
    assert (
        client.post(
            f"{SAKURA}/orders/ST-1001/parcels", data={"tracking_number": YAMATO_NEW}
        ).status_code
        == 404
    )
    # Their own URL, this brand's order: 404; their own order, this brand's parcel id: 404.
    np = "/admin/northpeak"
    assert client.post(f"{np}/orders/ST-1001/resend", data={"key": "k" * 16}).status_code == 404
    assert (
        client.post(f"{np}/orders/ST-1001/parcels", data={"tracking_number": "x"}).status_code
        == 404
    )
    r = client.post(
        f"{np}/orders/{np_order.number}/parcels",
        data={"shipment_id": st_parcel.id, "tracking_number": YAMATO_NEW},
    )
    assert r.status_code == 404
    for bad_id in ("9" * 30, "abc", "-1"):
        r = client.post(
            f"{np}/orders/{np_order.number}/parcels",
            data={"shipment_id": bad_id, "tracking_number": YAMATO_NEW},
        )
        assert r.status_code == 404, bad_id
    assert (
        resends(session, st) == []
        and parcels(session, st)[0].tracking_number == st_parcel.tracking_number
    )
    assert np_parcel is not None


def test_actions_need_a_login_and_csrf(app, client, demo, session):
    assert client.post(f"{SAKURA}/orders/ST-1001/resend").status_code == 302
    assert client.post(f"{SAKURA}/orders/ST-1001/parcels").status_code == 302
    login(client)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get(f"{SAKURA}/orders/ST-1001").data.decode()
        assert page.count('name="csrf_token"') >= 4  # check now, resend, correct, add
        r = client.post(f"{SAKURA}/orders/ST-1001/resend", data={"key": resend_key(page)})
        assert r.status_code == 400
        r = client.post(f"{SAKURA}/orders/ST-1001/parcels", data={"tracking_number": YAMATO_NEW})
        assert r.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert resends(session, demo["ST-1001"]) == []


def test_the_tracking_link_copies_with_and_without_javascript(client, demo):
    login(client)
    html = client.get(f"{SAKURA}/orders/ST-1001?lang=en").data.decode()
    assert re.search(
        r'<input id="track-link" type="text" readonly value="http[^"]+/sakura-tea/o/', html
    )
    assert 'data-copy="track-link"' in html and "hidden>Copy the link</button>" in html
    assert "js/site.js" in html


def test_the_order_page_shows_staff_words_not_codes(client, demo, session):
    """After a resend and an added parcel, the history, mail states, carriers and estimate
    sources read as words in both languages (no ``admin:``, ``mail.resend``, ``queued``)."""
    login(client)
    page = client.get(f"{SAKURA}/orders/ST-1001?lang=en").data.decode()
    client.post(f"{SAKURA}/orders/ST-1001/resend", data={"key": resend_key(page)})
    client.post(
        f"{SAKURA}/orders/ST-1001/parcels",
        data={"carrier": "yamato", "tracking_number": YAMATO_NEW},
    )
    en = client.get(f"{SAKURA}/orders/ST-1001?lang=en").data.decode()
    ja = client.get(f"{SAKURA}/orders/ST-1001?lang=ja").data.decode()
    assert "Staff: staff@sakura-tea.example" in en
    assert "スタッフ：staff@sakura-tea.example" in ja
    assert "Shipping mail resent" in en and "発送メールの再送" in ja
    assert f"Parcel Yamato Transport {YAMATO_NEW}: – → added" in en
    assert f"ヤマト運輸 {YAMATO_NEW}" in ja
    # the resent mail waits for now, or (at night in Tokyo) is held by quiet hours
    assert "Waiting to be sent" in en or "Held until the time shown" in en
    for raw in ("admin:staff", "mail.resend", ">queued<", f"shipments.yamato:{YAMATO_NEW}"):
        assert raw not in en and raw not in ja, raw
