"""Human words for what the dashboard shows: the order history's keys and sources, estimate
sources, banner placements and return reasons — staff are not engineers, so no raw codes."""

from __future__ import annotations

import re

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from tracking.brands.brand import Brand
from tracking.i18n import status_label
from tracking.templating import carrier_name

ESTIMATE_SOURCES = {
    "customer_slot": _l("the day the customer chose"),
    "carrier": _l("the carrier's date"),
    "learned": _l("learned from past deliveries"),
    "lane_table": _l("typical days for the route"),
    "default": _l("the shop's default"),
}
PLACEMENTS = {
    "after_status": _l("below the status"),
    "after_help": _l("below the help section"),
}
# Order fields an intake may change (tracking/orders/intake.py), by the name staff know them by.
FIELDS = {
    "name": _l("Customer name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "postcode": _l("Postcode"),
    "locale": _l("Language"),
    "country": _l("Shipping country"),
    "source": _l("Order source"),
    "placed_at": _l("Ordered at"),
    "requested_date": _l("Requested delivery day"),
    "requested_slot": _l("Requested time slot"),
    "carrier": _l("Carrier"),
    "tracking_number": _l("Tracking number"),
    "status": _l("Status"),
    "service": _l("Service"),
    "shipped_at": _l("Shipped at"),
}
_PARCEL_BY_NUMBER = re.compile(
    r"^shipments\.(?P<carrier>[a-z0-9_]+):(?P<number>[^.]+)(\.(?P<field>\w+))?$"
)
_PARCEL_BY_ID = re.compile(r"^shipments\.(?P<id>\d+)\.(?P<field>\w+)$")
_ITEM = re.compile(r"^(shipments\.[^.]+\.)?items\.(?P<sku>.+)$")


def estimate_source(code: str) -> str:
    return str(ESTIMATE_SOURCES.get(code, code))


def placement(code: str) -> str:
    return str(PLACEMENTS.get(code, code))


def return_reason(brand: Brand, code: str) -> str:
    reason = brand.returns.reason(code)  # the policy's own look-up, as the returns pages use
    return reason.label.get(str(get_locale()), brand.default_locale) if reason else code


def change_source(source: str) -> str:
    kind, _sep, who = source.partition(":")
    if kind == "admin":
        return str(_l("Staff: %(who)s", who=who))
    if kind == "api":
        return str(_l("API key: %(who)s", who=who))
    if kind == "import":
        return str(_l("File import (%(format)s)", format=who))
    if source == "shopify-webhook":
        return str(_l("Shopify webhook"))
    if source == "privacy:request":
        return str(_l("Erased on request"))
    if source == "privacy:retention":
        return str(_l("Erased after the retention period"))
    return source


def _field(name: str) -> str:
    return str(FIELDS.get(name, name))


def change_label(key: str) -> str:
    """``shipments.yamato:1234.status`` → "Parcel Yamato 1234: Status"."""
    if key == "mail.resend":
        return str(_l("Shipping mail resent"))
    if key == "personal_data":
        return str(_l("Personal data"))
    if m := _PARCEL_BY_NUMBER.match(key):
        parcel = f"{carrier_name(m['carrier'])} {m['number']}"
        if m["field"]:
            return str(_l("Parcel %(parcel)s: %(field)s", parcel=parcel, field=_field(m["field"])))
        return str(_l("Parcel %(parcel)s", parcel=parcel))
    if m := _PARCEL_BY_ID.match(key):
        return str(_l("Parcel: %(field)s", field=_field(m["field"])))
    if m := _ITEM.match(key):
        return str(_l("Item %(sku)s", sku=m["sku"]))
    return _field(key)


def change_value(key: str, value) -> str:
    if value is None:
        return "–"
    if value == "added":
        return str(_l("added"))
    if key == "mail.resend":
        return str(_l("sent again"))
    if key == "personal_data":
        return str(_l("erased")) if value else ""
    if key.endswith(".status"):
        return status_label(str(value))
    if key.endswith(".carrier"):
        return carrier_name(str(value))
    return str(value)
