"""``[line]`` and the channel variables: read from the environment per brand, checked at
start-up, the section's values checked like every brand key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.line.conftest import line_brands
from tracking.config import ConfigError, load_config
from tracking.line.config import LineConfig, env_key


def test_channels_come_from_slug_named_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("SAKURA_TEA_LINE_CHANNEL_SECRET", "sec")
    monkeypatch.setenv("SAKURA_TEA_LINE_CHANNEL_TOKEN", "tok")
    monkeypatch.setenv("NORTHPEAK_LINE_CHANNEL_SECRET", " ")
    cfg = load_config(str(tmp_path))
    assert cfg["LINE_CHANNELS"]["SAKURA_TEA"] == {"secret": "sec", "token": "tok"}
    assert "NORTHPEAK" not in cfg["LINE_CHANNELS"]
    assert cfg["LINE_API_URL"] == "https://api.line.me"
    assert env_key("sakura-tea") == "SAKURA_TEA"


def test_a_brand_with_line_but_no_variables_does_not_start(tmp_path):
    from app import create_app

    with pytest.raises(ConfigError) as err:
        create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "SECRET_KEY": "t",
                "BRANDS_DIR": str(line_brands(tmp_path)),
                "LINE_CHANNELS": {"SAKURA_TEA": {"secret": "s", "token": "t"}},
            }
        )
    assert "$NORTHPEAK_LINE_CHANNEL_SECRET is not set" in str(err.value)
    assert "SAKURA_TEA" not in str(err.value)


@pytest.mark.parametrize(
    "values",
    [
        {"basic_id": "123abcde"},  # no @
        {"basic_id": "@x"},
        {"basic_id": "@ok-id", "milestones": ["teleported"]},
        {"basic_id": "@ok-id", "code_minutes": 1},
        {"basic_id": "@ok-id", "typo": True},
    ],
)
def test_bad_sections_are_refused(values):
    with pytest.raises(ValidationError):
        LineConfig.model_validate(values)


def test_defaults_and_basic_id_lower_cased():
    cfg = LineConfig.model_validate({"basic_id": " @Sakura-Tea "})
    assert cfg.basic_id == "@sakura-tea" and not cfg.also_mail
    assert cfg.sends("shipped") and not cfg.sends("late")
    assert not LineConfig(basic_id="@abc", enabled=False).sends("shipped")
