"""Imports started from the admin page run beside the request (a thread of the web process),
so a 50,000-row file never times a request out: the file and a small JSON status sit in
``IMPORT_DIR`` (default ``instance/imports/``); the page shows the status and polls until the job is done.

A job is a dry run (the preview) or the real import of the same stored file."""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from pathlib import Path

from flask import Flask, current_app
from sqlmodel import Session

from tracking.db import get_engine
from tracking.orders.imports.run import ImportFileError, Report, run_import

log = logging.getLogger(__name__)
JOB_ID = "^[A-Za-z0-9_-]{16,64}$"


def job_dir(app: Flask | None = None) -> Path:
    app = app or current_app
    path = Path(app.config["IMPORT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_file(brand: str, fmt: str, filename: str, raw: bytes, history: bool = False) -> str:
    """Keep an uploaded file for its preview and import; returns the file's id. ``history``:
    import its orders as history (``run_import``), chosen at upload for both jobs."""
    file_id = secrets.token_urlsafe(18)
    (job_dir() / f"{file_id}.data").write_bytes(raw)
    _write(
        file_id,
        {
            "brand": brand,
            "format": fmt,
            "filename": filename[:200],
            "history": history,
            "jobs": {},
        },
    )
    return file_id


def _path(file_id: str) -> Path:
    return job_dir() / f"{file_id}.json"


def _write(file_id: str, status: dict, app: Flask | None = None) -> None:
    path = job_dir(app) / f"{file_id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(status, ensure_ascii=False))
    tmp.replace(path)


def status(file_id: str, brand: str) -> dict | None:
    """The file's status, or None when there is none for ``brand`` (another brand's is None)."""
    if not re.fullmatch(JOB_ID, file_id or ""):
        return None
    try:
        data = json.loads(_path(file_id).read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("brand") == brand else None


def start(file_id: str, kind: str, wait: float | None = None) -> dict:
    """Start the preview (``kind="preview"``) or the import; wait up to ``wait`` seconds
    (IMPORT_WAIT_SECONDS) so small files are answered at once."""
    app = current_app._get_current_object()
    data = json.loads(_path(file_id).read_text())
    if kind in data["jobs"]:
        return data
    data["jobs"][kind] = {"state": "running", "report": None, "error": None}
    _write(file_id, data)
    thread = threading.Thread(target=_run, args=(app, file_id, kind), daemon=True)
    thread.start()
    thread.join(app.config["IMPORT_WAIT_SECONDS"] if wait is None else wait)
    return json.loads(_path(file_id).read_text())


_LOCK = threading.Lock()


def _update(app: Flask, file_id: str, kind: str, **values) -> None:
    with _LOCK:
        path = job_dir(app) / f"{file_id}.json"
        data = json.loads(path.read_text())
        data["jobs"][kind].update(values)
        _write(file_id, data, app)


def _run(app: Flask, file_id: str, kind: str) -> None:
    with app.app_context():
        data = json.loads((job_dir(app) / f"{file_id}.json").read_text())
        brand = app.extensions["todoku_brands"][data["brand"]]
        raw = (job_dir(app) / f"{file_id}.data").read_bytes()
        started = time.monotonic()

        def progress(report: Report) -> None:
            _update(app, file_id, kind, report=report.as_dict(20))

        with Session(get_engine(app), expire_on_commit=False) as session:
            try:
                report = run_import(
                    session,
                    brand,
                    data["format"],
                    raw,
                    dry_run=kind == "preview",
                    source="import:admin",
                    progress=progress,
                    history=bool(data.get("history")),
                )
            except ImportFileError as exc:
                _update(app, file_id, kind, state="failed", error=exc.code, params=exc.params)
                return
            except Exception:  # noqa: BLE001  (the page must say so, not poll forever)
                log.exception("import %s (%s) failed", file_id, kind)
                _update(app, file_id, kind, state="failed", error="internal_error")
                return
        _update(
            app,
            file_id,
            kind,
            state="done",
            report=report.as_dict(),
            seconds=round(time.monotonic() - started, 1),
        )
