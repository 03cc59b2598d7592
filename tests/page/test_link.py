"""The signed tracking link and the page behind it."""

from __future__ import annotations

from tracking.security import order_token


def test_signed_link_opens_the_order(client, demo, token_for):
    r = client.get(f"/sakura-tea/o/{token_for(demo['ST-1001'])}?lang=ja")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "ご注文の配送状況" in html
    assert "配達完了" in html
    assert "静岡 深蒸し煎茶 100g" in html
    assert "ヤマト運輸" in html


def test_tampered_token_is_plain_404(client, demo, token_for):
    token = token_for(demo["ST-1001"])
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/sakura-tea/o/{tampered}").status_code == 404
    assert client.get("/sakura-tea/o/not-a-token").status_code == 404


def test_other_brands_token_is_404(client, demo, token_for):
    token = token_for(demo["NP-2001"])
    assert client.get(f"/northpeak/o/{token}").status_code == 200
    assert client.get(f"/sakura-tea/o/{token}").status_code == 404


def test_token_for_right_brand_but_unknown_order_is_404(app, client, demo):
    with app.app_context():
        token = order_token("sakura-tea", "no-such-public-id")
    assert client.get(f"/sakura-tea/o/{token}").status_code == 404


def test_token_signed_with_another_key_is_404(app, client, demo):
    app.config["SECRET_KEY"], real = "another-key", app.config["SECRET_KEY"]
    with app.app_context():
        forged = order_token("sakura-tea", demo["ST-1001"].public_id)
    app.config["SECRET_KEY"] = real
    assert client.get(f"/sakura-tea/o/{forged}").status_code == 404


def test_two_parcel_order_shows_both(client, demo, token_for):
    html = client.get(f"/northpeak/o/{token_for(demo['NP-2001'])}").get_data(as_text=True)
    assert "Parcel 1 of 2" in html and "Parcel 2 of 2" in html
    assert "UPS" in html and "DHL" in html
    assert "Ridgeline 2P Tent" in html and "Merino Trail Socks" in html


def test_unshipped_items_are_shown(client, demo, token_for):
    html = client.get(f"/sakura-tea/o/{token_for(demo['ST-1005'])}?lang=en").get_data(as_text=True)
    assert "Not shipped yet" in html


def test_htmx_gets_only_the_status_region(client, demo, token_for):
    url = f"/sakura-tea/o/{token_for(demo['ST-1003'])}"
    full = client.get(url)
    part = client.get(url, headers={"HX-Request": "true"})
    assert "<html" in full.get_data(as_text=True)
    body = part.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="status"')
    assert "hx-trigger" in body  # still moving: keeps refreshing
    assert "HX-Request" in part.headers["Vary"]


def test_terminal_order_stops_refreshing(client, demo, token_for):
    html = client.get(f"/sakura-tea/o/{token_for(demo['ST-1001'])}").get_data(as_text=True)
    assert "hx-trigger" not in html


def test_timeline_is_newest_first_and_localized(client, demo, token_for):
    html = client.get(f"/sakura-tea/o/{token_for(demo['ST-1001'])}?lang=en").get_data(as_text=True)
    timeline = html.split('class="timeline"')[1]
    assert timeline.index("Delivered") < timeline.index("Label created")


def test_page_sets_security_headers(client, demo, token_for):
    r = client.get(f"/sakura-tea/o/{token_for(demo['ST-1001'])}")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["Cache-Control"] == "private, no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_dead_database(app_config, tmp_path):
    from app import create_app

    app = create_app({**app_config, "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    r = app.test_client().get("/healthz")
    assert r.status_code == 503 and r.get_json()["database"] == "unreachable"


def test_a_return_link_is_not_an_order_link(app, client, demo):
    from tracking.returns.links import return_token

    with app.app_context():
        token = return_token("sakura-tea", demo["ST-1001"].public_id)
    assert client.get(f"/sakura-tea/o/{token}").status_code == 404


def test_refresh_announces_one_short_line_not_the_whole_region(client, demo, token_for):
    url = f"/sakura-tea/o/{token_for(demo['ST-1003'])}?lang=en"
    page = client.get(url).get_data(as_text=True)
    assert page.count('id="status-announce"') == 1
    assert 'aria-live="polite" aria-atomic="true"></p>' in page  # empty until a refresh
    assert '<div id="status" aria-live' not in page
    part = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert '<p id="status-announce" hx-swap-oob="innerHTML">Status updated: On its way</p>' in part
