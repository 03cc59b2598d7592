"""Hours and volume: which mail waits out the customer's night, which is pointless once the day's
deliveries are over, and how return updates are paced (docs/mail.md, "Quiet hours").

* Every customer notice that can wait (shipping, late, delivered, follow-up, return updates) is
  due no earlier than the end of the brand's quiet hours on the customer's clock
  (``tracking.mail.schedule.send_time``, ``tracking.mail.zones``); the outbox sends by
  ``send_after``, so held mail leaves in the morning in the order it was queued.
* Not held: a receipt for what the customer did just now (their own return request or
  cancellation: they are awake and waiting for it), and staff mail (inquiries, lockouts,
  alerts), which is for the shop's people, not its customers.
* Out-for-delivery carries ``send_before`` (the day's ``deliveries_end``): not sent by then, it
  is ``skipped``, queued or not, never sent late.
* Return updates share a ``coalesce_key`` per return (``tracking.mail.coalesce``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tracking.brands.brand import Brand
from tracking.mail import schedule
from tracking.mail.models import Notification
from tracking.orders.models import Order
from tracking.timeutil import as_utc

SKIPPED = "skipped"
TOO_LATE = "the day's deliveries were over before it could go"


def too_late(note: Notification, now: datetime) -> bool:
    """Is ``note`` past its ``send_before``?"""
    return note.send_before is not None and as_utc(now) >= as_utc(note.send_before)


def timing(brand: Brand, order: Order, kind: str, base: datetime) -> dict:
    """``send_after``, ``send_before`` and, for a notice already too late when queued, the
    ``skipped`` status: keyword arguments for ``outbox.enqueue``."""
    after = schedule.send_time(brand, kind, base, order)
    before = schedule.send_before(brand, kind, base, order)
    out: dict = {"send_after": after, "send_before": before}
    if before is not None and as_utc(after) >= as_utc(before):
        out.update(status=SKIPPED, last_error=TOO_LATE)
    return out


def return_timing(brand: Brand, order: Order, rma: str, now: datetime, receipt: bool) -> dict:
    """When a return update for ``rma`` goes out: after quiet hours unless it is the customer's
    ``receipt`` for their own action, and folded with the return's other pending update."""
    held = not receipt and brand.mail.holds_in_quiet_hours("return")
    return {
        "send_after": schedule.after_quiet_hours(brand, now, order) if held else now,
        "coalesce_key": f"return:{rma}",
        "window": timedelta(minutes=brand.mail.return_mail_minutes),
    }
