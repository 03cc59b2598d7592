"""`flask brands check` and start-up with a broken brand file: one line per problem in the staff
member's language, no traceback, a non-zero exit; a good file says ok."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support import ROOT
from tracking.config import ConfigError

GOOD = """slug = "demo-shop"
[name]
ja = "デモ"
en = "Demo"
[support]
email = "help@demo.example"
"""
# Three mistakes: a colour that is not one, an address without @, a misspelt key.
THREE = (
    GOOD.replace('email = "help@demo.example"', 'email = "help.demo.example"')
    + '[theme]\nprimary = "green"\nlogo_hasname = true\n'
)


def brand_dir(tmp_path: Path, text: str) -> Path:
    directory = tmp_path / "brands"
    (directory / "assets").mkdir(parents=True)
    (directory / "demo-shop.toml").write_text(text, encoding="utf-8")
    return directory


def flask(
    tmp_path: Path, directory: Path, *args: str, lang: str = "C.UTF-8", env: dict | None = None
):
    env = {
        **os.environ,
        **(env or {}),
        "PYTHONPATH": str(ROOT),
        "BRANDS_DIR": str(directory),
        "TODOKU_INSTANCE_PATH": str(tmp_path / "instance"),
        "LANG": lang,
    }
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(name, None)
    flask_exe = Path(sys.executable).with_name("flask")
    return subprocess.run(
        [str(flask_exe), "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_three_lines(out: str, directory: Path) -> list[str]:
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if line.startswith(str(directory))]
    assert len(lines) == 3, out
    keys = ["theme.primary", "support.email", "theme.logo_hasname"]
    for key in keys:
        assert any(f"demo-shop.toml: {key}: " in line for line in lines), (key, out)
    return lines


def test_three_mistakes_three_lines_in_english(tmp_path):
    directory = brand_dir(tmp_path, THREE)
    run = flask(tmp_path, directory, "brands", "check", "--lang", "en")
    assert run.returncode == 1
    lines = assert_three_lines(run.stdout + run.stderr, directory)
    colour = next(line for line in lines if "theme.primary" in line)
    assert 'must be a colour like #1a2b3c, not "green"' in colour
    assert '(e.g. primary = "#1f5f8b")' in colour
    assert "unknown key" in next(line for line in lines if "logo_hasname" in line)


def test_three_mistakes_three_lines_in_japanese_from_lang(tmp_path):
    directory = brand_dir(tmp_path, THREE)
    run = flask(
        tmp_path,
        directory,
        "brands",
        "check",
        str(directory / "demo-shop.toml"),
        lang="ja_JP.UTF-8",
    )
    assert run.returncode == 1
    lines = assert_three_lines(run.stdout + run.stderr, directory)
    colour = next(line for line in lines if "theme.primary" in line)
    assert "色" in colour and "例" in colour, colour
    assert "メールアドレス" in next(line for line in lines if "support.email" in line)


def test_good_file_exits_zero_with_ok(tmp_path):
    directory = brand_dir(tmp_path, GOOD)
    run = flask(tmp_path, directory, "brands", "check")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == f"{directory / 'demo-shop.toml'}: ok"


def test_shipped_brands_check_ok(tmp_path):
    run = flask(tmp_path, ROOT / "brands", "brands", "check", "--lang", "ja")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count(": ok") == len(list((ROOT / "brands").glob("*.toml")))


def test_flask_cli_refuses_to_start_with_the_same_lines(tmp_path):
    directory = brand_dir(tmp_path, THREE)
    run = flask(tmp_path, directory, "routes", lang="en_US.UTF-8")
    assert run.returncode == 1
    assert_three_lines(run.stderr, directory)
    assert "flask --app app brands check" in run.stderr
    assert "Endpoint" not in run.stdout  # the command itself never ran


def test_gunicorn_refuses_to_start_before_the_workers(tmp_path, monkeypatch):
    from tracking.operations import gunicorn_conf

    directory = brand_dir(tmp_path, THREE)
    monkeypatch.setenv("BRANDS_DIR", str(directory))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    server = SimpleNamespace(cfg=SimpleNamespace(workers=1), log=None)
    with pytest.raises(ConfigError) as err:
        gunicorn_conf.on_starting(server)
    assert_three_lines(str(err.value), directory)


def test_gunicorn_starts_with_good_files(tmp_path, monkeypatch):
    from tracking.operations import gunicorn_conf

    directory = brand_dir(tmp_path, GOOD)
    shutil.copy(ROOT / "brands/assets/northpeak.svg", directory / "assets")
    monkeypatch.setenv("BRANDS_DIR", str(directory))
    warnings: list[str] = []
    log = SimpleNamespace(warning=lambda *args: warnings.append(args[0] % args[1:]))
    assert (
        gunicorn_conf.on_starting(SimpleNamespace(cfg=SimpleNamespace(workers=1), log=log)) is None
    )
    assert warnings == []


def test_a_missing_mail_secret_stops_the_release_step_with_its_lines(tmp_path):
    smtp = (
        '[mail.smtp]\nhost = "smtp.demo.example"\n'
        'user_env = "TODOKU_SMTP_DEMO_USER"\npassword_env = "TODOKU_SMTP_DEMO_PASS"\n'
    )
    directory = brand_dir(tmp_path, GOOD + smtp)
    run = flask(tmp_path, directory, "db", "upgrade")
    out = run.stdout + run.stderr
    assert run.returncode == 1
    assert "Traceback" not in out
    assert "$TODOKU_SMTP_DEMO_PASS is not set" in out, out
