"""Signed links to a return's status page, bound to the brand (like order links)."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "todoku.return-link.v1"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def return_token(brand: str, public_id: str) -> str:
    return _serializer().dumps([brand, public_id])


def read_return_token(brand: str, token: str) -> str | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not (isinstance(data, list) and len(data) == 2 and data[0] == brand):
        return None
    return data[1] if isinstance(data[1], str) else None
