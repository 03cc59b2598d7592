"""Signed links to a return's status page, bound to the brand (like order links):
``TODOKU_BASE_URL/<brand>/r/<signed token>``."""

from __future__ import annotations

from flask import current_app

from tracking.returns.models import ReturnRequest
from tracking.security import RETURN_LINK, read_link, sign_link


def return_token(brand: str, public_id: str) -> str:
    return sign_link(RETURN_LINK, brand, public_id)


def read_return_token(brand: str, token: str) -> str | None:
    return read_link(RETURN_LINK, brand, token)


def status_url(brand: str, rr: ReturnRequest) -> str:
    """The customer's link to the status page of ``rr`` (what the return mail carries)."""
    return f"{current_app.config['BASE_URL']}/{brand}/r/{return_token(brand, rr.public_id)}"
