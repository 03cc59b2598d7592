"""Localized error pages; JSON with a stable code for API clients."""

from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from tracking.extensions import retry_after_seconds
from tracking.normalize import BadInput


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/hooks/", "/healthz"))


def _wants_notice() -> bool:
    return request.headers.get("HX-Request") == "true"


def error_page(
    status: int,
    code: str,
    title: str,
    message: str,
    field: str | None = None,
    in_place: str | None = None,
):
    """The error as JSON, as a notice for an htmx form (the page, and what was typed in it,
    stays: static/js/site.js shows the notice beside the form; ``in_place`` is the advice
    that fits there) or as a whole page."""
    if _wants_json():
        return {"error": {"code": code, "message": message, "field": field}}, status
    if _wants_notice():
        notice = {"status": status, "code": code, "title": title, "field": field}
        return render_template("_error_notice.html", message=in_place or message, **notice), status
    return render_template("error.html", status=status, title=title, message=message), status


def bad_input_message(code: str) -> str:
    """What a person is told about a value refused at the door (tracking.normalize)."""
    messages = {
        "control_character": _("It contains a character that cannot be typed, such as NUL."),
        "invalid_text": _("It contains text that is not valid Unicode."),
        "too_long": _("It is too long."),
        "number_out_of_range": _("The number is too large."),
        "date_out_of_range": _("The date is outside the range we accept."),
        "too_deep": _("The JSON is nested too deeply."),
        "invalid_json": _("The body is not JSON."),
    }
    return messages.get(code, _("It is not a value we accept."))


def _brand_from_url() -> None:
    """A limit breaks before the view puts its brand on ``g``: take it from the URL, so the
    page comes in the shop's language."""
    slug = (request.view_args or {}).get("brand_slug")
    brand = current_app.extensions.get("todoku_brands", {}).get(slug)
    if brand is not None and "brand" not in g:
        g.brand = brand


def init_app(app) -> None:
    @app.errorhandler(404)
    def not_found(_e):
        return error_page(
            404,
            "not_found",
            _("Page not found"),
            _("This page does not exist or the link is no longer valid."),
        )

    @app.errorhandler(405)
    def not_allowed(_e):
        return error_page(
            405, "method_not_allowed", _("Not allowed"), _("This page cannot be used that way.")
        )

    @app.errorhandler(CSRFError)
    def csrf_failed(_e):
        return error_page(
            400,
            "csrf_failed",
            _("Your session has expired"),
            _("Please go back, reload the page and send the form again."),
            in_place=_("We have renewed it: please send the form again."),
        )

    @app.errorhandler(BadInput)
    def bad_input(exc: BadInput):
        return error_page(
            400,
            exc.code,
            _("We could not read what was sent"),
            bad_input_message(exc.code) + " " + _("Please go back, correct it and send it again."),
            exc.field,
            in_place=bad_input_message(exc.code) + " " + _("Please correct it and send it again."),
        )

    @app.errorhandler(413)
    def too_large(_e):
        mb = format_decimal((current_app.config["MAX_CONTENT_LENGTH"] or 0) / 2**20, "0.#")
        return error_page(
            413,
            "too_large",
            _("What you sent is too large"),
            _(
                "Please go back, choose fewer or smaller files (%(mb)s MB in all) and send again.",
                mb=mb,
            ),
            in_place=_(
                "Please choose fewer or smaller files (%(mb)s MB in all) and send again.", mb=mb
            ),
        )

    @app.errorhandler(429)
    def too_many(_e):
        # Every 429 says when to come back: the broken limit's window, else a minute.
        wait = retry_after_seconds()
        minutes = max(1, round(wait / 60))
        _brand_from_url()
        message = (
            _("Please wait a minute before trying again.")
            if minutes <= 1
            else _("Please wait %(minutes)s minutes before trying again.", minutes=minutes)
        )
        body, status = error_page(429, "rate_limited", _("Too many attempts"), message)
        return body, status, {"Retry-After": str(wait)}

    @app.errorhandler(500)
    def server_error(_e):
        return error_page(
            500,
            "internal_error",
            _("Something went wrong"),
            _("Please try again in a few minutes."),
        )
