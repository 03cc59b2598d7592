"""Dashboard: an owner answers a customer's privacy request (docs/privacy.md): download what
is held about an address, or erase it after seeing what would go. Owners only."""

from __future__ import annotations

import json
from pathlib import Path

from flask import current_app, flash, make_response, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from htmx_flask import request

from tracking import normalize
from tracking.db import get_session
from tracking.privacy import erase as erasing
from tracking.privacy.export import export
from tracking.privacy.subject import Subject
from tracking.web.staff.auth import owner_only, staff_page
from tracking.web.staff.dashboard.home import bp
from tracking.web.staff.dashboard.settings import settings_page


def _subject(brand):
    """The address from the form, or None when it is not one address."""
    typed = request.form.get("privacy_email", "")[:254]
    if not normalize.is_one_address(typed):
        return None
    return Subject.of(brand.slug, typed)


def _refused(brand, user):
    return settings_page(
        brand,
        user,
        422,
        error=_("Please enter the customer's email address."),
        typed=request.form,
    )


@bp.post("/settings/privacy/export")
@staff_page
@owner_only
def privacy_export(brand, user):
    subject = _subject(brand)
    if subject is None:
        return _refused(brand, user)
    document = export(get_session(), subject)
    response = make_response(json.dumps(document, ensure_ascii=False, indent=2))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{brand.slug}-privacy-export.json"'
    )
    return response


@bp.post("/settings/privacy/erase")
@staff_page
@owner_only
def privacy_erase(brand, user):
    """Without ``confirm``: count what would be erased and ask. With it: erase."""
    subject = _subject(brand)
    if subject is None:
        return _refused(brand, user)
    session = get_session()
    erasure = erasing.erase_subject(session, subject, Path(current_app.config["UPLOAD_DIR"]))
    if request.form.get("confirm") != "yes":
        session.rollback()
        return settings_page(brand, user, erase_preview=erasure.counts(), typed=request.form)
    session.commit()
    erasing.delete_files(erasure.photo_files)
    flash(
        ngettext(
            "Erased the personal data of %(num)s order for %(email)s.",
            "Erased the personal data of %(num)s orders for %(email)s.",
            erasure.orders,
            email=subject.email,
        )
    )
    return redirect(url_for("dashboard.settings", brand_slug=brand.slug), code=303)
