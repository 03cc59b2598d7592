"""Configuration: defaults → environment → the test mapping (later wins).

Every setting the app reads is declared here (``docs/operations.md`` lists them); code reads
``current_app.config``, never the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    pass


def load_config(instance_path: str, test_config: dict | None = None) -> dict:
    env = os.environ
    instance = Path(instance_path)
    cfg: dict = {
        "TODOKU_ENV": env.get("TODOKU_ENV", "development"),
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{instance / 'todoku.sqlite3'}",
        "REDIS_URL": env.get("REDIS_URL") or None,
        "BRANDS_DIR": env.get("BRANDS_DIR") or str(ROOT / "brands"),
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "tracking" / "translations"),
        "LOOKUP_RATE_LIMIT": env.get("LOOKUP_RATE_LIMIT", "10 per minute;60 per hour"),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 60 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "SMTP_URL": env.get("SMTP_URL") or None,
        "TRUST_PROXY_HOPS": int(env.get("TRUST_PROXY_HOPS", "0")),
        "MAIL_FROM": env.get("MAIL_FROM", "Todoku <no-reply@localhost>"),
        # Brand SMTP credentials named in a brand's [mail.smtp] (user_env, password_env).
        "SMTP_SECRETS": {k: v for k, v in env.items() if k.startswith("TODOKU_SMTP_")},
        # Temporary SMTP failures are retried this many times (exponential backoff) then failed.
        "MAIL_MAX_ATTEMPTS": int(env.get("MAIL_MAX_ATTEMPTS", "8")),
        # The public address of the site, for links made outside a request (CLI, mail).
        # Required in production; in development it defaults to the local server.
        "BASE_URL": env.get("TODOKU_BASE_URL") or None,
        # Staff sessions end after this long without activity, and this long after login.
        "STAFF_IDLE_MINUTES": int(env.get("STAFF_IDLE_MINUTES", "120")),
        "STAFF_MAX_HOURS": int(env.get("STAFF_MAX_HOURS", "12")),
        # Return photos; default: ``uploads/`` in the instance folder.
        "UPLOAD_DIR": env.get("UPLOAD_DIR") or str(instance / "uploads"),
        # Overrides every brand's ``[page] refresh_seconds`` when set (tests shorten it).
        "PAGE_REFRESH_SECONDS": int(env.get("PAGE_REFRESH_SECONDS") or 0) or None,
        "RATELIMIT_HEADERS_ENABLED": True,
    }
    if test_config:
        cfg.update(test_config)
    # Rate limits shared by every worker process when Redis is there.
    cfg.setdefault("RATELIMIT_STORAGE_URI", cfg["REDIS_URL"] or "memory://")
    production = cfg["TODOKU_ENV"] == "production"
    cfg["SESSION_COOKIE_SECURE"] = cfg.get("SESSION_COOKIE_SECURE", production)
    if not cfg["BASE_URL"]:
        if production:  # every mailed link would point at 127.0.0.1
            raise ConfigError("TODOKU_BASE_URL must be set when TODOKU_ENV=production")
        cfg["BASE_URL"] = f"http://127.0.0.1:{env.get('PORT', '8000')}"
    cfg["BASE_URL"] = cfg["BASE_URL"].rstrip("/")
    if not cfg["SECRET_KEY"]:
        if production:
            raise ConfigError("SECRET_KEY must be set when TODOKU_ENV=production")
        cfg["SECRET_KEY"] = _dev_secret(instance)
    return cfg


def _dev_secret(instance: Path) -> str:
    """A development key kept under instance/ so links survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
