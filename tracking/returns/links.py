"""Signed links to a return's status page, bound to the brand (like order links)."""

from __future__ import annotations

from flask import url_for

from tracking.db import get_session
from tracking.returns.service import page_offer
from tracking.security import RETURN_LINK, read_link, sign_link


def return_token(brand: str, public_id: str) -> str:
    return sign_link(RETURN_LINK, brand, public_id)


def read_return_token(brand: str, token: str) -> str | None:
    return read_link(RETURN_LINK, brand, token)


def return_offer(brand, view) -> dict:
    """For the tracking page's "start a return" block (``view``: ``orders.OrderView``): can
    the customer start one, and links to the returns already made."""
    can_return, requests = page_offer(get_session(), brand, view)
    existing = [
        (
            rr,
            url_for(
                "returns.status_page",
                brand=brand.slug,
                token=return_token(brand.slug, rr.public_id),
            ),
        )
        for rr in requests
    ]
    return {"can_return": can_return, "existing": existing}
