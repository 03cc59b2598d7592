"""Locale choice and locale-aware formatting.

Order: ``?lang=`` (remembered in a cookie) → the cookie → Accept-Language → the brand default,
always restricted to the locales the brand offers.
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import click
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, g, has_request_context, request
from flask.cli import AppGroup
from flask_babel import Babel, get_locale, get_translations, gettext
from flask_babel import lazy_gettext as _l
from jinja2.ext import (  # Jinja's own newstyle wrappers (Jinja2 is pinned)
    _make_new_gettext,
    _make_new_ngettext,
    _make_new_npgettext,
    _make_new_pgettext,
)

from carriers import Status
from tracking.timeutil import as_utc, utcnow

LANG_COOKIE = "todoku_lang"
SOURCE_LOCALE = "en"  # msgids are English: this locale needs no catalogue
DOMAIN = "messages"

log = logging.getLogger("todoku.i18n")


def offered_locales() -> list[str]:
    brand = g.get("brand")
    return list(brand.locales) if brand else ["ja", "en"]


def default_locale() -> str:
    brand = g.get("brand")
    return brand.default_locale if brand else current_app.config["BABEL_DEFAULT_LOCALE"]


def select_locale() -> str:
    if not has_request_context():
        # A command or a worker (an import run, a webhook replay): the installation's language.
        return default_locale()
    offered = offered_locales()
    asked = request.args.get("lang")
    if asked in offered:
        g.set_lang_cookie = asked
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in offered:
        return cookie
    return request.accept_languages.best_match(offered) or default_locale()


def select_timezone() -> str:
    brand = g.get("brand")
    return brand.timezone if brand else "UTC"


def remember_locale(response):
    lang = g.pop("set_lang_cookie", None)
    if lang:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax", secure=request.is_secure
        )
    return response


babel = Babel()


class CatalogueError(RuntimeError):
    """A locale some brand offers has no translation catalogue."""


def _compile(po: Path, mo: Path, locale: str) -> None:
    """Write ``mo`` from ``po`` atomically (gunicorn workers may compile at the same time)."""
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale, domain=DOMAIN)
    mo.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=f".{mo.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write_mo(f, catalog)
        os.replace(tmp, mo)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _stale(po: Path, mo: Path) -> bool:
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def compile_catalogues(app) -> dict[str, tuple[Path, bool]]:
    """Compile every ``.po`` whose ``.mo`` is missing or older; return locale → (mo, compiled).

    The ``.mo`` goes beside its ``.po``; where that folder is read-only, under the instance
    path (``instance/translations``), which is then added to BABEL_TRANSLATION_DIRECTORIES
    right after the read-only folder (Flask-Babel lets later folders win). Runs before
    Flask-Babel reads the setting.
    """
    catalogues: dict[str, tuple[Path, bool]] = {}
    directories: list[str] = []
    for index, name in enumerate(app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")):
        source = Path(app.root_path, name.strip())
        fallback = Path(app.instance_path, "translations" + (f"-{index}" if index else ""))
        directories.append(str(source))
        for po in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            locale = po.parent.parent.name
            mo = po.with_suffix(".mo")
            compiled = False
            if _stale(po, mo):
                try:
                    _compile(po, mo, locale)
                    compiled = True
                except OSError as exc:  # a read-only install: compile into the instance path
                    mo = fallback / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
                    log.info("cannot write beside %s (%s); compiling into %s", po, exc, mo)
                    if _stale(po, mo):
                        _compile(po, mo, locale)
                        compiled = True
                    if str(fallback) not in directories:
                        directories.append(str(fallback))
            if compiled:
                log.info("compiled the %s catalogue into %s", locale, mo)
            catalogues.setdefault(locale, (mo, compiled))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
    return catalogues


def check_catalogues(app, catalogues: dict[str, tuple[Path, bool]]) -> None:
    """Stop start-up when a brand offers a locale with no catalogue (pages would be English)."""
    brands = app.extensions.get("todoku_brands", {})
    offered: dict[str, list[str]] = {}
    for slug, brand in brands.items():
        for locale in brand.locales:
            offered.setdefault(locale, []).append(slug)
    for locale, slugs in sorted(offered.items()):
        if locale == SOURCE_LOCALE or locale in catalogues:
            continue
        looked = [
            str(Path(d, locale, "LC_MESSAGES", f"{DOMAIN}.po"))
            for d in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
        ]
        raise CatalogueError(
            f"locale {locale!r} is offered by {', '.join(slugs)} but has no translation "
            f"catalogue: looked for {' and '.join(looked)}"
        )


translate_cli = AppGroup("translate", help="Translation catalogues.")


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile stale catalogues and show the one each locale uses (start-up compiles too)."""
    # Loading the app has just compiled them (init_app): report what it did.
    for locale, (mo, compiled) in sorted(current_app.extensions["todoku_catalogues"].items()):
        click.echo(f"{locale}: {'compiled' if compiled else 'up to date'} {mo}")


def init_app(app) -> None:
    catalogues = compile_catalogues(app)
    check_catalogues(app, catalogues)
    app.extensions["todoku_catalogues"] = catalogues
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.after_request(remember_locale)
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.globals["pickup_kind_label"] = pickup_kind_label
    app.jinja_env.globals["parcel_status_label"] = parcel_status_label
    app.jinja_env.filters["event_clock"] = event_clock
    app.jinja_env.globals["get_locale"] = lambda: str(get_locale())
    app.context_processor(_catalogue_callables)


def _catalogue_callables() -> dict:
    """The templates' gettext family bound to the catalogue of this render's locale, looked up
    once per ``render_template``. Flask-Babel's own (``install_gettext_callables``) looks the
    request's domain, locale and catalogue up again on every call: a returns form or a
    dashboard list calls it hundreds of times. Wrapped as Jinja's newstyle gettext wraps them
    (autoescape, ``%`` formatting), so a template reads the same; a macro imported without
    context still resolves Flask-Babel's."""
    catalogue = get_translations()
    return {
        "gettext": _make_new_gettext(catalogue.ugettext),
        "ngettext": _make_new_ngettext(catalogue.ungettext),
        "pgettext": _make_new_pgettext(catalogue.upgettext),
        "npgettext": _make_new_npgettext(catalogue.unpgettext),
    }


def _local(value: datetime) -> datetime:
    brand = g.get("brand")
    value = as_utc(value)
    return value.astimezone(brand.tz) if brand else value


def local_today() -> date:
    """Today in the current brand's time zone (UTC outside a brand's page)."""
    return _local(utcnow()).date()


def format_day(value: date | datetime | None) -> str:
    """ja: 11月24日(火) (年 added outside the current year); en: Tue 24 Nov (year likewise)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value).date()
    locale = str(get_locale())
    same_year = value.year == local_today().year
    if locale == "ja":
        pattern = "M月d日(E)" if same_year else "y年M月d日(E)"
    else:
        pattern = "EEE d MMM" if same_year else "EEE d MMM y"
    return _formatted_day(value, pattern, locale)


@lru_cache(maxsize=4096)
def _formatted_day(value: date, pattern: str, locale: str) -> str:
    # Babel parses the locale and the pattern on every call (about a millisecond): a mail or a
    # page shows the same few days many times.
    return format_date(value, pattern, locale=locale)


def format_clock(value: datetime | None) -> str:
    """ja: 14:30; en: 2:30 PM."""
    if value is None:
        return ""
    locale = str(get_locale())
    pattern = "H:mm" if locale == "ja" else "h:mm a"
    return format_time(_local(value), pattern, locale=locale)


STATUS_LABELS = {
    Status.PENDING: _l("Waiting for carrier update"),
    Status.INFO_RECEIVED: _l("Label created"),
    Status.IN_TRANSIT: _l("On its way"),
    Status.OUT_FOR_DELIVERY: _l("Out for delivery"),
    Status.ATTEMPT_FAILED: _l("Delivery attempted"),
    Status.AVAILABLE_FOR_PICKUP: _l("Ready for pickup"),
    Status.DELIVERED: _l("Delivered"),
    Status.DELAYED: _l("Delayed"),
    Status.EXCEPTION: _l("Problem with delivery"),
    Status.RETURNING_TO_SENDER: _l("Returning to the shop"),
    Status.RETURNED_TO_SENDER: _l("Returned to the shop"),
    Status.CANCELLED: _l("Cancelled"),
    Status.EXPIRED: _l("No recent updates"),
    Status.UNKNOWN: _l("Status update received"),
}


def status_label(status: str) -> str:
    try:
        return str(STATUS_LABELS[Status(status)])
    except ValueError:
        return str(STATUS_LABELS[Status.UNKNOWN])


#: The kinds of pickup point (``carriers.pickup``), as the page and the mail name them.
PICKUP_KINDS = {
    "store": _l("Convenience store"),
    "locker": _l("Parcel locker"),
    "office": _l("Carrier's office"),
    "post_office": _l("Post office"),
}


#: The headline of a parcel held at a store or a locker: the status' own label names the office
#: (「営業所・窓口でお受け取り可能」), which a convenience store beside it would contradict.
PICKUP_HEADLINES = {
    "store": _l("Ready for pickup at a convenience store"),
    "locker": _l("Ready for pickup at a parcel locker"),
}


def parcel_status_label(shipment) -> str:
    """A parcel's status as its headline says it: where a held parcel waits, when that is a
    store or a locker, else the status label."""
    if shipment.status == Status.AVAILABLE_FOR_PICKUP.value:
        headline = PICKUP_HEADLINES.get(getattr(shipment, "pickup_kind", ""))
        if headline:
            return str(headline)
    return status_label(shipment.status)


def pickup_kind_label(kind: str) -> str:
    label = PICKUP_KINDS.get(kind)
    return str(label) if label else ""


def event_clock(event) -> str:
    """A scan's time as the carrier told it (``ShipmentEvent.time_precision``): nothing for a
    day without a time (the day is shown beside it), "about 2:30 PM" / 「14:30頃」 for a time
    read in a guessed zone, else the time."""
    precision = getattr(event, "time_precision", "")
    if precision == "date":
        return ""
    clock = format_clock(event.occurred_at)
    return gettext("about %(time)s", time=clock) if precision == "about" else clock
