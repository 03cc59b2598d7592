"""The one notification hook every return transition calls: it queues the customer's mail in the
outbox (``tracking.mail.outbox.enqueue_rendered``), in the order's language, rendered by
``tracking.mail.render`` (HTML and text parts, the brand's look) like every other mail. Staff read it in the mail preview. Runs inside an app (a
request, the worker or the CLI): it needs the catalogues and the key that signs the link.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from sqlmodel import Session, select

from tracking.addresses import postal
from tracking.brands.brand import Brand
from tracking.mail import hours as mail_hours
from tracking.mail import line_queue
from tracking.mail import outbox as mail
from tracking.mail import render as mail_render
from tracking.mail.preview import demo_order
from tracking.orders.models import Order
from tracking.returns import shipping
from tracking.returns.display import money
from tracking.returns.links import status_url
from tracking.returns.models import ReturnLine, ReturnRequest, StoreCredit
from tracking.templating import carrier_name
from tracking.timeutil import utcnow


def _l(message: str) -> str:  # marks a string for extraction; translated at send time
    return message


SUBJECTS = {
    "requested": _l("We received your return request %(rma)s"),
    "needs_review": _l("We are reviewing your return request %(rma)s"),
    "approved": _l("Your return %(rma)s is approved"),
    "rejected": _l("About your return request %(rma)s"),
    "in_transit": _l("Your return %(rma)s is on its way to us"),
    "received": _l("We received the parcel for return %(rma)s"),
    "inspected": _l("We checked the items of return %(rma)s"),
    "refunded": _l("Your refund for return %(rma)s"),
    "exchanged": _l("Your exchange for return %(rma)s is on its way"),
    "credited": _l("Store credit for return %(rma)s"),
    "repaired": _l("Your repair or replacement for return %(rma)s"),
    "cancelled": _l("Your return %(rma)s is cancelled"),
    "closed": _l("Your return %(rma)s is complete"),
}
BODIES = {
    "requested": _l("Thank you. We will check your request and write to you again soon."),
    "needs_review": _l("A member of our staff is checking your request. We will write again soon."),
    "approved": _l(
        "Please pack the items, write the return number on the parcel and send it to the "
        "address on your return page."
    ),
    "rejected": _l("We are sorry, we cannot accept this return. Please contact us with questions."),
    "in_transit": _l("We will let you know when it arrives."),
    "received": _l("We will check the items and write to you again."),
    "inspected": _l("We are now arranging your refund, exchange or repair."),
    "refunded": _l("Your refund has been issued. It can take a few days to appear."),
    "exchanged": _l("We have sent your exchange item."),
    "credited": _l("Your store credit has been issued."),
    "repaired": _l("We have sent your repaired or replacement item."),
    "cancelled": _l("Your return request has been cancelled. Nothing more is needed."),
    "closed": _l("Thank you. Your return is complete."),
}


def content(
    brand: Brand,
    rr: ReturnRequest,
    order: Order,
    status: str,
    locale: str,
    credit: StoreCredit | None = None,
    resolutions: tuple[str, ...] = (),
):
    """What the mail for ``status`` says; call inside ``force_locale(locale)``. The outcome
    mails carry what was given: the refund's amount, the credit's code and amount (``credit``),
    the replacement's parcel; the approval mail the ship-back address (``resolutions``)."""
    c = mail_render.Content(
        subject=gettext(SUBJECTS[status], rma=rr.rma),
        heading=gettext(SUBJECTS[status], rma=rr.rma),
        greeting=mail_render.greeting(order.name, locale),
        paragraphs=[gettext(BODIES[status])],
        facts=[(gettext("Return number"), rr.rma), (gettext("Order number"), order.number)],
    )
    if status == "approved":
        c.quotes += _send_to(brand, rr, order, locale, resolutions)
    if status == "refunded" and rr.paid_amount:
        c.facts.append((gettext("Refund"), money(rr.paid_amount, order.currency)))
    if status == "credited" and credit is not None:
        c.facts.append((gettext("Store credit code"), credit.code))
        c.facts.append((gettext("Amount"), money(credit.amount, credit.currency)))
        c.paragraphs.append(gettext("Enter the code at checkout on your next order."))
    if status == "exchanged" and rr.replacement_tracking_number:
        c.facts.append(
            (
                gettext("Tracking number"),
                f"{carrier_name(rr.replacement_carrier)} {rr.replacement_tracking_number}",
            )
        )
    if rr.public_id:
        c.button = mail_render.Button(gettext("Open your return"), status_url(brand.slug, rr))
    return c


def _send_to(brand, rr, order, locale, resolutions) -> list[tuple[str, str]]:
    """The ship-back address in the approval mail, laid out as the page lays it out, where the
    customer writes it themselves (not on a label the shop provides)."""
    policy = brand.returns
    method = shipping.method_for(
        policy, brand.shipping.country, rr.return_shipping_paid_by, resolutions
    )
    if policy.ship_to is None or method not in ("customer", "pickup", "cod"):
        return []
    address = policy.ship_to.postal(locale, brand.default_locale, brand.shipping.country)
    block = postal.lines(address, locale, order.country or brand.shipping.country)
    if address.phone:
        block.append(gettext("Phone: %(number)s", number=address.phone))
    return [(gettext("Send to"), "\n".join(block))]


def notify(
    session: Session,
    brand: Brand,
    rr: ReturnRequest,
    order: Order,
    status: str,
    *,
    now: datetime | None = None,
    receipt: bool = False,
) -> None:
    """Queue the customer's mail for ``rr`` having reached ``status`` (once per RMA + status).
    It replaces the return's unsent mail and waits out quiet hours, unless it is the
    ``receipt`` for the customer's own action (``tracking.mail.hours``)."""
    if status not in SUBJECTS:
        return
    resolutions = tuple(
        session.exec(select(ReturnLine.resolution).where(ReturnLine.return_id == rr.id)).all()
    )
    credit = None
    if status == "credited":
        credit = session.exec(select(StoreCredit).where(StoreCredit.return_id == rr.id)).first()
    timing = mail_hours.return_timing(brand, order, rr.rma, now or utcnow(), receipt)

    def build(locale):
        return content(brand, rr, order, status, locale, credit, resolutions)

    kind = f"return_{status}"
    args = dict(session=session, kind=kind, rma=rr.rma, build=build, timing=timing)
    if line_queue.queue_return(brand=brand, order=order, **args):  # on LINE instead
        timing = {"status": line_queue.ON_LINE, "last_error": line_queue.ON_LINE_WHY}
    mail.enqueue_rendered(
        session,
        brand,
        order,
        kind=kind,
        dedupe_key=f"return:{rr.rma}:{status}",
        build=build,
        **timing,
    )


# Changes that are no status: the prepaid label staff uploaded, another parcel number staff
# entered for the parcel on its way back. Mailed once per change (the return's version after it
# is in the dedupe key); a newer change of the same kind replaces the unsent older mail.
UPDATES = {
    "label": (
        _l("The return label for %(rma)s is ready"),
        _l(
            "The shop has prepared a prepaid return label. Download it on your return page, "
            "print it and stick it on the parcel."
        ),
    ),
    "parcel": (
        _l("New tracking number for return %(rma)s"),
        _l("The shop has corrected the tracking number of the parcel you sent back."),
    ),
}


def update_content(brand: Brand, rr: ReturnRequest, order: Order, what: str, locale: str):
    """What the mail for an update (``UPDATES``) says; call inside ``force_locale(locale)``."""
    subject, body = UPDATES[what]
    c = mail_render.Content(
        subject=gettext(subject, rma=rr.rma),
        heading=gettext(subject, rma=rr.rma),
        greeting=mail_render.greeting(order.name, locale),
        paragraphs=[gettext(body)],
        facts=[(gettext("Return number"), rr.rma), (gettext("Order number"), order.number)],
    )
    if what == "parcel" and rr.return_tracking_number:
        c.facts.append(
            (
                gettext("Tracking number"),
                f"{carrier_name(rr.return_carrier)} {rr.return_tracking_number}",
            )
        )
    if rr.public_id:
        c.button = mail_render.Button(
            gettext("Download the return label (PDF)")
            if what == "label"
            else gettext("Open your return"),
            status_url(brand.slug, rr),
        )
    return c


def notify_update(
    session: Session,
    brand: Brand,
    rr: ReturnRequest,
    order: Order,
    what: str,
    *,
    now: datetime | None = None,
) -> None:
    """Queue the customer's mail about ``what`` changed on ``rr`` (``label`` or ``parcel``), in
    the order's language, after quiet hours like the return's other mail. Call after the
    change's conditional write (``rr.version`` is the new version), before the commit."""
    timing = mail_hours.return_timing(brand, order, rr.rma, now or utcnow(), False)
    timing["coalesce_key"] = f"return:{rr.rma}:{what}"
    mail.enqueue_rendered(
        session,
        brand,
        order,
        kind=f"return_{what}",
        dedupe_key=f"return:{rr.rma}:{what}:{rr.version}",
        build=lambda locale: update_content(brand, rr, order, what, locale),
        **timing,
    )


def preview(brand: Brand, locale: str, status: str = "approved") -> tuple[str, str, str]:
    """(subject, text, HTML) for the staff preview: a demo return that is never stored."""
    rr = ReturnRequest(
        brand=brand.slug,
        order_id=0,
        rma="R-DEMO-0001",
        public_id="preview",
        paid_amount=1620,
        replacement_carrier="yamato",
        replacement_tracking_number="400000000013",
    )
    order = demo_order(brand, locale)
    credit = StoreCredit(
        return_id=0,
        brand=brand.slug,
        code="R-CR-DEMO-CODE-0000",
        amount=2200,
        currency=order.currency,
        source="generated",
    )
    return mail_render.render_in(
        brand, locale, lambda: content(brand, rr, order, status, locale, credit)
    )
