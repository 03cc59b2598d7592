"""Dashboard: the customers' questions ("ask the shop"), their CSV and the reply."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from htmx_flask import request

from tracking.dashboard import inquiries
from tracking.db import get_session
from tracking.orders.sheets import csv_response
from tracking.web.staff.auth import staff_page
from tracking.web.staff.dashboard.home import bp, checked_id


def _state() -> str:
    state = request.args.get("state", "open")
    return state if state in (*inquiries.STATES, "all") else "open"


@bp.get("/inquiries")
@staff_page
def inquiries_page(brand, user):
    state = _state()
    rows = inquiries.inbox(get_session(), brand, state)
    return render_template(
        "dashboard/inquiries.html", brand=brand, user=user, rows=rows, state=state, errors={}
    )


@bp.get("/inquiries.csv")
@staff_page
def inquiries_csv(brand, user):
    return csv_response(
        brand,
        "inquiries",
        ["id", "order", "asked_at", "reply_by", "status", "overdue", "question", "reply"],
        (
            [
                r.inquiry.id,
                r.order.number,
                r.inquiry.created_at,
                r.inquiry.reply_by,
                r.inquiry.status,
                int(r.overdue),
                r.inquiry.message,
                r.inquiry.reply,
            ]
            for r in inquiries.inbox(get_session(), brand, _state(), limit=50_000)
        ),
    )


@bp.post("/inquiries/<int:inquiry_id>/reply")
@staff_page
def inquiry_reply(brand, user, inquiry_id):
    session = get_session()
    found = inquiries.by_id(session, brand, checked_id(inquiry_id))
    if found is None:
        abort(404)
    inquiry, order = found
    text, error = inquiries.parse_reply(request.form.get("reply"))
    if error is None and inquiry.status == "answered":
        error = _("This question has already been answered.")
    if error is None:
        try:
            inquiries.reply(session, brand, inquiry, order, text, user.email)
        except inquiries.AlreadyAnswered:  # another staff member's reply got there first
            error = _("This question has already been answered.")
    if error:
        return _form_again(session, brand, user, inquiry, error, text)
    flash(_("Reply sent to the customer for order %(number)s.", number=order.number))
    return redirect(url_for("dashboard.inquiries_page", brand_slug=brand.slug), code=303)


def _form_again(session, brand, user, inquiry, error: str, text: str):
    """The inbox with the error at the question (and, once answered, the reply that counts
    beside the text that was not sent)."""
    rows = inquiries.inbox(session, brand, "all")
    return make_response(
        render_template(
            "dashboard/inquiries.html",
            brand=brand,
            user=user,
            rows=rows,
            state="all",
            errors={inquiry.id: (error, text)},
        ),
        422,
    )
