"""Order items' pictures: only from the hosts a brand allows (``[page] image_hosts``), named
in the page's CSP and nowhere else; lazy, sized, with the item's name as alt text; refused by
the API with a stable code and field, dropped by webhooks; the demo's own pictures shown."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.brands.test_check import GOOD, brand_dir, flask
from tests.factories import items_of, make_order
from tests.orders.test_shopify_hooks import ORDER, SECRET, send
from tracking.orders.models import OrderItem
from tracking.page.config import PageConfig
from tracking.staff.api_keys import create_api_key

IMG = re.compile(r"<img class=\"thumb\"[^>]*>")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SHOPIFY_WEBHOOK_SECRETS": {"SAKURA_TEA": SECRET}}


def test_item_image_rules():
    page = PageConfig(image_hosts=["CDN.shopify.com", "cdn.shopify.com", "img.example.jp"])
    assert page.image_hosts == ["cdn.shopify.com", "img.example.jp"]
    assert page.item_image("https://img.example.jp/a.jpg") == "https://img.example.jp/a.jpg"
    # A resizing host is asked for a thumbnail twice the shown size.
    assert page.item_image("https://cdn.shopify.com/s/a.jpg?v=1") == (
        "https://cdn.shopify.com/s/a.jpg?v=1&width=112"
    )
    assert page.item_image("/static/demo/items/yunomi.svg") == "/static/demo/items/yunomi.svg"
    for refused in (
        "http://img.example.jp/a.jpg",  # not https
        "https://other.example/a.jpg",
        "https://img.example.jp.evil.example/a.jpg",
        "https://user@img.example.jp/a.jpg",
        "https://img.example.jp:8443/a.jpg",
        "/static/../app.py",
        "javascript:alert(1)",
    ):
        assert page.item_image(refused) is None, refused
    assert page.item_image("") is None and page.image_allowed("")


@pytest.mark.parametrize(
    "hosts", ['["https://cdn.shopify.com"]', '["cdn.shopify.com/files"]', '["*.shopify.com"]']
)
def test_brands_check_explains_a_bad_image_host_in_both_languages(tmp_path, hosts):
    directory = brand_dir(tmp_path, GOOD + f"[page]\nimage_hosts = {hosts}\n")
    en = flask(tmp_path, directory, "brands", "check", "--lang", "en")
    assert en.returncode == 1
    line = next(x for x in en.stdout.splitlines() if "page.image_hosts" in x)
    assert "is not a host name" in line and 'image_hosts = ["cdn.shopify.com"]' in line
    ja = flask(tmp_path, directory, "brands", "check", "--lang", "ja")
    line = next(x for x in ja.stdout.splitlines() if "page.image_hosts" in x)
    assert "ホスト名" in line and "例" in line, line


def test_demo_page_shows_lazy_sized_pictures_and_the_csp_names_the_hosts(client, demo, token_for):
    order = demo["ST-1001"]
    r = client.get(f"/sakura-tea/o/{token_for(order)}?lang=ja")
    html = r.get_data(as_text=True)
    imgs = IMG.findall(html)
    assert imgs, "the demo's pictures are shown"
    for img in imgs:
        for attr in ('loading="lazy"', 'decoding="async"', 'width="56"', 'height="56"'):
            assert attr in img, img
    assert 'alt="有田焼 湯呑み"' in html
    # Our own small pictures are inlined like the logos: no request of their own.
    assert re.search(r'src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="有田焼 湯呑み"', html)
    assert "/static/demo/items/" not in html
    csp = r.headers["Content-Security-Policy"]
    img_src = re.search(r"img-src ([^;]+);", csp).group(1).split()
    assert img_src == [
        "'self'",
        "data:",
        "https://cdn.shopify.com",
        "https://thumbnail.image.rakuten.co.jp",
    ]
    other = demo["NP-2001"]
    csp = client.get(f"/northpeak/o/{token_for(other)}").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://cdn.shopify.com;" in csp
    # Pages of no brand allow no image host.
    assert "img-src 'self' data:;" in client.get("/").headers["Content-Security-Policy"]


def test_a_picture_from_a_host_not_allowed_is_not_shown(client, session, token_for):
    order = make_order(session)
    first, second = items_of(session, order)
    first.image = "https://tracker.example/pixel.jpg"
    second.image = "https://cdn.shopify.com/s/files/cup.jpg"
    session.add_all([first, second])
    session.commit()
    html = client.get(f"/sakura-tea/o/{token_for(order)}").get_data(as_text=True)
    assert "tracker.example" not in html
    assert 'src="https://cdn.shopify.com/s/files/cup.jpg?width=112"' in html


def test_the_return_form_shows_the_pictures(client, demo, token_for):
    order = demo["ST-1001"]
    html = client.get(f"/sakura-tea/o/{token_for(order)}/return?lang=en").get_data(as_text=True)
    assert '<legend><img class="thumb" src="data:image/svg+xml;base64,' in html


def test_api_refuses_a_picture_from_another_host_with_code_and_field(app, client, session):
    with app.app_context():
        h = {"Authorization": "Bearer " + create_api_key(session, "northpeak", "wms")}
    body = {
        "email": "a@example.com",
        "items": [
            {"name": "Boots", "image_url": "https://cdn.shopify.com/s/boots.jpg"},
            {"name": "Socks", "image_url": "https://images.example/socks.jpg"},
        ],
    }
    r = client.put("/api/v1/orders/NP-9001", json=body, headers=h)
    assert r.status_code == 422
    assert r.json["error"]["code"] == "image_host_not_allowed"
    assert r.json["error"]["field"] == "items.1.image_url"
    assert "cdn.shopify.com" in r.json["error"]["message"]
    body["items"][1]["image_url"] = "https://cdn.shopify.com/s/socks.jpg"
    r = client.put("/api/v1/orders/NP-9001", json=body, headers=h)
    assert r.status_code == 201
    assert [i["image_url"] for i in r.json["order"]["items"]] == [
        "https://cdn.shopify.com/s/boots.jpg",
        "https://cdn.shopify.com/s/socks.jpg",
    ]


def test_shopify_webhook_maps_the_line_item_picture_and_drops_other_hosts(client, session):
    body = {
        **ORDER,
        "line_items": [
            {**ORDER["line_items"][0], "image": {"url": "https://cdn.shopify.com/s/sencha.jpg"}},
            {**ORDER["line_items"][1], "image": {"src": "https://ads.example/hojicha.jpg"}},
        ],
    }
    r = send(client, "orders/create", body, "img-1")
    assert r.status_code == 200 and r.json["status"] == "applied"
    images = {i.sku: i.image for i in session.exec(select(OrderItem))}
    assert images == {"TEA-01": "https://cdn.shopify.com/s/sencha.jpg", "TEA-02": ""}
