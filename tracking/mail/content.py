"""What a customer's order mail says: the subject, heading and body of every trigger, the
parcels as listed (carrier, number, items, estimate), the schema.org ``ParcelDelivery`` cards and
the carrier's redelivery link. Rendered by ``tracking.mail.render``; nothing here reads the
database (the parcels and their items come in as ``Facts``)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext

import carriers
from carriers import Status
from tracking.brands.brand import Brand
from tracking.i18n import format_day, parcel_status_label, pickup_kind_label
from tracking.mail import modes, render
from tracking.mail.config import FOLLOW_UP_TRIGGERS
from tracking.mail.milestones import Facts
from tracking.mail.unsubscribe import unsubscribe_url
from tracking.orders import story
from tracking.orders.links import tracking_link
from tracking.orders.models import Order, Shipment
from tracking.templating import carrier_name, carrier_url
from tracking.timeutil import utcnow

#: The mail that lists the order's parcels and carries their tracking cards.
PARCEL_MAIL = {
    "shipped_partial",
    "shipped",
    "out_for_delivery",
    "attempted",
    "pickup",
    "pickup_reminder",
    "delivered",
}
#: The mail about a parcel waiting to be collected: it says where and until when.
PICKUP_MAIL = {"pickup", "pickup_reminder"}


def _l(message: str) -> str:  # marked for extraction, translated when the mail is rendered
    return message


SUBJECTS = {
    "shipped_partial": _l("Part of your order %(number)s has shipped"),
    "shipped": _l("Your order %(number)s has shipped"),
    "out_for_delivery": _l("Your order %(number)s is out for delivery"),
    "delivered": _l("Your order %(number)s has been delivered"),
    "attempted": _l("We missed you: order %(number)s could not be delivered"),
    "pickup": _l("Your order %(number)s is ready for pickup"),
    "pickup_reminder": _l("Reminder: please collect your order %(number)s"),
    "exception": _l("A problem with the delivery of order %(number)s"),
    "late": _l("Your order %(number)s is taking longer than expected"),
    "not_registered": _l("Order %(number)s: tracking is not available yet"),
    "follow_up": _l("How is your order %(number)s?"),
    "warranty": _l("The warranty for order %(number)s ends on %(day)s"),
}
HEADINGS = {
    "shipped_partial": _l("Part of your order is on its way"),
    "shipped": _l("Your order is on its way"),
    "out_for_delivery": _l("Your parcel arrives today"),
    "delivered": _l("Your order has been delivered"),
    "attempted": _l("The carrier tried to deliver your parcel"),
    "pickup": _l("Your parcel is waiting for you"),
    "pickup_reminder": _l("Your parcel is still waiting for you"),
    "exception": _l("There is a problem with your delivery"),
    "late": _l("Your order is running late"),
    "not_registered": _l("The carrier has no scan of your parcel yet"),
    "follow_up": _l("Did everything arrive in good condition?"),
    "warranty": _l("Your warranty ends soon"),
}
BODIES = {
    "shipped_partial": _l(
        "Some of the items of your order have left our warehouse. We will write again when "
        "the rest ships."
    ),
    "shipped": _l("Thank you for your order. You can follow your parcel at any time."),
    "out_for_delivery": _l("The carrier has your parcel on the delivery vehicle today."),
    "delivered": _l(
        "The carrier reports your parcel as delivered. Thank you for shopping with us."
    ),
    "attempted": _l(
        "Nobody was there to receive it. Please book a redelivery with the carrier at a time "
        "that suits you."
    ),
    "pickup": _l(
        "The carrier is holding your parcel for you to collect. Please pick it up before the "
        "holding period ends; after that it goes back to the shop."
    ),
    "pickup_reminder": _l(
        "Your parcel has not been collected yet and the holding period ends soon. After that "
        "the carrier sends it back to the shop."
    ),
    "exception": _l(
        "The carrier reported a problem with your parcel, for example a damaged label or an "
        "address it could not find. Please reply to this mail with your order number and we "
        "will sort it out with the carrier; your tracking page shows the latest news."
    ),
    "late": _l(
        "Your parcel is later than we estimated. We are sorry for the wait; the tracking page "
        "shows the newest information from the carrier."
    ),
    "not_registered": _l(
        "We handed your parcel to the carrier, but it does not show in their system yet. This "
        "usually resolves itself; we are keeping an eye on it."
    ),
    "follow_up": _l(
        "A few days have passed since your order arrived. If anything is damaged or not as "
        "expected, please reply to this mail and we will help."
    ),
    "warranty": _l(
        "If an item of this order has a fault, we can still repair or replace it under "
        "warranty. Start from your order page."
    ),
}


def parcel_estimate(parcel: Shipment, today: date) -> str:
    """The estimate a listed parcel carries, by the same rule table as the tracking page
    (``orders.story``): dates only while they still hold, "Later than estimated" once past,
    none beside a problem, a missed delivery or a parcel going back. Days, never "tomorrow":
    a mail is read later than it is sent."""
    told = story.of_shipment(parcel, today).estimate
    if told == story.WINDOW:
        start, end = format_day(parcel.edd_start), format_day(parcel.edd_end or parcel.edd_start)
        return start if start == end else f"{start} – {end}"
    if told == story.TODAY:
        return gettext("Today, %(day)s", day=format_day(today))
    if told == story.LATE:
        return gettext("Later than estimated")
    return ""


def parcel_blocks(
    parcels: list[Shipment], facts: Facts, today: date | None = None
) -> list[render.ParcelBlock]:
    """The parcels as the mail lists them, with the items ``facts`` holds for each; ``today``:
    the shop-local day the mail is written (the estimate's state depends on it)."""
    today = today or utcnow().date()
    blocks = []
    allocs = {o: facts.allocation(o) for o in {p.order_id for p in parcels}}
    for p in parcels:
        alloc = allocs[p.order_id]
        names = [(i.name, qty) for i, qty in alloc.parcels.get(p.id, ()) if i.name is not None]
        if alloc.shared and p.id in alloc.rest_in:  # several parcels share the rest: say so
            names = [(gettext("The rest of your order"), 0)]
        estimate = parcel_estimate(p, today)
        url = carrier_url(p.carrier, p.tracking_number)
        blocks.append(
            render.ParcelBlock(
                carrier=carrier_name(p.carrier),
                number=p.tracking_number,
                status=parcel_status_label(p),
                estimate=estimate,
                items=[f"{name} × {qty}" if qty else name for name, qty in names],
                carrier_url=url,
            )
        )
    return blocks


def json_ld(
    brand: Brand, order: Order, parcels: list[Shipment], locale: str, url: str
) -> list[dict]:
    """schema.org ParcelDelivery, one per parcel (mail clients show it as a tracking card)."""
    out = []
    for p in parcels:
        data = {
            "@context": "https://schema.org",
            "@type": "ParcelDelivery",
            "carrier": {"@type": "Organization", "name": carrier_name(p.carrier)},
            "trackingNumber": p.tracking_number,
            "trackingUrl": url,
            "partOfOrder": {
                "@type": "Order",
                "orderNumber": order.number,
                "merchant": {"@type": "Organization", "name": brand.display_name(locale)},
            },
        }
        if p.edd_end:
            data["expectedArrivalUntil"] = p.edd_end.isoformat()
        if p.delivered_at:
            data["deliveryStatus"] = {"@type": "DeliveryEvent"}
        out.append(data)
    return out


def redelivery(parcels: list[Shipment]) -> render.Button | None:
    """The carrier's "book a redelivery" page for the first parcel that missed the customer."""
    for p in parcels:
        if p.status in (Status.ATTEMPT_FAILED.value, Status.AVAILABLE_FOR_PICKUP.value):
            try:
                url = carriers.get(p.carrier).redelivery_url(p.tracking_number)
            except carriers.UnknownCarrier:
                url = None
            if url:
                return render.Button(gettext("Book a redelivery with the carrier"), url)
    return None


def delivery_change(parcels: list[Shipment]) -> render.Button | None:
    """The carrier's page for changing the day, time or place, for the first parcel on the
    vehicle today whose carrier has one (the last chance to avoid a missed delivery)."""
    for p in parcels:
        if p.status == Status.OUT_FOR_DELIVERY.value:
            try:
                change = carriers.get(p.carrier).delivery_change(p.tracking_number)
            except carriers.UnknownCarrier:
                change = None
            if change:
                return render.Button(gettext("Change delivery day, time or place"), change.url)
    return None


def pickup_facts(parcel: Shipment | None) -> list[tuple[str, str]]:
    """Where a held parcel waits and the last day to collect it (the carrier's date, or the
    one its holding period gives; the page says which), as the mail's fact lines."""
    if parcel is None:
        return []
    place = parcel.pickup_place or pickup_kind_label(parcel.pickup_kind)
    out = [(gettext("Collect it at"), place or gettext("the carrier's pickup point"))]
    if parcel.pickup_until:
        out.append((gettext("Collect by"), format_day(parcel.pickup_until)))
    else:
        out.append((gettext("Collect by"), gettext("see the carrier's page")))
    if parcel.pickup_kind == "locker":
        out.append((gettext("To open the locker"), gettext("the code in the carrier's notice")))
    else:
        out.append((gettext("Bring"), gettext("the tracking number (a photo ID may be asked)")))
    return out


def content(
    brand: Brand,
    order: Order,
    kind: str,
    locale: str,
    facts: Facts,
    *,
    coupon_code: str | None = None,
    day: str = "",
    blocks: list[render.ParcelBlock] | None = None,
) -> render.Content:
    """The mail for ``kind`` about ``order``, whose parcels and items ``facts`` holds; call
    inside ``force_locale(locale)``. ``blocks``: the parcels as shown, when they are not rows
    with items to read (the staff preview)."""
    parcels = facts.parcels[order.id]
    shown = [p for p in parcels if kind != "shipped_partial" or p.status != Status.PENDING.value]
    link = tracking_link(order)  # signed (and compressed) once per mail
    c = render.Content(
        subject=gettext(SUBJECTS[kind], number=order.number, day=day),
        heading=gettext(HEADINGS[kind]),
        greeting=render.greeting(order.name, locale),
        paragraphs=[gettext(BODIES[kind])],
        facts=[(gettext("Order number"), order.number)],
        button=render.Button(gettext("Check delivery status"), link),
    )
    if kind in PARCEL_MAIL or kind in ("exception", "late", "not_registered"):
        today = utcnow().astimezone(brand.tz).date()
        c.parcels = parcel_blocks(shown, facts, today) if blocks is None else blocks
    if kind in PARCEL_MAIL:
        c.json_ld = json_ld(brand, order, shown, locale, link)
    if kind == "attempted":
        c.secondary = redelivery(parcels)
    if kind in PICKUP_MAIL:
        held = [p for p in parcels if p.status == Status.AVAILABLE_FOR_PICKUP.value]
        c.facts.extend(pickup_facts(held[0] if held else None))
    if kind == "out_for_delivery":
        c.secondary = delivery_change(parcels)
    if kind == "follow_up":
        c.tips = [t.get(locale, brand.default_locale) for t in brand.mail.tips]
        c.review_url = brand.mail.review_url
        c.button = render.Button(gettext("Open your order"), link)
    if kind == "warranty":
        c.button = render.Button(gettext("Open your order"), link)
    if coupon_code and brand.mail.coupon and modes.offers_allowed(brand, order):
        c.coupon = (brand.mail.coupon.text.get(locale, brand.default_locale), coupon_code)
    if kind in FOLLOW_UP_TRIGGERS:
        c.unsubscribe_url = unsubscribe_url(brand.slug, order.public_id)
    return c
