"""Budgets of the tracking page: HTML size, total transfer, SQL queries, own host only."""

from __future__ import annotations

import re

import pytest

from tests.support.queries import counted_queries

ALL_DEMO = ["ST-1001", "ST-1002", "ST-1003", "ST-1004", "ST-1005", "ST-1006", "ST-1007", "ST-1008"]
ALL_DEMO += ["NP-2001", "NP-2002", "NP-2003", "NP-2004", "NP-2005", "NP-2006"]
# What the browser fetches for a page: stylesheets, scripts and images (links are not fetched).
RESOURCE = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"')


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_page_html_is_at_most_30_kb(client, demo, token_for, lang):
    for number in ALL_DEMO:
        order = demo[number]
        r = client.get(f"/{order.brand}/o/{token_for(order)}?lang={lang}")
        assert r.status_code == 200
        assert len(r.data) <= 30 * 1024, f"{number} ({lang}): {len(r.data)} bytes"


def test_total_transfer_is_at_most_100_kb_and_only_our_host(client, demo, token_for):
    for number in ALL_DEMO:
        order = demo[number]
        html = client.get(f"/{order.brand}/o/{token_for(order)}?lang=en").get_data(as_text=True)
        total = len(html.encode())
        for url in RESOURCE.findall(html):
            url = url.replace("&amp;", "&")
            if url.startswith("data:image/"):  # a small image inside the page: counted above
                continue
            assert url.startswith("/") and not url.startswith("//"), f"foreign resource {url}"
            r = client.get(url)
            assert r.status_code == 200, url
            total += len(r.data)
        assert total <= 100 * 1024, f"{number}: {total} bytes"


def test_a_cold_view_makes_at_most_4_queries_and_a_warm_one_1(app, client, demo, token_for):
    """Cold (the order changed since its page was last rendered): the data version, then the
    view model's three at most. Warm (rendered before, nothing written since): the data
    version alone, for the page, its htmx part and the part's 304 alike."""
    client.get("/healthz")  # the engine connects on first use
    for number in ALL_DEMO:
        order = demo[number]
        url = f"/{order.brand}/o/{token_for(order)}"
        for headers in ({}, {"HX-Request": "true"}):
            with counted_queries(app) as statements:
                assert client.get(url, headers=headers).status_code == 200
            assert len(statements) <= 4, f"{number} {headers} cold: {statements}"
            with counted_queries(app) as statements:
                r = client.get(url, headers=headers)
                assert r.status_code == 200
            assert len(statements) == 1, f"{number} {headers} warm: {statements}"
        with counted_queries(app) as statements:
            headers = {"HX-Request": "true", "If-None-Match": r.headers["ETag"]}
            assert client.get(url, headers=headers).status_code == 304
        assert len(statements) == 1, f"{number} 304: {statements}"


def test_the_counter_sees_queries(app, client, demo, token_for):
    # The listener must really count: the page reads at least the order and its parcels.
    order = demo["NP-2001"]
    with counted_queries(app) as statements:
        client.get(f"/{order.brand}/o/{token_for(order)}")
    assert len(statements) >= 2


def test_no_third_party_urls_in_resources_or_css(client, demo, token_for):
    css = client.get("/static/css/todoku.css").get_data(as_text=True)
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    order = demo["ST-1001"]
    r = client.get(f"/{order.brand}/o/{token_for(order)}")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
