"""An edited brand file is picked up without a restart; a broken edit keeps the last good one."""

from __future__ import annotations

import logging
import os
import shutil

from tests.support import ROOT


def test_changed_file_is_reloaded_and_a_broken_edit_keeps_the_last_good(
    tmp_path, app_config, caplog
):
    from app import create_app

    directory = tmp_path / "brands"
    shutil.copytree(ROOT / "brands", directory)
    app = create_app({**app_config, "BRANDS_DIR": str(directory), "BRANDS_RELOAD_SECONDS": 0})
    brands = app.extensions["todoku_brands"]
    path = directory / "northpeak.toml"
    original = path.read_text()
    assert brands["northpeak"].display_name("en") == "Northpeak Outfitters"

    path.write_text(original.replace('en = "Northpeak Outfitters"', 'en = "Northpeak Trail Co."'))
    os.utime(path, ns=(1, 1_000_000_000))
    assert brands["northpeak"].display_name("en") == "Northpeak Trail Co."
    html = app.test_client().get("/northpeak/?lang=en").get_data(as_text=True)
    assert "Northpeak Trail Co." in html

    caplog.set_level(logging.ERROR, logger="tracking.brands.registry")
    path.write_text(original.replace('primary = "#1e4d3a"', 'primary = "green"'))
    os.utime(path, ns=(2, 2_000_000_000))
    assert brands["northpeak"].display_name("en") == "Northpeak Trail Co."
    assert brands["northpeak"].theme.primary == "#1e4d3a"
    assert "northpeak.toml: theme.primary: must be a colour" in caplog.text
    assert "Traceback" not in caplog.text

    path.write_text(original)  # fixed again
    os.utime(path, ns=(3, 3_000_000_000))
    assert brands["northpeak"].display_name("en") == "Northpeak Outfitters"


def test_reload_waits_between_looks(tmp_path, app_config):
    from app import create_app

    directory = tmp_path / "brands"
    shutil.copytree(ROOT / "brands", directory)
    app = create_app({**app_config, "BRANDS_DIR": str(directory), "BRANDS_RELOAD_SECONDS": 3600})
    path = directory / "northpeak.toml"
    path.write_text(path.read_text().replace("Northpeak Outfitters", "Later"))
    os.utime(path, ns=(1, 1_000_000_000))
    assert app.extensions["todoku_brands"]["northpeak"].display_name("en") == (
        "Northpeak Outfitters"
    )


def test_reload_setting(monkeypatch, tmp_path):
    from tracking.config import load_config

    assert load_config(str(tmp_path))["BRANDS_RELOAD_SECONDS"] == 2.0
    monkeypatch.setenv("BRANDS_RELOAD_SECONDS", "off")
    assert load_config(str(tmp_path))["BRANDS_RELOAD_SECONDS"] is None
