"""The staff preview of every order trigger: a demo order that is never stored (so a preview
writes nothing, draws no coupon and reaches no customer), rendered exactly like a real mail."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext

from carriers import Status
from tracking.brands.brand import Brand
from tracking.i18n import format_day, parcel_status_label
from tracking.mail import modes, render
from tracking.mail.config import TRIGGERS
from tracking.mail.content import content, parcel_estimate
from tracking.mail.milestones import Facts
from tracking.orders.models import Order, Shipment
from tracking.templating import carrier_name
from tracking.timeutil import utcnow

#: A name in each language's usual order: the greeting shows 「山田 花子 様」 or "Hi Hanako,".
DEMO_NAMES = {"ja": "山田 花子", "en": "Hanako Yamada"}
DEMO_NUMBER = "DEMO-1001"
DEMO_PUBLIC_ID = "preview0000000000000000000000000"
#: The parcel status each trigger is about.
PARCEL_STATUS = {
    "shipped_partial": Status.IN_TRANSIT,
    "shipped": Status.IN_TRANSIT,
    "out_for_delivery": Status.OUT_FOR_DELIVERY,
    "delivered": Status.DELIVERED,
    "attempted": Status.ATTEMPT_FAILED,
    "pickup": Status.AVAILABLE_FOR_PICKUP,
    "pickup_reminder": Status.AVAILABLE_FOR_PICKUP,
    "exception": Status.EXCEPTION,
    "late": Status.DELAYED,
    "not_registered": Status.PENDING,
    "follow_up": Status.DELIVERED,
    "warranty": Status.DELIVERED,
}
PREVIEW_CODE = "PREVIEW-CODE"  # what a pool coupon looks like in the preview


def demo_order(brand: Brand, locale: str) -> Order:
    return Order(
        brand=brand.slug,
        number=DEMO_NUMBER,
        email="hanako@example.com",
        name=DEMO_NAMES.get(locale, DEMO_NAMES["en"]),
        locale=locale,
        public_id=DEMO_PUBLIC_ID,
    )


def _carrier(brand: Brand) -> str:
    return next(iter(brand.carriers), "yamato")


def _parcel(brand: Brand, kind: str) -> Shipment:
    now = utcnow()
    status = PARCEL_STATUS[kind]
    today = now.astimezone(brand.tz).date()
    return Shipment(
        order_id=0,
        carrier=_carrier(brand),
        tracking_number="123456789012",
        status=status.value,
        shipped_at=now - timedelta(days=1),
        edd_start=today + timedelta(days=1),
        edd_end=today + timedelta(days=2),
        late=kind == "late",
        delivered_at=now if status is Status.DELIVERED else None,
        pickup_kind="store" if status is Status.AVAILABLE_FOR_PICKUP else "",
        pickup_until=today + timedelta(days=1 if kind == "pickup_reminder" else 3)
        if status is Status.AVAILABLE_FOR_PICKUP
        else None,
        pickup_until_source="period" if status is Status.AVAILABLE_FOR_PICKUP else "",
    )


def order_mail(brand: Brand, kind: str, locale: str) -> tuple[str, str, str]:
    """(subject, text, HTML) of trigger ``kind`` for the demo order, in ``locale``."""
    if kind not in TRIGGERS:
        raise KeyError(kind)
    order = demo_order(brand, locale)
    parcel = _parcel(brand, kind)
    cfg = brand.mail
    code = None
    if kind in ("delivered", "follow_up") and cfg.coupon and modes.offers_allowed(brand, order):
        code = cfg.coupon.code or PREVIEW_CODE

    def build() -> render.Content:
        today = utcnow().astimezone(brand.tz).date()
        estimate = parcel_estimate(parcel, today)  # the rule the real mail follows
        item = gettext("Sample item")
        block = render.ParcelBlock(
            carrier=carrier_name(parcel.carrier),
            number=parcel.tracking_number,
            status=parcel_status_label(parcel),
            estimate=estimate,
            items=[f"{item} × 1"],
        )
        day = format_day(utcnow().astimezone(brand.tz).date() + timedelta(days=30))
        # A batch of one unsaved order: its parcel, shown with a sample item.
        facts = Facts(parcels={order.id: [parcel]}, lines={}, items={})
        return content(brand, order, kind, locale, facts, coupon_code=code, day=day, blocks=[block])

    return render.render_in(brand, locale, build)
