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
from tracking.security import url_safe

_SALT = "todoku.page-view.v1"
# The smallest valid transparent GIF: what the pixel answers.
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _serializer() -> URLSafeSerializer:
    return url_safe(current_app.config["SECRET_KEY"], _SALT)


SOURCES = ("lookup", "link")
UNSHIPPED = "unshipped"


def shown_status(statuses: list[str]) -> str:
    """The one status a page view is counted under: the first parcel still on its way (what
    the customer is waiting for), else the first parcel's; "unshipped" before any parcel."""
    if not statuses:
        return UNSHIPPED
    open_ = [s for s in statuses if s != "delivered"]
    return (open_ or statuses)[0]


def view_token(brand: str, public_id: str, status: str = "", source: str = "") -> str:
    """A new view id for one rendered page, signed together with its brand and order, and
    what the page showed (status) and how it was reached (source), recorded with the view."""
    return _serializer().dumps(
        [brand, public_id, secrets.token_urlsafe(9), status[:32], source[:16]]
    )


def view_context(token: str | None) -> tuple[str, str]:
    """(status, source) signed into a view token; ("", "") for tokens made before they were."""
    try:
        data = _serializer().loads(token or "")
    except BadSignature:
        return "", ""
    if isinstance(data, list) and len(data) == 5 and all(isinstance(x, str) for x in data[3:]):
        return data[3], data[4] if data[4] in SOURCES else ""
    return "", ""


def read_view(session: Session, brand: str, token: str | None) -> tuple[int, str] | None:
    """(order id, view id) from a token of this brand; None when missing, forged, foreign or
    the order is gone."""
    if not token:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not (isinstance(data, list) and len(data) in (3, 5) and data[0] == brand):
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
    status: str = "",
    source: str = "",
) -> int:
    """Record the view and its banner impressions once; returns how many rows were new.

    Only banners declared in config count; unknown ids are ignored. ``status`` and ``source``
    are stored on the view row (``view_context``). Commits.
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
                status="" if wanted[key] else status,
                source="" if wanted[key] else source,
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
