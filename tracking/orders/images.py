"""Order items' pictures at intake: only from the hosts a brand allows (``[page] image_hosts``,
https; ``PageConfig.item_image``). The API refuses another host with a stable code and the
field; webhooks and CSV imports store the order without the picture and log why."""

from __future__ import annotations

import logging

from tracking.brands.brand import Brand
from tracking.orders.parcels import IntakeError
from tracking.orders.schema import OrderIn

log = logging.getLogger(__name__)


def check_images(brand: Brand, data: OrderIn) -> None:
    """The API refuses an item image from a host the brand does not allow (``[page]
    image_hosts``, https only): the caller can fix it, and the page would never show it."""
    for n, item in enumerate(data.items or []):
        if not brand.page.image_allowed(item.image_url):
            hosts = ", ".join(brand.page.image_hosts) or "none"
            raise IntakeError(
                "image_host_not_allowed",
                f"images must be https from one of the shop's image hosts ({hosts}); "
                "see [page] image_hosts in the brand file",
                f"items.{n}.image_url",
            )


def allowed_images(brand: Brand, data: OrderIn) -> OrderIn:
    """``data`` with every item image from a host the brand does not allow left out (webhooks
    and CSV imports: the order is stored, the picture is not; a log line says which)."""
    items = data.items or []
    if all(brand.page.image_allowed(item.image_url) for item in items):
        return data
    kept = []
    for item in items:
        if not brand.page.image_allowed(item.image_url):
            log.info(
                "order %s: item image %s dropped: its host is not in [page] image_hosts of %s",
                data.number,
                item.image_url[:120],
                brand.slug,
            )
            item = item.model_copy(update={"image_url": ""})
        kept.append(item)
    return data.model_copy(update={"items": kept})
