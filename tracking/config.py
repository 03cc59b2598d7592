"""Configuration: defaults → environment → the test mapping (later wins).

Every setting the app reads is declared here (``docs/operations.md`` lists them); code reads
``current_app.config``, never the environment."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# Every Redis client of the app: a Redis that stops answering is given up on after 3 seconds
# (not less: a loaded machine can hold a healthy Redis back for a second).
REDIS_OPTIONS = {"socket_connect_timeout": 3.0, "socket_timeout": 3.0}


class ConfigError(RuntimeError):
    """A setting or secret that stops start-up: its message is for the operator, one line per
    problem."""


def refuse_start(error: ConfigError) -> None:
    """Show the problem lines instead of a traceback: under the flask CLI (the release step,
    the worker) they are printed and the command exits 1; in a gunicorn worker they become
    gunicorn's "app failed to load" error, which it prints as they are before it stops. Elsewhere
    (tests, another server) the error is raised."""
    import click  # the CLI's own library; only needed on this path

    message = f"Todoku cannot start:\n{error}"
    if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
        from gunicorn.errors import AppImportError

        raise AppImportError(message) from None
    if click.get_current_context(silent=True) is None:
        raise error
    click.echo(message, err=True)
    raise SystemExit(1)


def _line_channels(env) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name, value in env.items():
        for part in ("secret", "token"):
            suffix = f"_LINE_CHANNEL_{part.upper()}"
            if name.endswith(suffix) and value.strip():
                out.setdefault(name.removesuffix(suffix), {})[part] = value.strip()
    return out


def load_config(instance_path: str, test_config: dict | None = None) -> dict:
    env = os.environ
    instance = Path(instance_path)
    cfg: dict = {
        "TODOKU_ENV": env.get("TODOKU_ENV", "development"),
        "DATABASE_URL": _database_url(env.get("DATABASE_URL"))
        or f"sqlite:///{instance / 'todoku.sqlite3'}",
        "REDIS_URL": env.get("REDIS_URL") or None,
        "BRANDS_DIR": env.get("BRANDS_DIR") or str(ROOT / "brands"),
        # How often a changed brand file is looked for (seconds; "off": read at start-up only).
        "BRANDS_RELOAD_SECONDS": env.get("BRANDS_RELOAD_SECONDS") or None,
        # The demo shops and `flask demo`: on in development, off in production unless asked.
        "TODOKU_DEMO": env.get("TODOKU_DEMO") or None,
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "tracking" / "translations"),
        # Order lookups per client address and shop (every attempt), and failed lookups of one
        # order number from any address (ASVS 4.0.3 2.2.1: at most 100 failures an hour).
        "LOOKUP_RATE_LIMIT": env.get("LOOKUP_RATE_LIMIT", "10 per minute;60 per hour"),
        "LOOKUP_ORDER_RATE_LIMIT": env.get("LOOKUP_ORDER_RATE_LIMIT", "100 per hour"),
        # Staff sign-in attempts per client address; wrong passwords for one account from any
        # address before it is locked until the window ends (its owner is mailed).
        "STAFF_LOGIN_RATE_LIMIT": env.get("STAFF_LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "STAFF_LOCKOUT_LIMIT": env.get("STAFF_LOCKOUT_LIMIT", "10 per 15 minutes"),
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
        # Rendered tracking pages (tracking/page/rendered.py): "auto" keeps them in Redis when
        # REDIS_URL is set, else in each process; "memory", "redis" or "off" choose. SIZE: the
        # in-process entries at most (least recently used out first).
        "RENDER_CACHE": env.get("RENDER_CACHE", "auto"),
        "RENDER_CACHE_SIZE": int(env.get("RENDER_CACHE_SIZE", "2000")),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        # "json" (one object per line) or "plain"; default: json in production, else plain.
        "LOG_FORMAT": env.get("LOG_FORMAT") or None,
        # /metrics answers only a request carrying "Authorization: Bearer <this>"; unset, it
        # is off (404 to everyone).
        "METRICS_TOKEN": env.get("TODOKU_METRICS_TOKEN") or None,
        # Multiprocess metrics (gunicorn's workers, and the worker on the same host): the
        # folder every process writes its counts to, read whole by a scrape.
        "PROMETHEUS_MULTIPROC_DIR": metrics_directory(env),
        # JSON API: requests per verified API key; per client address for calls without a
        # valid key; the largest request body.
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "600 per minute"),
        "API_ANONYMOUS_RATE_LIMIT": env.get("API_ANONYMOUS_RATE_LIMIT", "60 per minute"),
        "API_MAX_BODY_BYTES": int(env.get("API_MAX_BODY_BYTES", str(1024 * 1024))),
        # Idempotency-Key: how long a second caller waits for the first one's answer before it
        # is told to retry (409), and after how long a key whose request never finished (a
        # killed worker) may be taken over by a retry.
        "IDEMPOTENCY_WAIT_SECONDS": float(env.get("IDEMPOTENCY_WAIT_SECONDS", "2")),
        "IDEMPOTENCY_STALE_SECONDS": int(env.get("IDEMPOTENCY_STALE_SECONDS", "60")),
        # Shopify webhook signing secrets per brand: <SLUG>_SHOPIFY_WEBHOOK_SECRET
        # (slug upper-cased, dashes as underscores) → {"SAKURA_TEA": "…"}.
        "SHOPIFY_WEBHOOK_SECRETS": {
            name.removesuffix("_SHOPIFY_WEBHOOK_SECRET"): value
            for name, value in env.items()
            if name.endswith("_SHOPIFY_WEBHOOK_SECRET") and value
        },
        # LINE channels per brand: <SLUG>_LINE_CHANNEL_SECRET and <SLUG>_LINE_CHANNEL_TOKEN
        # → {"SAKURA_TEA": {"secret": "…", "token": "…"}} (docs/line.md).
        "LINE_CHANNELS": _line_channels(env),
        # The Messaging API's address (tests point it at a local fake).
        "LINE_API_URL": env.get("LINE_API_URL") or "https://api.line.me",
        # Files uploaded at /admin/<brand>/import are kept in the database (import_jobs) this
        # many days after their last job finished, then dropped by the worker; the jobs' rows
        # (what was imported, the failed rows) are deleted after IMPORT_ROWS_KEEP_DAYS.
        "IMPORT_KEEP_DAYS": int(env.get("IMPORT_KEEP_DAYS", "7")),
        "IMPORT_ROWS_KEEP_DAYS": int(env.get("IMPORT_ROWS_KEEP_DAYS", "90")),
        # How long a worker's claim on due parcels or mail holds: a worker killed mid-batch
        # leaves its claim, which another worker takes over once it runs out (seconds).
        "WORKER_LEASE_SECONDS": int(env.get("WORKER_LEASE_SECONDS", "600")),
        # Carrier circuit breaker, shared by every worker: consecutive failed calls that open
        # it, and how long it stays open before one half-open probe.
        "CARRIER_BREAKER_FAILURES": int(env.get("CARRIER_BREAKER_FAILURES", "3")),
        "CARRIER_BREAKER_OPEN_SECONDS": int(env.get("CARRIER_BREAKER_OPEN_SECONDS", "300")),
        # Per-carrier rate budgets "code=per_second/per_day,…" over the published defaults
        # (tracking/sync/budget.py), shared through Redis when REDIS_URL is set.
        "CARRIER_RATE_LIMITS": _rate_limits(env.get("CARRIER_RATE_LIMITS", "")),
        # Where carrier credentials are read: the installation's (UPS_CLIENT_ID, DHL_API_KEY, …)
        # and those a brand's [carriers.<code>] names (docs/carriers.md, "Accounts per shop").
        # The live environment, read when a worker round needs them; tests pass a dict.
        "CARRIER_ENVIRON": env,
        # Outbound webhooks (docs/webhooks.md): where the secrets a brand's [[webhooks]]
        # secret_env names are read (the live environment; tests pass a dict), how many tries a
        # delivery gets before it is failed, and how long one try may take (seconds).
        "WEBHOOK_ENVIRON": env,
        "WEBHOOK_MAX_ATTEMPTS": int(env.get("WEBHOOK_MAX_ATTEMPTS", "10")),
        "WEBHOOK_TIMEOUT_SECONDS": float(env.get("WEBHOOK_TIMEOUT_SECONDS", "15")),
        # Aggregator webhook secrets, ``<BRAND>_<PROVIDER>_WEBHOOK_SECRET`` (e.g.
        # ``SAKURA_AFTERSHIP_WEBHOOK_SECRET``); several comma-separated values during rotation.
        "CARRIER_WEBHOOK_SECRETS": {
            key: value
            for key, value in env.items()
            if key.endswith(
                tuple(
                    f"_{p}_WEBHOOK_SECRET" for p in ("AFTERSHIP", "EASYPOST", "TRACK17", "SHIP24")
                )
            )
            and value.strip()
        },
    }
    if test_config:
        cfg.update(test_config)
    # Rate limits shared by every worker process when Redis is there.
    cfg.setdefault("RATELIMIT_STORAGE_URI", cfg["REDIS_URL"] or "memory://")
    # Redis lost: the limits go on in each process's memory (weaker: per process, not shared)
    # rather than every limited request failing; Flask-Limiter goes back to Redis once it
    # answers again. Any other storage error is logged and the request served. A Redis that
    # stops answering (rather than refusing) is given up on after 3 seconds.
    cfg.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    cfg.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    if cfg["RATELIMIT_STORAGE_URI"].startswith(("redis", "rediss")):
        cfg.setdefault("RATELIMIT_STORAGE_OPTIONS", REDIS_OPTIONS | {"wrap_exceptions": True})
    # Stated for every app: Flask-Limiter's one Limiter keeps the last app's ``enabled`` as the
    # default of the next, so an app built with limits off would switch them off for the rest.
    cfg.setdefault("RATELIMIT_ENABLED", True)
    production = cfg["TODOKU_ENV"] == "production"
    cfg["SESSION_COOKIE_SECURE"] = cfg.get("SESSION_COOKIE_SECURE", production)
    cfg["BRANDS_RELOAD_SECONDS"] = _reload_seconds(cfg["BRANDS_RELOAD_SECONDS"], production)
    if cfg["LOG_FORMAT"] not in (None, "json", "plain"):
        raise ConfigError(f"LOG_FORMAT must be json or plain, not {cfg['LOG_FORMAT']!r}")
    demo = cfg["TODOKU_DEMO"]
    cfg["TODOKU_DEMO"] = (
        (not production) if demo is None else str(demo).lower() in ("1", "true", "on", "yes")
    )
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


def shared_limits_problem(workers: int, env: Mapping[str, str]) -> str | None:
    """Why ``workers`` web processes would not share their rate limits, or None.

    Without Redis each process counts in its own memory: two workers let twice the lookups,
    sign-in attempts and API calls through. gunicorn calls this before it starts the workers
    (``on_starting`` in ``tracking/operations/gunicorn_conf.py``): production refuses to
    start, development warns."""
    if workers <= 1 or env.get("REDIS_URL"):
        return None
    return (
        f"{workers} web workers would each keep their own rate-limit counts. "
        "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) so every worker shares them, "
        "or run one worker (WEB_CONCURRENCY=1 or --workers 1)."
    )


def metrics_directory(env: Mapping[str, str]) -> str | None:
    """``PROMETHEUS_MULTIPROC_DIR``, which prometheus_client itself also reads when it is
    imported (tracking/monitoring/metrics.py); None: one process, the default registry."""
    return env.get("PROMETHEUS_MULTIPROC_DIR") or None


def web_server(env: Mapping[str, str]) -> tuple[str, int]:
    """gunicorn's bind address and worker count (tracking/operations/gunicorn_conf.py), from
    ``PORT`` (8000) and ``WEB_CONCURRENCY`` (2), the variables Procfile platforms set."""
    try:
        port = int(env.get("PORT") or 8000)
        workers = int(env.get("WEB_CONCURRENCY") or 2)
    except ValueError as exc:
        raise ConfigError(f"PORT and WEB_CONCURRENCY must be whole numbers: {exc}") from None
    if workers < 1:
        raise ConfigError("WEB_CONCURRENCY must be at least 1")
    return f"0.0.0.0:{port}", workers


def _database_url(url: str | None) -> str | None:
    """PostgreSQL URLs as platforms hand them out (Heroku's ``postgres://…``, or
    ``postgresql://…``) name no driver; SQLAlchemy refuses the first and would look for
    psycopg2 for the second. Both get the driver installed here, psycopg 3."""
    if not url:
        return None
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def _reload_seconds(value, production: bool) -> float | None:
    """Development looks every 2 seconds, production every 30; "off" never (restart to apply)."""
    if value is None:
        return 30.0 if production else 2.0
    if str(value).strip().lower() in ("off", "no", "false"):
        return None
    try:
        return max(0.0, float(value))
    except ValueError as exc:
        raise ConfigError(
            f"BRANDS_RELOAD_SECONDS: a number of seconds or off, not {value!r}"
        ) from exc


def _rate_limits(text: str) -> dict[str, tuple[float, int | None]]:
    out: dict[str, tuple[float, int | None]] = {}
    for part in text.split(","):
        code, _, spec = part.partition("=")
        if not spec:
            continue
        rate, _, day = spec.partition("/")
        try:
            out[code.strip()] = (float(rate), int(day) if day.strip() else None)
        except ValueError as exc:
            raise ConfigError(f"CARRIER_RATE_LIMITS: cannot read {part!r}") from exc
    return out


def _dev_secret(instance: Path) -> str:
    """A development key kept under instance/ so links survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
