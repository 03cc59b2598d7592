"""A real web server for the tests that need one (the production path, two gunicorn workers
sharing limits or racing one another): started in its own process group on a free port, waited
for until /healthz answers, stopped with its workers however the test ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(command, *, port: int, cwd: Path, env: dict, log: Path, stdout=subprocess.DEVNULL):
    """Yield the base URL once ``command`` answers /healthz on ``port``; its stderr goes to
    ``log``, which a failure to start quotes."""
    web = subprocess.Popen(
        command,
        shell=isinstance(command, str),
        cwd=cwd,
        env=env,
        start_new_session=True,  # its own process group: gunicorn and workers stop together
        stdout=stdout,
        stderr=log.open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert web.poll() is None, f"web exited: {log.read_text()[-2000:]}"
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "web did not answer /healthz in 30 s"
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        try:
            web.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(web.pid, signal.SIGKILL)
            web.wait(timeout=5)
