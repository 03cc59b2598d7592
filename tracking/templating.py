"""Template helpers and the security headers every HTML response carries."""

from __future__ import annotations

import secrets

from flask import g
from flask_babel import get_locale

import carriers


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def carrier_name(code: str) -> str:
    try:
        return carriers.get(code).display_name(str(get_locale()))
    except carriers.UnknownCarrier:
        return code


def carrier_url(code: str, number: str) -> str | None:
    try:
        return carriers.get(code).tracking_url(number)
    except (carriers.UnknownCarrier, NotImplementedError):
        return None


def security_headers(response):
    # Only our own origin: no CDN, no third-party script, no framing.
    style = f"'self' 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else "'self'"
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; img-src 'self' data:; style-src {style}; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app) -> None:
    app.jinja_env.globals.update(
        csp_nonce=csp_nonce, carrier_name=carrier_name, carrier_url=carrier_url
    )
    app.after_request(security_headers)
