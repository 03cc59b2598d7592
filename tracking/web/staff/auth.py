"""Staff login, logout and the two decorators every staff page wears: ``staff_page`` (logged in,
and the URL's brand is the staff member's) and ``owner_only`` (an owner's page).

The ``admin`` blueprint is defined here; ``staff.returns`` and ``staff.mail`` add the returns
queue and the mail pages to it (``tracking.web.staff`` gathers the three)."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from htmx_flask import request

from tracking.db import get_session
from tracking.extensions import limiter
from tracking.mail import notices
from tracking.normalize import text_problem
from tracking.staff import auth as staff
from tracking.staff import lockout
from tracking.timeutil import utcnow
from tracking.web import brand_or_404, brands, no_store

bp = Blueprint("admin", __name__, url_prefix="/admin")


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


def owner_only(view):
    """After ``staff_page``: an owner's page; staff get 403."""

    @wraps(view)
    def wrapper(brand, user, *args, **kwargs):
        if user.role != "owner":
            abort(403)
        return view(brand, user, *args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str | None:
    """A staff page on this site to go back to, else None (the dashboard): a path under
    ``/admin/`` (never another host: ``//…``, a scheme), with no backslash (browsers read it as
    a slash) and no control character (CR/LF would split the Location header)."""
    if not target or not target.startswith("/admin/") or "\\" in target:
        return None
    return None if text_problem(target, max_length=2_000) else target


@bp.get("/login")
def login_form():
    return render_template("admin/login.html", brand=None, email="", error=None)


def _login_limit() -> str:
    return current_app.config["STAFF_LOGIN_RATE_LIMIT"]


@bp.post("/login")
@limiter.limit(_login_limit, methods=["POST"])
def login():
    email = request.form.get("email", "")[:254]
    password = request.form.get("password", "")[:200]
    attempt = lockout.sign_in(get_session(), email, password)
    if attempt.locked_now is not None:
        _tell_locked_account(attempt.locked_now)
    user = attempt.user
    if user is None:
        # A locked account gets this very answer too: the lockout tells a guesser nothing.
        error = _("Email address or password is not correct.")
        return render_template("admin/login.html", brand=None, email=email, error=error), 401
    staff.log_in(get_session(), user)
    target = _safe_next(request.args.get("next")) or url_for(
        "dashboard.home", brand_slug=user.brand
    )
    return redirect(target, code=303)


def _tell_locked_account(account) -> None:
    """The notice to the account just locked, in its shop's language."""
    brand = brands().get(account.brand)
    if brand is None:  # the shop's brand file is gone: nobody to write as
        return
    notices.lockout_notice(
        get_session(),
        brand,
        account_id=account.id,
        to=account.email,
        failures=lockout.threshold(),
        minutes=lockout.lockout_minutes(),
        address=request.remote_addr or "",
        now=utcnow(),
    )


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
