"""Staff pages: login, the returns queue (filters, detail, transitions, bulk approve, notes,
CSV export, photos) and the mail preview. Every page checks the brand: another brand's URL,
RMA or photo is a plain 404."""

from __future__ import annotations

from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from htmx_flask import request
from sqlmodel import col, select

from tracking.dashboard import inquiries as dashboard_inquiries
from tracking.db import get_session
from tracking.extensions import limiter
from tracking.mail import config as mail_config
from tracking.mail import coupons as mail_coupons
from tracking.mail import labels as mail_labels
from tracking.mail import outbox as mail_outbox
from tracking.mail import preview as mail_previews
from tracking.mail.models import Notification
from tracking.returns import machine, parcel, queries, transitions
from tracking.returns import notify as returns_notify
from tracking.returns.display import RETURN_STATUS_LABELS
from tracking.returns.models import ReturnPhoto, ReturnRequest
from tracking.returns.photos import path_of, upload_dir
from tracking.staff import auth as staff
from tracking.web import brand_or_404, no_store
from tracking.web.csv_export import csv_response

bp = Blueprint("admin", __name__, url_prefix="/admin")

TRANSITION_MESSAGES = {
    "illegal": lambda: _("That step is not possible from the current status."),
    "stale": lambda: _(
        "Someone else changed this return while you were looking at it. "
        "Here is the current state; please check it and try again."
    ),
    "forbidden": lambda: _("That step is not possible from the current status."),
    "tracking": lambda: _("That is not a valid tracking number for the chosen carrier."),
}


def staff_page(view):
    """Logged in, and the URL's brand is the staff member's brand (else 404)."""

    @wraps(view)
    def wrapper(brand_slug: str, *args, **kwargs):
        user = staff.current_staff()
        if user is None:
            return redirect(url_for("admin.login", next=request.path))
        if user.brand != brand_slug:
            abort(404)
        brand = brand_or_404(brand_slug)
        return no_store(make_response(view(brand, user, *args, **kwargs)))

    return wrapper


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/admin/") and not target.startswith("//"):
        return target
    return None


@bp.get("/login")
def login_form():
    return render_template("admin/login.html", brand=None, email="", error=None)


@bp.post("/login")
@limiter.limit("10 per minute;50 per hour", methods=["POST"])
def login():
    email = request.form.get("email", "")[:254]
    password = request.form.get("password", "")[:200]
    user = staff.authenticate(get_session(), email, password)
    if user is None:
        error = _("Email address or password is not correct.")
        return render_template("admin/login.html", brand=None, email=email, error=error), 401
    staff.log_in(get_session(), user)
    target = _safe_next(request.args.get("next")) or url_for(
        "dashboard.home", brand_slug=user.brand
    )
    return redirect(target, code=303)


@bp.post("/logout")
def logout():
    staff.log_out(get_session())
    return redirect(url_for("admin.login"), code=303)


@bp.get("/")
def home():
    user = staff.current_staff()
    if user is None:
        return redirect(url_for("admin.login"))
    return redirect(url_for("dashboard.home", brand_slug=user.brand))


def _filters() -> dict:
    age = request.args.get("age", "")
    return {
        "status": request.args.get("status", "")
        if request.args.get("status") in machine.STATUSES
        else "",
        "reason": request.args.get("reason", "")[:40],
        "age": age if age in ("2", "7", "14", "30") else "",
        "q": request.args.get("q", "")[:100],
    }


def _search(brand, f, limit: int = 200):
    return queries.search(
        get_session(),
        brand.slug,
        status=f["status"],
        reason=f["reason"],
        older_than_days=int(f["age"]) if f["age"] else None,
        q=f["q"],
        limit=limit,
    )


@bp.get("/<brand_slug>/returns")
@staff_page
def queue(brand, user):
    f = _filters()
    rows = _search(brand, f)
    template = "admin/_queue_table.html" if request.htmx else "admin/queue.html"
    return render_template(
        template, brand=brand, user=user, rows=rows, f=f, statuses=machine.STATUSES
    )


@bp.get("/<brand_slug>/returns.csv")
@staff_page
def export_csv(brand, user):
    rows = _search(brand, _filters(), limit=50_000)  # the page shows 200; the export all of them
    return csv_response(
        brand,
        "returns",
        ["rma", "status", "order", "email", "created_at", "fault", "refund_estimate"],
        (
            [
                rr.rma,
                rr.status,
                order.number,
                rr.email,
                rr.created_at.isoformat(),
                rr.fault,
                rr.refund_estimate,
            ]
            for rr, order in rows
        ),
    )


def _return_or_404(brand, rma: str) -> ReturnRequest:
    rr = queries.by_rma(get_session(), brand.slug, rma)
    if rr is None:
        abort(404)
    return rr


# What the customer asked for, as the step that gives it: offered first, the others less loudly.
OUTCOME_ACTION = {
    "refund": "refund",
    "exchange": "exchange",
    "store_credit": "credit",
    "repair": "repair",
    "recycle": "close",
}


def _render_detail(brand, user, rr, status=200, error=None):
    d = queries.detail(get_session(), rr)
    asked = {OUTCOME_ACTION[line.resolution] for line, _item in d.lines}
    actions = machine.actions_from(rr.status, "staff")
    if rr.status == "inspected":
        actions.sort(key=lambda a: a not in asked)
    html = render_template(
        "admin/detail.html",
        brand=brand,
        user=user,
        d=d,
        actions=actions,
        asked=asked if rr.status == "inspected" else set(actions) - {"reject", "review"},
        error=error,
        carrier_codes=sorted(brand.carriers) or ["yamato", "sagawa", "japanpost", "ups", "dhl"],
    )
    return make_response(html, status)


@bp.get("/<brand_slug>/returns/<rma>")
@staff_page
def detail(brand, user, rma):
    return _render_detail(brand, user, _return_or_404(brand, rma))


@bp.post("/<brand_slug>/returns/<rma>/transition")
@staff_page
def do_transition(brand, user, rma):
    session = get_session()
    rr = _return_or_404(brand, rma)
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        version = -1
    try:
        action = request.form.get("action", "")
        who = {
            "actor": f"staff:{user.email}",
            "reason": request.form.get("reason", "")[:2000],
            "expected_version": version,
        }
        if action == "ship":
            parcel.ship(
                session,
                brand,
                rr,
                carrier=request.form.get("carrier", "")[:32],
                tracking_number=request.form.get("tracking_number", "")[:64],
                **who,
            )
        else:
            transitions.transition(session, brand, rr, action, **who)
    except transitions.TransitionError as exc:
        session.refresh(rr)
        return _render_detail(brand, user, rr, 409, TRANSITION_MESSAGES[exc.code]())
    flash(_("Saved: %(status)s", status=RETURN_STATUS_LABELS[rr.status]))
    return redirect(url_for("admin.detail", brand_slug=brand.slug, rma=rr.rma), code=303)


@bp.post("/<brand_slug>/returns/<rma>/note")
@staff_page
def add_note(brand, user, rma):
    rr = _return_or_404(brand, rma)
    text = request.form.get("note", "").strip()
    if text:
        transitions.add_note(get_session(), rr, f"staff:{user.email}", text)
        flash(_("Note added."))
    return redirect(url_for("admin.detail", brand_slug=brand.slug, rma=rr.rma), code=303)


@bp.post("/<brand_slug>/returns/bulk-approve")
@staff_page
def bulk_approve(brand, user):
    """Each checked row carries "RMA:version"; rows changed meanwhile are skipped, not forced."""
    session = get_session()
    done, skipped = 0, 0
    for value in request.form.getlist("pick")[:200]:
        rma, _sep, version = value.partition(":")
        rr = queries.by_rma(session, brand.slug, rma)
        if rr is None or not version.isdigit():
            skipped += 1
            continue
        try:
            transitions.transition(
                session,
                brand,
                rr,
                "approve",
                actor=f"staff:{user.email}",
                reason=_("Bulk approval"),
                expected_version=int(version),
            )
            done += 1
        except transitions.TransitionError:
            skipped += 1
    flash(
        _(
            "Approved: %(done)s. Skipped (changed or not approvable): %(skipped)s.",
            done=done,
            skipped=skipped,
        )
    )
    return redirect(url_for("admin.queue", brand_slug=brand.slug), code=303)


@bp.get("/<brand_slug>/photos/<int:photo_id>")
@staff_page
def photo(brand, user, photo_id):
    session = get_session()
    pic = session.get(ReturnPhoto, photo_id)
    rr = session.get(ReturnRequest, pic.return_id) if pic else None
    if pic is None or rr is None or rr.brand != brand.slug:
        abort(404)
    try:
        path = path_of(upload_dir(), pic.stored_name)
    except FileNotFoundError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", download_name=f"{rr.rma}-{pic.id}.jpg")
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


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
    return mail_previews.order_mail(get_session(), brand, kind, locale)


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
    notes = session.exec(
        select(Notification)
        .where(Notification.brand == brand.slug)
        .order_by(col(Notification.id).desc())
        .limit(100)
    ).all()
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
        mail_status=mail_labels.status_label,
    )


@bp.get("/<brand_slug>/mail/preview/<kind>/<locale>")
@staff_page
def mail_preview_html(brand, user, kind: str, locale: str):
    return _mail_frame(_preview(brand, kind, locale)[2])


@bp.get("/<brand_slug>/mail/<int:note_id>/html")
@staff_page
def mail_html(brand, user, note_id: int):
    note = get_session().get(Notification, note_id)
    if note is None or note.brand != brand.slug or not note.body_html:
        abort(404)
    return _mail_frame(note.body_html)


@bp.post("/<brand_slug>/mail/<int:note_id>/resend")
@staff_page
def mail_resend(brand, user, note_id: int):
    session = get_session()
    note = session.get(Notification, note_id)
    if note is None or note.brand != brand.slug:
        abort(404)
    mail_outbox.requeue(session, note)
    flash(_("The mail is back in the queue and goes out with the next worker round."))
    return redirect(url_for("admin.mail_preview", brand_slug=brand.slug))
