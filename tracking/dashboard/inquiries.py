"""The inquiries inbox: customers' "ask the shop" questions with their orders, and the reply.

A reply is stored on the inquiry (the tracking page shows it) and mailed to the customer in the
language they asked in, through the outbox, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select, update

from tracking.brands.brand import Brand
from tracking.mail import outbox
from tracking.mail import render as mail_render
from tracking.mail.preview import demo_order
from tracking.orders.links import tracking_link
from tracking.orders.models import Order
from tracking.page.models import Inquiry
from tracking.timeutil import as_utc, utcnow

MAX_REPLY = 4000
STATES = ("open", "answered")


@dataclass
class InboxRow:
    inquiry: Inquiry
    order: Order
    overdue: bool


def today(brand: Brand, now: datetime | None = None) -> date:
    return as_utc(now or utcnow()).astimezone(brand.tz).date()


def inbox(
    session: Session, brand: Brand, state: str = "open", now: datetime | None = None, limit=200
) -> list[InboxRow]:
    """Open ones oldest promise first (what to answer next); answered ones newest first."""
    stmt = (
        select(Inquiry, Order)
        .join(Order, Order.id == Inquiry.order_id)
        .where(Inquiry.brand == brand.slug, Order.brand == brand.slug)
    )
    if state in STATES:
        stmt = stmt.where(Inquiry.status == state)
    if state == "open":
        stmt = stmt.order_by(col(Inquiry.reply_by), col(Inquiry.id))
    else:
        stmt = stmt.order_by(col(Inquiry.id).desc())
    day = today(brand, now)
    return [
        InboxRow(i, o, i.status == "open" and i.reply_by < day)
        for i, o in session.exec(stmt.limit(limit)).all()
    ]


def open_counts(session: Session, brand: Brand, now: datetime | None = None) -> tuple[int, int]:
    """(open, overdue) for the admin home."""
    rows = inbox(session, brand, "open", now, limit=10_000)
    return len(rows), sum(r.overdue for r in rows)


def by_id(session: Session, brand: Brand, inquiry_id: int) -> tuple[Inquiry, Order] | None:
    row = session.exec(
        select(Inquiry, Order)
        .join(Order, Order.id == Inquiry.order_id)
        .where(Inquiry.id == inquiry_id, Inquiry.brand == brand.slug, Order.brand == brand.slug)
    ).first()
    return tuple(row) if row else None


class ReplyError(ValueError):
    pass


class AlreadyAnswered(ReplyError):
    """Another reply got there first (the inquiry, refreshed, carries it)."""


def parse_reply(text: str | None) -> tuple[str, str | None]:
    value = (text or "").strip().replace("\x00", "")
    if not value:
        return value, str(_l("Please write a reply."))
    if len(value) > MAX_REPLY:
        return value, str(_l("Please keep the reply under %(n)s characters.", n=f"{MAX_REPLY:,}"))
    return value, None


def reply(
    session: Session,
    brand: Brand,
    inquiry: Inquiry,
    order: Order,
    text: str,
    staff_email: str,
    now: datetime | None = None,
) -> Inquiry:
    """Answer once: store, mark answered and queue the customer's mail. Commits.

    The answer is a conditional UPDATE (still open, no reply yet): of two staff replying at
    once, PostgreSQL makes the second wait for the first and then finds nothing to update, so
    it gets ``AlreadyAnswered`` with the first reply, and only the first reply is mailed."""
    now = now or utcnow()
    answered = session.exec(
        update(Inquiry)
        .where(
            col(Inquiry.id) == inquiry.id,
            col(Inquiry.status) == "open",
            col(Inquiry.replied_at).is_(None),
        )
        .values(reply=text, replied_at=now, replied_by=staff_email, status="answered")
    ).rowcount
    if answered != 1:
        session.rollback()
        session.refresh(inquiry)
        raise AlreadyAnswered("already answered")
    session.refresh(inquiry)
    # In the language the customer asked in, not the order's.
    locale = inquiry.locale if inquiry.locale in brand.locales else brand.default_locale
    outbox.enqueue_rendered(
        session,
        brand,
        order,
        kind="inquiry_reply",
        dedupe_key=f"inquiry-reply:{inquiry.id}",
        build=lambda locale: reply_content(brand, order, inquiry.message, text, locale),
        locale=locale,
    )
    session.commit()
    return inquiry


def reply_content(
    brand: Brand, order: Order, question: str, answer: str, locale: str
) -> mail_render.Content:
    """The customer's mail with the shop's answer; call inside ``force_locale(locale)``."""
    link = tracking_link(order)
    return mail_render.Content(
        subject=gettext("Answer to your question about order %(number)s", number=order.number),
        heading=gettext("Thank you for your question. Here is our answer:"),
        greeting=mail_render.greeting(order.name, locale),
        quotes=[(gettext("Our answer"), answer), (gettext("Your question:"), question)],
        facts=[(gettext("Order number"), order.number)],
        paragraphs=[],
        button=mail_render.Button(gettext("Open your order"), link),
    )


def reply_preview(brand: Brand, locale: str) -> tuple[str, str, str]:
    """(subject, text, HTML) of a reply to a demo question, for the staff preview."""
    order = demo_order(brand, locale)
    with force_locale(locale):
        question = gettext("Can you wrap the order as a gift?")
        answer = gettext("Yes, we can. We will wrap it before it ships.")
    return mail_render.render_in(
        brand, locale, lambda: reply_content(brand, order, question, answer, locale)
    )
