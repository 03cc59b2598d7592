"""The mail outbox's rows, the customers who asked for no more follow-up mail, and coupon codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from tracking.orders import versions
from tracking.timeutil import utcnow

PENDING_COALESCE = "status = 'queued' AND coalesce_key <> ''"


class Notification(SQLModel, table=True):
    """The mail outbox. A row is written in the same transaction as the change it reports, so
    nothing is mailed for a change that rolled back and nothing is lost if SMTP is down.

    ``status``: ``queued`` (waiting for ``send_after``), ``sending`` (claimed by a worker until
    ``claimed_until``; a worker that dies leaves it to be claimed again), ``sent``, ``failed``
    (a permanent 5xx answer, or too many temporary ones), ``suppressed`` (the customer
    unsubscribed from follow-up mail before it was due), ``superseded`` (a later milestone was
    queued before it went) and ``stale`` (old news when Todoku learned of it: recorded, never
    sent; ``tracking.mail.freshness``), ``skipped`` (pointless by ``send_before``, never sent
    late; ``tracking.mail.hours``)."""

    __tablename__ = "notifications"
    # One pending mail per coalesce key: concurrent updates of one return cannot both stay
    # queued (``tracking.mail.coalesce``; migration 0017).
    __table_args__ = (
        Index(
            "uq_notifications_pending_coalesce",
            "coalesce_key",
            unique=True,
            postgresql_where=text(PENDING_COALESCE),
            sqlite_where=text(PENDING_COALESCE),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=64)  # e.g. "shipped", "inquiry", "return_approved"
    # "transactional" (shipping, delivery, returns, inquiries) or "follow_up" (after-sales,
    # review and coupon mail: held by quiet hours, stopped by unsubscribing).
    category: str = Field(default="transactional", max_length=16)
    # One mail per event, however often the event is reported: e.g. "return:RMA-1:approved".
    dedupe_key: str = Field(unique=True, max_length=200)
    to_address: str = Field(max_length=254)
    locale: str = Field(default="ja", max_length=8)
    subject: str = Field(max_length=300)
    body_text: str
    body_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Fixed when queued, so a mail sent again after a crash carries the same Message-ID.
    message_id: str = Field(default="", max_length=250)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    status: str = Field(default="queued", max_length=16, index=True)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    send_after: datetime = Field(default_factory=utcnow, index=True)
    claim_token: str = Field(default="", max_length=32)
    claimed_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    # "normal" or "rakuten": how this mail goes out, fixed from the order's source when queued.
    mail_mode: str = Field(default="normal", max_length=16)
    # A notice that is pointless after this moment (out-for-delivery once the day's deliveries
    # are over) is skipped instead of sent late.
    send_before: datetime | None = None
    # Updates that may be folded into one pending mail share a key (e.g. "return:RMA-1").
    coalesce_key: str = Field(default="", max_length=200)
    # "mail", or "line": a LINE push to ``to_address`` (the LINE user id), ``subject`` its
    # alt text and ``body_text`` its messages as JSON (``tracking.mail.line_outbox``).
    channel: str = Field(default="mail", max_length=8, sa_column_kwargs={"server_default": "mail"})
    # X-Line-Retry-Key, fixed when queued: a push retried after a lost answer is not sent twice.
    retry_key: str = Field(default="", max_length=36, sa_column_kwargs={"server_default": ""})


class Unsubscribe(SQLModel, table=True):
    """A customer who followed a mail's unsubscribe link: no more follow-up or review mail from
    this brand to this address (shipping and delivery notices still go out)."""

    __tablename__ = "mail_unsubscribes"
    __table_args__ = (UniqueConstraint("brand", "email", name="uq_unsubscribe_brand_email"),)

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64)
    email: str = Field(max_length=254)  # lower-case, as orders store it
    created_at: datetime = Field(default_factory=utcnow)


class CouponCode(SQLModel, table=True):
    """One code of a brand's coupon pool (imported from CSV); issued to at most one order."""

    __tablename__ = "coupon_codes"
    __table_args__ = (
        UniqueConstraint("brand", "code", name="uq_coupon_brand_code"),
        UniqueConstraint("order_id", name="uq_coupon_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(index=True, max_length=64)
    code: str = Field(max_length=64)
    # "coupon": next-purchase codes for the mails (issued to an order); "store_credit": codes
    # the shop made on its platform for returns' store credit (issued by returns.credits).
    purpose: str = Field(default="coupon", max_length=16)
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    issued_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


versions.track(CouponCode)  # the page shows the pool coupon issued to the order
versions.untrack("notifications", "mail rows; the page shows no mail")
