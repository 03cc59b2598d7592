"""JSON API for warehouse systems: list returns, move one through the state machine.

``Authorization: Bearer <key>``; a key belongs to one brand and sees only that brand. Errors are
``{"error": {"code", "message"}}`` with stable codes.
"""

from __future__ import annotations

from flask import Blueprint, g, request

from tracking.db import get_session
from tracking.extensions import csrf
from tracking.returns import machine, service
from tracking.staff.api_keys import api_key_brand
from tracking.web import brands

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies here: the bearer key is the credential


def error(status: int, code: str, message: str):
    return {"error": {"code": code, "message": message}}, status


@bp.before_request
def _authenticate():
    header = request.headers.get("Authorization", "")
    key = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    row = api_key_brand(get_session(), key) if key else None
    if row is None or row.brand not in brands():
        return error(401, "unauthorized", "a valid API key is required")
    g.api_key = row
    g.brand = brands()[row.brand]
    return None


def _json(rr, order=None) -> dict:
    return {
        "rma": rr.rma,
        "status": rr.status,
        "version": rr.version,
        "order_number": order.number if order else None,
        "email": rr.email,
        "fault": rr.fault,
        "return_shipping_paid_by": rr.return_shipping_paid_by,
        "refund_estimate": rr.refund_estimate,
        "return_carrier": rr.return_carrier or None,
        "return_tracking_number": rr.return_tracking_number or None,
        "created_at": rr.created_at.isoformat(),
        "updated_at": rr.updated_at.isoformat(),
        "allowed_actions": machine.actions_from(rr.status, "staff"),
    }


@bp.get("/returns")
def list_returns():
    status = request.args.get("status", "")
    if status and status not in machine.STATUSES:
        return error(400, "invalid_status", f"status must be one of {', '.join(machine.STATUSES)}")
    rows = service.search(
        get_session(), g.brand.slug, status=status, q=request.args.get("q", "")[:100]
    )
    return {"returns": [_json(rr, order) for rr, order in rows]}


@bp.post("/returns/<rma>/transitions")
def post_transition(rma: str):
    session = get_session()
    rr = service.by_rma(session, g.brand.slug, rma)
    if rr is None:
        return error(404, "not_found", "no such return")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("action"), str):
        return error(400, "invalid_body", 'send JSON like {"action": "receive", "version": 3}')
    version = body.get("version")
    if version is not None and not isinstance(version, int):
        return error(400, "invalid_body", "version must be an integer")
    try:
        service.transition(
            session,
            g.brand,
            rr,
            body["action"],
            actor=f"api:{g.api_key.name}",
            reason=str(body.get("reason", ""))[:2000],
            expected_version=version,
            carrier=str(body.get("carrier", ""))[:32],
            tracking_number=str(body.get("tracking_number", ""))[:64],
        )
    except service.TransitionError as exc:
        status = {"stale": 409, "illegal": 409, "forbidden": 422, "tracking": 422}[exc.code]
        code = {"stale": "version_conflict", "illegal": "illegal_transition"}.get(
            exc.code, "invalid_" + ("action" if exc.code == "forbidden" else "tracking_number")
        )
        session.refresh(rr)
        body = error(status, code, str(exc))[0]
        body["return"] = _json(rr)
        return body, status
    return {"return": _json(rr)}
