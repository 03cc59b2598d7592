"""The customer pages' signed links, read back: "token → row or 404" for an order, for the
tracking page's view of it and for a return. A token of another brand, a changed one or one whose
row is gone is a plain 404 (no hint which)."""

from __future__ import annotations

from flask import abort

from tracking.db import get_session, read_connection
from tracking.orders.lookup import order_by_public_id
from tracking.page import rendered
from tracking.page.view import page_view
from tracking.returns import queries as returns
from tracking.returns.links import read_return_token
from tracking.security import read_order_token
from tracking.web import brand_or_404


def order_for_token(brand_slug: str, token: str):
    """(brand, order) of an order link."""
    brand = brand_or_404(brand_slug)
    public_id = read_order_token(brand.slug, token)
    order = order_by_public_id(get_session(), brand.slug, public_id) if public_id else None
    if order is None:
        abort(404)
    return brand, order


def view_for_token(brand_slug: str, token: str):
    """(brand, the tracking page's view model) of an order link."""
    brand = brand_or_404(brand_slug)
    public_id = read_order_token(brand.slug, token)
    view = page_view(get_session(), brand.slug, public_id) if public_id else None
    if view is None:
        abort(404)
    return brand, view


def state_for_token(brand, token: str, **key):
    """(public id, ``page.rendered.State``) of an order link of ``brand``: one query, outside
    the request's session (a warm view then never builds one)."""
    public_id = read_order_token(brand.slug, token)
    state = None
    if public_id:
        with read_connection() as connection:
            state = rendered.state(connection, brand, public_id, token, **key)
    if state is None:
        abort(404)
    return public_id, state


def return_for_token(brand_slug: str, token: str):
    """(brand, return request) of a return's status link."""
    brand = brand_or_404(brand_slug)
    public_id = read_return_token(brand.slug, token)
    rr = returns.by_public_id(get_session(), brand.slug, public_id) if public_id else None
    if rr is None:
        abort(404)
    return brand, rr
