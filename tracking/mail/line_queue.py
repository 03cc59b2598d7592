"""LINE pushes queued beside the mail of the same milestone (docs/line.md).

For each milestone mail the triggers queue, every live LINE link of the order gets a push when
the brand's ``[line] milestones`` name it: a row of the same outbox (``channel = "line"``) with
the same timing (quiet hours, out-for-delivery's ``send_before``), the same dedupe rule (one per
order, milestone and LINE user) and the same "old news is recorded, never sent". Unless the
brand says ``also_mail = true``, the mail itself is then recorded as ``on_line`` and never sent:
its row keeps the mail's dedupe key, so the milestone is never mailed later either (say the
customer stops LINE afterwards). Never for a Rakuten order (``line.channels.rakuten_order``).

The push says what the mail says (``mail.content``), shortened, in the language the customer
linked in, with a button to the tracking page and the carrier's redelivery or change page."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask_babel import force_locale, gettext
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.line import codes, messages
from tracking.line.channels import offered
from tracking.mail import outbox, render
from tracking.mail.config import TRIGGERS
from tracking.mail.content import content
from tracking.mail.milestones import Facts
from tracking.mail.models import Notification
from tracking.orders.models import Order

ON_LINE = "on_line"
ON_LINE_WHY = "sent on LINE instead (the customer's choice)"

#: (brand, order, kind, base time, day, the mail's ``enqueue`` arguments)
Entry = tuple[Brand, Order, str, datetime, str, dict]


def _l(message: str) -> str:
    return message


#: Short labels (LINE cuts a button's label at 20 characters).
BUTTONS = {
    "track": _l("Track your order"),
    "attempted": _l("Book a redelivery"),
    "out_for_delivery": _l("Change delivery"),
    "return": _l("Open your return"),
}


def line_key(order: Order, kind: str, user_id: str) -> str:
    return f"order:{order.id}:{kind}:line:{user_id}"


def _wanted(brand: Brand, order: Order, kind: str):
    cfg = brand.line
    if cfg is None or not cfg.sends(kind) or order.history:
        return None
    if kind in TRIGGERS and not brand.mail.trigger(kind).enabled:
        return None
    return offered(brand, order)


def add(session: Session, entries: list[Entry], facts: Facts) -> list[dict]:
    """The LINE rows for ``entries`` (``outbox.enqueue`` arguments); the mail of a milestone
    pushed on LINE is marked ``on_line`` in place. Two queries for the batch."""
    chosen = [e for e in entries if _wanted(e[0], e[1], e[2]) is not None]
    if not chosen:
        return []
    links = codes.live_links(session, sorted({e[1].id for e in chosen}))
    keys = [line_key(o, k, link.user_id) for _, o, k, *_ in chosen for link in links[o.id]]
    if not keys:
        return []
    queued = set(
        session.exec(
            select(Notification.dedupe_key).where(col(Notification.dedupe_key).in_(keys))
        ).all()
    )
    rows = []
    for brand, order, kind, _base, day, mail in chosen:
        for link in links[order.id]:
            key = line_key(order, kind, link.user_id)
            if key in queued:
                continue
            rows.append(_row(brand, order, kind, day, mail, link, facts, key))
        if (
            links[order.id]
            and not brand.line.also_mail
            and mail.get("status", "queued") == "queued"
        ):
            mail.update(status=ON_LINE, last_error=ON_LINE_WHY)
    return rows


def _row(brand, order, kind, day, mail, link, facts, key) -> dict:
    locale = link.locale if link.locale in brand.locales else brand.default_locale
    with force_locale(locale):
        alt, msgs = push(brand, order, kind, locale, facts, day)
    row = {
        k: mail[k]
        for k in ("brand", "kind", "category", "mail_mode", "send_after", "send_before")
        if k in mail
    }
    if mail.get("status") in ("stale", "skipped"):  # old news or too late: recorded, not sent
        row.update(status=mail["status"], last_error=mail.get("last_error", ""))
    row.update(
        dedupe_key=key,
        to=link.user_id,
        subject=alt,
        body=json.dumps(msgs, ensure_ascii=False),
        locale=locale,
        order_id=order.id,
        channel="line",
    )
    return row


def push(brand: Brand, order: Order, kind: str, locale: str, facts: Facts, day: str = ""):
    """(alt text, messages) of ``kind``'s push; call inside ``force_locale(locale)``."""
    return from_content(brand, kind, content(brand, order, kind, locale, facts, day=day))


def from_content(brand: Brand, kind: str, c: render.Content):
    """(alt text, messages) saying what the mail ``c`` says; inside ``force_locale``."""
    lines = list(c.facts)
    for block in c.parcels[:3]:
        told = f"{block.number} · {block.status}"
        lines.append((block.carrier, f"{told} · {block.estimate}" if block.estimate else told))
    buttons = []
    if c.button is not None:
        label = BUTTONS["track"] if kind in TRIGGERS else BUTTONS["return"]
        buttons.append((gettext(label), c.button.url))
    if c.secondary is not None and kind in BUTTONS:
        buttons.append((gettext(BUTTONS[kind]), c.secondary.url))
    msgs = messages.push(
        alt_text=c.subject,
        heading=c.heading,
        text=" ".join(c.paragraphs),
        facts=lines,
        buttons=buttons,
        colour=brand.theme.primary,
    )
    return c.subject, msgs


def queue_return(
    session: Session, brand: Brand, order: Order, *, kind: str, rma: str, build, timing: dict
) -> bool:
    """Push a return's update (``kind``: ``return_<status>``) to the order's live LINE links
    when the brand's ``[line] milestones`` name "return"; ``build(locale)`` gives the mail's
    content, ``timing`` the mail's (quiet hours; updates folded per return and LINE user).
    True when the mail should be recorded ``on_line`` instead of sent. Does not commit."""
    cfg = brand.line
    if cfg is None or not cfg.sends("return") or offered(brand, order) is None:
        return False
    links = codes.live_links(session, [order.id])[order.id]
    for link in links:
        locale = link.locale if link.locale in brand.locales else brand.default_locale
        with force_locale(locale):
            alt, msgs = from_content(brand, kind, build(locale))
        outbox.enqueue(
            session,
            dedupe_key=f"return:{rma}:{kind}:line:{link.user_id}",
            window=timing.get("window", timedelta(0)),
            brand=brand.slug,
            kind=kind,
            to=link.user_id,
            subject=alt,
            body=json.dumps(msgs, ensure_ascii=False),
            locale=locale,
            order_id=order.id,
            channel="line",
            send_after=timing.get("send_after"),
            coalesce_key=f"line:{link.user_id}:return:{rma}",
        )
    return bool(links) and not cfg.also_mail
