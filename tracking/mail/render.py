"""Rendering a customer mail: one content model, two templates (``templates/mail/message.html``,
table-based, CSS inlined with css-inline; ``templates/mail/message.txt``), in the recipient's
language. Every mail — shipping, delivery, after-sales, returns, inquiries — goes through here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import css_inline
from flask import current_app, render_template
from flask_babel import force_locale, gettext

from tracking.brands.brand import Brand
from tracking.orders import language
from tracking.orders.models import Order

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_INLINER = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


@dataclass
class Button:
    label: str
    url: str


@dataclass
class ParcelBlock:
    carrier: str
    number: str
    status: str
    estimate: str = ""
    items: list[str] = field(default_factory=list)
    carrier_url: str | None = None


@dataclass
class Content:
    """What one mail says, already in its language; the templates only lay it out."""

    subject: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    greeting: str = ""
    button: Button | None = None
    secondary: Button | None = None
    parcels: list[ParcelBlock] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)  # (label, value) rows
    # (label, text) blocks whose line breaks are kept, e.g. a staff answer and the question
    quotes: list[tuple[str, str]] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)
    coupon: tuple[str, str] | None = None  # (text, code)
    review_url: str | None = None
    unsubscribe_url: str | None = None
    json_ld: list[dict] = field(default_factory=list)


def locale_for(brand: Brand, order: Order | None) -> str:
    """The recipient's language: staff's or the platform's choice, else the shipping country's,
    else the brand's default (``tracking.orders.language``)."""
    return language.locale_for(brand, order)


def greeting(name: str, locale: str) -> str:
    """「山田 花子 様」 in Japanese; "Hi Hanako," in English (full name when written in kanji/kana)."""
    name = " ".join(name.split())
    if not name:
        return gettext("Dear customer,")
    if locale != "ja" and not _CJK.search(name):
        name = name.split(" ")[0]
    return gettext("Hi %(name)s,", name=name)


def render(brand: Brand, locale: str, content: Content) -> tuple[str, str, str]:
    """(subject, plain text, HTML) for ``content``; call inside ``force_locale(locale)``."""
    base = current_app.config["BASE_URL"]
    context = {
        "brand": brand,
        "shop": brand.display_name(locale),
        "locale": locale,
        "c": content,
        "logo_url": f"{base}/{brand.slug}/logo" if brand.theme.logo else None,
        "logo_has_name": brand.theme.logo_has_name,  # a wordmark: no name text beside it
        "theme": brand.theme,
        "sep": "：" if locale == "ja" else ": ",  # label–value separator, full-width in Japanese
    }
    text = render_template("mail/message.txt", **context)
    html = _INLINER.inline(render_template("mail/message.html", **context))
    subject = f"[{brand.display_name(locale)}] {content.subject}"
    return subject, _tidy(text), html


def render_in(brand: Brand, locale: str, build) -> tuple[str, str, str]:
    """``build()`` → Content, evaluated and rendered in ``locale``."""
    with force_locale(locale):
        return render(brand, locale, build())


def _tidy(text: str) -> str:
    """No runs of blank lines or trailing spaces in the plain part."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"
