""" "Ask the shop": store the customer's question with the order and mail it to the shop."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from tracking.brands.brand import Brand
from tracking.calendars import Calendar
from tracking.mail import outbox as mail
from tracking.orders.models import Order
from tracking.outbound import sources as outbound
from tracking.page.models import Inquiry
from tracking.timeutil import as_utc, utcnow

MAX_MESSAGE = 2000


def parse(message: str | None) -> tuple[str, str | None]:
    """(message, error message) from the posted form."""
    text = (message or "").strip()
    if not text:
        return text, str(_l("Please write your question."))
    if len(text) > MAX_MESSAGE:
        return text, str(
            _l("Please keep your question under %(n)s characters.", n=f"{MAX_MESSAGE:,}")
        )
    return text, None


def reply_by(brand: Brand, now: datetime) -> date:
    """The day the shop promises an answer: ``inquiry_reply_days`` business days after today
    (shop-local), skipping weekends and, for shops in Japan, public holidays."""
    today = as_utc(now).astimezone(brand.tz).date()
    days = brand.page.inquiry_reply_days
    if days <= 0:
        return today
    replies = Calendar(
        "shop_replies",
        weekdays=frozenset(range(5)),
        country="JP",
        skip_holidays=brand.timezone == "Asia/Tokyo",
    )
    return replies.add(today, days)


def ask(
    session: Session, brand: Brand, order: Order, message: str, locale: str, now=None
) -> Inquiry:
    """Store the question and queue the mail to the shop in one transaction. Commits."""
    now = now or utcnow()
    inquiry = Inquiry(
        brand=brand.slug,
        order_id=order.id,
        message=message,
        locale=locale,
        reply_by=reply_by(brand, now),
        created_at=now,
    )
    session.add(inquiry)
    session.flush()
    # The shop reads it in its own language; the customer's language is stated in the mail.
    with force_locale(brand.default_locale):
        subject = gettext(
            "Question about order %(number)s (reply by %(day)s)",
            number=order.number,
            day=inquiry.reply_by.isoformat(),
        )
        body = "\n".join(
            [
                gettext("A customer asked a question on the order status page."),
                "",
                gettext("Order number: %(number)s", number=order.number),
                gettext("Customer email: %(email)s", email=order.email),
                gettext("Customer language: %(locale)s", locale=locale),
                gettext("Promised reply by: %(day)s", day=inquiry.reply_by.isoformat()),
                "",
                message,
            ]
        )
    mail.enqueue(
        session,
        brand=brand.slug,
        kind="inquiry",
        dedupe_key=f"inquiry:{inquiry.id}",
        to=str(brand.support.email),
        subject=subject,
        body=body,
        locale=brand.default_locale,
        order_id=order.id,
    )
    outbound.inquiry_created(
        session,
        brand,
        order,
        inquiry_id=inquiry.id,
        locale=locale,
        reply_by=inquiry.reply_by,
        now=now,
    )
    session.commit()
    return inquiry
