"""An address as the post of its country writes it, in the reader's language.

Japan in Japanese: 〒 and the postcode first, then prefecture → city → street → building, the
addressee last with 様 (a person) or 御中 (a shop or department). Japan in English: the Japan
Post order for Latin script (addressee, building, street, city, prefecture + postcode). The US:
addressee, street, "City, ST ZIP". Germany (and the EU countries that write it so): street,
"PLZ City". The country line is added when the address is abroad for the reader (``home``).
A 〒 is only ever printed for a Japanese postcode: it is Japan Post's mark, not a "postcode" sign.

Pure: no request, no database. Pages use it through the ``postal_lines`` Jinja helper
(``tracking.addresses.jinja``), mail through ``lines`` directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel import Locale

#: Countries whose addresses put the postcode before the city ("10115 Berlin"): most of
#: continental Europe. Others not listed here get the same generic order.
POSTCODE_FIRST = frozenset({"DE", "AT", "CH", "FR", "IT", "ES", "NL", "BE", "DK", "SE", "FI"})


@dataclass(frozen=True)
class PostalAddress:
    country: str  # ISO 3166-1 alpha-2, "" when unknown
    postcode: str = ""
    region: str = ""  # prefecture (都道府県) / state
    locality: str = ""  # city, ward and town (市区町村・町名)
    street: str = ""  # street and number (番地); a one-line address when unstructured
    extra: str = ""  # building, floor, department (建物名・部屋番号)
    name: str = ""  # the addressee
    organization: bool = False  # a shop or department: 御中 in Japanese, not 様
    phone: str = ""


def postcode(country: str, raw: str) -> str:
    """The postcode as that country writes it: 1500001 → 150-0001 (JP), 972051234 →
    97205-1234 (US); others as given (upper-case, single spaces)."""
    text = " ".join((raw or "").split()).upper()
    digits = re.sub(r"\D", "", text)
    if country == "JP" and len(digits) == 7:
        return f"{digits[:3]}-{digits[3:]}"
    if country == "US" and len(digits) in (5, 9) and len(digits) == len(re.sub(r"[ -]", "", text)):
        return digits if len(digits) == 5 else f"{digits[:5]}-{digits[5:]}"
    return text


def japanese_form(address: PostalAddress, locale: str) -> bool:
    """Written the Japanese way: a Japanese address read in Japanese."""
    return address.country == "JP" and locale == "ja"


def addressee(address: PostalAddress, locale: str) -> str:
    """The name as it is written on the address: with 様 / 御中 in the Japanese form."""
    name = " ".join(address.name.split())
    if not name or not japanese_form(address, locale):
        return name
    return f"{name} {'御中' if address.organization else '様'}"


def country_name(country: str, locale: str) -> str:
    try:
        return Locale.parse(locale).territories.get(country, country)
    except (ValueError, TypeError):
        return country


def lines(address: PostalAddress, locale: str, home: str = "") -> list[str]:
    """The address block, line by line (no phone: pages label it themselves). ``home`` is the
    reader's country: the country line is printed when the address is elsewhere."""
    a = address
    code = postcode(a.country, a.postcode)
    name = addressee(a, locale)
    abroad = country_name(a.country, locale) if a.country and a.country != home else ""
    if japanese_form(a, locale):
        block = [f"〒{code}" if code else "", f"{a.region}{a.locality}{a.street}", a.extra, name]
        return _kept(block + [abroad])
    if a.country == "JP":  # Latin script, Japan Post's order for mail from abroad
        block = [name, a.extra, _joined(", ", a.street, a.locality), _joined(" ", a.region, code)]
    elif a.country == "US":
        city = _joined(", ", a.locality, _joined(" ", a.region, code))
        block = [name, a.street, a.extra, city]
    elif a.country in POSTCODE_FIRST:
        block = [name, a.street, a.extra, _joined(" ", code, a.locality), a.region]
    else:
        block = [name, a.street, a.extra, _joined(" ", a.locality, a.region, code)]
    return _kept(block + [abroad])


def _joined(sep: str, *parts: str) -> str:
    return sep.join(p for p in parts if p)


def _kept(block: list[str]) -> list[str]:
    return [line for line in (" ".join(x.split()) for x in block) if line]


def slip(address: PostalAddress) -> dict[str, str]:
    """The お届け先 box of a Japanese carrier's slip (宅急便, 飛脚宅配便, ゆうパック), field by
    field as the slip asks for them; written in Japanese whatever the page's language, since
    the customer copies it onto a Japanese form."""
    return {
        "postcode": postcode(address.country, address.postcode),
        "address": _joined(
            " ", f"{address.region}{address.locality}{address.street}", address.extra
        ),
        "name": addressee(address, "ja"),
        "phone": address.phone,
    }


def of_order(order, default_country: str = "") -> PostalAddress:
    """An order's ship-to address (intake keeps it as one line) and customer name."""
    return PostalAddress(
        country=order.country or default_country,
        postcode=order.postcode,
        street=order.address,
        name=order.name,
        phone=order.phone,
    )
