"""Staff mail pages under ``/admin/<brand_slug>/mail`` (routes of the ``admin`` blueprint): the
preview of every mail in every language of the brand, the latest mails sent, one mail's HTML and
"send again"."""

from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _

from tracking.dashboard import inquiries as dashboard_inquiries
from tracking.db import get_session
from tracking.mail import config as mail_config
from tracking.mail import coupons as mail_coupons
from tracking.mail import history as mail_history
from tracking.mail import labels as mail_labels
from tracking.mail import outbox as mail_outbox
from tracking.mail import preview as mail_previews
from tracking.returns import notify as returns_notify
from tracking.returns.display import RETURN_STATUS_LABELS
from tracking.web.staff.auth import bp, staff_page

#: The staff preview lists every trigger, then a return status change and an inquiry reply.
PREVIEW_KINDS = (*mail_config.TRIGGERS, "return_status", "inquiry_reply")
# A previewed or stored mail is shown in a sandboxed frame: its own styles and our images only,
# never a script, a form or a plugin, and only inside our own pages.
MAIL_FRAME_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' {base} data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)


def _mail_label(kind: str) -> str:
    if kind == "return_status":
        return _("Return status changed")
    if kind.startswith("return_"):
        step = kind.removeprefix("return_")
        return _("Return: %(step)s", step=RETURN_STATUS_LABELS.get(step, step))
    return mail_labels.kind_label(kind)


def _preview(brand, kind: str, locale: str) -> tuple[str, str, str]:
    """(subject, text, HTML) of ``kind`` for a demo order in ``locale``; 404 for anything else."""
    if locale not in brand.locales or kind not in PREVIEW_KINDS:
        abort(404)
    if kind == "return_status":
        return returns_notify.preview(brand, locale)
    if kind == "inquiry_reply":
        return dashboard_inquiries.reply_preview(brand, locale)
    return mail_previews.order_mail(brand, kind, locale)


def _mail_frame(html: str):
    response = make_response(html)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    base = current_app.config["BASE_URL"]
    response.headers["Content-Security-Policy"] = MAIL_FRAME_CSP.format(base=base)
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/<brand_slug>/mail")
@staff_page
def mail_preview(brand, user):
    session = get_session()
    notes = mail_history.recent(session, brand.slug)
    previews = []
    for kind in PREVIEW_KINDS:
        row = {"kind": kind, "label": _mail_label(kind), "locales": []}
        for locale in brand.locales:
            subject, text, _html = _preview(brand, kind, locale)
            row["locales"].append({"locale": locale, "subject": subject, "text": text})
        previews.append(row)
    coupon = brand.mail.coupon
    pool = mail_coupons.remaining(session, brand.slug) if coupon and coupon.pool else None
    return render_template(
        "admin/mail.html",
        brand=brand,
        user=user,
        notes=notes,
        previews=previews,
        coupon=coupon,
        pool=pool,
        kind_label=_mail_label,
        mail_status=mail_labels.mail_state_label,
    )


@bp.get("/<brand_slug>/mail/preview/<kind>/<locale>")
@staff_page
def mail_preview_html(brand, user, kind: str, locale: str):
    return _mail_frame(_preview(brand, kind, locale)[2])


@bp.get("/<brand_slug>/mail/<int:note_id>/html")
@staff_page
def mail_html(brand, user, note_id: int):
    note = mail_history.mail_of(get_session(), brand.slug, note_id)
    if note is None or not note.body_html:
        abort(404)
    return _mail_frame(note.body_html)


@bp.post("/<brand_slug>/mail/<int:note_id>/resend")
@staff_page
def mail_resend(brand, user, note_id: int):
    session = get_session()
    note = mail_history.mail_of(session, brand.slug, note_id)
    if note is None:
        abort(404)
    mail_outbox.requeue(session, note)
    flash(_("The mail is back in the queue and goes out with the next worker round."))
    return redirect(url_for("admin.mail_preview", brand_slug=brand.slug))
