"""The production path serves what `make run` serves: translation catalogues are compiled at
start-up (no Makefile needed), and a locale a brand offers without a catalogue stops start-up.

The end-to-end test installs the project with `pip install .` into a clean virtualenv, then runs
the Procfile's `release` and `web` commands in production mode from a clean copy of the tree.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
import venv
from pathlib import Path

import pytest
from babel.support import Translations

from tests.support.server import free_port, serving
from tracking import i18n

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "tracking" / "translations"
JA_HEADING = "ご注文の確認"  # the ja catalogue's "Find your order", the lookup page's heading


def copy_po_files(target: Path, locales=("en", "ja")) -> Path:
    for locale in locales:
        po = CATALOGS / locale / "LC_MESSAGES" / "messages.po"
        (target / locale / "LC_MESSAGES").mkdir(parents=True)
        shutil.copy(po, target / locale / "LC_MESSAGES" / "messages.po")
    return target


def make_app(tmp_path, monkeypatch, translations: Path):
    from app import create_app

    monkeypatch.setenv("TODOKU_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SECRET_KEY": "t",
            "BABEL_TRANSLATION_DIRECTORIES": str(translations),
        }
    )


def ja(directories: str) -> str:
    """What Flask-Babel would answer for the heading: later folders override earlier ones."""
    merged = Translations()
    for d in directories.split(";"):
        merged.merge(Translations.load(d, ["ja"]))
    return merged.gettext("Find your order")


def test_start_up_compiles_missing_and_stale_catalogues(tmp_path, monkeypatch):
    src = copy_po_files(tmp_path / "translations")
    mo = src / "ja" / "LC_MESSAGES" / "messages.mo"
    app = make_app(tmp_path, monkeypatch, src)
    assert mo.exists() and ja(app.config["BABEL_TRANSLATION_DIRECTORIES"]) == JA_HEADING

    os.utime(mo, (1, 1))  # older than its .po: compiled again
    make_app(tmp_path, monkeypatch, src)
    assert mo.stat().st_mtime > 1


def test_read_only_catalogue_folder_compiles_into_the_instance_path(tmp_path, monkeypatch):
    src = copy_po_files(tmp_path / "translations")
    real_compile = i18n._compile

    def read_only(po, mo, locale):  # tests run as root, where chmod would not stop a write
        if mo.is_relative_to(src):
            raise PermissionError(13, "Permission denied", str(mo))
        real_compile(po, mo, locale)

    monkeypatch.setattr(i18n, "_compile", read_only)
    app = make_app(tmp_path, monkeypatch, src)
    fallback = tmp_path / "instance" / "translations"
    assert not (src / "ja" / "LC_MESSAGES" / "messages.mo").exists()
    assert (fallback / "ja" / "LC_MESSAGES" / "messages.mo").exists()
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == f"{src};{fallback}"
    assert app.extensions["babel"].translation_directories == [str(src), str(fallback)]
    assert ja(app.config["BABEL_TRANSLATION_DIRECTORIES"]) == JA_HEADING


def test_offered_locale_without_a_catalogue_stops_start_up(tmp_path, monkeypatch):
    # Both demo brands offer ja; only the source language's catalogue is there.
    src = copy_po_files(tmp_path / "translations", locales=("en",))
    looked = src / "ja" / "LC_MESSAGES" / "messages.po"
    with pytest.raises(i18n.CatalogueError) as caught:
        make_app(tmp_path, monkeypatch, src)
    message = str(caught.value)
    assert "'ja'" in message and "sakura-tea" in message and str(looked) in message


# --- end to end: pip install ., Procfile release, Procfile web -------------------------------


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))


def clean_copy(target: Path) -> Path:
    """Tracked and new unignored files from the working tree (no .mo, instance/ or .venv/)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def clean_venv(path: Path, commands: set[str]) -> Path:
    """A new virtualenv that sees the dev venv's packages (offline, fast) through a .pth file,
    with the console scripts the Procfile runs, as installing the dependencies would write them."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(path)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(path), "platbase": str(path)}))
    (site / "dev-venv.pth").write_text(sysconfig.get_path("purelib") + "\n")
    scripts = {
        ep.name: ep
        for ep in importlib.metadata.entry_points(group="console_scripts")
        if ep.name in commands
    }
    assert set(scripts) == commands, f"no console script for {commands - set(scripts)}"
    for name, ep in scripts.items():
        script = path / "bin" / name
        script.write_text(
            f"#!{path / 'bin' / 'python'}\nimport sys\nfrom {ep.module} import {ep.attr}\n"
            f"sys.exit({ep.attr}())\n"
        )
        script.chmod(0o755)
    return path


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def test_pip_install_then_procfile_release_and_web_serve_japanese(tmp_path):
    commands = procfile()
    names = {cmd.split()[0] for key in ("release", "web") for cmd in commands[key].split("&&")}
    env_dir = clean_venv(tmp_path / "venv", names)
    tree = clean_copy(tmp_path / "todoku")
    assert not list(tree.rglob("*.mo")) and not (tree / "instance").exists()

    subprocess.run(
        [env_dir / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps"]
        + ["--no-build-isolation", "--ignore-installed", "--no-index", "."],
        cwd=tree,
        check=True,
        timeout=120,
    )
    port = free_port()
    dev_bin = str(Path(sys.executable).parent)
    path = [str(env_dir / "bin")] + [
        p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != dev_bin
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TODOKU_", "FLASK_"))}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    env.update(
        PATH=os.pathsep.join(path),
        PORT=str(port),
        TODOKU_ENV="production",
        TODOKU_BASE_URL=f"http://127.0.0.1:{port}",
        SECRET_KEY="production-path-test-" + "x" * 32,
        DATABASE_URL=f"sqlite:///{tmp_path / 'todoku.sqlite3'}",
        TODOKU_INSTANCE_PATH=str(tmp_path / "instance"),
        WEB_CONCURRENCY="1",
        # The pages checked are the demo shops', which production serves only when asked.
        TODOKU_DEMO="1",
        TODOKU_METRICS_TOKEN="production-path-metrics-" + "m" * 20,
        # Web and worker on one host share the metrics folder (docs/operations.md, Metrics).
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    env.pop("BRANDS_DIR", None)
    env.pop("REDIS_URL", None)

    subprocess.run(commands["release"], shell=True, cwd=tree, env=env, check=True, timeout=60)
    assert (tree / "tracking/translations/ja/LC_MESSAGES/messages.mo").exists()

    out = tmp_path / "web.out"
    with out.open("wb") as stdout:
        _serve_and_read(commands["web"], tree, env, port, tmp_path, stdout)
    # gunicorn writes no access log (paths carry signed links), on stdout or stderr.
    for log in (out, tmp_path / "web.log"):
        assert "/sakura-tea/" not in log.read_text(), log.read_text()[-1000:]
        assert "hanako@example.com" not in log.read_text()
    # The app's own line per request: JSON in production, by endpoint.
    log_lines = (tmp_path / "web.log").read_text().splitlines()
    lines = [json.loads(line) for line in log_lines if line.startswith("{")]
    assert {"endpoint": "portal.order_page", "status": 200}.items() <= next(
        line for line in lines if line.get("endpoint") == "portal.order_page"
    ).items()


def _serve_and_read(command: str, tree: Path, env: dict, port: int, tmp_path: Path, stdout):
    web = serving(command, port=port, cwd=tree, env=env, log=tmp_path / "web.log", stdout=stdout)
    with web as base:
        assert '"ok"' in get(f"{base}/healthz")
        ja_page = get(f"{base}/sakura-tea/")
        assert '<html lang="ja"' in ja_page and JA_HEADING in ja_page
        en_page = get(f"{base}/northpeak/?lang=en")
        assert '<html lang="en"' in en_page and "Find your order" in en_page
        # Static files from the checkout: fingerprinted in the page, cached a year, compressed.
        script = re.search(r'src="(/static/vendor/[^"?]+\?v=[0-9a-f]{12})"', ja_page).group(1)
        asked = urllib.request.Request(f"{base}{script}", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(asked, timeout=5) as response:
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert response.headers["Content-Encoding"] == "gzip"
        _demo_page_and_worker_round(base, tree, env)
        scrape = urllib.request.Request(
            f"{base}/metrics", headers={"Authorization": f"Bearer {env['TODOKU_METRICS_TOKEN']}"}
        )
        with urllib.request.urlopen(scrape, timeout=5) as response:
            text = response.read().decode()
        assert 'todoku_http_requests_total{endpoint="portal.lookup_form",status="200"} 2.0' in text
        assert 'todoku_http_requests_total{endpoint="portal.order_page",status="200"} 1.0' in text
        # The worker's round, counted in the folder it shares with the web on this host.
        assert 'todoku_worker_rounds_total{outcome="ok"} 1.0' in text


def _demo_page_and_worker_round(base: str, tree: Path, env: dict) -> None:
    """The Procfile's worker (its flask command) loads the demo, prints a signed link; the
    customer's page answers in Japanese; one worker round runs. Neither command logs the
    link or the customer."""
    flask = procfile()["worker"].rsplit(" worker", 1)[0]
    run = {"shell": True, "cwd": tree, "env": env, "capture_output": True, "text": True}
    demo = subprocess.run(f"{flask} demo", timeout=120, **run)
    assert demo.returncode == 0, demo.stderr
    link = subprocess.run(f"{flask} orders link ST-1001 --brand sakura-tea", timeout=60, **run)
    url = link.stdout.strip()
    token = url.rsplit("/", 1)[-1]
    assert url.startswith(f"{base}/sakura-tea/o/") and len(token) > 20, link.stdout
    assert "ご注文" in get(url)
    worker = subprocess.run(f"{procfile()['worker']} --once", timeout=120, **run)
    assert worker.returncode == 0, worker.stderr
    for said in (demo.stderr, link.stderr, worker.stdout, worker.stderr):
        assert token not in said and "hanako@example.com" not in said
