"""Orders, their items, shipments and the shipments' carrier events (SQLModel rows).

Statuses are plain strings validated by the app, not DB enums, so adding a state never needs an
enum migration."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracking.db import new_public_id
from tracking.orders import versions
from tracking.timeutil import utcnow


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("brand", "number", name="uq_order_brand_number"),
        # The API's listing (``orders.listing.page``): a brand's orders by last change, a page
        # at a time from a cursor, whatever the size of the history.
        Index("ix_orders_brand_updated_id", "brand", "updated_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Random, never shown alone: signed into tracking links; rotate it to revoke old links.
    public_id: str = Field(default_factory=new_public_id, unique=True, max_length=32)
    brand: str = Field(index=True, max_length=64)
    number: str = Field(max_length=64)
    email: str = Field(index=True, max_length=254)  # stored lower-case
    postcode: str = Field(default="", max_length=16)  # stored normalized (digits and letters)
    phone: str = Field(default="", max_length=32)
    name: str = Field(default="", max_length=200)
    locale: str = Field(default="", max_length=8)
    # Where the order came from ("rakuten", "shopify", "api", "csv", "demo"): picks the mail mode.
    source: str = Field(default="", max_length=16)
    # Shipping country (ISO 3166-1 alpha-2, "" when unknown): a language hint.
    country: str = Field(default="", max_length=2)
    # Imported as history (``--no-mail``): the customer is never mailed about this order.
    history: bool = False
    currency: str = Field(default="JPY", max_length=3)
    total: int = 0  # minor units (yen, cents)
    payment_method: str = Field(default="", max_length=32)  # e.g. "cod" (代金引換)
    # The platform's own id (Shopify's numeric order id): webhooks find the order by it.
    external_id: str = Field(default="", max_length=64, index=True)
    address: str = Field(default="", max_length=500)  # ship-to, one line
    tags: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # What the customer asked for at checkout (お届け日指定 / お届け時間帯).
    requested_date: date | None = None
    requested_slot: str = Field(default="", max_length=16)
    placed_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Bumped by the session on every write to a row the tracking page shows
    # (``orders.versions``); read it with ``versions.current``, not from a loaded object.
    data_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class OrderItem(SQLModel, table=True):
    __tablename__ = "order_items"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    sku: str = Field(max_length=64)
    name: str = Field(max_length=200)
    variant: str = Field(default="", max_length=100)
    options: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    qty: int = 1
    price: int = 0  # minor units, per unit
    image: str = Field(default="", max_length=500)
    tags: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    returnable: bool = True


class Shipment(SQLModel, table=True):
    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("order_id", "carrier", "tracking_number", name="uq_shipment_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    carrier: str = Field(max_length=32)
    tracking_number: str = Field(max_length=64, index=True)
    service: str = Field(default="", max_length=64)
    # "outbound": shop → customer, shown on the tracking page. "return": a customer's return
    # parcel, polled by the same worker but shown only with its return request.
    direction: str = Field(default="outbound", max_length=16, index=True)
    return_id: int | None = Field(default=None, foreign_key="return_requests.id", index=True)
    shipped_at: datetime | None = None
    status: str = Field(default="pending", max_length=32, index=True)
    sub_status: str = Field(default="", max_length=64)
    raw_status: str = Field(default="", max_length=500)
    # Estimated delivery window (dates, shop-local) and where it came from.
    edd_start: date | None = None
    edd_end: date | None = None
    edd_source: str = Field(default="", max_length=32)
    # What the customer chose at checkout (時間帯指定).
    promised_date: date | None = None
    promised_slot: str = Field(default="", max_length=16)
    # The carrier's own latest date (edd_* above is what we show: it may come from elsewhere).
    carrier_edd_start: date | None = None
    carrier_edd_end: date | None = None
    edd_slot: str = Field(default="", max_length=16)
    edd_confidence: str = Field(default="", max_length=16)
    # Past the estimate's end and not delivered (watchlist, page wording, mail trigger).
    late: bool = Field(default=False, index=True)
    delivered_at: datetime | None = None
    last_checked_at: datetime | None = None
    next_check_at: datetime | None = Field(default=None, index=True)
    failures: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Where it waits to be collected (``carriers.pickup``): the kind of place (store, locker,
    # office, post_office), the carrier's name for it, when it got there (the period counts
    # from here, or from the missed delivery before it) and the last day to collect it, at the
    # place; ``pickup_until_source``: "carrier" (its own date) or "period" (computed).
    pickup_kind: str = Field(default="", max_length=16)
    pickup_place: str = Field(default="", max_length=200)
    pickup_since: datetime | None = None
    pickup_until: date | None = None
    pickup_until_source: str = Field(default="", max_length=16)


class ShipmentItem(SQLModel, table=True):
    __tablename__ = "shipment_items"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipments.id", index=True)
    order_item_id: int = Field(foreign_key="order_items.id", index=True)
    qty: int = 1


class ShipmentEvent(SQLModel, table=True):
    """One carrier scan of a shipment, as stored (``carriers.TrackingEvent`` is the parsed value)."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        UniqueConstraint(
            "shipment_id", "occurred_at", "raw_code", "description", name="uq_event_dedupe"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipments.id", index=True)
    occurred_at: datetime
    status: str = Field(max_length=32)
    sub_status: str = Field(default="", max_length=64)
    description: str = Field(default="", max_length=500)
    location: str = Field(default="", max_length=200)
    raw_code: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    # How exact ``occurred_at`` is: "" exact; "about": a local time without an offset read in
    # a guessed zone (``carriers.zones``); "date": the carrier gave only the day (月日), the
    # time is midnight at the carrier and never shown.
    time_precision: str = Field(default="", max_length=8)


class OrderChange(SQLModel, table=True):
    """What an intake changed on an existing order or shipment: ``{field: [old, new]}``."""

    __tablename__ = "order_changes"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    source: str = Field(max_length=64)  # "api:warehouse", "import:shopify", "shopify-webhook"
    changes: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class IntakeReceipt(SQLModel, table=True):
    """Something already taken in, remembered by its key: an API ``Idempotency-Key`` (with the
    answer given), a Shopify event id, or the newest ``updated_at`` seen for a Shopify object."""

    __tablename__ = "intake_receipts"
    __table_args__ = (UniqueConstraint("brand", "scope", "key", name="uq_intake_receipt"),)

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64)
    scope: str = Field(max_length=64)
    key: str = Field(max_length=255)
    fingerprint: str = Field(default="", max_length=64)
    status: int = 0
    body: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class ImportJob(SQLModel, table=True):
    """A file staff uploaded at ``/admin/<brand>/import`` and the work asked of it: the preview
    (a dry run, queued at upload) and the import (queued once, on confirm). Both rows of an
    upload share ``file_id`` (the page's URL); the unique (file_id, kind) makes a second
    confirm (a double click, two tabs) find the first import instead of queueing another.

    The worker runs them (``tracking.orders.imports.jobs``): ``state`` goes queued → running
    (leased to ``claimed_by`` until ``lease_until``; renewed while it runs, taken again by any
    worker when it runs out) → done or failed. The bytes sit on the preview row (web and worker
    may not share a disk) until the retention drops them; the row goes later."""

    __tablename__ = "import_jobs"
    __table_args__ = (UniqueConstraint("file_id", "kind", name="uq_import_job_file_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    file_id: str = Field(max_length=32)
    kind: str = Field(max_length=8)  # "preview" or "import"
    brand: str = Field(index=True, max_length=64)
    format: str = Field(max_length=32)
    filename: str = Field(default="", max_length=200)
    history: bool = False  # import its orders as history: no customer mail
    # The uploaded file (preview rows only); None once the retention dropped it.
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    state: str = Field(default="queued", max_length=16, index=True)
    report: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str = Field(default="", max_length=64)  # a file error's code (messages.py)
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    claimed_by: str = Field(default="", max_length=128)
    lease_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)
    started_at: datetime | None = None
    finished_at: datetime | None = None


versions.track(Order, "id")
versions.track(OrderItem)
# The worker's claim (sync.schedule) only moves the next look: not on the page.
versions.track(Shipment, ignore=("next_check_at",))
versions.track(ShipmentItem, "shipment_id", parent=Shipment)
versions.track(ShipmentEvent, "shipment_id", parent=Shipment)
versions.untrack("order_changes", "the staff history of changes; the page never shows it")
