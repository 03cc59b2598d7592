"""gunicorn's configuration: ``gunicorn -c python:tracking.operations.gunicorn_conf
'app:create_app()'`` (the Procfile's ``web``, ``make run``). Command-line options still win
(``make run`` binds 127.0.0.1 with ``--bind``).

gunicorn reads only the names of its own settings here (everything else is ignored), so
helpers start with an underscore. Nothing here builds the app: the master process imports this
module and the brand files, and each worker builds the app after the fork."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from tracking.brands.brand import BrandConfigError, load_brands
from tracking.brands.cli import start_refusal
from tracking.config import ROOT, ConfigError, metrics_directory, shared_limits_problem, web_server
from tracking.monitoring import logs

# Where and how many: PORT and WEB_CONCURRENCY, as Procfile platforms set them (8000, 2).
bind, workers = web_server(os.environ)
# One request at a time per process: views are short and every slow thing (carrier calls,
# mail, imports) is the worker's, so threads or an async worker would buy nothing.
worker_class = "sync"
# A request still running after 30 s is killed and its worker replaced (a Procfile platform's
# router gives up at 30 s anyway). The longest legitimate request is a 60 MiB photo upload,
# which a reverse proxy buffers before gunicorn sees it.
timeout = 30
# On SIGTERM (a deploy, a restart) requests under way get this long to finish; under a
# platform's own 30 s between SIGTERM and SIGKILL, so gunicorn ends them, not the platform.
graceful_timeout = 25
# Seconds an idle keep-alive connection stays open. The sync worker closes every connection
# after its response, so this matters only if the worker class changes; the proxy in front
# keeps the client connections.
keepalive = 2
# Replace each worker after about this many requests (jitter: not all at once), which bounds
# what a slow leak can grow to. Under multiprocess metrics each replaced worker leaves its
# counter files behind (they still count); a start empties the folder.
max_requests = 5000
max_requests_jitter = 500
# The workers' heartbeat files: in memory where there is /dev/shm (a slow or full disk would
# otherwise make gunicorn think its workers hang).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No access log from gunicorn: its lines carry the raw path, and paths carry signed links.
# The app writes one line per request itself, with the endpoint name instead of the path.
accesslog = None

# A folder this configuration made for the metrics when none was given (removed at exit).
_made_directory: list[str] = []


def on_starting(server) -> None:
    """Before gunicorn does anything: broken brand files and several workers without shared
    rate-limit storage stop a production start (ConfigError is a RuntimeError, which gunicorn
    prints as "Error: …" before it exits with 1; development only warns about the limits)."""
    env = os.environ
    # The master's lines (workers booted, timed out) in the app's format: JSON in production.
    logs.install(logs.log_format(env), env.get("LOG_LEVEL", "INFO"), logs.production(env))
    try:  # before any worker: broken brand files show their problem lines, not tracebacks
        production = env.get("TODOKU_ENV", "development") == "production"
        load_brands(env.get("BRANDS_DIR") or ROOT / "brands", production)
    except BrandConfigError as exc:
        raise ConfigError(start_refusal(exc.problems)) from None
    problem = shared_limits_problem(server.cfg.workers, os.environ)
    if problem is not None:
        if os.environ.get("TODOKU_ENV", "development") == "production":
            raise ConfigError(problem)
        server.log.warning("%s (allowed outside production)", problem)


def when_ready(server) -> None:
    """Listening, no worker started yet. Multiprocess metrics: every worker writes its counts to files in one folder, which a
    scrape reads whole. The folder named by PROMETHEUS_MULTIPROC_DIR is created, and emptied
    of the files of processes that are gone (a worker process on the same host that shares
    it keeps its files). Without it, a fresh folder of our own, exported to the workers before
    they start: a scrape then adds up every gunicorn worker, though not a worker process."""
    directory = metrics_directory(os.environ)
    if directory is None:
        directory = tempfile.mkdtemp(prefix="todoku-metrics-")
        _made_directory.append(directory)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        if "prometheus_client.values" in sys.modules:  # too late: it chose one-process mode
            server.log.warning(
                "metrics: prometheus_client was loaded before its folder was set; each "
                "worker will count alone. Set PROMETHEUS_MULTIPROC_DIR in the environment."
            )
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for file in path.glob("*.db"):
        if not _alive(file):
            file.unlink(missing_ok=True)
    server.log.info("metrics: multiprocess folder %s", directory)


def _alive(file: Path) -> bool:
    """Whether the process a metrics file belongs to (``counter_1234.db``) still runs."""
    try:
        pid = int(file.stem.rsplit("_", 1)[-1])
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def child_exit(server, worker) -> None:
    """A worker is gone (crashed, timed out or replaced after max_requests): its live gauges
    no longer count. Its counters stay: what it counted did happen."""
    from prometheus_client import multiprocess  # after PROMETHEUS_MULTIPROC_DIR is set

    directory = metrics_directory(os.environ)
    if directory:
        multiprocess.mark_process_dead(worker.pid, directory)


def on_exit(server) -> None:
    for directory in _made_directory:
        shutil.rmtree(directory, ignore_errors=True)
