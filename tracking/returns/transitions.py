"""Moving a return through the machine (``machine.py``): who may take which step, from which
status, recorded with who, when and why, and the customer's mail queued.

Every step is a conditional UPDATE on ``version`` (and the status it started from), so of two
staff acting at once one wins and the other is told (``stale``). The ``ship`` step carries the
return parcel: ``returns.parcel.ship``. Commits or raises ``TransitionError``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracking import normalize
from tracking.brands.brand import Brand
from tracking.orders.models import Order
from tracking.outbound import sources as outbound
from tracking.returns import credits, machine
from tracking.returns.links import status_url
from tracking.returns.models import ReturnEvent, ReturnLine, ReturnRequest
from tracking.returns.notify import notify
from tracking.timeutil import utcnow


class TransitionError(Exception):
    """``code``: illegal (not allowed from this status), stale (someone else acted first),
    forbidden (not this actor's action), tracking (bad return or replacement tracking number),
    no_codes (the shop's pool of store-credit codes is empty), resolution (an outcome step
    that is not what the customer asked for: change the resolution first)."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code


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
    now: datetime | None = None,
    before_write: Callable[[datetime], dict] | None = None,
) -> ReturnRequest:
    """Move ``rr`` by ``action``: the one way a return changes status. Records who, when and
    why, and queues the customer's mail. ``before_write`` (the return parcel's, for ``ship``:
    use ``returns.parcel.ship``) runs once the step is known to be allowed, before the
    conditional UPDATE (anything it adds rolls back with a stale write); the columns it returns
    are written with the status."""
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
    reached = to  # the mail says what this step gave, even while others are still to come
    if rr.status == "inspected":
        resolutions, done = _resolutions(session, rr), given(session, rr.id)
        if action not in machine.staff_actions(rr.status, resolutions, done):
            raise TransitionError("resolution", f"{action!r} is not what this return asked for")
        to = machine.outcome_target(action, resolutions, done)
    if action == "ship" and before_write is None:
        raise TransitionError("tracking", "ship needs the return parcel (returns.parcel.ship)")
    if action == "exchange" and before_write is None:
        raise TransitionError(
            "tracking", "exchange needs the replacement parcel (returns.outcomes.act)"
        )
    expected = rr.version if expected_version is None else expected_version
    from_status = rr.status
    values: dict = {"status": to, "version": expected + 1, "updated_at": now}
    order = session.get(Order, rr.order_id)
    try:
        if before_write is not None:
            values |= before_write(now)
        values |= _carry_out(session, brand, rr, order, action, actor, now)
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
    except IntegrityError:
        # A second store credit for this return (uq_credit_return): another step won.
        session.rollback()
        raise TransitionError("stale", "someone else changed this return first") from None
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
    notify(session, brand, rr, order, reached, now=now, receipt=actor_kind == "customer")
    outbound.return_updated(
        session,
        brand,
        order,
        return_id=rr.id,
        rma=rr.rma,
        status=to,
        previous=from_status,
        action=action,
        version=rr.version,
        link=status_url(brand.slug, rr),
        now=now,
    )
    session.commit()
    return rr


def given(session: Session, return_id: int) -> set[str]:
    """The outcome steps already taken for a return (a mixed return takes one per resolution,
    staying ``inspected`` until the last): read from its history."""
    return set(
        session.exec(
            select(ReturnEvent.action).where(
                ReturnEvent.return_id == return_id,
                ReturnEvent.from_status == "inspected",
                col(ReturnEvent.action).in_(machine.OUTCOMES),
            )
        ).all()
    )


def _resolutions(session: Session, rr: ReturnRequest) -> set[str]:
    return set(
        session.exec(select(ReturnLine.resolution).where(ReturnLine.return_id == rr.id)).all()
    )


def _carry_out(
    session: Session,
    brand: Brand,
    rr: ReturnRequest,
    order: Order | None,
    action: str,
    actor: str,
    now: datetime,
) -> dict:
    """What the outcome steps do besides the status: ``credit`` issues the code (here, so no
    caller can credit without one), ``refund`` records the amount as paid, by whom and when."""
    if action == "credit":
        try:
            credits.issue(session, brand, rr, order.currency if order else "JPY", now)
        except credits.NoCodes:
            session.rollback()
            raise TransitionError(
                "no_codes", "the shop's pool of store-credit codes is empty"
            ) from None
    if action == "refund":
        return {"paid_amount": rr.refund_amount, "paid_at": now, "paid_by": actor[:254]}
    return {}


def add_note(session: Session, rr: ReturnRequest, actor: str, text: str) -> ReturnEvent:
    event = ReturnEvent(
        return_id=rr.id, action="note", actor=actor[:254], reason=normalize.clean(text)[:2000]
    )
    session.add(event)
    session.commit()
    return event
