"""Page views, banner impressions and banner clicks.

The page itself writes nothing: it embeds a signed *view token* ([brand, order public id,
view id]; the random public id, not the row id, so the token reveals nothing like order volume).
A 1×1 image on the page (the "pixel") carries the token and the ids of the banners shown, and
its request records the view and one impression per banner. So a page view stays within its
query budget, impressions are counted only when the page was actually rendered by a browser,
and the dedupe key makes a reloaded pixel count once. Clicks carry the same token so a click
can be tied to the view that showed the banner.
"""

from __future__ import annotations

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tracking.orders.models import Order
from tracking.page.config import PageConfig
from tracking.page.models import PageEvent

_SALT = "todoku.page-view.v1"
# The smallest valid transparent GIF: what the pixel answers.
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def view_token(brand: str, public_id: str) -> str:
    """A new view id for one rendered page, signed together with its brand and order."""
    return _serializer().dumps([brand, public_id, secrets.token_urlsafe(9)])


def read_view(session: Session, brand: str, token: str | None) -> tuple[int, str] | None:
    """(order id, view id) from a token of this brand; None when missing, forged, foreign or
    the order is gone."""
    if not token:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not (isinstance(data, list) and len(data) == 3 and data[0] == brand):
        return None
    public_id, view_id = data[1], data[2]
    if not isinstance(public_id, str) or not isinstance(view_id, str):
        return None
    order_id = session.exec(
        select(Order.id).where(Order.brand == brand, Order.public_id == public_id)
    ).first()
    return (order_id, view_id) if order_id is not None else None


def record_view(
    session: Session,
    brand: str,
    page: PageConfig,
    order_id: int,
    view_id: str,
    banner_ids: list[str],
    locale: str,
) -> int:
    """Record the view and its banner impressions once; returns how many rows were new.

    Only banners declared in config count; unknown ids are ignored. Commits.
    """
    declared = [b for b in dict.fromkeys(banner_ids) if page.banner(b) is not None]
    wanted = {f"{view_id}:view:": ""} | {f"{view_id}:impression:{b}": b for b in declared}
    existing = set(
        session.exec(select(PageEvent.dedupe_key).where(PageEvent.dedupe_key.in_(wanted))).all()
    )
    new = [key for key in wanted if key not in existing]
    for key in new:
        session.add(
            PageEvent(
                brand=brand,
                order_id=order_id,
                kind="impression" if wanted[key] else "view",
                banner=wanted[key],
                view_id=view_id,
                dedupe_key=key,
                locale=locale,
            )
        )
    try:
        session.commit()
    except IntegrityError:  # the same pixel raced itself: the other request counted it
        session.rollback()
        return 0
    return len(new)


def record_click(
    session: Session, brand: str, banner: str, view: tuple[int, str] | None, locale: str
) -> None:
    """Every click counts; it is tied to its order and page view when the token is valid."""
    order_id, view_id = view if view else (None, "")
    session.add(
        PageEvent(
            brand=brand,
            order_id=order_id,
            kind="click",
            banner=banner,
            view_id=view_id,
            locale=locale,
        )
    )
    session.commit()
