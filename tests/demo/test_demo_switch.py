"""Production serves only the operator's shops: the demo shops (``demo = true`` in their brand
files) and ``flask demo`` need TODOKU_DEMO=1 there; development has them by default."""

from __future__ import annotations

import pytest

from app import create_app

PRODUCTION = {
    "TODOKU_ENV": "production",
    "SECRET_KEY": "demo-switch-test-" + "x" * 32,
    "BASE_URL": "https://track.example",
}


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path, sqlite_template):
    import shutil

    path = tmp_path / "todoku.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _app(app_config, **extra):
    return create_app({**app_config, **extra})


def test_production_serves_no_demo_shop_unless_asked(app_config, monkeypatch):
    monkeypatch.delenv("TODOKU_DEMO", raising=False)
    app = _app(app_config, **PRODUCTION)
    assert app.config["TODOKU_DEMO"] is False
    assert "sakura-tea" not in app.extensions["todoku_brands"]
    client = app.test_client()
    assert client.get("/sakura-tea/").status_code == 404
    assert client.get("/northpeak/").status_code == 404
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "TODOKU_DEMO=1" in result.output


def test_production_with_the_switch_serves_them(app_config, monkeypatch):
    monkeypatch.setenv("TODOKU_DEMO", "1")
    app = _app(app_config, **PRODUCTION)
    assert app.config["TODOKU_DEMO"] is True
    assert app.test_client().get("/sakura-tea/").status_code == 200


def test_development_has_the_demo_by_default_and_can_switch_it_off(app_config, monkeypatch):
    monkeypatch.delenv("TODOKU_DEMO", raising=False)
    assert _app(app_config).test_client().get("/sakura-tea/").status_code == 200
    monkeypatch.setenv("TODOKU_DEMO", "0")
    assert _app(app_config).test_client().get("/sakura-tea/").status_code == 404
