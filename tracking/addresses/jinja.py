"""The address helpers for templates: ``postal_lines(address, home)`` in the page's language."""

from __future__ import annotations

from flask_babel import get_locale

from tracking.addresses import postal


def postal_lines(address: postal.PostalAddress | None, home: str = "") -> list[str]:
    return postal.lines(address, str(get_locale()), home) if address else []


def init_app(app) -> None:
    app.jinja_env.globals.update(
        postal_lines=postal_lines,
        postal_slip=postal.slip,
        order_postal=postal.of_order,
        postal_postcode=postal.postcode,
        postal_addressee=lambda address: postal.addressee(address, str(get_locale())),
    )
