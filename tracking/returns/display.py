"""How returns read to people: the labels of statuses, actions, resolutions, faults, blocked items
and form errors, and money in the reader's locale. Registered as Jinja helpers by ``init_app``."""

from __future__ import annotations

from datetime import date

from babel.numbers import format_currency, get_currency_precision
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

RETURN_STATUS_LABELS = {
    "requested": _l("Requested"),
    "needs_review": _l("Needs review"),
    "approved": _l("Approved"),
    "in_transit": _l("On its way back"),
    "received": _l("Received"),
    "inspected": _l("Inspected"),
    "refunded": _l("Refunded"),
    "exchanged": _l("Exchanged"),
    "credited": _l("Store credit issued"),
    "repaired": _l("Repaired or replaced"),
    "rejected": _l("Declined"),
    "cancelled": _l("Cancelled"),
    "closed": _l("Closed"),
}

RETURN_ACTION_LABELS = {
    "approve": _l("Approve"),
    "reject": _l("Decline"),
    "review": _l("Mark for review"),
    "cancel": _l("Cancel return"),
    "ship": _l("Add return tracking number"),
    "receive": _l("Mark received"),
    "inspect": _l("Mark inspected"),
    "refund": _l("Refund"),
    "exchange": _l("Send exchange"),
    "credit": _l("Issue store credit"),
    "repair": _l("Repaired or replaced"),
    "close": _l("Close"),
}

BLOCKED_LABELS = {
    "not_shipped": _l("Not shipped yet"),
    "not_delivered": _l("Can be returned once it is delivered"),
    "final_sale": _l("Final sale: this item cannot be returned"),
    "not_returnable": _l("This item cannot be returned"),
    "window_closed": _l("The return period has ended"),
    "all_returned": _l("Already being returned"),
    "disabled": _l("This shop does not take returns online"),
}

LINE_ERRORS = {
    "qty": _l("Choose how many to return."),
    "reason": _l("Choose a reason."),
    "resolution": _l("Choose what you would like instead."),
    "variant": _l("Choose what you would like in exchange."),
    "photos": _l("Please add the photos this reason needs."),
    "too_many_photos": _l("Up to 5 photos per item."),
    "blocked": _l("This item cannot be returned."),
}

FORM_ERRORS = {
    **LINE_ERRORS,
    "none": _l("Choose at least one item to return."),
    "stale_form": _l("This form has expired. Please check your choices and send it again."),
    "photo_too_large": _l("A photo is larger than 10 MB."),
    "photo_wrong_type": _l("Photos must be JPEG, PNG or WebP pictures."),
    "photo_too_many_pixels": _l("A photo is too large to process."),
    "photo_empty": _l("A photo file is empty."),
    "required": _l("Please fill in this field."),
    "account_number": _l("Enter the 7-digit account number."),
    "account_holder": _l("Enter the account holder's name in katakana."),
}
ACCOUNT_TYPE_LABELS = {"ordinary": _l("Ordinary (普通)"), "current": _l("Current (当座)")}
RESOLUTION_LABELS = {
    "refund": _l("Refund"),
    "exchange": _l("Exchange"),
    "store_credit": _l("Store credit"),
    "repair": _l("Repair or replacement (warranty)"),
    "recycle": _l("Free recycling take-back"),
}
SHIPPING_METHOD_LABELS = {
    "label": _l("Prepaid label from the shop, uploaded for this return"),
    "shared_label": _l("The shop's prepaid label"),
    "pickup": _l("Carrier pickup booked by the shop"),
    "cod": _l("Cash on delivery, paid by the shop"),
    "customer": _l("Sent and paid by the customer"),
}
FAULT_LABELS = {"customer": _l("Customer's reason"), "merchant": _l("Shop's fault")}

#: Reasons the system writes into a return's history, as codes read out in the staff member's
#: language (a reason staff type is their own words and shown as typed). The English sentence
#: is what rows stored before the code existed hold.
EVENT_REASONS = {
    "over_cap": _l("More returns than the per-customer limit: check before approving"),
    "over the per-customer cap": _l(
        "More returns than the per-customer limit: check before approving"
    ),
}


def resolution_label(code: str, policy=None) -> str:
    """The shop's own word for a resolution (``[returns] resolution_labels``), else ours."""
    own = policy.resolution_labels.get(code) if policy is not None else None
    locale = str(get_locale())
    if own and own.get(locale, "ja" if locale == "en" else "en"):
        return own.get(locale, "ja" if locale == "en" else "en")
    return str(RESOLUTION_LABELS.get(code, code))


def exchange_label(policy=None) -> str:
    """The label of the field naming what an item is exchanged for (``exchange_label``)."""
    own = policy.exchange_label if policy is not None else None
    locale = str(get_locale())
    return (own and own.get(locale, "ja" if locale == "en" else "en")) or str(_l("Exchange for"))


def money(amount: int, currency: str) -> str:
    digits = get_currency_precision(currency)
    return format_currency(amount / 10**digits, currency, locale=str(get_locale()))


def init_app(app) -> None:
    """The returns pages' Jinja helpers: labels, money and ISO dates."""
    app.jinja_env.globals.update(
        return_status_label=lambda s: str(RETURN_STATUS_LABELS.get(s, s)),
        return_action_label=lambda a: str(RETURN_ACTION_LABELS.get(a, a)),
        resolution_label=resolution_label,
        exchange_label=exchange_label,
        fault_label=lambda f: str(FAULT_LABELS.get(f, f)),
        shipping_method_label=lambda m: str(SHIPPING_METHOD_LABELS.get(m, m)),
        event_reason=lambda text: str(EVENT_REASONS.get(text, text)),
        blocked_label=lambda b: str(BLOCKED_LABELS.get(b, b)),
        error_text=lambda code: str(FORM_ERRORS.get(code, code)),
        account_type_labels=ACCOUNT_TYPE_LABELS,
    )
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["isodate"] = lambda v: date.fromisoformat(v) if v else None
