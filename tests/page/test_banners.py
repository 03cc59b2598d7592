"""Cross-sell banners: targeting, date ranges, locales, the click redirect and its allow-list."""

from __future__ import annotations

import re
import shutil
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError
from sqlmodel import select

from tests.support import ROOT
from tracking.brands.brand import BrandConfigError, load_brands
from tracking.page import banners
from tracking.page.config import PageConfig
from tracking.page.models import PageEvent

TODAY = date(2026, 11, 23)


def banner(**over) -> dict:
    base = {
        "id": "teaware",
        "image": "banner-teaware.svg",
        "title": {"ja": "急須", "en": "Teapots"},
        "alt": {"ja": "急須の絵", "en": "A teapot"},
        "target": "https://shop.example/teaware",
    }
    return base | over


def page(*banners_, **over) -> PageConfig:
    return PageConfig.model_validate({"banners": list(banners_)} | over)


def shown(cfg, locale="ja", today=TODAY, tags=("tea",), statuses=("in_transit",)) -> list[str]:
    chosen = banners.for_order(cfg, locale=locale, today=today, tags=tags, statuses=statuses)
    return [b.id for slot in chosen.values() for b in slot]


# --- targeting -------------------------------------------------------------------------------


def test_tag_targeting_matches_any_item_tag():
    cfg = page(banner(tags=["tea"]), banner(id="gear", tags=["camping", "footwear"]))
    assert shown(cfg, tags={"tea", "teaware"}) == ["teaware"]
    assert shown(cfg, tags={"footwear"}) == ["gear"]
    assert shown(cfg, tags=set()) == []


def test_status_targeting_matches_any_parcel_status():
    cfg = page(banner(statuses=["delivered"]))
    assert shown(cfg, statuses={"in_transit"}) == []
    assert shown(cfg, statuses={"in_transit", "delivered"}) == ["teaware"]
    assert shown(cfg, statuses=set()) == []  # nothing shipped yet: no parcel is delivered


def test_untargeted_banner_is_shown_to_everyone():
    assert shown(page(banner()), tags=set(), statuses=set()) == ["teaware"]


def test_date_range_is_inclusive_in_shop_days():
    cfg = page(banner(start="2026-11-01", end="2026-11-30"))
    assert shown(cfg, today=date(2026, 10, 31)) == []
    assert shown(cfg, today=date(2026, 11, 1)) == ["teaware"]
    assert shown(cfg, today=date(2026, 11, 30)) == ["teaware"]
    assert shown(cfg, today=date(2026, 12, 1)) == []
    open_ended = page(banner(start="2026-12-01"))
    assert shown(open_ended, today=date(2030, 1, 1)) == ["teaware"]


def test_locales_limit_where_a_banner_shows():
    only_ja = page(banner(locales=["ja"]))
    assert shown(only_ja, locale="ja") == ["teaware"]
    assert shown(only_ja, locale="en") == []
    # Without `locales`, a banner shows in the languages it has a title for.
    ja_title = page(banner(title={"ja": "急須"}, alt={"ja": "急須の絵"}))
    assert shown(ja_title, locale="en") == []


def test_brand_can_turn_banners_off_and_cap_them():
    assert shown(page(banner(), banners_enabled=False)) == []
    many = page(*(banner(id=f"b{i}") for i in range(5)), max_banners=2)
    assert shown(many) == ["b0", "b1"]


# --- config validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "//evil.example/x",
        "/relative/path",
        "ftp://shop.example/x",
        "https://user:pw@shop.example/x",
        "https://shop.example/a b",
        "https://",
    ],
)
def test_only_absolute_http_targets_are_accepted(target):
    with pytest.raises(ValidationError, match="target"):
        page(banner(target=target))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "Bad Id"}, "id"),
        ({"image": "../secret.svg"}, "image"),
        ({"start": "2026-12-01", "end": "2026-11-01"}, "before start"),
        ({"locales": ["fr"]}, "unsupported locale"),
        ({"statuses": ["shipped"]}, "unknown shipment status"),
        ({"locales": ["en"], "alt": {"ja": "x"}}, "alt has no 'en' text"),
        ({"placement": "hero"}, "placement"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_banner_config_names_the_problem(change, message):
    with pytest.raises(ValidationError, match=message):
        page(banner(**change))


def test_duplicate_banner_ids_are_refused():
    with pytest.raises(ValidationError, match="used twice"):
        page(banner(), banner())


def test_missing_banner_image_stops_start_up(tmp_path):
    shutil.copytree(ROOT / "brands", tmp_path / "brands")
    toml = tmp_path / "brands" / "sakura-tea.toml"
    toml.write_text(toml.read_text().replace("banner-teaware.svg", "nope.svg"))
    with pytest.raises(
        BrandConfigError, match=r'page\.banners\.0\.image: no image file "nope.svg"'
    ):
        load_brands(tmp_path / "brands")


# --- the click route ----------------------------------------------------------------------------


def test_click_is_recorded_and_redirects_with_utm(client, session, demo, token_for):
    html = client.get(f"/sakura-tea/o/{token_for(demo['ST-1003'])}").get_data(as_text=True)
    link = re.search(r'href="(/sakura-tea/go/teaware\?v=[^"]+)"', html).group(1)
    r = client.get(link.replace("&amp;", "&"))
    assert r.status_code == 302
    target = urlsplit(r.headers["Location"])
    assert (target.scheme, target.netloc, target.path) == (
        "https",
        "sakura-tea.example",
        "/collections/teaware",
    )
    assert parse_qs(target.query) == {
        "utm_source": ["todoku"],
        "utm_medium": ["tracking_page"],
        "utm_campaign": ["teaware"],
        "utm_content": ["after_status"],
    }
    assert r.headers["Referrer-Policy"] == "no-referrer"
    click = session.exec(select(PageEvent).where(PageEvent.kind == "click")).one()
    assert (click.banner, click.order_id) == ("teaware", demo["ST-1003"].id)
    assert click.view_id


def test_shop_query_is_kept_and_its_utm_wins(client):
    r = client.get("/sakura-tea/go/winter-blend")
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert query["ref"] == ["tracking"] and query["utm_campaign"] == ["winter-blend"]
    with_own = banners.click_target(
        page(banner(target="https://shop.example/x?utm_source=mail")).banners[0]
    )
    assert parse_qs(urlsplit(with_own).query)["utm_source"] == ["mail"]


def test_click_without_a_view_token_still_counts_unattributed(client, session):
    r = client.get("/sakura-tea/go/teaware?v=forged.token")
    assert r.status_code == 302
    click = session.exec(select(PageEvent)).one()
    assert click.order_id is None and click.view_id == ""


@pytest.mark.parametrize(
    "path",
    [
        "/sakura-tea/go/no-such-banner",  # tampered id
        "/sakura-tea/go/Teaware",
        "/sakura-tea/go/boot-care",  # another shop's banner
        "/sakura-tea/go/https:%2F%2Fevil.example",
        "/no-such-shop/go/teaware",
    ],
)
def test_undeclared_banner_is_plain_404_and_not_recorded(client, session, path):
    assert client.get(path).status_code == 404
    assert session.exec(select(PageEvent)).all() == []


def test_a_nul_in_a_banner_id_is_refused_at_the_door_and_not_recorded(client, session):
    assert client.get("/sakura-tea/go/teaware%00").status_code == 400
    assert session.exec(select(PageEvent)).all() == []


def test_redirect_never_comes_from_the_request(client):
    r = client.get("/sakura-tea/go/teaware?url=https://evil.example&next=//evil.example")
    assert r.status_code == 302
    assert urlsplit(r.headers["Location"]).netloc == "sakura-tea.example"


@pytest.fixture
def banners_off_app(app_config, tmp_path):
    from app import create_app

    shutil.copytree(ROOT / "brands", tmp_path / "brands")
    toml = tmp_path / "brands" / "sakura-tea.toml"
    toml.write_text(toml.read_text().replace("banners_enabled = true", "banners_enabled = false"))
    return create_app({**app_config, "BRANDS_DIR": str(tmp_path / "brands")})


def test_banners_off_means_no_banners_and_no_clicks(banners_off_app):
    from sqlmodel import Session

    from tracking import demo
    from tracking.db import get_engine
    from tracking.security import order_token

    with banners_off_app.app_context(), Session(get_engine(banners_off_app)) as s:
        order = {o.number: o for o in demo.load(s)}["ST-1003"]
        token = order_token("sakura-tea", order.public_id)
    client = banners_off_app.test_client()
    html = client.get(f"/sakura-tea/o/{token}").get_data(as_text=True)
    assert "/go/" not in html and 'class="recs"' not in html
    assert client.get("/sakura-tea/go/teaware").status_code == 404


# --- impressions ---------------------------------------------------------------------------------


def _pixel(html: str) -> str:
    return re.search(r'<img class="px" src="([^"]+)"', html).group(1).replace("&amp;", "&")


def test_impressions_are_recorded_once_per_page_view(client, session, demo, token_for):
    url = f"/sakura-tea/o/{token_for(demo['ST-1003'])}"
    first = _pixel(client.get(url).get_data(as_text=True))
    assert "b=teaware" in first
    r = client.get(first)
    assert r.status_code == 200 and r.mimetype == "image/gif"
    client.get(first)  # the same view again (reload from cache, double fire): counted once
    events = session.exec(select(PageEvent).order_by(PageEvent.id)).all()
    # Which banners show depends on today's date (the demo's winter banner ends in February).
    listed = parse_qs(urlsplit(first).query)["b"][0].split(",")
    kinds = sorted((e.kind, e.banner) for e in events)
    assert kinds == sorted([("view", "")] + [("impression", b) for b in listed])
    assert {e.order_id for e in events} == {demo["ST-1003"].id}
    # A second page view is a new view with its own impressions.
    client.get(_pixel(client.get(url).get_data(as_text=True)))
    assert len(session.exec(select(PageEvent)).all()) == 2 * (1 + len(listed))


def test_pixel_ignores_undeclared_banners_and_refuses_forged_views(
    client, session, demo, token_for
):
    html = client.get(f"/sakura-tea/o/{token_for(demo['ST-1003'])}").get_data(as_text=True)
    pixel = _pixel(html).split("?")[0]
    client.get(pixel + "?b=teaware,evil,boot-care")
    assert sorted(e.banner for e in session.exec(select(PageEvent)).all()) == ["", "teaware"]
    assert client.get("/sakura-tea/px/forged.gif").status_code == 404
    other_brand = pixel.replace("/sakura-tea/", "/northpeak/")
    assert client.get(other_brand).status_code == 404


def test_htmx_refresh_records_nothing(client, session, demo, token_for):
    url = f"/sakura-tea/o/{token_for(demo['ST-1003'])}"
    part = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "/px/" not in part and "/go/" not in part


def test_banner_images_are_served_by_id_only(client):
    r = client.get("/sakura-tea/banner/teaware")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert client.get("/sakura-tea/banner/banner-teaware.svg").status_code == 404
    assert client.get("/sakura-tea/banner/boot-care").status_code == 404


def test_brand_file_error_names_the_banner_key(tmp_path):
    shutil.copytree(ROOT / "brands", tmp_path / "brands")
    toml = tmp_path / "brands" / "northpeak.toml"
    toml.write_text(
        toml.read_text().replace(
            'target = "https://northpeak.example/boot-care"', 'target = "javascript:alert(1)"'
        )
    )
    with pytest.raises(BrandConfigError, match=r"page\.banners\.0\.target: must be an http"):
        load_brands(tmp_path / "brands")


def test_view_token_carries_the_random_public_id_not_the_row_id(client, demo, token_for):
    import base64
    import json

    html = client.get(f"/sakura-tea/o/{token_for(demo['ST-1003'])}").get_data(as_text=True)
    token = re.search(r"/px/([^\"?]+)\.gif", html).group(1)
    payload = token.split(".")[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert data[:2] == ["sakura-tea", demo["ST-1003"].public_id]
