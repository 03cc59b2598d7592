"""Carrying out what the customer asked for: the step staff or an API key take (``act``), the
exchange's replacement parcel, and an explicit, recorded change of a line's resolution.

The refund (marked paid) and the store-credit code happen inside ``transitions.transition``;
the replacement parcel is handed to it as ``before_write``, like the return parcel of ``ship``.
Commits or raises ``TransitionError``."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from sqlalchemy import update
from sqlmodel import Session, col, select

from tracking import normalize
from tracking.brands.brand import Brand
from tracking.orders import parcels
from tracking.orders.models import OrderItem, Shipment, ShipmentEvent
from tracking.returns import machine, policy, transitions
from tracking.returns.models import ReturnEvent, ReturnLine, ReturnRequest
from tracking.returns.parcel import change, ship, tracked_parcel
from tracking.returns.transitions import TransitionError, transition
from tracking.timeutil import utcnow

# A resolution can be changed until the outcome step is taken.
CHANGEABLE = frozenset(
    {"requested", "needs_review", "approved", "in_transit", "received", "inspected"}
)


def act(
    session: Session,
    brand: Brand,
    rr: ReturnRequest,
    action: str,
    *,
    carrier: str,
    tracking_number: str,
    actor: str,
    reason: str,
    expected_version: int | None,
) -> ReturnRequest:
    """The step staff or an API key asked for, as their form or body gives it: ``ship`` with
    the customer's parcel, ``exchange`` with the replacement parcel, any other step without
    one (``carrier`` and ``tracking_number`` unused)."""
    who = {"actor": actor, "reason": reason, "expected_version": expected_version}
    if action == "ship" and rr.status == "in_transit":
        # Another number for the parcel on its way back (the customer mistyped it): the new
        # one is tracked and the customer is mailed (``parcel.change``).
        if expected_version is not None and expected_version != rr.version:
            raise TransitionError("stale", "someone else changed this return first")
        return change(
            session, brand, rr, carrier=carrier, tracking_number=tracking_number, actor=actor
        )
    if action == "ship":
        return ship(session, brand, rr, carrier=carrier, tracking_number=tracking_number, **who)
    if action == "exchange":
        return send_replacement(
            session, brand, rr, carrier=carrier, tracking_number=tracking_number, **who
        )
    return transition(session, brand, rr, action, **who)


def send_replacement(
    session: Session,
    brand: Brand,
    rr: ReturnRequest,
    *,
    carrier: str,
    tracking_number: str,
    actor: str,
    reason: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ReturnRequest:
    """``inspected → exchanged`` with the replacement's parcel: checked like any number (one of
    the shop's carriers, check digits), stored as a ``replacement`` shipment due at once, so the
    worker tracks it like any parcel and the return's status page shows it."""

    def record_parcel(at: datetime) -> dict:
        try:
            checked = parcels.check_number(brand, carrier, tracking_number, shop_only=True)
        except parcels.ParcelError as exc:
            raise TransitionError("tracking", exc.message) from None
        if parcels.find_parcel(session, rr.order_id, checked.carrier, checked.number):
            raise TransitionError("tracking", _already_a_parcel())
        session.add(
            Shipment(
                order_id=rr.order_id,
                carrier=checked.carrier,
                tracking_number=checked.number,
                direction="replacement",
                return_id=rr.id,
                shipped_at=at,
                next_check_at=at,
            )
        )
        return {
            "replacement_carrier": checked.carrier,
            "replacement_tracking_number": checked.number,
        }

    return transition(
        session,
        brand,
        rr,
        "exchange",
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        now=now,
        before_write=record_parcel,
    )


def _already_a_parcel() -> str:
    return gettext("That number is already one of this order's parcels.")


def replacement_parcel(
    session: Session, rr: ReturnRequest
) -> tuple[Shipment | None, ShipmentEvent | None]:
    """The exchange's replacement parcel and its newest carrier event."""
    return tracked_parcel(
        session, rr, "replacement", rr.replacement_carrier, rr.replacement_tracking_number
    )


def amounts(session: Session, brand: Brand, rr: ReturnRequest) -> policy.Quote:
    """The return's amounts from its stored lines and the items' prices, by today's policy."""
    rows = session.exec(
        select(ReturnLine, OrderItem)
        .join(OrderItem, OrderItem.id == ReturnLine.order_item_id)
        .where(ReturnLine.return_id == rr.id)
        .order_by(ReturnLine.id)
    ).all()
    return _quote(brand, [(line, item) for line, item in rows])


def _quote(brand: Brand, rows: list[tuple[ReturnLine, OrderItem]]) -> policy.Quote:
    items, lines = {}, []
    for line, item in rows:
        facts = policy.ItemFacts(
            item_id=item.id,
            sku=item.sku,
            variant=item.variant,
            tags=(),
            returnable=True,
            price=item.price,
            shipped_qty=line.qty,
            returned_qty=0,
            ordered_at=utcnow(),
        )
        items[item.id] = policy.ItemEligibility(facts=facts)
        lines.append(policy.LineInput(item.id, line.qty, line.reason, line.resolution))
    return policy.quote(brand.returns, items, lines)


def change_resolution(
    session: Session,
    brand: Brand,
    rr: ReturnRequest,
    *,
    line_id: int,
    resolution: str,
    variant: str = "",
    actor: str,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ReturnRequest:
    """Give a line another resolution (the customer agreed to credit instead of a refund, the
    size is sold out…): only before the outcome step, with a reason, recorded in the return's
    history (``resolution``: line, from, to) and shown to the customer; the amounts follow."""
    now = now or utcnow()
    reason = normalize.clean(reason)[:2000]
    variant = normalize.clean(variant)[:100]
    if rr.brand != brand.slug:
        raise TransitionError("illegal", "another shop's return")
    if expected_version is not None and expected_version != rr.version:
        raise TransitionError("stale", "someone else changed this return first")
    if rr.status not in CHANGEABLE:
        raise TransitionError("illegal", f"cannot change a return that is {rr.status}")
    if resolution not in brand.returns.resolutions or not reason:
        raise TransitionError("resolution", "choose a resolution of this shop and say why")
    if resolution == "exchange" and not variant:
        raise TransitionError("resolution", "an exchange names what it is exchanged for")
    rows = session.exec(
        select(ReturnLine, OrderItem)
        .join(OrderItem, OrderItem.id == ReturnLine.order_item_id)
        .where(ReturnLine.return_id == rr.id)
        .order_by(ReturnLine.id)
    ).all()
    line = next((ln for ln, _item in rows if ln.id == line_id), None)
    if line is None:
        raise TransitionError("illegal", "no such line in this return")
    given = transitions.given(session, rr.id)
    if machine.outcome_actions({line.resolution, resolution}) & given:
        # A mixed return already gave this (or the new) outcome: it cannot be taken back.
        raise TransitionError("resolution", "this line's outcome has already been given")
    before = line.resolution
    line.resolution = resolution
    line.exchange_variant = variant if resolution == "exchange" else ""
    q = _quote(brand, list(rows))
    values = {
        "version": rr.version + 1,
        "updated_at": now,
        "refund_amount": q.refund_amount,
        "credit_amount": q.credit_amount,
        "refund_estimate": q.refund_estimate,
        "restocking_fee": q.restocking_fee,
    }
    result = session.exec(
        update(ReturnRequest)
        .where(
            col(ReturnRequest.id) == rr.id,
            col(ReturnRequest.version) == rr.version,
            col(ReturnRequest.status) == rr.status,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise TransitionError("stale", "someone else changed this return first")
    session.add(line)
    session.add(
        ReturnEvent(
            return_id=rr.id,
            action="resolution",
            actor=actor[:254],
            reason=reason,
            detail={"line_id": line.id, "from": before, "to": resolution, "variant": variant},
            created_at=now,
        )
    )
    for key, value in values.items():
        setattr(rr, key, value)
    session.commit()
    return rr
