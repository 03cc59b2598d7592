"""Signed, unguessable links. A token binds a brand to a row's random ``public_id`` (an order,
a return); it is signed with SECRET_KEY under a salt per kind of link, so it can be neither
guessed, nor moved to another brand, nor used as another kind of link.

Serializers are kept per (kind, secret, salt) instead of being built for every token: building
one costs as much as signing with it, and the tracking page signs or reads four values per view
(its link, the CSRF token, the view token, the session cookie). ``SessionInterface`` and
``generate_csrf`` are Flask's and Flask-WTF's own, with that one change: the same bytes, read
back by the same code (``flask_wtf.csrf.validate_csrf`` still checks every form post)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from functools import lru_cache

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

ORDER_LINK = "todoku.order-link.v1"
RETURN_LINK = "todoku.return-link.v1"


_SERIALIZERS: dict[tuple, object] = {}


def kept(key: tuple, make: Callable[[], object]):
    """The serializer made by ``make`` for ``key`` (which names its kind, keys and salt), made
    once per process. Bounded: a secret rotation adds keys, so past 64 it starts over."""
    found = _SERIALIZERS.get(key)
    if found is None:
        if len(_SERIALIZERS) > 64:
            _SERIALIZERS.clear()
        found = _SERIALIZERS[key] = make()
    return found


def url_safe(secret: str | bytes, salt: str) -> URLSafeSerializer:
    return kept(("plain", secret, salt), lambda: URLSafeSerializer(secret, salt=salt))


def _serializer(salt: str) -> URLSafeSerializer:
    return url_safe(current_app.config["SECRET_KEY"], salt)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its serializer kept per key set (``SECRET_KEY`` and
    ``SECRET_KEY_FALLBACKS``); Flask builds a new one for every request, cookie or not. Flask
    writes the cookie only when the session changed (the session is never permanent), so a
    visitor whose session holds its CSRF token already gets no ``Set-Cookie``."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        return kept(
            ("session", keys, self.salt),
            lambda: super(SessionInterface, self).get_signing_serializer(app),
        )


def generate_csrf() -> str:
    """``flask_wtf.csrf.generate_csrf`` with its serializer kept: the raw token in the
    session (made on first use), signed with a timestamp under Flask-WTF's salt, once per
    request."""
    config = current_app.config
    secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    field = config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"
    if field not in g:
        serializer = kept(
            ("csrf", secret), lambda: URLSafeTimedSerializer(secret, salt="wtf-csrf-token")
        )
        raw = session.get(field)
        if not isinstance(raw, str):
            raw = session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
        setattr(g, field, serializer.dumps(raw))
    return g.get(field)


def init_app(app: Flask) -> None:
    """After ``CSRFProtect.init_app``: the session interface and ``csrf_token()`` above."""
    app.session_interface = SessionInterface()
    app.jinja_env.globals["csrf_token"] = generate_csrf
    app.context_processor(lambda: {"csrf_token": generate_csrf})


def sign_link(salt: str, brand: str, public_id: str) -> str:
    return _serializer(salt).dumps([brand, public_id])


def read_link(salt: str, brand: str, token: str) -> str | None:
    """The public id, or None when the token is forged, damaged, another brand's or another
    kind of link."""
    data = _verified(current_app.config["SECRET_KEY"], salt, token)
    if not (isinstance(data, tuple) and len(data) == 2 and data[0] == brand):
        return None
    return data[1] if isinstance(data[1], str) else None


@lru_cache(maxsize=4096)
def _verified(secret: str, salt: str, token: str) -> tuple | None:
    """A link's payload once its signature checked out (a tuple), None when it did not. Kept
    per secret: the tracking page and its refreshes read the same link again and again."""
    try:
        data = url_safe(secret, salt).loads(token)
    except BadSignature:
        return None
    return tuple(data) if isinstance(data, list) else None


def order_token(brand: str, public_id: str) -> str:
    return sign_link(ORDER_LINK, brand, public_id)


def read_order_token(brand: str, token: str) -> str | None:
    return read_link(ORDER_LINK, brand, token)
