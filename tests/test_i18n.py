"""Locale choice: ?lang= (remembered) → cookie → Accept-Language → brand default."""

from __future__ import annotations

from datetime import date

import pytest


def lang_of(response) -> str:
    return response.get_data(as_text=True).split('<html lang="')[1].split('"')[0]


def test_brand_default_when_nothing_asked(client):
    assert lang_of(client.get("/sakura-tea/")) == "ja"
    assert lang_of(client.get("/northpeak/")) == "en"


def test_accept_language_beats_brand_default(client):
    r = client.get("/sakura-tea/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert lang_of(r) == "en"
    assert "Find your order" in r.get_data(as_text=True)


def test_query_parameter_beats_accept_language_and_is_remembered(client):
    r = client.get("/northpeak/?lang=ja", headers={"Accept-Language": "en"})
    assert lang_of(r) == "ja"
    assert "todoku_lang=ja" in r.headers["Set-Cookie"]
    # Next page, no parameter: the cookie wins over Accept-Language.
    assert lang_of(client.get("/northpeak/", headers={"Accept-Language": "en"})) == "ja"


def test_unsupported_language_is_ignored(client):
    r = client.get("/sakura-tea/?lang=fr", headers={"Accept-Language": "fr"})
    assert lang_of(r) == "ja"
    assert "Set-Cookie" not in r.headers or "todoku_lang" not in r.headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("lang", "day", "expected"),
    [
        ("ja", date(2026, 11, 24), "11月24日(火)"),
        ("ja", date(2027, 1, 5), "2027年1月5日(火)"),
        ("en", date(2026, 11, 24), "Tue 24 Nov"),
        ("en", date(2027, 1, 5), "Tue 5 Jan 2027"),
    ],
)
def test_dates_in_the_customers_locale(app, lang, day, expected, time_machine):
    from flask import g

    from tracking.i18n import format_day

    time_machine.move_to("2026-11-23T03:00:00Z")
    with app.test_request_context(f"/sakura-tea/?lang={lang}"):
        g.brand = app.extensions["todoku_brands"]["sakura-tea"]
        assert format_day(day) == expected


def test_every_string_is_translated_to_japanese(tmp_path):
    """Extract every message from code and templates: each needs a ja translation."""
    import subprocess
    import sys
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "tracking/translations/babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "carriers",
            "tracking",
            "templates",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    with (root / "tracking/translations/ja/LC_MESSAGES/messages.po").open("rb") as fh:
        ja = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(fh) if m.id}
    assert "Find your order" in wanted, "extraction found nothing: check babel.cfg"
    missing = sorted(w for w in wanted if not ja.get(w))
    assert not missing, f"untranslated in ja (run `make extract`, then translate): {missing}"
