"""Customers find their order by number + email or postcode; nothing leaks which part was wrong."""

from __future__ import annotations

import re

import pytest


def lookup(client, brand="sakura-tea", **form):
    return client.post(f"/{brand}/lookup", data=form)


def test_lookup_form_renders_in_brand_default_locale(client):
    page = client.get("/sakura-tea/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ご注文の確認" in html and "さくら茶舗" in html
    assert 'for="number"' in html and 'for="contact"' in html


def test_lookup_by_email_redirects_to_tracking_page(client, demo):
    r = lookup(client, number="ST-1001", contact="hanako@example.com")
    assert r.status_code == 303
    assert r.headers["Location"].startswith("/sakura-tea/o/")
    page = client.get(r.headers["Location"])
    assert page.status_code == 200
    assert "ST-1001" in page.get_data(as_text=True)


def test_lookup_by_postcode(client, demo):
    r = lookup(client, number="ST-1001", contact="150-0001")
    assert r.status_code == 303


@pytest.mark.parametrize(
    ("number", "contact"),
    [
        ("ＳＴ－１００１", "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｃｏｍ"),  # full-width everything
        ("ST‐1001", "１５０ー０００１"),  # U+2010 hyphen; long vowel mark as dash
        ("ST−1001", "150—0001"),  # minus sign; em dash
        ("st–1001", "  Hanako@Example.COM  "),  # en dash, lower case, padded, upper-case email
        (" ST-1001 ", "〒150-0001"),
        ("ST-1001", "1500001"),
    ],
)
def test_lookup_normalizes_what_customers_type(client, demo, number, contact):
    assert lookup(client, number=number, contact=contact).status_code == 303


def test_unknown_order_and_wrong_email_answer_identically(client, demo):
    unknown = lookup(client, number="ST-9999", contact="hanako@example.com")
    wrong_email = lookup(client, number="ST-1001", contact="someone@example.com")
    wrong_postcode = lookup(client, number="ST-1001", contact="999-9999")
    other_brand = lookup(client, brand="sakura-tea", number="NP-2001", contact="alex@example.com")
    bodies = set()
    for r in (unknown, wrong_email, wrong_postcode, other_brand):
        assert r.status_code == 404
        # Each echoes back what was typed (forms keep input); remove that before comparing.
        body = r.get_data(as_text=True)
        for typed in (
            "ST-9999",
            "ST-1001",
            "NP-2001",
            "hanako@example.com",
            "someone@example.com",
            "999-9999",
            "alex@example.com",
        ):
            body = body.replace(f'value="{typed}"', 'value=""')
        # Per-response values: the CSP nonce and the time-stamped CSRF token.
        body = re.sub(r'nonce="[^"]+"', "", body)
        bodies.add(re.sub(r'name="csrf_token" value="[^"]+"', "", body))
    assert len(bodies) == 1


def test_empty_fields_keep_what_was_typed(client):
    r = lookup(client, number="ST-1001", contact="")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'value="ST-1001"' in html
    assert 'role="alert"' in html and 'aria-invalid="true"' in html


def test_unknown_brand_is_404(client):
    assert client.get("/no-such-shop/").status_code == 404
    assert lookup(client, brand="no-such-shop", number="x", contact="y").status_code == 404


def test_lookup_is_rate_limited(app, demo):
    app.config["LOOKUP_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    codes = [lookup(client, number="ST-1", contact="a@b.c").status_code for _ in range(4)]
    assert codes[:3] == [404, 404, 404]
    assert codes[3] == 429
    # Another shop keeps its own budget.
    assert lookup(client, brand="northpeak", number="NP-1", contact="a@b.c").status_code == 404


def test_csrf_is_enforced(app_config, demo):
    from app import create_app

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    r = client.post("/sakura-tea/lookup", data={"number": "ST-1001", "contact": "150-0001"})
    assert r.status_code == 400
    form = client.get("/sakura-tea/").get_data(as_text=True)
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post(
        "/sakura-tea/lookup",
        data={"number": "ST-1001", "contact": "150-0001", "csrf_token": token},
    )
    assert r.status_code == 303


def test_orders_are_stored_normalized_at_ingest(client, session):
    from tracking.orders.intake import create_order

    order = create_order(
        session,
        brand="northpeak",
        number=" np-3001 ",
        email=" Kit@Example.COM",
        postcode="〒１５０ー０００１",
        name="Kit",
    )
    session.commit()
    assert (order.number, order.email, order.postcode) == ("NP-3001", "kit@example.com", "1500001")
    assert (
        lookup(client, brand="northpeak", number="NP-3001", contact="150-0001").status_code == 303
    )
