"""Dashboard: the owner's settings (staff accounts, API keys, alerts, privacy requests in
privacy.py); staff get 403."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from htmx_flask import request

from tracking.dashboard import alerts
from tracking.db import get_session
from tracking.staff import accounts as staff_accounts
from tracking.staff import auth as staff
from tracking.staff.api_keys import create_api_key, list_api_keys, revoke_key_by_id
from tracking.web.staff.auth import owner_only, staff_page
from tracking.web.staff.dashboard.home import bp, checked_id


def settings_page(brand, user, status=200, error=None, new_key=None, typed=None, **extra):
    """The owner's settings; ``typed`` is the refused form, shown again as it was typed."""
    session = get_session()
    html = render_template(
        "dashboard/settings.html",
        brand=brand,
        user=user,
        accounts=staff_accounts.accounts(session, brand.slug),
        keys=list_api_keys(session, brand.slug, newest_first=True),
        alert=alerts.settings_for(session, brand.slug),
        error=error,
        new_key=new_key,
        roles=staff.ROLES,
        typed=typed or {},
        **extra,
    )
    return make_response(html, status)


@bp.get("/settings")
@staff_page
@owner_only
def settings(brand, user):
    return settings_page(brand, user)


@bp.post("/settings/staff")
@staff_page
@owner_only
def add_staff(brand, user):
    role = request.form.get("role", "staff")
    try:
        staff.create_staff(
            get_session(),
            brand.slug,
            request.form.get("email", "")[:254],
            request.form.get("password", "")[:200],
            role if role in staff.ROLES else "staff",
        )
    except staff.StaffError as exc:
        message = _(
            "Could not add the account: check the email address (not used yet) and that the "
            "password has at least %(n)s characters.",
            n=staff.MIN_PASSWORD,
        )
        if exc.field == "email":
            message = _("Please enter exactly one email address, without commas or semicolons.")
        return settings_page(brand, user, 422, error=message, typed=request.form)
    flash(_("Account added."))
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)


@bp.post("/settings/staff/<int:account_id>/active")
@staff_page
@owner_only
def toggle_staff(brand, user, account_id):
    session = get_session()
    account = staff_accounts.account_of(session, brand.slug, checked_id(account_id))
    if account is None:
        abort(404)
    if account.id == user.id:
        return settings_page(brand, user, 422, error=_("You cannot switch off your own account."))
    staff_accounts.switch_active(session, account)
    flash(_("Account updated."))
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)


@bp.post("/settings/keys")
@staff_page
@owner_only
def add_key(brand, user):
    name = request.form.get("name", "").strip().replace("\x00", "")[:100]
    if not name:
        return settings_page(
            brand, user, 422, error=_("Please name the key (what will use it)."), typed=request.form
        )
    key = create_api_key(get_session(), brand.slug, name)
    return settings_page(brand, user, new_key=key)


@bp.post("/settings/keys/<int:key_id>/revoke")
@staff_page
@owner_only
def revoke_key(brand, user, key_id):
    if revoke_key_by_id(get_session(), brand.slug, checked_id(key_id)) is None:
        abort(404)
    flash(_("Key revoked."))
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)


@bp.post("/settings/alerts")
@staff_page
@owner_only
def save_alerts(brand, user):
    recipients, error = alerts.parse_recipients(request.form.get("recipients", ""))
    if error:
        return settings_page(brand, user, 422, error=error, typed=request.form)
    alerts.save_settings(
        get_session(),
        brand.slug,
        digest=request.form.get("digest") == "on",
        immediate_exceptions=request.form.get("immediate_exceptions") == "on",
        recipients=recipients,
    )
    flash(_("Alert settings saved."))
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)
