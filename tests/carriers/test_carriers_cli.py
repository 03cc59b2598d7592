"""``flask carriers check`` / ``list``: one clear line and exit 1 without network or credentials."""

from __future__ import annotations

import pytest

from app import create_app

ENV = (
    "UPS_CLIENT_ID",
    "UPS_CLIENT_SECRET",
    "DHL_API_KEY",
    "AFTERSHIP_API_KEY",
)


@pytest.fixture
def runner(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("carriers.http.time.sleep", lambda s: None)
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    return app.test_cli_runner()


def _text(result) -> str:
    return result.output + (getattr(result, "stderr", "") or "")


def test_check_without_credentials_exits_1_naming_the_variable(runner):
    result = runner.invoke(args=["carriers", "check", "ups", "1ZCIETST0111111114"])
    assert result.exit_code == 1
    assert "UPS_CLIENT_ID is not set" in _text(result)
    assert "Traceback" not in _text(result)


def test_check_without_network_exits_1(runner, monkeypatch):
    monkeypatch.setenv("DHL_API_KEY", "key")
    monkeypatch.setenv("DHL_BASE_URL", "http://127.0.0.1:9")  # nothing listens on discard
    result = runner.invoke(args=["carriers", "check", "dhl", "1234567890"])
    assert result.exit_code == 1
    assert "Unavailable" in _text(result)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_check_aggregator_needs_its_key(runner):
    result = runner.invoke(
        args=["carriers", "check", "aftership", "123456789012", "--carrier", "yamato"]
    )
    assert result.exit_code == 1
    assert "AFTERSHIP_API_KEY" in _text(result)


def test_check_unknown_code_exits_1(runner):
    result = runner.invoke(args=["carriers", "check", "nosuch", "123"])
    assert result.exit_code == 1
    assert "unknown carrier code" in _text(result)


def test_list_shows_codes_and_credential_state(runner, monkeypatch):
    monkeypatch.setenv("DHL_API_KEY", "key")
    result = runner.invoke(args=["carriers", "list"])
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert {"ups", "fedex", "dhl", "usps", "aftership", "track17", "ship24", "easypost"} <= set(
        lines
    )
    assert "credentials: yes (DHL_API_KEY)" in lines["dhl"]
    assert "credentials: no (UPS_CLIENT_ID, UPS_CLIENT_SECRET)" in lines["ups"]
