"""The JSON API's requests read and its errors written: one error shape
(``{"error": {"code", "message", "field"}}``), ``BadRequest`` to stop a view with one, JSON bodies
validated by pydantic models, times with a UTC offset and the listing's opaque cursors."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from flask import request
from pydantic import AwareDatetime, BaseModel, TypeAdapter, ValidationError

from tracking import normalize
from tracking.errors import bad_input_message
from tracking.orders.models import Order


def error(status: int, code: str, message: str, field: str | None = None):
    return {"error": {"code": code, "message": message, "field": field}}, status


class BadRequest(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        self.answer = error(status, code, message, field)


def json_body():
    """The body parsed and checked at the door (tracking.normalize): a bad value is the API's
    400 with the value's code and its dotted field."""
    raw = request.get_data(cache=True)
    try:
        return normalize.loads_json(raw)
    except normalize.BadInput as exc:
        if exc.code in ("invalid_json", "too_deep"):  # not a document we can read at all
            raise BadRequest(400, exc.code, bad_input_message(exc.code)) from None
        # A document with one bad value: the same 422 as any other invalid value.
        raise BadRequest(422, exc.code, bad_input_message(exc.code), exc.field) from None


#: Validation errors with a code of their own (the rest are ``validation_error``).
OWN_CODES = {"unknown_source"}


def validate(model: type[BaseModel], data, prefix: str = ""):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or None
        if prefix and where:
            where = f"{prefix}.{where}"
        code = first["type"] if first["type"] in OWN_CODES else "validation_error"
        raise BadRequest(422, code, first["msg"], where or prefix or None) from None


_STAMP = TypeAdapter(AwareDatetime)


def query_time(name: str) -> datetime | None:
    value = request.args.get(name, "")
    if not value:
        return None
    try:
        return normalize.check_datetime(_STAMP.validate_python(value), name).astimezone(UTC)
    except (ValidationError, normalize.BadInput):
        raise BadRequest(
            400, "invalid_query", f"{name} must be an ISO 8601 time with a UTC offset", name
        ) from None


def cursor_of(order: Order) -> str:
    raw = json.dumps([order.updated_at.astimezone(UTC).isoformat(), order.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_cursor(value: str) -> tuple[datetime, int]:
    """A cursor is ours only when it reads back as [aware time, id]; a forged one (brackets
    nested past the recursion limit, the calendar's edges, an id no row has) is refused."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        stamp, oid = normalize.loads_json(raw, max_depth=1)
        when = datetime.fromisoformat(stamp)
        if not isinstance(oid, int) or when.tzinfo is None or not 0 <= oid <= normalize.MAX_INT:
            raise ValueError
        return normalize.check_datetime(when).astimezone(UTC), oid
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(
            400, "invalid_cursor", "cursor is not one this API gave", "cursor"
        ) from None
