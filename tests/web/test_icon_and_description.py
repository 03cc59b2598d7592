"""The brand's tab icon (its logo, or its square mark when the logo is a wordmark) and a
localized meta description on customer pages that names no order detail."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

ASSETS = Path(__file__).resolve().parents[2] / "brands" / "assets"


def _icon(html: str) -> str:
    return re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)


@pytest.mark.parametrize(
    ("brand", "asset"), [("sakura-tea", "sakura-tea.svg"), ("northpeak", "northpeak.svg")]
)
def test_the_tab_shows_the_brands_mark(client, brand, asset):
    href = _icon(client.get(f"/{brand}/").get_data(as_text=True))
    data = (ASSETS / asset).read_bytes()
    if href.startswith("data:"):  # small images ride inside the page
        assert base64.b64decode(href.split(",", 1)[1]) == data
    else:
        assert client.get(href).data == data
    assert client.get(f"/{brand}/icon").data == data


def test_the_icon_of_an_unknown_brand_is_a_404(client):
    assert client.get("/no-such-shop/icon").status_code == 404


def test_a_wordmark_alone_is_no_tab_icon(app):
    brand = app.extensions["todoku_brands"]["northpeak"]
    theme = brand.theme.model_copy(update={"icon": None})
    assert theme.logo_has_name and theme.tab_icon is None
    assert theme.model_copy(update={"logo_has_name": False}).tab_icon == theme.logo


@pytest.mark.parametrize(
    ("lang", "words"), [("ja", "配送状況とお届け予定日"), ("en", "when it arrives")]
)
def test_customer_pages_carry_a_localized_description(client, demo, token_for, lang, words):
    order = demo["ST-1001"]
    for url in ("/sakura-tea/", f"/sakura-tea/o/{token_for(order)}"):
        html = client.get(f"{url}?lang={lang}").get_data(as_text=True)
        found = re.search(r'<meta name="description" content="([^"]+)">', html)
        assert found and ("さくら茶舗" if lang == "ja" else "Sakura Tea") in found.group(1), url
        assert words.lower() in found.group(1).lower(), url
        assert order.number not in found.group(1) and "@" not in found.group(1)


@pytest.mark.parametrize(("lang", "words"), [("ja", "返品・交換"), ("en", "return")])
def test_return_pages_describe_themselves(client, demo, token_for, lang, words):
    from sqlmodel import select

    from tracking.db import get_session
    from tracking.orders.models import Order
    from tracking.returns import queries
    from tracking.returns.links import return_token

    order = demo["ST-1001"]
    urls = [f"/sakura-tea/o/{token_for(order)}/return"]
    with client.application.app_context():
        session = get_session()
        other = session.exec(select(Order).where(Order.number == "ST-1205")).one()
        rr = queries.for_order(session, other)[0]
        urls.append(f"/sakura-tea/r/{return_token('sakura-tea', rr.public_id)}")
    descriptions = set()
    for url in urls:
        html = client.get(f"{url}?lang={lang}").get_data(as_text=True)
        found = re.search(r'<meta name="description" content="([^"]+)">', html)
        assert found and words in found.group(1).lower(), url
        assert order.number not in found.group(1) and rr.rma not in found.group(1)
        descriptions.add(found.group(1))
    assert len(descriptions) == 2  # each page says what it is
