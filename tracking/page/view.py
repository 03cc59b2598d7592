"""The tracking page's view model: an order with its parcels, their journeys and items, loaded in
two queries (``tests/page/test_budget.py`` guards the budget)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from itertools import groupby

from sqlalchemy import exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

import carriers
from carriers import Status
from tracking.brands.brand import Brand
from tracking.line.models import LineLink
from tracking.mail import modes
from tracking.mail.models import CouponCode
from tracking.orders import contents
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentEvent, ShipmentItem
from tracking.page.models import Feedback, Inquiry
from tracking.sync.schedule import CADENCE
from tracking.timeutil import as_utc, utcnow

# Milestones of the progress bar, in order.
PROGRESS = (
    Status.INFO_RECEIVED,
    Status.IN_TRANSIT,
    Status.OUT_FOR_DELIVERY,
    Status.DELIVERED,
)


#: Delivered sub-statuses that name the place the parcel was left (carriers.japan.rules).
DELIVERED_PLACES = ("delivery_box", "left_at_door", "mailbox")


def mask_email(email: str) -> str:
    """``hanako@example.com`` → ``ha***@example.com``: enough to recognise, not to harvest."""
    local, at, domain = email.partition("@")
    if not at:
        return "***"
    return f"{local[: 2 if len(local) > 3 else 1]}***@{domain}"


@dataclass
class ParcelView:
    shipment: Shipment
    events: list[ShipmentEvent] = field(default_factory=list)  # newest first
    items: list[tuple[OrderItem, int]] = field(default_factory=list)
    # One of several parcels without an item list: between them they hold the rest of the
    # order (``OrderView.rest``), and nobody knows which holds what (``orders.contents``).
    holds_rest: bool = False

    @property
    def status(self) -> Status:
        try:
            return Status(self.shipment.status)
        except ValueError:
            return Status.UNKNOWN

    def outage_since(self, now: datetime | None = None) -> datetime | None:
        """When the carrier is failing and this parcel's data is older than its cadence: the
        time of the last status we have (the page says so plainly). None otherwise."""
        s = self.shipment
        checked = as_utc(s.last_checked_at)
        if not s.failures or checked is None or self.status.is_terminal:
            return None
        cadence = CADENCE.get(self.status, CADENCE[Status.UNKNOWN])
        if (now or utcnow()) - checked <= cadence:
            return None
        return checked

    def outage_starts(self) -> datetime | None:
        """When ``outage_since`` starts answering without any write (the rendered page expires
        then, ``page.rendered``); None when it answers already or never will on its own."""
        s = self.shipment
        checked = as_utc(s.last_checked_at)
        if not s.failures or checked is None or self.status.is_terminal:
            return None
        return checked + CADENCE.get(self.status, CADENCE[Status.UNKNOWN]) + timedelta(seconds=1)

    @property
    def progress_step(self) -> int:
        """Index into PROGRESS reached so far (-1: nothing yet)."""
        status = self.status
        if status in PROGRESS:
            return PROGRESS.index(status)
        if status in (Status.ATTEMPT_FAILED, Status.AVAILABLE_FOR_PICKUP):
            return PROGRESS.index(Status.OUT_FOR_DELIVERY)
        if status in (Status.DELAYED, Status.EXCEPTION, Status.RETURNING_TO_SENDER):
            return PROGRESS.index(Status.IN_TRANSIT)
        return -1

    @property
    def progress(self) -> list[tuple[str, str]]:
        """The progress bar as ``(step, state)`` pairs; state is done, current, todo or alert.

        The happy path is ordered → shipped → in transit → out for delivery → delivered; a
        failed attempt, a pickup, a delay, a problem or a return replaces the step where it
        happened, so the bar tells the same story as the status line.
        """
        steps = ["ordered", "shipped", "in_transit", "out_for_delivery", "delivered"]
        status = self.status
        replaced = {
            Status.ATTEMPT_FAILED: (3, "attempt_failed", "alert"),
            Status.AVAILABLE_FOR_PICKUP: (3, "available_for_pickup", "current"),
            Status.DELAYED: (2, "delayed", "alert"),
            Status.EXCEPTION: (2, "exception", "alert"),
            Status.RETURNING_TO_SENDER: (3, "returning_to_sender", "alert"),
            Status.RETURNED_TO_SENDER: (3, "returning_to_sender", "done"),
        }
        if status in (Status.RETURNING_TO_SENDER, Status.RETURNED_TO_SENDER):
            steps[4] = "returned_to_sender"
        if status in replaced:
            at, name, state = replaced[status]
            steps[at] = name
        elif status is Status.DELIVERED:
            at, state = 4, "done"
        else:  # the step reached so far; "ordered" while the parcel is not yet with the carrier
            at, state = self.progress_step + 1, "current"
        if status is Status.RETURNED_TO_SENDER:
            at, state = 4, "done"
        return [
            (step, "done" if i < at else state if i == at else "todo")
            for i, step in enumerate(steps)
        ]

    @property
    def redelivery_url(self) -> str | None:
        """The carrier's redelivery (再配達) page after a failed attempt, when it has one."""
        if self.status is not Status.ATTEMPT_FAILED:
            return None
        try:
            return carriers.get(self.shipment.carrier).redelivery_url(self.shipment.tracking_number)
        except carriers.UnknownCarrier:
            return None

    @property
    def delivery_change(self) -> carriers.DeliveryChange | None:
        """The carrier's own page for changing the day, time or place while the parcel is on
        its way (before the first attempt: what prevents a redelivery), when it has one."""
        if self.status not in (Status.IN_TRANSIT, Status.OUT_FOR_DELIVERY):
            return None
        try:
            return carriers.get(self.shipment.carrier).delivery_change(
                self.shipment.tracking_number
            )
        except carriers.UnknownCarrier:
            return None

    @property
    def delivered_to(self) -> str | None:
        """Where the carrier left the parcel, when its scans say (a delivery box, 置き配, the
        mailbox): ``delivery_box``, ``left_at_door`` or ``mailbox``."""
        if self.status is Status.DELIVERED and self.shipment.sub_status in DELIVERED_PLACES:
            return self.shipment.sub_status
        return None

    def days(self, tz: tzinfo) -> list[tuple[date, list[ShipmentEvent]]]:
        """The journey grouped by shop-local day, newest day and event first."""
        return [
            (day, list(events))
            for day, events in groupby(
                self.events, key=lambda e: as_utc(e.occurred_at).astimezone(tz).date()
            )
        ]


@dataclass
class OrderView:
    order: Order
    parcels: list[ParcelView]
    unshipped: list[tuple[OrderItem, int]]
    feedback_rating: int | None = None
    # The shop's latest answer to a question asked on this page: (question, answer), or None.
    shop_reply: tuple[str, str] | None = None
    # The pool coupon code issued to this order with its delivered mail, if any.
    pool_coupon: str | None = None
    # The items shared by several parcels without item lists (see ``ParcelView.holds_rest``).
    rest: list[tuple[OrderItem, int]] = field(default_factory=list)
    # The order's customer gets its news on LINE (a live ``line_links`` row).
    line_linked: bool = False

    @property
    def item_groups(self) -> list[list[tuple[OrderItem, int]]]:
        return [p.items for p in self.parcels] + [self.rest, self.unshipped]

    @property
    def masked_email(self) -> str:
        return mask_email(self.order.email)

    @property
    def any_delivered(self) -> bool:
        return any(p.status is Status.DELIVERED for p in self.parcels)

    @property
    def is_delivered(self) -> bool:
        """Every item shipped and every parcel delivered."""
        return (
            bool(self.parcels)
            and not self.unshipped
            and all(p.status is Status.DELIVERED for p in self.parcels)
        )

    @property
    def is_terminal(self) -> bool:
        return (
            bool(self.parcels)
            and not self.unshipped
            and all(p.status.is_terminal for p in self.parcels)
        )

    @property
    def last_checked_at(self) -> datetime | None:
        times = [as_utc(p.shipment.last_checked_at) for p in self.parcels]
        times = [t for t in times if t]
        return max(times) if times else None


def page_view(session: Session, brand: str, public_id: str) -> OrderView | None:
    """The tracking page's view in two queries: the order with its items, feedback rating and
    the shop's latest answer to a question, then its parcels with their events. None when the
    brand has no such order.

    Two, not three, so the page view stays within its budget of three queries even when a
    feature included in the page (e.g. the return call-to-action) needs one more.
    """
    rating = select(Feedback.rating).where(Feedback.order_id == Order.id).scalar_subquery()
    latest = aliased(Inquiry)
    answered = (
        select(latest.id)
        .where(latest.order_id == Order.id, latest.status == "answered")
        .order_by(latest.replied_at.desc(), latest.id.desc())
        .limit(1)
        .correlate(Order)
        .scalar_subquery()
    )
    question = (
        select(Inquiry.message).where(Inquiry.id == answered).correlate(Order).scalar_subquery()
    )
    answer = select(Inquiry.reply).where(Inquiry.id == answered).correlate(Order).scalar_subquery()
    coupon = (
        select(CouponCode.code).where(CouponCode.order_id == Order.id).limit(1).scalar_subquery()
    )
    on_line = exists().where(LineLink.order_id == Order.id, LineLink.stopped_at.is_(None))
    rows = session.exec(
        select(
            Order,
            rating.label("feedback_rating"),
            OrderItem,
            ShipmentItem,
            question.label("question"),
            answer.label("answer"),
            coupon.label("coupon"),
            on_line.label("line_linked"),
        )
        .join(OrderItem, OrderItem.order_id == Order.id, isouter=True)
        .join(ShipmentItem, ShipmentItem.order_item_id == OrderItem.id, isouter=True)
        .where(Order.brand == brand, Order.public_id == public_id)
        .order_by(OrderItem.id, ShipmentItem.id)
    ).all()
    if not rows:
        return None
    first = rows[0]  # the order's own columns repeat on every item row
    item_rows = [(row.OrderItem, row.ShipmentItem) for row in rows if row.OrderItem is not None]
    view = _assemble(first.Order, item_rows, _parcel_rows(session, first.Order.id))
    view.feedback_rating = first.feedback_rating
    if first.answer:
        view.shop_reply = (first.question, first.answer)
    view.pool_coupon = first.coupon
    view.line_linked = bool(first.line_linked)
    return view


def coupon_for(brand: Brand, view: OrderView, locale: str) -> tuple[str, str] | None:
    """(text, code) of the next-purchase coupon shown once the whole order is delivered, as in
    the delivered mail: the brand's fixed code, or the pool code issued to this order. Never in
    Rakuten mode (order-related content only), which is the order's (``mail.modes``)."""
    coupon = brand.mail.coupon
    if coupon is None or not modes.offers_allowed(brand, view.order) or not view.is_delivered:
        return None
    code = coupon.code or view.pool_coupon
    return (coupon.text.get(locale, brand.default_locale), code) if code else None


def _parcel_rows(session: Session, order_id: int):
    return session.exec(
        select(Shipment, ShipmentEvent)
        .join(ShipmentEvent, ShipmentEvent.shipment_id == Shipment.id, isouter=True)
        # A customer's return parcel belongs to its return request, not to the order's parcels.
        .where(Shipment.order_id == order_id, Shipment.direction == "outbound")
        .order_by(Shipment.id, ShipmentEvent.occurred_at.desc(), ShipmentEvent.id.desc())
    ).all()


def _assemble(order: Order, item_rows, parcel_rows) -> OrderView:
    parcels: dict[int, ParcelView] = {}
    for shipment, event in parcel_rows:
        view = parcels.setdefault(shipment.id, ParcelView(shipment))
        if event is not None:
            view.events.append(event)

    items: dict[int, OrderItem] = {}
    named: dict[int, list[tuple[OrderItem, int]]] = {i: [] for i in parcels}
    for item, link in item_rows:
        items[item.id] = item
        if link is not None and link.shipment_id in parcels:
            named[link.shipment_id].append((item, link.qty))
    alloc = contents.allocate(items.values(), named)
    for parcel_id, view in parcels.items():
        view.items = alloc.parcels[parcel_id]
        view.holds_rest = alloc.shared and parcel_id in alloc.rest_in
    return OrderView(
        order=order,
        parcels=list(parcels.values()),
        unshipped=alloc.unshipped,
        rest=alloc.rest if alloc.shared else [],
    )
