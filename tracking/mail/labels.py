"""Human labels for the staff mail page (never raw codes)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from tracking.timeutil import as_utc, utcnow

KIND_LABELS = {
    "shipped_partial": _l("Part of the order shipped"),
    "shipped": _l("Order shipped"),
    "out_for_delivery": _l("Out for delivery"),
    "delivered": _l("Delivered"),
    "attempted": _l("Delivery attempted"),
    "pickup": _l("Ready for pickup: where and until when"),
    "pickup_reminder": _l("Pickup reminder before the last day"),
    "exception": _l("Delivery problem"),
    "late": _l("Running late"),
    "not_registered": _l("Not yet registered with the carrier"),
    "follow_up": _l("Follow-up after delivery"),
    "warranty": _l("Warranty reminder"),
    "inquiry": _l("Customer question (to the shop)"),
    "staff_lockout": _l("Sign-in locked (to the staff member)"),
}
MAIL_STATUS_LABELS = {
    "queued": _l("Waiting to be sent"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "suppressed": _l("Not sent: customer unsubscribed"),
    "superseded": _l("Not sent: a later notice replaced it"),
    "skipped": _l("Not sent: too late, the day's deliveries were over"),
    # queued, due later (quiet hours, a trigger's delay, the pace of return updates)
    "held": _l("Held until the time shown"),
    "stale": _l("Not sent: old news when Todoku learned of it"),
    "on_line": _l("Not mailed: sent on LINE instead"),
    "erased": _l("Not sent: the customer's data was erased"),
}


def kind_label(kind: str) -> str:
    if kind.startswith("return_"):
        return str(_l("Return: %(step)s", step=kind.removeprefix("return_").replace("_", " ")))
    return str(KIND_LABELS.get(kind, kind))


def mail_status_label(status: str) -> str:
    return str(MAIL_STATUS_LABELS.get(status, status))


def mail_state_label(note, now: datetime | None = None) -> str:
    """``note``'s status for staff; a queued mail not yet due reads "held"."""
    now = now or utcnow()
    held = note.status == "queued" and as_utc(note.send_after) > as_utc(now)
    return mail_status_label("held" if held else note.status)
