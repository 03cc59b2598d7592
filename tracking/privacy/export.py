"""``privacy export``: one JSON document of everything held about a person at one brand.

Rows are exported whole (every column, so nothing is left out by an oversight when a column is
added), except values that are keys rather than data about the person: link secrets, claim
tokens and idempotency keys."""

from __future__ import annotations

from sqlmodel import Session, select

from tracking.line.models import LineLink
from tracking.mail.models import CouponCode, Notification, Unsubscribe
from tracking.orders.models import (
    Order,
    OrderChange,
    OrderItem,
    Shipment,
    ShipmentEvent,
    ShipmentItem,
)
from tracking.page.models import Feedback, Inquiry, PageEvent
from tracking.privacy.subject import Subject, import_jobs_of, orders_of
from tracking.returns.models import ReturnEvent, ReturnLine, ReturnPhoto, ReturnRequest
from tracking.timeutil import utcnow

FORMAT = 1
# Capabilities, not information: whoever holds one can act as the customer.
SECRETS = {"public_id", "submission_key", "claim_token", "dedupe_key"}
# An uploaded file is listed (which, when, what became of it), not copied into the export.
UPLOAD_FIELDS = {"file_id", "kind", "filename", "state", "created_at", "finished_at", "report"}


def _row(row) -> dict:
    return row.model_dump(mode="json", exclude=SECRETS)


def _rows(session: Session, statement) -> list[dict]:
    return [_row(r) for r in session.exec(statement)]


def export(session: Session, subject: Subject) -> dict:
    orders = orders_of(session, subject)
    return {
        "format": FORMAT,
        "brand": subject.brand,
        "email": subject.email,
        "exported_at": utcnow().isoformat(timespec="seconds") + "Z",
        "orders": [_order(session, order) for order in orders],
        "unsubscribes": _rows(
            session,
            select(Unsubscribe).where(
                Unsubscribe.brand == subject.brand, Unsubscribe.email == subject.email
            ),
        ),
        "uploaded_files": [
            job.model_dump(mode="json", include=UPLOAD_FIELDS)
            for job in import_jobs_of(session, subject)
        ],
        "mail_to_address": _rows(
            session,
            select(Notification)
            .where(
                Notification.brand == subject.brand,
                Notification.to_address == subject.email,
                Notification.order_id.is_(None),
            )
            .order_by(Notification.id),
        ),
    }


def _children(session: Session, model, parent_column, parent_id: int) -> list[dict]:
    """Every row of ``model`` under one parent, in the order they were stored (events in
    the order they happened)."""
    order_by = [model.occurred_at] if model is ShipmentEvent else []
    return _rows(
        session,
        select(model).where(parent_column == parent_id).order_by(*order_by, model.id),
    )


def _order(session: Session, order: Order) -> dict:
    oid = order.id
    parcels = []
    for parcel in session.exec(
        select(Shipment).where(Shipment.order_id == oid).order_by(Shipment.id)
    ):
        entry = _row(parcel)
        entry["items"] = _children(session, ShipmentItem, ShipmentItem.shipment_id, parcel.id)
        entry["events"] = _children(session, ShipmentEvent, ShipmentEvent.shipment_id, parcel.id)
        parcels.append(entry)
    returns = []
    for request in session.exec(
        select(ReturnRequest).where(ReturnRequest.order_id == oid).order_by(ReturnRequest.id)
    ):
        entry = _row(request)
        entry["lines"] = _children(session, ReturnLine, ReturnLine.return_id, request.id)
        # Photos are listed (name, size, when); the files themselves stay on the server.
        entry["photos"] = _children(session, ReturnPhoto, ReturnPhoto.return_id, request.id)
        entry["events"] = _children(session, ReturnEvent, ReturnEvent.return_id, request.id)
        returns.append(entry)
    return {
        "order": _row(order),
        "items": _children(session, OrderItem, OrderItem.order_id, oid),
        "history": _children(session, OrderChange, OrderChange.order_id, oid),
        "parcels": parcels,
        "returns": returns,
        "mails": _children(session, Notification, Notification.order_id, oid),
        "coupons": _children(session, CouponCode, CouponCode.order_id, oid),
        "line": _children(session, LineLink, LineLink.order_id, oid),
        "feedback": _children(session, Feedback, Feedback.order_id, oid),
        "questions": _children(session, Inquiry, Inquiry.order_id, oid),
        "page_events": _children(session, PageEvent, PageEvent.order_id, oid),
    }
