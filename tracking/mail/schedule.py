"""When a mail is due: the trigger's delay, the brand's quiet hours, and the after-sales mail a
delivery schedules (the follow-up some days later, the warranty reminder before the longest
warranty of the order's items ends)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import force_locale

from tracking.brands.brand import Brand
from tracking.i18n import format_day
from tracking.mail import modes, render, zones
from tracking.mail.milestones import Facts
from tracking.orders.models import Order, OrderItem
from tracking.timeutil import as_utc

# Rakuten: order-related mail only, within three weeks of shipping (intake-formats.md §2.7).
RAKUTEN_FOLLOW_UP_DAYS = 21


def after_quiet_hours(brand: Brand, when: datetime, order: Order | None = None) -> datetime:
    """``when``, or the end of the brand's quiet hours if it falls inside them, on the
    customer's clock (``tracking.mail.zones``; the shop's without an order)."""
    quiet = brand.mail.quiet_hours
    if quiet is None:
        return when
    return zones.after_quiet(quiet.start, quiet.end, zones.zone_for(brand, order), when)


def send_time(brand: Brand, kind: str, base: datetime, order: Order | None = None) -> datetime:
    """When mail ``kind`` about something that happened at ``base`` goes out."""
    when = base + timedelta(minutes=brand.mail.trigger(kind).delay_minutes)
    held = brand.mail.holds_in_quiet_hours(kind)
    return after_quiet_hours(brand, when, order) if held else when


def send_before(brand: Brand, kind: str, base: datetime, order: Order | None = None):
    """The moment mail ``kind`` becomes pointless, or None: out-for-delivery once the day's
    deliveries have ended (``[mail] deliveries_end`` on the customer's clock, that day)."""
    end = brand.mail.deliveries_end
    if kind != "out_for_delivery" or end is None:
        return None
    return zones.day_end(end, zones.zone_for(brand, order), base)


def warranty_days(brand: Brand, items: list[OrderItem]) -> int:
    """The longest warranty of these items (brand default, extended by item tags)."""
    policy = brand.returns
    best = policy.warranty_days
    for item in items:
        for tag in item.tags or []:
            rule = policy.tags.get(tag)
            if rule and rule.warranty_days:
                best = max(best, rule.warranty_days)
    return best


def after_delivery(
    brand: Brand, order: Order, facts: Facts, now: datetime
) -> list[tuple[str, datetime, str]]:
    """The follow-up and warranty mail a delivery of ``order`` schedules, as (kind, base, day):
    ``base`` is what the trigger's delay counts from, ``day`` the warranty's last day as the
    customer reads it."""
    parcels = facts.parcels[order.id]
    out = []
    delivered = max((as_utc(p.delivered_at) for p in parcels if p.delivered_at), default=now)
    shipped = min((as_utc(p.shipped_at) for p in parcels if p.shipped_at), default=delivered)
    follow = brand.mail.triggers.follow_up
    due = delivered + timedelta(days=follow.days)
    rakuten = modes.mode_for(brand, order) == modes.RAKUTEN
    if not rakuten or due <= shipped + timedelta(days=RAKUTEN_FOLLOW_UP_DAYS):
        out.append(("follow_up", due, ""))
    days = warranty_days(brand, facts.items.get(order.id, []))
    warranty = brand.mail.triggers.warranty
    if days and warranty.enabled and not rakuten:
        ends = delivered + timedelta(days=days)
        with force_locale(render.locale_for(brand, order)):
            day = format_day(ends.astimezone(brand.tz).date())
        base = max(ends - timedelta(days=warranty.days), now)
        out.append(("warranty", base, day))
    return out
