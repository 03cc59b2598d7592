"""Signed, unguessable links. A token binds a brand to a row's random ``public_id`` (an order,
a return); it is signed with SECRET_KEY under a salt per kind of link, so it can be neither
guessed, nor moved to another brand, nor used as another kind of link."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

ORDER_LINK = "todoku.order-link.v1"
RETURN_LINK = "todoku.return-link.v1"


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def sign_link(salt: str, brand: str, public_id: str) -> str:
    return _serializer(salt).dumps([brand, public_id])


def read_link(salt: str, brand: str, token: str) -> str | None:
    """The public id, or None when the token is forged, damaged, another brand's or another
    kind of link."""
    try:
        data = _serializer(salt).loads(token)
    except BadSignature:
        return None
    if not (isinstance(data, list) and len(data) == 2 and data[0] == brand):
        return None
    return data[1] if isinstance(data[1], str) else None


def order_token(brand: str, public_id: str) -> str:
    return sign_link(ORDER_LINK, brand, public_id)


def read_order_token(brand: str, token: str) -> str | None:
    return read_link(ORDER_LINK, brand, token)
