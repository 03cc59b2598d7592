"""Addresses in each country's order (JP both ways, US, Germany), pure."""

from __future__ import annotations

import pytest

from tracking.addresses.postal import PostalAddress, addressee, lines, postcode, slip

SHOP_JP_JA = PostalAddress(
    country="JP",
    postcode="1500001",
    region="東京都",
    locality="渋谷区神宮前",
    street="1-2-3",
    extra="さくらビル2階",
    name="さくら茶舗 返品係",
    organization=True,
    phone="03-1234-5678",
)
SHOP_JP_EN = PostalAddress(
    country="JP",
    postcode="150-0001",
    region="Tokyo",
    locality="Shibuya-ku",
    street="1-2-3 Jingumae",
    extra="Sakura Bldg 2F",
    name="Sakura Tea Returns",
    organization=True,
)
US = PostalAddress(
    country="US",
    postcode="97205",
    region="OR",
    locality="Portland",
    street="1200 SW Park Ave",
    name="Northpeak Returns",
)
DE = PostalAddress(
    country="DE",
    postcode="10115",
    locality="Berlin",
    street="Invalidenstraße 117",
    name="Erika Mustermann",
)


def test_japan_in_japanese_postcode_first_prefecture_first_name_last():
    assert lines(SHOP_JP_JA, "ja", home="JP") == [
        "〒150-0001",
        "東京都渋谷区神宮前1-2-3",
        "さくらビル2階",
        "さくら茶舗 返品係 御中",
    ]


def test_a_person_in_japan_gets_sama():
    person = PostalAddress(
        country="JP", postcode="150-0001", street="東京都渋谷区神宮前1-2-3", name="山田  花子"
    )
    assert lines(person, "ja", home="JP")[-1] == "山田 花子 様"
    assert addressee(person, "en") == "山田 花子"  # no honorific outside the Japanese form


def test_japan_in_english_follows_japan_post_latin_order():
    assert lines(SHOP_JP_EN, "en", home="JP") == [
        "Sakura Tea Returns",
        "Sakura Bldg 2F",
        "1-2-3 Jingumae, Shibuya-ku",
        "Tokyo 150-0001",
    ]
    assert lines(SHOP_JP_EN, "en", home="US")[-1] == "Japan"


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_a_us_address_is_name_first_zip_last_and_never_gets_the_japanese_postal_mark(locale):
    block = lines(US, locale, home="US")
    assert block == ["Northpeak Returns", "1200 SW Park Ave", "Portland, OR 97205"]
    assert not any("〒" in line for line in block)


def test_a_us_address_abroad_names_its_country_in_the_readers_language():
    assert lines(US, "ja", home="JP")[-1] == "アメリカ合衆国"
    assert lines(US, "en", home="JP")[-1] == "United States"


def test_germany_street_then_postcode_before_the_city():
    assert lines(DE, "en", home="DE") == ["Erika Mustermann", "Invalidenstraße 117", "10115 Berlin"]
    assert lines(DE, "ja", home="JP") == [
        "Erika Mustermann",
        "Invalidenstraße 117",
        "10115 Berlin",
        "ドイツ",
    ]


@pytest.mark.parametrize(
    ("country", "raw", "shown"),
    [
        ("JP", "1500001", "150-0001"),
        ("JP", "150-0001", "150-0001"),
        ("US", "97205", "97205"),
        ("US", "972051234", "97205-1234"),
        ("US", "97205-1234", "97205-1234"),
        ("DE", "10115", "10115"),
        ("GB", "sw1a  1aa", "SW1A 1AA"),
        ("", "1500001", "1500001"),  # country unknown: as given, no guess
    ],
)
def test_postcodes_as_each_country_writes_them(country, raw, shown):
    assert postcode(country, raw) == shown


def test_the_cod_slip_fields_are_in_japanese_in_the_slips_order():
    assert slip(SHOP_JP_JA) == {
        "postcode": "150-0001",
        "address": "東京都渋谷区神宮前1-2-3 さくらビル2階",
        "name": "さくら茶舗 返品係 御中",
        "phone": "03-1234-5678",
    }
