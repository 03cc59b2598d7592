"""gunicorn's configuration (tracking/operations/gunicorn_conf.py) and multiprocess metrics
under a real gunicorn: two workers answer, one scrape counts every request, and a worker
process on the same host shares the folder."""

from __future__ import annotations

import importlib
import os
import shlex
import shutil
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

from prometheus_client.mmap_dict import MmapedDict, mmap_key

from tests.monitoring.test_metrics import parse, value
from tests.support.server import free_port, serving
from tests.test_production_path import procfile
from tracking.operations import gunicorn_conf

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "multi-" + "m" * 40
HEALTHZ = "todoku_http_requests_total"


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    conf = importlib.reload(gunicorn_conf)
    assert conf.bind == "0.0.0.0:9123" and conf.workers == 3
    monkeypatch.delenv("PORT")
    monkeypatch.delenv("WEB_CONCURRENCY")
    conf = importlib.reload(gunicorn_conf)
    assert conf.bind == "0.0.0.0:8000" and conf.workers == 2
    assert conf.accesslog is None  # the app logs requests, without their paths
    assert conf.worker_class == "sync" and conf.max_requests and conf.max_requests_jitter
    assert conf.graceful_timeout < 30 <= conf.timeout


def test_the_master_does_not_load_prometheus_client_before_the_folder_is_set():
    """prometheus-client picks its one-process or multiprocess mode when it is first imported:
    had the master imported it (through the brand modules) before ``when_ready`` exported the
    folder, the forked workers would count in memory and every scrape would read zero."""
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, tracking.operations.gunicorn_conf; "
            "print(sorted(m for m in sys.modules if m.startswith('prometheus')))",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_when_ready_empties_the_folder_of_dead_processes_only(tmp_path, monkeypatch):
    folder = tmp_path / "metrics"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    folder.mkdir()
    mine = folder / f"counter_{os.getpid()}.db"  # a live process (a worker on this host)
    gone = folder / f"counter_{dead_pid()}.db"
    live_gauge = folder / f"gauge_livesum_{dead_pid()}.db"
    for file in (mine, gone, live_gauge):
        file.write_bytes(b"")
    server = SimpleNamespace(log=SimpleNamespace(info=lambda *a: None))
    gunicorn_conf.when_ready(server)
    assert sorted(folder.iterdir()) == [mine]


def test_child_exit_forgets_a_dead_workers_live_gauges(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    (tmp_path / "counter_4242.db").write_bytes(b"")
    gunicorn_conf.child_exit(None, SimpleNamespace(pid=4242))
    assert [p.name for p in tmp_path.iterdir()] == ["counter_4242.db"]  # its counts stay


def get(url: str, token: str | None = None) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        return r.read().decode()


def served_by(folder: Path) -> dict[int, float]:
    """/healthz requests each process counted in its own file."""
    out = {}
    for file in folder.glob("counter_*.db"):
        counts = {key: v for key, v, _ts, _pos in MmapedDict.read_all_values_from_file(str(file))}
        key = mmap_key(
            "todoku_http_requests",
            HEALTHZ,
            ["endpoint", "status"],
            ["site.healthz", "200"],
            "HTTP requests answered, by Flask endpoint (never the path) and status code.",
        )
        out[int(file.stem.split("_")[1])] = counts.get(key, 0.0)
    return out


def test_two_gunicorn_workers_one_scrape_counts_every_request(tmp_path, sqlite_template):
    database = tmp_path / "todoku.sqlite3"
    shutil.copy(sqlite_template, database)
    folder = tmp_path / "metrics"
    folder.mkdir()
    # A dead process's counts from an earlier run: the start empties them away.
    stale = MmapedDict(str(folder / f"counter_{dead_pid()}.db"))
    stale.write_value(
        mmap_key(
            "todoku_http_requests", HEALTHZ, ["endpoint", "status"], ["site.healthz", "200"], "x"
        ),
        1000.0,
        0.0,
    )
    stale.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TODOKU_", "FLASK_"))}
    for name in ("REDIS_URL", "BRANDS_DIR", "GUNICORN_CMD_ARGS"):
        env.pop(name, None)
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        TODOKU_ENV="development",  # two workers without Redis: a warning, not a refusal
        DATABASE_URL=f"sqlite:///{database}",
        TODOKU_INSTANCE_PATH=str(tmp_path / "instance"),
        TODOKU_METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(folder),
    )
    log = tmp_path / "web.log"
    with serving(procfile()["web"], port=port, cwd=ROOT, env=env, log=log) as base:
        before = value(
            parse(get(f"{base}/metrics", TOKEN)), HEALTHZ, endpoint="site.healthz", status="200"
        )
        assert before < 1000  # the dead process's file is gone
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            # Until both workers have answered some (which one accepts is the kernel's choice).
            while sent < 400 and len([n for n in served_by(folder).values() if n]) < 2:
                answers = list(pool.map(lambda _: get(f"{base}/healthz"), range(40)))
                assert all('"ok"' in a for a in answers)
                sent += 40
        counted = served_by(folder)
        assert len([n for n in counted.values() if n]) == 2, (counted, log.read_text()[-2000:])
        after = value(
            parse(get(f"{base}/metrics", TOKEN)), HEALTHZ, endpoint="site.healthz", status="200"
        )
        assert after - before == sent

        # The worker on the same host, sharing the folder: its round is in the web's scrape.
        flask = Path(sys.executable).with_name("flask")
        run = subprocess.run(
            [str(flask), "--app", "app", "worker", "--once"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        samples = parse(get(f"{base}/metrics", TOKEN))
        assert value(samples, "todoku_worker_rounds_total", outcome="ok") == 1
        assert (("todoku_parcels_due", ())) in samples  # the database gauges, from the web


def test_a_missing_secret_stops_gunicorn_with_its_lines_not_a_traceback(tmp_path):
    brands = tmp_path / "brands"
    (brands / "assets").mkdir(parents=True)
    (brands / "shop.toml").write_text(
        'slug = "shop"\n[name]\nja = "店"\nen = "Shop"\n[support]\nemail = "help@shop.example"\n'
        '[mail.smtp]\nhost = "smtp.shop.example"\n'
        'user_env = "TODOKU_SMTP_SHOP_USER"\npassword_env = "TODOKU_SMTP_SHOP_PASS"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TODOKU_SMTP_", "PROMETHEUS"))}
    env.update(
        PYTHONPATH=str(ROOT),
        BRANDS_DIR=str(brands),
        TODOKU_INSTANCE_PATH=str(tmp_path / "instance"),
        PORT=str(free_port()),
        WEB_CONCURRENCY="1",
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    web = subprocess.run(
        [str(gunicorn), *shlex.split(procfile()["web"])[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = web.stdout + web.stderr
    assert web.returncode != 0
    assert "Traceback" not in out, out
    assert "$TODOKU_SMTP_SHOP_PASS is not set" in out, out
