"""Configuration: defaults → environment → test mapping; production needs a real secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracking.config import ConfigError, load_config


def test_production_requires_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("TODOKU_ENV", "production")
    monkeypatch.setenv("TODOKU_BASE_URL", "https://track.example.jp")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path))


def test_development_generates_and_keeps_a_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("TODOKU_ENV", raising=False)
    first = load_config(str(tmp_path))["SECRET_KEY"]
    assert len(first) > 40
    assert load_config(str(tmp_path))["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_then_test_mapping(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("SECRET_KEY", "env-key")
    cfg = load_config(str(tmp_path))
    assert cfg["DATABASE_URL"] == "sqlite:///from-env.db" and cfg["SECRET_KEY"] == "env-key"
    cfg = load_config(str(tmp_path), {"DATABASE_URL": "sqlite://"})
    assert cfg["DATABASE_URL"] == "sqlite://"
    assert load_config(str(tmp_path))["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    "given, used",
    [
        ("postgres://u:p@db.example:5432/shop", "postgresql+psycopg://u:p@db.example:5432/shop"),
        (
            "postgresql://u@db/shop?sslmode=require",
            "postgresql+psycopg://u@db/shop?sslmode=require",
        ),
        ("postgresql+psycopg://u@db/shop", "postgresql+psycopg://u@db/shop"),
        ("sqlite:////srv/todoku.sqlite3", "sqlite:////srv/todoku.sqlite3"),
    ],
)
def test_a_platforms_database_url_gets_the_installed_driver(tmp_path, monkeypatch, given, used):
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_config(str(tmp_path))["DATABASE_URL"] == used


def test_production_requires_the_public_base_url(tmp_path, monkeypatch):
    monkeypatch.setenv("TODOKU_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.delenv("TODOKU_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="TODOKU_BASE_URL"):
        load_config(str(tmp_path))
    monkeypatch.setenv("TODOKU_BASE_URL", "https://track.example.jp/")
    assert load_config(str(tmp_path))["BASE_URL"] == "https://track.example.jp"


def test_production_cookies_are_secure(tmp_path, monkeypatch):
    monkeypatch.setenv("TODOKU_ENV", "production")
    monkeypatch.setenv("TODOKU_BASE_URL", "https://track.example.jp")
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    assert load_config(str(tmp_path))["SESSION_COOKIE_SECURE"] is True


def test_proxy_hops_take_the_client_address(app_config, monkeypatch):
    from app import create_app

    app = create_app({**app_config, "TRUST_PROXY_HOPS": 1, "LOOKUP_RATE_LIMIT": "1 per minute"})
    client = app.test_client()

    def post(ip):
        return client.post(
            "/sakura-tea/lookup",
            data={"number": "X", "contact": "y@z.jp"},
            headers={"X-Forwarded-For": ip},
        ).status_code

    assert post("203.0.113.1") == 404
    assert post("203.0.113.1") == 429
    assert post("203.0.113.2") == 404  # another customer behind the same proxy


def test_importing_app_builds_no_app():
    """gunicorn and flask build the app through ``create_app()``: importing the module (as
    tests and tools do) must not build one from whatever environment is set."""
    import app as app_module

    assert callable(app_module.create_app)
    assert not hasattr(app_module, "app")


def test_a_test_app_keeps_its_instance_folder_outside_the_checkout(app):
    """Uploads and the dev secret of test apps go to the test process's own
    instance folder (tests/conftest.py), never into the checkout's instance/."""
    root = Path(__file__).resolve().parents[1]
    for folder in (app.instance_path, app.config["UPLOAD_DIR"]):
        assert not Path(folder).resolve().is_relative_to(root), folder


def test_an_app_built_with_limits_off_leaves_the_next_apps_limits_on(app_config):
    """Flask-Limiter has one Limiter for every app of the process: each app states its own."""
    from app import create_app
    from tracking.extensions import limiter

    create_app({**app_config, "RATELIMIT_ENABLED": False})
    assert limiter.enabled is False
    later = create_app(app_config)
    assert later.config["RATELIMIT_ENABLED"] is True and limiter.enabled is True
