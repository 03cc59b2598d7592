"""JSON API for shops and warehouse systems: orders and their shipments in, tracking links
out; the returns queue.

``Authorization: Bearer <key>``; a key belongs to one brand and sees only that brand (another
brand's order is a 404, never a 403). Errors are ``{"error": {"code", "message", "field"}}``
with stable codes. ``Idempotency-Key`` on a POST replays the first answer. docs/api.md.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, request
from pydantic import ValidationError

import carriers
from tracking.db import get_session
from tracking.extensions import csrf, limiter
from tracking.orders import batch, images, intake, listing
from tracking.orders.links import fresh_link, tracking_link
from tracking.orders.models import Order, Shipment
from tracking.orders.schema import OrderBody, OrderIn, ShipmentIn
from tracking.returns import machine, outcomes, queries, transitions
from tracking.staff.api_keys import api_key_brand, record_use
from tracking.staff.models import ApiKey
from tracking.templating import carrier_url
from tracking.web import brands, cap_body
from tracking.web.api.idempotency import idempotent
from tracking.web.api.openapi import openapi_document
from tracking.web.api.parsing import (
    BadRequest,
    cursor_of,
    error,
    json_body,
    query_time,
    read_cursor,
    validate,
)
from tracking.web.api.schemas import (
    EstimateOut,
    ItemOut,
    OrderOut,
    ReturnOut,
    ShipmentOut,
    TransitionBody,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies here: the bearer key is the credential
cap_body(bp)  # 413 before the body is read
PUBLIC = {"api.openapi"}


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""


def _verified_key() -> ApiKey | None:
    """The request's API key row once its whole secret is checked (and its brand exists),
    else None; checked once per request. The rate limiter asks first (it runs before
    ``_authenticate``), so the limit is keyed on a key that is really someone's."""
    if "api_key_checked" not in g:
        key = _bearer()
        row = api_key_brand(get_session(), key) if key else None
        g.api_key_checked = row if row is not None and row.brand in brands() else None
    return g.api_key_checked


def _rate_limit() -> str:
    if _verified_key() is None:
        return current_app.config["API_ANONYMOUS_RATE_LIMIT"]
    return current_app.config["API_RATE_LIMIT"]


def _rate_key() -> str:
    """Per verified key; per client address for calls without a valid key, so a made-up key
    (a fresh prefix each time) counts against its caller's address."""
    row = _verified_key()
    return f"api-key:{row.id}" if row is not None else f"api-ip:{request.remote_addr}"


limiter.limit(_rate_limit, key_func=_rate_key, per_method=False)(bp)


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC:
        return None
    row = _verified_key()
    if row is None:
        return error(401, "unauthorized", "a valid API key is required")
    record_use(get_session(), row)
    g.api_key = row
    g.brand = brands()[row.brand]
    return None


# --- errors (request parsing: api/parsing.py; Idempotency-Key: api/idempotency.py) -----------


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest):
    return exc.answer


def _intake_error(exc: intake.IntakeError):
    get_session().rollback()
    return error(422, exc.code, exc.message, exc.field or None)


# --- orders ----------------------------------------------------------------------------------


def _order_or_404(number: str, lock: bool = False) -> Order:
    order = intake.find(get_session(), g.brand.slug, number[:64], lock=lock)
    if order is None:
        raise BadRequest(404, "not_found", "no such order")
    return order


def _shipment_json(s: Shipment) -> dict:
    estimate = None
    if s.edd_start and s.edd_end:
        estimate = EstimateOut(
            start=s.edd_start, end=s.edd_end, slot=s.edd_slot, source=s.edd_source
        )
    url = carrier_url(s.carrier, s.tracking_number)
    return ShipmentOut(
        carrier=s.carrier,
        tracking_number=s.tracking_number,
        service=s.service,
        shipped_at=s.shipped_at,
        status=s.status,
        sub_status=s.sub_status,
        late=s.late,
        delivered_at=s.delivered_at,
        estimate=estimate,
        carrier_url=url or None,
    ).model_dump(mode="json")


def _order_json(found: listing.OrderContents) -> dict:
    order = found.order
    return OrderOut(
        number=order.number,
        email=order.email,
        placed_at=order.placed_at,
        name=order.name,
        phone=order.phone,
        postcode=order.postcode,
        address=order.address,
        locale=order.locale,
        currency=order.currency,
        total=order.total,
        payment_method=order.payment_method,
        tags=list(order.tags or []),
        external_id=order.external_id,
        requested_date=order.requested_date,
        requested_slot=order.requested_slot,
        created_at=order.created_at,
        updated_at=order.updated_at,
        items=[
            ItemOut(
                sku=i.sku,
                name=i.name,
                variant=i.variant,
                quantity=i.qty,
                price=i.price,
                image_url=i.image,
            )
            for i in found.items
        ],
        shipments=[_shipment_json(s) for s in found.shipments],
        link=tracking_link(order),
    ).model_dump(mode="json")


@bp.put("/orders/<number>")
def put_order(number: str):
    body = validate(OrderBody, json_body())
    data = validate(OrderIn, {**body.model_dump(exclude_unset=True), "number": number}, "")
    try:
        images.check_images(g.brand, data)
    except intake.IntakeError as exc:
        return _intake_error(exc)
    session = get_session()
    stored = batch.upsert_orders(
        session, g.brand, [data], source=f"api:{g.api_key.name}", origin="api"
    )[0]
    if isinstance(stored, intake.IntakeError):
        return _intake_error(stored)
    # Read back before the commit, which would expire the rows: the same answer, fewer reads.
    answer = _order_json(listing.contents_of(session, batch.order_of(session, stored)))
    session.commit()
    return {
        "order": answer,
        "result": stored.result,
    }, 201 if stored.result == intake.CREATED else 200


@bp.get("/orders/<number>")
def get_order(number: str):
    return {"order": _order_json(listing.contents_of(get_session(), _order_or_404(number)))}


@bp.post("/orders/<number>/shipments")
@idempotent
def post_shipment(number: str):
    order = _order_or_404(number, lock=True)
    data = validate(ShipmentIn, json_body())
    session = get_session()
    try:
        shipment, result = intake.add_shipment(
            session, g.brand, order, data, source=f"api:{g.api_key.name}", locked=True
        )
    except intake.IntakeError as exc:
        return _intake_error(exc)
    session.commit()
    status = 201 if result == intake.CREATED else 200
    return {"shipment": _shipment_json(shipment), "result": result}, status


@bp.post("/orders/<number>/link")
@idempotent
def post_link(number: str):
    order = _order_or_404(number)
    session = get_session()
    link = fresh_link(session, order)
    session.commit()
    return {"link": link}, 200


@bp.get("/orders")
def list_orders():
    status = request.args.get("status", "")
    if status and status not in {s.value for s in carriers.Status}:
        raise BadRequest(400, "invalid_status", "status must be a shipment status", "status")
    since = query_time("updated_since")
    try:
        limit = int(request.args.get("limit", "50"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 200:
        raise BadRequest(400, "invalid_query", "limit must be 1 to 200", "limit")
    cursor = request.args.get("cursor")
    found = listing.page(
        get_session(),
        g.brand.slug,
        limit=limit,
        updated_since=since,
        status=status,
        after=read_cursor(cursor) if cursor else None,
    )
    return {
        "orders": [_order_json(row) for row in found.rows],
        "next_cursor": cursor_of(found.rows[-1].order) if found.more else None,
    }


@bp.get("/openapi.json")
def openapi():
    return openapi_document()


# --- returns ---------------------------------------------------------------------------------


def _json(rr, order, facts: tuple[set[str], set[str]]) -> dict:
    resolutions, given = facts
    return ReturnOut(
        rma=rr.rma,
        status=rr.status,
        version=rr.version,
        order_number=order.number if order else None,
        email=rr.email,
        fault=rr.fault,
        return_shipping_paid_by=rr.return_shipping_paid_by,
        refund_estimate=rr.refund_estimate,
        return_carrier=rr.return_carrier or None,
        return_tracking_number=rr.return_tracking_number or None,
        created_at=rr.created_at.isoformat(),
        updated_at=rr.updated_at.isoformat(),
        allowed_actions=machine.staff_actions(rr.status, resolutions, given),
        resolutions=sorted(resolutions),
        outcomes_given=sorted(given),
        currency=order.currency if order else "JPY",
        refund_amount=rr.refund_amount,
        credit_amount=rr.credit_amount,
        restocking_fee=rr.restocking_fee,
        paid_amount=rr.paid_amount,
        paid_at=rr.paid_at.isoformat() if rr.paid_at else None,
    ).model_dump(mode="json")


def _one_json(rr) -> dict:
    return _json(rr, *queries.order_and_facts(get_session(), rr))


@bp.get("/returns")
def list_returns():
    status = request.args.get("status", "")
    if status and status not in machine.STATUSES:
        return error(
            400, "invalid_status", f"status must be one of {', '.join(machine.STATUSES)}", "status"
        )
    rows = queries.search(
        get_session(), g.brand.slug, status=status, q=request.args.get("q", "")[:100]
    )
    facts = queries.outcome_facts(get_session(), [rr.id for rr, _order in rows])
    return {"returns": [_json(rr, order, facts[rr.id]) for rr, order in rows]}


@bp.post("/returns/<rma>/transitions")
@idempotent
def post_transition(rma: str):
    session = get_session()
    rr = queries.by_rma(session, g.brand.slug, rma[:64])
    if rr is None:
        return error(404, "not_found", "no such return")
    try:
        body = TransitionBody.model_validate(json_body())
    except (ValidationError, BadRequest) as exc:
        field = None
        if isinstance(exc, ValidationError):
            field = ".".join(str(p) for p in exc.errors()[0]["loc"]) or None
        return error(
            400, "invalid_body", 'send JSON like {"action": "receive", "version": 3}', field
        )
    try:
        outcomes.act(
            session,
            g.brand,
            rr,
            body.action,
            carrier=body.carrier,
            tracking_number=body.tracking_number,
            actor=f"api:{g.api_key.name}",
            reason=body.reason,
            expected_version=body.version,
        )
    except transitions.TransitionError as exc:
        status, code = {
            "stale": (409, "version_conflict"),
            "illegal": (409, "illegal_transition"),
            "forbidden": (422, "invalid_action"),
            "tracking": (422, "invalid_tracking_number"),
            "resolution": (409, "resolution_mismatch"),
            "no_codes": (409, "no_store_credit_codes"),
        }[exc.code]
        session.refresh(rr)
        answer = error(status, code, str(exc))[0]
        answer["return"] = _one_json(rr)
        return answer, status
    return {"return": _one_json(rr)}, 200
