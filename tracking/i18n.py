"""Locale choice and locale-aware formatting.

Order: ``?lang=`` (remembered in a cookie) → the cookie → Accept-Language → the brand default,
always restricted to the locales the brand offers.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_time
from flask import current_app, g, request
from flask_babel import Babel, get_locale
from flask_babel import lazy_gettext as _l

from carriers import Status
from tracking.timeutil import as_utc

LANG_COOKIE = "todoku_lang"


def offered_locales() -> list[str]:
    brand = g.get("brand")
    return list(brand.locales) if brand else ["ja", "en"]


def default_locale() -> str:
    brand = g.get("brand")
    return brand.default_locale if brand else current_app.config["BABEL_DEFAULT_LOCALE"]


def select_locale() -> str:
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


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.after_request(remember_locale)
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.globals["get_locale"] = lambda: str(get_locale())


def _local(value: datetime) -> datetime:
    brand = g.get("brand")
    value = as_utc(value)
    return value.astimezone(brand.tz) if brand else value


def _today() -> date:
    from tracking.timeutil import utcnow

    return _local(utcnow()).date()


def format_day(value: date | datetime | None) -> str:
    """ja: 11月24日(火) (年 added outside the current year); en: Tue 24 Nov (year likewise)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value).date()
    locale = str(get_locale())
    same_year = value.year == _today().year
    if locale == "ja":
        pattern = "M月d日(E)" if same_year else "y年M月d日(E)"
    else:
        pattern = "EEE d MMM" if same_year else "EEE d MMM y"
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
