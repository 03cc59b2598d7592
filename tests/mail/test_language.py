"""The language of an order's mail: the platform's where it has one, else the shipping
country's (Japan: Japanese; elsewhere: the brand's other language), else the brand's default;
staff can change it on the order page (recorded in the order's history, used for later mail)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.support import FIXTURES
from tracking.mail import triggers
from tracking.mail.models import Notification
from tracking.orders import intake, language
from tracking.orders.imports.run import run_import
from tracking.orders.models import Order, OrderChange, Shipment
from tracking.orders.schema import OrderIn, ShipmentIn

US_EXPORT = FIXTURES / "imports" / "shopify_us_order.csv"


@pytest.fixture
def sakura(app):
    return app.extensions["todoku_brands"]["sakura-tea"]


def _ship(session, brand, order: Order, number: str) -> None:
    """A parcel on its way: the order's next mail is "shipped"."""
    shipment, _ = intake.add_shipment(
        session, brand, order, ShipmentIn(carrier="yamato", tracking_number=number), source="t"
    )
    shipment.status = "in_transit"
    session.add(shipment)
    session.flush()


def _us_order(app, session, sakura) -> Order:
    with app.app_context():
        report = run_import(session, sakura, "shopify", US_EXPORT.read_bytes())
    assert report.created == 1, report.errors
    return session.exec(select(Order).where(Order.number == "#1010")).one()


def test_a_us_customer_of_a_shopify_csv_export_gets_english_mail(app, session, sakura):
    """The Japanese-first shop's export has no language column: the country says English."""
    order = _us_order(app, session, sakura)
    assert (order.locale, order.country, order.currency) == ("", "US", "USD")
    with app.app_context():
        _ship(session, sakura, order, "123456789012")
        note = triggers.order_changed(session, sakura, order)
        session.commit()
    assert note.locale == "en"
    assert note.subject.endswith("Your order #1010 has shipped")
    assert "Hi Jamie," in note.body_text


def test_staff_change_the_language_on_the_order_page_recorded_and_used(
    app, client, session, sakura, demo
):
    order = _us_order(app, session, sakura)
    client.post(
        "/admin/login", data={"email": "staff@sakura-tea.example", "password": "todoku-demo-staff"}
    )
    page = client.get("/admin/sakura-tea/orders/%231010").get_data(as_text=True)
    assert 'name="locale"' in page and '<option value="en" selected>' in page
    r = client.post("/admin/sakura-tea/orders/%231010/language", data={"locale": "ja"})
    assert r.status_code == 303
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.locale == "ja"
    change = session.exec(select(OrderChange).where(OrderChange.order_id == order.id)).one()
    assert change.source == "admin:staff@sakura-tea.example"
    assert change.changes == {"locale": ["", "ja"]}
    history = client.get("/admin/sakura-tea/orders/%231010").get_data(as_text=True)
    assert "→ ja" in history and '<option value="ja" selected>' in history
    with app.app_context():
        _ship(session, sakura, order, "123456789012")
        note = triggers.order_changed(session, sakura, order)
        session.commit()
    assert note.locale == "ja" and "発送" in note.subject
    # A language the shop does not offer is refused with the form.
    r = client.post("/admin/sakura-tea/orders/%231010/language", data={"locale": "fr"})
    assert r.status_code == 422


def test_a_platform_update_does_not_undo_the_staff_choice(app, session, sakura):
    with app.app_context():
        data = OrderIn(number="W-1", email="w@example.com", locale="en-US", country="US")
        order = intake.upsert_order(session, sakura, data, source="shopify-webhook").order
        assert order.locale == "en"
        language.set_language(session, sakura, order, "ja", source="admin:staff@x")
        intake.upsert_order(session, sakura, data, source="shopify-webhook")
        session.commit()
    assert session.get(Order, order.id).locale == "ja"


@pytest.mark.parametrize(
    "locales, default, order_locale, country, expected",
    [
        (["ja", "en"], "ja", "", "US", "en"),  # elsewhere: the brand's other language
        (["ja", "en"], "ja", "", "JP", "ja"),
        (["en", "ja"], "en", "", "JP", "ja"),  # an English-first shop, a customer in Japan
        (["ja", "en"], "ja", "", "", "ja"),  # nothing known: the brand's default
        (["en", "ja"], "en", "", "", "en"),
        (["ja", "en"], "ja", "en", "JP", "en"),  # the platform's language comes first
        (["ja", "en"], "ja", "fr", "FR", "en"),  # one the shop does not offer: the country's
        (["ja"], "ja", "", "US", "ja"),  # a Japanese-only shop has no other language
    ],
)
def test_locale_for(sakura, locales, default, order_locale, country, expected):
    brand = sakura.model_copy(update={"locales": locales, "default_locale": default})
    order = Order(brand="sakura-tea", number="1", email="a@b.jp", locale=order_locale)
    order.country = country
    assert language.locale_for(brand, order) == expected


@pytest.mark.parametrize(
    "tag, expected", [("en-US", "en"), ("ja_JP", "ja"), ("EN", "en"), ("", ""), ("e!", "")]
)
def test_primary_language_tag(tag, expected):
    assert language.primary(tag) == expected


def test_the_outbox_rows_keep_their_language(app, session, sakura):
    """Mail queued before a change keeps the language it was written in."""
    order = _us_order(app, session, sakura)
    with app.app_context():
        _ship(session, sakura, order, "123456789012")
        triggers.order_changed(session, sakura, order)
        language.set_language(session, sakura, order, "ja", source="admin:staff@x")
        session.commit()
    assert [n.locale for n in session.exec(select(Notification)).all()] == ["en"]
    assert session.exec(select(Shipment)).one().order_id == order.id
