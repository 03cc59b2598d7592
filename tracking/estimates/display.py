"""How an estimate reads, in both locales: 「明日 11月24日(火) 14〜16時のお届け予定」 /
"Arriving tomorrow, Tue 24 Nov, 2–4 pm". Registered as Jinja globals by ``init_app``."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from tracking.i18n import format_day, local_today
from tracking.orders import story
from tracking.orders.models import Shipment

SOURCE_NOTES = {
    "customer_slot": _l("The delivery date and time you chose."),
    "carrier": _l("Estimate from the carrier."),
    "learned": _l("Based on our recent deliveries to your area."),
    "lane_table": _l("Based on the carrier's usual delivery times."),
    "default": _l("A rough estimate; it gets more precise as your parcel travels."),
}


def slot_label(slot: str, locale: str | None = None) -> str:
    """``am`` → 午前中 / morning; ``14-16`` → 14〜16時 / 2–4 pm."""
    locale = locale or str(get_locale())
    if not slot:
        return ""
    if slot == "am":
        return "午前中" if locale == "ja" else gettext("morning")
    try:
        start, end = (int(h) for h in slot.split("-"))
    except ValueError:
        return slot
    if locale == "ja":
        return f"{start}〜{end}時"

    def hour(h: int) -> str:
        return str(h % 12 or 12)

    def half(h: int) -> str:
        return "am" if h < 12 else "pm"

    if half(start) == half(end % 24):
        return f"{hour(start)}–{hour(end)} {half(end)}"
    return f"{hour(start)} {half(start)}–{hour(end)} {half(end)}"


def window_text(start: date, end: date, slot: str = "", today: date | None = None) -> str:
    """The hero line for a window (a single day, optionally with a slot, or a range)."""
    today = today or local_today()
    label = slot_label(slot)
    if start == end:
        day = format_day(start)
        if start == today:
            return (
                gettext("Arriving today, %(slot)s", slot=label)
                if label
                else gettext("Arriving today")
            )
        if start == today + timedelta(days=1):
            if label:
                return gettext("Arriving tomorrow, %(day)s, %(slot)s", day=day, slot=label)
            return gettext("Arriving tomorrow, %(day)s", day=day)
        if label:
            return gettext("Arriving %(day)s, %(slot)s", day=day, slot=label)
        return gettext("Arriving %(day)s", day=day)
    if start <= today:  # the window has begun: only its end still informs
        if end == today:
            return gettext("Arriving today")
        return gettext("Arriving by %(day)s", day=format_day(end))
    return gettext("Arriving %(start)s – %(end)s", start=format_day(start), end=format_day(end))


def unshipped_text(start: date, end: date, today: date | None = None) -> tuple[str, bool]:
    """The hero line for items not shipped yet, and whether it gives a date. A window already
    past gives none: a date in the past beside parcels in transit reads as a mistake, and the
    items ship when they ship (the customer gets a mail then)."""
    today = today or local_today()
    if end < today:
        return gettext("Preparing — we will mail you when it ships"), False
    return window_text(start, end, today=today), True


def parcel_story(shipment: Shipment) -> story.Story:
    """The parcel's story today in the shop's time zone (``orders.story``: the page and the mail
    read the same table)."""
    return story.of_shipment(shipment, local_today())


def estimate_hero(shipment: Shipment) -> str:
    """The parcel's estimate line as the page words it; "" when its story has no dated line (a
    delivered parcel's line is the template's: it needs the time)."""
    told = parcel_story(shipment).estimate
    if told == story.LATE:
        return gettext("Later than estimated")
    if told == story.TODAY:
        today = local_today()
        slot = shipment.edd_slot if shipment.edd_start == today == shipment.edd_end else ""
        return window_text(today, today, slot, today=today)
    if told == story.WINDOW:
        return window_text(
            shipment.edd_start, shipment.edd_end or shipment.edd_start, shipment.edd_slot
        )
    return ""


def estimate_note(source: str) -> str:
    note = SOURCE_NOTES.get(source)
    return str(note) if note else ""


def init_app(app) -> None:
    app.jinja_env.globals.update(
        estimate_hero=estimate_hero,
        estimate_note=estimate_note,
        parcel_story=parcel_story,
    )
    app.jinja_env.filters["slot"] = slot_label
