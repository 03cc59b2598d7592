"""Return services: what an order allows, submitting a request, moving it through the machine.

Views and the API call these with a ``Session``; they commit or raise. Two guards keep data right
under concurrency: submitting locks the order row first (a conditional write, which also takes
SQLite's write lock) so quantities are counted once, and every transition is a conditional
UPDATE on ``version`` so two staff acting at once cannot both win.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracking import normalize
from tracking.brands.brand import Brand
from tracking.orders import parcels
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentEvent, ShipmentItem
from tracking.returns import machine, photos, policy
from tracking.returns.models import ReturnEvent, ReturnLine, ReturnPhoto, ReturnRequest
from tracking.returns.notify import notify
from tracking.returns.policy import ItemEligibility, ItemFacts, LineInput
from tracking.timeutil import as_utc, utcnow

RMA_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and hand-written
BANK_FIELDS = ("bank_name", "branch_name", "account_type", "account_number", "account_holder")
ACCOUNT_TYPES = ("ordinary", "current")  # 普通, 当座


class SubmissionError(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}={v}" for k, v in errors.items()))
        self.errors = errors


class TransitionError(Exception):
    """``code``: illegal (not allowed from this status), stale (someone else acted first),
    forbidden (not this actor's action), tracking (bad return tracking number)."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code


@dataclass
class ReturnableItem:
    item: OrderItem
    eligibility: ItemEligibility


@dataclass
class Submission:
    key: str
    lines: list[LineInput]
    note: str = ""
    bank: dict[str, str] = field(default_factory=dict)
    photos: dict[int, list[bytes]] = field(default_factory=dict)


def returned_quantities(session: Session, order_id: int) -> dict[int, int]:
    rows = session.exec(
        select(ReturnLine.order_item_id, func.sum(ReturnLine.qty))
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(
            ReturnRequest.order_id == order_id,
            col(ReturnRequest.status).not_in(machine.RELEASED),
        )
        .group_by(ReturnLine.order_item_id)
    ).all()
    return {item_id: int(total or 0) for item_id, total in rows}


def returnable_items(
    session: Session, brand: Brand, order: Order, now: datetime | None = None
) -> list[ReturnableItem]:
    """Every line of the order with what the policy allows for it today."""
    items = session.exec(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
    ).all()
    shipped: dict[int, list[tuple[int, Shipment]]] = {}
    for link, shipment in session.exec(
        select(ShipmentItem, Shipment)
        .join(Shipment, Shipment.id == ShipmentItem.shipment_id)
        .where(Shipment.order_id == order.id, Shipment.direction == "outbound")
    ).all():
        shipped.setdefault(link.order_item_id, []).append((link.qty, shipment))
    return eligibility(
        brand, order, items, shipped, returned_quantities(session, order.id), now or utcnow()
    )


def eligibility(
    brand: Brand,
    order: Order,
    items: list[OrderItem],
    shipped: dict[int, list[tuple[int, Shipment]]],
    returned: dict[int, int],
    now: datetime,
) -> list[ReturnableItem]:
    """Pure: the policy's answer per item, from already loaded rows."""
    out = []
    for item in items:
        parcels = shipped.get(item.id, [])
        shipped_at = [as_utc(s.shipped_at) for _q, s in parcels if s.shipped_at]
        delivered_at = [as_utc(s.delivered_at) for _q, s in parcels if s.delivered_at]
        # Several parcels: the window runs from the last one, so the whole line is covered.
        facts = ItemFacts(
            item_id=item.id,
            sku=item.sku,
            variant=item.variant,
            tags=tuple(item.tags or ()),
            returnable=item.returnable,
            price=item.price,
            shipped_qty=sum(q for q, _s in parcels),
            returned_qty=returned.get(item.id, 0),
            ordered_at=as_utc(order.placed_at),
            shipped_at=max(shipped_at) if shipped_at else None,
            delivered_at=max(delivered_at) if delivered_at else None,
            variants=tuple((item.options or {}).get("variants", ())),
        )
        out.append(
            ReturnableItem(item, policy.item_eligibility(brand.returns, facts, now, brand.tz))
        )
    return out


def page_offer(
    session: Session, brand: Brand, view, now: datetime | None = None
) -> tuple[bool, list[ReturnRequest]]:
    """For the tracking page: can a return start, and the returns already made — in one query,
    reusing the items and parcels the page already loaded (``view``: ``orders.OrderView``)."""
    if not view.parcels:
        return False, []  # nothing shipped: nothing to return, and no return can exist yet
    rows = session.exec(
        select(ReturnRequest, ReturnLine)
        .join(ReturnLine, ReturnLine.return_id == ReturnRequest.id, isouter=True)
        .where(ReturnRequest.order_id == view.order.id)
        .order_by(col(ReturnRequest.id).desc())
    ).all()
    existing: dict[int, ReturnRequest] = {}
    returned: dict[int, int] = {}
    for request, line in rows:
        existing.setdefault(request.id, request)
        if line is not None and request.status not in machine.RELEASED:
            returned[line.order_item_id] = returned.get(line.order_item_id, 0) + line.qty
    items: dict[int, OrderItem] = {}
    shipped: dict[int, list[tuple[int, Shipment]]] = {}
    for parcel in view.parcels:
        for item, qty in parcel.items:
            items[item.id] = item
            shipped.setdefault(item.id, []).append((qty, parcel.shipment))
    for item, _qty in view.unshipped:
        items.setdefault(item.id, item)
    ordered = [items[k] for k in sorted(items)]
    offer = eligibility(brand, view.order, ordered, shipped, returned, now or utcnow())
    return any(r.eligibility.ok for r in offer), list(existing.values())


def prior_requests(session: Session, brand: Brand, email: str, now: datetime) -> int:
    since = now - timedelta(days=brand.returns.cap_period_days)
    return session.exec(
        select(func.count(ReturnRequest.id)).where(
            ReturnRequest.brand == brand.slug,
            ReturnRequest.email == email,
            ReturnRequest.created_at >= since,
            col(ReturnRequest.status).not_in(("cancelled",)),
        )
    ).one()


def needs_bank_details(brand: Brand, order: Order, lines: list[LineInput]) -> bool:
    return (
        brand.returns.cod_bank_details
        and order.payment_method == "cod"
        and any(line.qty > 0 and line.resolution == "refund" for line in lines)
    )


def validate_bank(bank: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(cleaned details, errors). The holder is in katakana as banks print it (口座名義カナ)."""
    clean = {k: normalize.clean(bank.get(k, ""))[:100] for k in BANK_FIELDS}
    errors = {}
    for key in ("bank_name", "branch_name"):
        if not clean[key]:
            errors[f"bank-{key}"] = "required"
    if clean["account_type"] not in ACCOUNT_TYPES:
        errors["bank-account_type"] = "required"
    if not re.fullmatch(r"\d{7}", clean["account_number"]):
        errors["bank-account_number"] = "account_number"
    if not re.fullmatch(r"[\u30a0-\u30ff\u3000 ()（）.\-]+", clean["account_holder"]):
        errors["bank-account_holder"] = "account_holder"
    return clean, errors


def new_rma(prefix: str) -> str:
    return f"{prefix}-" + "".join(secrets.choice(RMA_ALPHABET) for _ in range(6))


def _by_key(session: Session, order_id: int, key: str) -> ReturnRequest | None:
    return session.exec(
        select(ReturnRequest).where(
            ReturnRequest.order_id == order_id, ReturnRequest.submission_key == key
        )
    ).first()


def _lock_order(session: Session, order_id: int) -> None:
    # A write first: on PostgreSQL it locks the order row; on SQLite it takes the database
    # write lock before anything is read, so two submissions never count the same items.
    session.exec(update(Order).where(col(Order.id) == order_id).values(updated_at=utcnow()))


def process_photos(sub: Submission) -> tuple[dict[int, list[tuple[bytes, int, int]]], dict]:
    """Re-encode every upload before any lock is taken (it is the slow part)."""
    done: dict[int, list[tuple[bytes, int, int]]] = {}
    errors: dict[str, str] = {}
    for item_id, blobs in sub.photos.items():
        if len(blobs) > policy.MAX_PHOTOS:
            errors[f"{item_id}-photos"] = "too_many_photos"
            continue
        for blob in blobs:
            try:
                done.setdefault(item_id, []).append(photos.reencode(blob))
            except photos.PhotoError as exc:
                errors[f"{item_id}-photos"] = f"photo_{exc.code}"
                break
    return done, errors


def submit(
    session: Session,
    brand: Brand,
    order: Order,
    sub: Submission,
    *,
    upload_dir: Path,
    now: datetime | None = None,
) -> ReturnRequest:
    """Create the return request, or return the one this form already created.

    Raises SubmissionError with field errors; nothing is stored then.
    """
    now = now or utcnow()
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", sub.key or ""):
        raise SubmissionError({"form": "stale_form"})
    existing = _by_key(session, order.id, sub.key)
    if existing is not None:
        return existing
    encoded, errors = process_photos(sub)
    for line in sub.lines:
        line.photo_count = len(encoded.get(line.item_id, []))
    for attempt in range(5):
        try:
            return _submit_locked(session, brand, order, sub, encoded, errors, upload_dir, now)
        except IntegrityError:
            session.rollback()
            existing = _by_key(session, order.id, sub.key)
            if existing is not None:  # the same form won a race with itself
                return existing
            if attempt == 4:  # five RMA collisions in a row: something else is wrong
                raise
    raise AssertionError("unreachable")


def _submit_locked(session, brand, order, sub, encoded, photo_errors, upload_dir, now):
    _lock_order(session, order.id)
    existing = _by_key(session, order.id, sub.key)
    if existing is not None:
        session.rollback()
        return existing
    rpolicy = brand.returns
    items = {r.item.id: r.eligibility for r in returnable_items(session, brand, order, now)}
    errors = policy.validate_lines(rpolicy, items, sub.lines)
    errors.update(photo_errors)  # "this file is not a photo" says more than "photo missing"
    bank: dict[str, str] = {}
    if needs_bank_details(brand, order, sub.lines):
        bank, bank_errors = validate_bank(sub.bank)
        errors.update(bank_errors)
    if errors:
        session.rollback()
        raise SubmissionError(errors)
    lines = [line for line in sub.lines if line.qty > 0]
    prior = prior_requests(session, brand, order.email, now)
    q = policy.quote(rpolicy, items, lines)
    status = "needs_review" if policy.over_cap(rpolicy, prior) else "requested"
    rr = ReturnRequest(
        brand=brand.slug,
        order_id=order.id,
        rma=new_rma(rpolicy.rma_prefix),
        submission_key=sub.key,
        status=status,
        email=order.email,
        locale=order.locale or brand.default_locale,
        customer_note=normalize.clean(sub.note)[:2000],
        fault=q.fault,
        return_shipping_paid_by=q.return_shipping_paid_by,
        restocking_fee=q.restocking_fee,
        refund_estimate=q.refund_estimate,
        bank_details=bank,
        policy_checks=policy.checks(rpolicy, items, lines, prior),
        created_at=now,
        updated_at=now,
    )
    session.add(rr)
    session.flush()
    for line in lines:
        reason = rpolicy.reason(line.reason)
        row = ReturnLine(
            return_id=rr.id,
            order_item_id=line.item_id,
            qty=line.qty,
            reason=line.reason,
            fault=reason.fault if reason else "customer",
            resolution=line.resolution,
            exchange_variant=line.variant if line.resolution == "exchange" else "",
            note=normalize.clean(line.note)[:1000],
        )
        session.add(row)
        session.flush()
        for jpeg, width, height in encoded.get(line.item_id, []):
            name = photos.store(upload_dir, jpeg)
            session.add(
                ReturnPhoto(
                    return_id=rr.id,
                    line_id=row.id,
                    stored_name=name,
                    width=width,
                    height=height,
                    size=len(jpeg),
                )
            )
    session.add(
        ReturnEvent(
            return_id=rr.id,
            action="submit",
            to_status=status,
            actor="customer",
            reason="over_cap" if status == "needs_review" else "",  # display.EVENT_REASONS
            created_at=now,
        )
    )
    notify(session, brand, rr, order, status)
    session.commit()
    return rr


def transition(
    session: Session,
    brand: Brand,
    rr: ReturnRequest,
    action: str,
    *,
    actor: str,
    actor_kind: str = "staff",
    reason: str = "",
    expected_version: int | None = None,
    carrier: str = "",
    tracking_number: str = "",
    now: datetime | None = None,
) -> ReturnRequest:
    """Move ``rr`` by ``action``; records who, when and why, and queues the customer's mail."""
    now = now or utcnow()
    if rr.brand != brand.slug:
        raise TransitionError("illegal", "another shop's return")
    allowed = machine.allowed_actions(actor_kind)  # an unknown kind raises, never means staff
    if action not in allowed:
        raise TransitionError("forbidden", f"{action!r} is not allowed for {actor_kind}")
    if expected_version is not None and expected_version != rr.version:
        # Said first: what the person saw is out of date, whatever they clicked.
        raise TransitionError("stale", "someone else changed this return first")
    to = machine.target(rr.status, action)
    if to is None:
        raise TransitionError("illegal", f"cannot {action} a return that is {rr.status}")
    expected = rr.version if expected_version is None else expected_version
    from_status = rr.status
    values: dict = {"status": to, "version": expected + 1, "updated_at": now}
    if action == "ship":
        # Stored as every other path stores numbers (full-width, any dash), checked the same way.
        try:
            checked = parcels.check_number(brand, carrier, tracking_number)
        except parcels.ParcelError as exc:
            raise TransitionError("tracking", exc.message) from None
        values |= {"return_carrier": checked.carrier, "return_tracking_number": checked.number}
        # Added before the conditional UPDATE: a stale write rolls the parcel back with it.
        _track_return_parcel(session, rr, checked.carrier, checked.number, now)
    result = session.exec(
        update(ReturnRequest)
        .where(
            col(ReturnRequest.id) == rr.id,
            col(ReturnRequest.version) == expected,
            col(ReturnRequest.status) == from_status,
        )
        .values(**values)
        # The ORM would patch ``rr`` in place; we do that ourselves once the write succeeded.
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise TransitionError("stale", "someone else changed this return first")
    session.add(
        ReturnEvent(
            return_id=rr.id,
            action=action,
            from_status=from_status,
            to_status=to,
            actor=actor[:254],
            reason=normalize.clean(reason)[:2000],
            created_at=now,
        )
    )
    for key, value in values.items():
        setattr(rr, key, value)
    order = session.get(Order, rr.order_id)
    notify(session, brand, rr, order, to)
    session.commit()
    return rr


def _track_return_parcel(
    session: Session, rr: ReturnRequest, carrier: str, number: str, now: datetime
) -> Shipment:
    """The return parcel as a shipment: the sync worker polls it like any other (same carrier
    routing, cadence, backoff and event dedupe). Due at once, so the next round looks at it."""
    parcel = parcels.find_parcel(session, rr.order_id, carrier, number)
    if parcel is not None and parcel.direction != "return":
        # The order's own parcel number: the shop's parcel, not the customer's return.
        raise TransitionError("tracking", "that tracking number is already in use")
    if parcel is None:
        parcel = Shipment(
            order_id=rr.order_id,
            carrier=carrier,
            tracking_number=number,
            direction="return",
            return_id=rr.id,  # the first return it carries; two returns may share one box
            shipped_at=now,
            next_check_at=now,
        )
        session.add(parcel)
    return parcel


def return_parcel(
    session: Session, rr: ReturnRequest
) -> tuple[Shipment | None, ShipmentEvent | None]:
    """The return's tracked parcel and its newest carrier event, in one query. Found by its
    number, so returns of one order sent back in one box share the parcel."""
    if not rr.return_tracking_number:
        return None, None
    row = session.exec(
        select(Shipment, ShipmentEvent)
        .join(ShipmentEvent, ShipmentEvent.shipment_id == Shipment.id, isouter=True)
        .where(
            Shipment.order_id == rr.order_id,
            Shipment.direction == "return",
            Shipment.carrier == rr.return_carrier,
            Shipment.tracking_number == rr.return_tracking_number,
        )
        .order_by(
            col(ShipmentEvent.occurred_at).desc(),
            col(ShipmentEvent.id).desc(),
        )
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def add_note(session: Session, rr: ReturnRequest, actor: str, text: str) -> ReturnEvent:
    event = ReturnEvent(
        return_id=rr.id, action="note", actor=actor[:254], reason=normalize.clean(text)[:2000]
    )
    session.add(event)
    session.commit()
    return event


def by_rma(session: Session, brand: str, rma: str) -> ReturnRequest | None:
    return session.exec(
        select(ReturnRequest).where(
            ReturnRequest.brand == brand, ReturnRequest.rma == normalize.order_number(rma)
        )
    ).first()


def by_public_id(session: Session, brand: str, public_id: str) -> ReturnRequest | None:
    return session.exec(
        select(ReturnRequest).where(
            ReturnRequest.brand == brand, ReturnRequest.public_id == public_id
        )
    ).first()


def for_order(session: Session, order: Order) -> list[ReturnRequest]:
    return list(
        session.exec(
            select(ReturnRequest)
            .where(ReturnRequest.order_id == order.id)
            .order_by(col(ReturnRequest.id).desc())
        ).all()
    )


@dataclass
class Detail:
    rr: ReturnRequest
    order: Order
    lines: list[tuple[ReturnLine, OrderItem]]
    photos: dict[int, list[ReturnPhoto]]
    events: list[ReturnEvent]
    parcel: Shipment | None = None  # the tracked return parcel, once shipped
    parcel_event: ShipmentEvent | None = None  # its newest carrier event

    @property
    def parcel_arrived(self) -> bool:
        """The carrier says it is delivered but staff have not marked it received yet."""
        return (
            self.rr.status == "in_transit"
            and self.parcel is not None
            and self.parcel.status == "delivered"
        )


def detail(session: Session, rr: ReturnRequest) -> Detail:
    order = session.get(Order, rr.order_id)
    lines = session.exec(
        select(ReturnLine, OrderItem)
        .join(OrderItem, OrderItem.id == ReturnLine.order_item_id)
        .where(ReturnLine.return_id == rr.id)
        .order_by(ReturnLine.id)
    ).all()
    pics: dict[int, list[ReturnPhoto]] = {}
    for p in session.exec(
        select(ReturnPhoto).where(ReturnPhoto.return_id == rr.id).order_by(ReturnPhoto.id)
    ).all():
        pics.setdefault(p.line_id, []).append(p)
    events = session.exec(
        select(ReturnEvent)
        .where(ReturnEvent.return_id == rr.id)
        .order_by(ReturnEvent.created_at, ReturnEvent.id)
    ).all()
    parcel, parcel_event = return_parcel(session, rr)
    return Detail(rr, order, list(lines), pics, list(events), parcel, parcel_event)


def search(
    session: Session,
    brand: str,
    *,
    status: str = "",
    reason: str = "",
    older_than_days: int | None = None,
    q: str = "",
    now: datetime | None = None,
    limit: int = 200,
) -> list[tuple[ReturnRequest, Order]]:
    """The queue: newest first, filtered; ``q`` matches RMA, order number or email."""
    now = now or utcnow()
    stmt = (
        select(ReturnRequest, Order)
        .join(Order, Order.id == ReturnRequest.order_id)
        .where(ReturnRequest.brand == brand)
    )
    if status:
        stmt = stmt.where(ReturnRequest.status == status)
    if reason:
        stmt = stmt.where(
            col(ReturnRequest.id).in_(
                select(ReturnLine.return_id).where(ReturnLine.reason == reason)
            )
        )
    if older_than_days is not None:
        stmt = stmt.where(ReturnRequest.created_at <= now - timedelta(days=older_than_days))
    if q.strip():
        term = normalize.clean(q)
        stmt = stmt.where(
            or_(
                ReturnRequest.rma == normalize.order_number(term),
                Order.number == normalize.order_number(term),
                ReturnRequest.email == normalize.email(term),
            )
        )
    stmt = stmt.order_by(col(ReturnRequest.created_at).desc(), col(ReturnRequest.id).desc())
    return list(session.exec(stmt.limit(limit)).all())
