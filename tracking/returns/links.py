"""Signed links to a return's status page, bound to the brand (like order links)."""

from __future__ import annotations

from tracking.security import RETURN_LINK, read_link, sign_link


def return_token(brand: str, public_id: str) -> str:
    return sign_link(RETURN_LINK, brand, public_id)


def read_return_token(brand: str, token: str) -> str | None:
    return read_link(RETURN_LINK, brand, token)
