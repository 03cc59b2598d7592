"""Dashboard: the owner's settings (staff accounts, API keys, alerts); staff get 403."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from htmx_flask import request
from sqlmodel import col, select

from tracking.dashboard import alerts
from tracking.db import get_session
from tracking.staff import auth as staff
from tracking.staff.api_keys import create_api_key
from tracking.staff.models import ApiKey, StaffUser
from tracking.timeutil import utcnow
from tracking.web.staff.auth import owner_only, staff_page
from tracking.web.staff.dashboard.home import bp, checked_id


def _settings(brand, user, status=200, error=None, new_key=None, typed=None):
    """The owner's settings; ``typed`` is the refused form, shown again as it was typed."""
    session = get_session()
    html = render_template(
        "dashboard/settings.html",
        brand=brand,
        user=user,
        accounts=session.exec(
            select(StaffUser).where(StaffUser.brand == brand.slug).order_by(StaffUser.email)
        ).all(),
        keys=session.exec(
            select(ApiKey).where(ApiKey.brand == brand.slug).order_by(col(ApiKey.id).desc())
        ).all(),
        alert=alerts.settings_for(session, brand.slug),
        error=error,
        new_key=new_key,
        roles=staff.ROLES,
        typed=typed or {},
    )
    return make_response(html, status)


@bp.get("/settings")
@staff_page
@owner_only
def settings(brand, user):
    return _settings(brand, user)


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
    except staff.StaffError:
        message = _(
            "Could not add the account: check the email address (not used yet) and that the "
            "password has at least %(n)s characters.",
            n=staff.MIN_PASSWORD,
        )
        return _settings(brand, user, 422, error=message, typed=request.form)
    flash(_("Account added."))
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)


def _account_or_404(brand, account_id: int) -> StaffUser:
    account = get_session().get(StaffUser, checked_id(account_id))
    if account is None or account.brand != brand.slug:
        abort(404)
    return account


@bp.post("/settings/staff/<int:account_id>/active")
@staff_page
@owner_only
def toggle_staff(brand, user, account_id):
    account = _account_or_404(brand, account_id)
    if account.id == user.id:
        return _settings(brand, user, 422, error=_("You cannot switch off your own account."))
    account.active = not account.active
    account.session_version += 1  # switched off: every session of it ends now
    session = get_session()
    session.add(account)
    session.commit()
    flash(_("Account updated."))
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)


@bp.post("/settings/keys")
@staff_page
@owner_only
def add_key(brand, user):
    name = request.form.get("name", "").strip().replace("\x00", "")[:100]
    if not name:
        return _settings(
            brand, user, 422, error=_("Please name the key (what will use it)."), typed=request.form
        )
    key = create_api_key(get_session(), brand.slug, name)
    return _settings(brand, user, new_key=key)


@bp.post("/settings/keys/<int:key_id>/revoke")
@staff_page
@owner_only
def revoke_key(brand, user, key_id):
    session = get_session()
    key = session.get(ApiKey, checked_id(key_id))
    if key is None or key.brand != brand.slug:
        abort(404)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.commit()
    flash(_("Key revoked."))
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)


@bp.post("/settings/alerts")
@staff_page
@owner_only
def save_alerts(brand, user):
    recipients, error = alerts.parse_recipients(request.form.get("recipients", ""))
    if error:
        return _settings(brand, user, 422, error=error, typed=request.form)
    session = get_session()
    row = alerts.settings_for(session, brand.slug)
    row.digest = request.form.get("digest") == "on"
    row.immediate_exceptions = request.form.get("immediate_exceptions") == "on"
    row.recipients = recipients
    row.updated_at = utcnow()
    session.add(row)
    session.commit()
    flash(_("Alert settings saved."))
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)
