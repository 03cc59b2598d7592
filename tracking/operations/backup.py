"""One archive holds everything needed to bring a site back: a consistent copy of the database,
the uploaded photos and a manifest that says what the copy must contain.

* SQLite is copied with its online backup API (pages copied under a read lock, so writers
  carry on and the copy is one committed state); PostgreSQL with ``pg_dump`` in its custom
  format, run on a snapshot exported from a transaction that also reads the manifest's figures,
  so the figures describe exactly the rows in the dump.
* The manifest carries, per table, the row count and a hash of every row in primary-key order;
  ``restore`` recomputes them on the restored database and refuses to call a restore good
  unless every table and photo matches.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import tracking.models  # noqa: F401  (registers every table on the metadata)
from tracking.db import make_engine

FORMAT = 1
MANIFEST = "manifest.json"
PHOTOS = "uploads/"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Alembic's own table travels with the copy (the restored site knows its schema revision).
EXTRA_TABLES = ("alembic_version",)


class BackupError(Exception):
    """Something an operator must fix; the message says what."""


@dataclass
class Report:
    tables: int = 0
    rows: int = 0
    photos: int = 0
    problems: list[str] = field(default_factory=list)


def table_figures(conn) -> dict[str, dict]:
    """Row count and a SHA-256 of every row (primary-key order) per table present."""
    present = set(inspect(conn).get_table_names())
    figures = {}
    names = [t.name for t in SQLModel.metadata.sorted_tables] + list(EXTRA_TABLES)
    for name in names:
        if name not in present:
            continue
        table = SQLModel.metadata.tables.get(name)
        order = ", ".join(
            f'"{c.name}"' for c in (table.primary_key.columns if table is not None else [])
        )
        sql = f'SELECT * FROM "{name}"' + (f" ORDER BY {order}" if order else " ORDER BY 1")
        digest = hashlib.sha256()
        count = 0
        for row in conn.execute(text(sql)):
            digest.update(json.dumps(list(row), default=_plain, ensure_ascii=False).encode())
            digest.update(b"\n")
            count += 1
        figures[name] = {"rows": count, "sha256": digest.hexdigest()}
    return figures


def _plain(value):
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, datetime) and value.tzinfo is not None:
        # SQLite hands back what was stored; PostgreSQL in the session's zone: compare in UTC.
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return str(value)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _photo_files(upload_dir: Path) -> list[Path]:
    if not upload_dir.is_dir():
        return []
    return sorted(p for p in upload_dir.rglob("*") if p.is_file() and not p.is_symlink())


def backup(database_url: str, upload_dir: Path, archive: Path) -> Report:
    """Write the archive at ``archive`` (atomically: a half-written file never has its name)."""
    dialect = make_url(database_url).get_backend_name()
    if dialect not in DUMPS:
        raise BackupError(f"cannot back up a {dialect} database (SQLite or PostgreSQL only)")
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="todoku-backup-") as work:
        dump = Path(work) / DUMPS[dialect]
        if dialect == "sqlite":
            figures = _copy_sqlite(database_url, dump)
        else:
            figures = _dump_postgres(database_url, dump)
        photos = {str(p.relative_to(upload_dir)): _file_sha256(p) for p in _photo_files(upload_dir)}
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "dialect": dialect,
            "database": DUMPS[dialect],
            "tables": figures,
            "photos": photos,
        }
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=DUMPS[dialect])
            for name in photos:
                tar.add(upload_dir / name, arcname=PHOTOS + name)
        os.replace(partial, archive)
    return Report(
        tables=len(figures),
        rows=sum(t["rows"] for t in figures.values()),
        photos=len(photos),
    )


def _sqlite_path(database_url: str) -> Path:
    path = make_url(database_url).database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(path)


def _copy_sqlite(database_url: str, dump: Path) -> dict:
    source = sqlite3.connect(_sqlite_path(database_url))
    target = sqlite3.connect(dump)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    # The figures come from the copy itself: what was copied is what the manifest describes.
    engine = make_engine(f"sqlite:///{dump}")
    try:
        with engine.connect() as conn:
            figures = table_figures(conn)
    finally:
        engine.dispose()
    # WAL mode leaves the copy in two files; fold it back into one before archiving.
    with sqlite3.connect(dump) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    return figures


def _libpq(database_url: str) -> tuple[str, dict]:
    """A libpq URL for pg_dump/pg_restore and an environment carrying the password (never on
    the command line, where any user of the machine could read it)."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None, query={})
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt install postgresql-client)")
    return path


def _dump_postgres(database_url: str, dump: Path) -> dict:
    target, env = _libpq(database_url)
    engine = make_engine(database_url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            # pg_dump joins this transaction's snapshot: the dump and the figures read below
            # see the same committed state, whatever the site writes meanwhile.
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            result = subprocess.run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    "--schema=public",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    target,
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
            figures = table_figures(conn)
            conn.rollback()
    finally:
        engine.dispose()
    return figures


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            manifest = json.load(member)
    except (OSError, KeyError, tarfile.TarError, ValueError) as exc:
        raise BackupError(f"{archive} is not a Todoku backup ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: backup format {manifest.get('format')} is not {FORMAT}")
    return manifest


def restore(archive: Path, database_url: str, upload_dir: Path) -> Report:
    """Put the archive onto an empty database and photo folder, then check it against the
    manifest. Refuses (changing nothing) when the database holds any row."""
    archive = Path(archive)
    manifest = read_manifest(archive)
    dialect = make_url(database_url).get_backend_name()
    if manifest["dialect"] != dialect:
        raise BackupError(
            f"this backup is of a {manifest['dialect']} database; it cannot go onto {dialect}"
        )
    _refuse_unless_empty(database_url)
    _refuse_photo_clashes(manifest["photos"], upload_dir)
    with tempfile.TemporaryDirectory(prefix="todoku-restore-") as work:
        with tarfile.open(archive, "r:gz") as tar:
            # The "data" filter refuses absolute paths, "..", links and devices.
            tar.extractall(work, filter="data")
        dump = Path(work) / manifest["database"]
        if dialect == "sqlite":
            _load_sqlite(dump, database_url)
        else:
            _load_postgres(dump, database_url)
        upload_dir.mkdir(parents=True, exist_ok=True)
        for name in manifest["photos"]:
            destination = upload_dir / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(work) / PHOTOS / name, destination)
    return verify(manifest, database_url, upload_dir)


def verify(manifest: dict, database_url: str, upload_dir: Path) -> Report:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            figures = table_figures(conn)
    finally:
        engine.dispose()
    report = Report(tables=len(figures), rows=sum(t["rows"] for t in figures.values()), photos=0)
    for name, expected in manifest["tables"].items():
        if figures.get(name) != expected:
            report.problems.append(f"table {name}: {figures.get(name)} != {expected}")
    for name, digest in manifest["photos"].items():
        path = upload_dir / name
        if not path.is_file() or _file_sha256(path) != digest:
            report.problems.append(f"photo {name} is missing or differs")
        else:
            report.photos += 1
    return report


def _refuse_unless_empty(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            for table in SQLModel.metadata.sorted_tables:
                if table.name in present:
                    has_row = conn.execute(text(f'SELECT 1 FROM "{table.name}" LIMIT 1')).first()
                    if has_row:
                        raise BackupError(
                            f"the database is not empty (table {table.name} has rows); "
                            "restore goes onto an empty database only"
                        )
    finally:
        engine.dispose()


def _refuse_photo_clashes(photos: dict, upload_dir: Path) -> None:
    for name, digest in photos.items():
        path = upload_dir / name
        if path.exists() and (not path.is_file() or _file_sha256(path) != digest):
            raise BackupError(f"{path} exists with other content; restore into an empty folder")


def _load_sqlite(dump: Path, database_url: str) -> None:
    path = _sqlite_path(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(dump)
    target = sqlite3.connect(path)
    try:
        source.backup(target)  # replaces every page of the target: schema and rows
    finally:
        target.close()
        source.close()


def _load_postgres(dump: Path, database_url: str) -> None:
    target, env = _libpq(database_url)
    result = subprocess.run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            # Tables a release step already created (empty: checked above) are replaced.
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={target}",
            str(dump),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
