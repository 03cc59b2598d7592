"""Signed, unguessable links. A token binds a brand to an order's random ``public_id``; it is
signed with SECRET_KEY, so it can be neither guessed nor moved to another brand."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "todoku.order-link.v1"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def order_token(brand: str, public_id: str) -> str:
    return _serializer().dumps([brand, public_id])


def read_order_token(brand: str, token: str) -> str | None:
    """The order's public id, or None when the token is forged, damaged or another brand's."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not (isinstance(data, list) and len(data) == 2 and data[0] == brand):
        return None
    return data[1] if isinstance(data[1], str) else None
