"""A bad brand file stops start-up with the file, the key and what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import ROOT
from tracking.brands.brand import BrandConfigError, contrast, load_brands

GOOD = """
slug = "demo-shop"
default_locale = "ja"
locales = ["ja", "en"]
[name]
ja = "デモ"
en = "Demo"
[support]
email = "help@demo.example"
"""


def write(tmp_path: Path, text: str, name: str = "demo-shop") -> Path:
    (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_shipped_demo_brands_are_valid():
    brands = load_brands(ROOT / "brands")
    assert set(brands) >= {"sakura-tea", "northpeak"}
    assert brands["sakura-tea"].default_locale == "ja"
    assert brands["northpeak"].default_locale == "en"


def test_minimal_brand_loads_with_defaults(tmp_path):
    brand = load_brands(write(tmp_path, GOOD))["demo-shop"]
    assert brand.timezone == "Asia/Tokyo" and brand.theme.primary.startswith("#")


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (GOOD + "\n[theme\n", "", "not valid TOML"),
        (GOOD.replace('[support]\nemail = "help@demo.example"', ""), "support", "is required"),
        (GOOD + 'colour = "red"\n', "support.colour", "unknown key"),
        (GOOD + '[theme]\nprimary = "red"\n', "theme.primary", "must be a colour"),
        (GOOD + '[theme]\nprimary = "#ffff00"\n', "theme", "contrast"),
        (
            GOOD.replace('locales = ["ja", "en"]', 'locales = ["ja", "fr"]'),
            "locales",
            "unsupported locale",
        ),
        (
            GOOD.replace('default_locale = "ja"', 'default_locale = "en"').replace(
                '"ja", "en"', '"ja"'
            ),
            "default_locale",
            "is not in locales",
        ),
        ('timezone = "Mars/Olympus"\n' + GOOD, "timezone", "unknown time zone"),
        (GOOD + '[carriers.pigeon]\nvia = "simulated"\n', "carriers", "unknown carrier"),
        (GOOD + '[carriers.yamato]\nvia = "owl"\n', "carriers.yamato.via", "unknown carrier"),
        (
            GOOD.replace('email = "help@demo.example"', 'email = "not-an-email"'),
            "support.email",
            "email",
        ),
        (GOOD + '[theme]\nlogo = "missing.svg"\n', "theme.logo", "no image file"),
        (GOOD.replace('slug = "demo-shop"', 'slug = "Demo Shop"'), "slug", "lower-case"),
    ],
    ids=[
        "toml",
        "missing-key",
        "unknown-key",
        "colour",
        "contrast",
        "locale",
        "default-locale",
        "timezone",
        "carrier",
        "via",
        "email",
        "logo",
        "slug",
    ],
)
def test_each_kind_of_mistake_is_named(tmp_path, text, key, message):
    with pytest.raises(BrandConfigError) as err:
        load_brands(write(tmp_path, text))
    text = str(err.value)
    assert "demo-shop.toml" in text
    assert key in text
    assert message in text


def test_slug_must_match_file_name(tmp_path):
    with pytest.raises(BrandConfigError, match=r"other\.toml: slug"):
        load_brands(write(tmp_path, GOOD, name="other"))


def test_reserved_slug_is_refused(tmp_path):
    with pytest.raises(BrandConfigError, match="reserved"):
        load_brands(write(tmp_path, GOOD.replace('"demo-shop"', '"admin"'), name="admin"))


def test_hostname_used_twice_is_refused(tmp_path):
    write(tmp_path, 'hostnames = ["track.example.com"]\n' + GOOD)
    write(
        tmp_path,
        'hostnames = ["track.example.com"]\n' + GOOD.replace("demo-shop", "second"),
        "second",
    )
    with pytest.raises(BrandConfigError, match="hostnames.*already used"):
        load_brands(tmp_path)


def test_bad_brand_file_stops_app_start(tmp_path, app_config):
    from app import create_app

    shutil.copytree(ROOT / "brands", tmp_path / "brands")
    (tmp_path / "brands" / "northpeak.toml").write_text(
        (ROOT / "brands/northpeak.toml")
        .read_text()
        .replace('primary = "#1e4d3a"', 'primary = "green"')
    )
    with pytest.raises(BrandConfigError, match=r"northpeak\.toml: theme\.primary"):
        create_app({**app_config, "BRANDS_DIR": str(tmp_path / "brands")})


def test_brand_hostname_serves_its_lookup_page(tmp_path, app_config):
    from app import create_app

    shutil.copytree(ROOT / "brands", tmp_path / "brands")
    path = tmp_path / "brands" / "northpeak.toml"
    path.write_text('hostnames = ["track.northpeak.example"]\n' + path.read_text())
    app = create_app({**app_config, "BRANDS_DIR": str(tmp_path / "brands")})
    html = (
        app.test_client().get("/", base_url="http://track.northpeak.example").get_data(as_text=True)
    )
    assert "Northpeak Outfitters" in html and "Find your order" in html


def test_contrast_formula():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48
