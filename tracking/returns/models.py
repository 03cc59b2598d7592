"""Returns tables: requests, their lines, photos and the append-only audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracking.db import new_public_id
from tracking.orders import versions
from tracking.timeutil import utcnow


def _public_id() -> str:
    return new_public_id(16)  # 128 bits: the status-page link signs it


class ReturnRequest(SQLModel, table=True):
    __tablename__ = "return_requests"
    __table_args__ = (
        # The form carries a random key: a double click or retry finds the first request.
        UniqueConstraint("order_id", "submission_key", name="uq_return_submission"),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=_public_id, unique=True, max_length=32)
    brand: str = Field(index=True, max_length=64)
    order_id: int = Field(foreign_key="orders.id", index=True)
    rma: str = Field(unique=True, max_length=24)
    submission_key: str = Field(max_length=64)
    status: str = Field(default="requested", max_length=24, index=True)
    version: int = 1  # optimistic lock: every change bumps it; stale writers lose
    email: str = Field(
        index=True, max_length=254
    )  # copied from the order, for the per-customer cap
    locale: str = Field(default="ja", max_length=8)
    customer_note: str = Field(default="", max_length=2000)
    # Fault side of the request: merchant when any line has a shop-side reason.
    fault: str = Field(default="customer", max_length=16)
    return_shipping_paid_by: str = Field(default="customer", max_length=16)
    restocking_fee: int = 0  # minor units
    refund_estimate: int = 0  # minor units, after fees, with the store-credit bonus
    refund_amount: int = 0  # minor units paid back (refund lines, after every fee)
    credit_amount: int = 0  # minor units of store credit (bonus included)
    # The refund as paid out by the shop (on its platform or by bank transfer): staff mark it.
    paid_amount: int | None = None
    paid_at: datetime | None = None
    paid_by: str = Field(default="", max_length=254)
    bank_details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    policy_checks: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    return_carrier: str = Field(default="", max_length=32)
    return_tracking_number: str = Field(default="", max_length=64)
    # The prepaid label staff uploaded for this return: a random name in UPLOAD_DIR, never the
    # file's own name (tracking.returns.labels).
    label_name: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    # The exchange's outbound parcel (the replacement), tracked like any parcel.
    replacement_carrier: str = Field(default="", max_length=32)
    replacement_tracking_number: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class ReturnLine(SQLModel, table=True):
    __tablename__ = "return_lines"

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="return_requests.id", index=True)
    order_item_id: int = Field(foreign_key="order_items.id", index=True)
    qty: int
    reason: str = Field(max_length=40)
    fault: str = Field(max_length=16)
    resolution: str = Field(max_length=16)
    exchange_variant: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=1000)


class ReturnPhoto(SQLModel, table=True):
    __tablename__ = "return_photos"

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="return_requests.id", index=True)
    line_id: int = Field(foreign_key="return_lines.id", index=True)
    stored_name: str = Field(unique=True, max_length=64)  # random; never the customer's name
    width: int
    height: int
    size: int
    created_at: datetime = Field(default_factory=utcnow)


class ReturnEvent(SQLModel, table=True):
    """Append-only history: rows are inserted, never updated or deleted."""

    __tablename__ = "return_events"

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="return_requests.id", index=True)
    action: str = Field(max_length=24)  # submit, approve, …, note
    from_status: str = Field(default="", max_length=24)
    to_status: str = Field(default="", max_length=24)
    actor: str = Field(max_length=254)  # "customer", "staff:<email>", "api:<key name>", "system"
    reason: str = Field(default="", max_length=2000)
    # What a step changed besides the status (a resolution change: line, from, to).
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class StoreCredit(SQLModel, table=True):
    """The code a ``credit`` step issued. One per return (``uq_credit_return``: two staff
    clicking at once cannot issue two) and a code never twice in a shop."""

    __tablename__ = "store_credits"
    __table_args__ = (
        UniqueConstraint("return_id", name="uq_credit_return"),
        UniqueConstraint("brand", "code", name="uq_credit_brand_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="return_requests.id")
    brand: str = Field(index=True, max_length=64)
    code: str = Field(max_length=64)
    amount: int  # minor units of ``currency``
    currency: str = Field(max_length=3)
    source: str = Field(max_length=16)  # "generated" or "pool"
    created_at: datetime = Field(default_factory=utcnow)


versions.track(ReturnRequest)
versions.track(ReturnLine, "return_id", parent=ReturnRequest)
versions.track(ReturnPhoto, "return_id", parent=ReturnRequest)
versions.track(ReturnEvent, "return_id", parent=ReturnRequest)
versions.track(StoreCredit, "return_id", parent=ReturnRequest)
