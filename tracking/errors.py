"""Localized error pages; JSON with a stable code for API clients."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/hooks/", "/healthz"))


def error_page(status: int, code: str, title: str, message: str):
    if _wants_json():
        return {"error": {"code": code, "message": message}}, status
    return render_template("error.html", status=status, title=title, message=message), status


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
        )

    @app.errorhandler(413)
    def too_large(_e):
        return error_page(
            413,
            "too_large",
            _("The file is too large"),
            _("Please send a smaller file."),
        )

    @app.errorhandler(429)
    def too_many(_e):
        return error_page(
            429,
            "rate_limited",
            _("Too many attempts"),
            _("Please wait a minute before trying again."),
        )

    @app.errorhandler(500)
    def server_error(_e):
        return error_page(
            500,
            "internal_error",
            _("Something went wrong"),
            _("Please try again in a few minutes."),
        )
