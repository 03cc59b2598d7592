"""Backup and restore as a round trip: the demo (with its return photos) backed up while the
app is open, restored onto an empty database and photo folder, and compared table by table,
row by row and photo by photo, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import create_app
from tests.conftest import BASE_PG_URL, PG_URL
from tracking.db import make_engine
from tracking.operations.backup import BackupError, read_manifest, table_figures


def _fresh_target(database_url: str, tmp_path: Path) -> str:
    """An empty database of the same kind as ``database_url``."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    name = make_url(PG_URL).database + "_restore"
    admin = make_engine(BASE_PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _contents(database_url: str) -> dict:
    """Every row of the tables a restore must bring back, read independently of the module
    under test: counts and the rows themselves, compared as text."""
    engine = make_engine(database_url)
    with engine.connect() as conn:
        found = {}
        for table in (
            "orders",
            "shipments",
            "tracking_events",
            "return_requests",
            "return_photos",
            "notifications",
        ):
            rows = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY id')).all()
            found[table] = [tuple(str(v) for v in row) for row in rows]
        found["revision"] = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    return found


def _photos(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.fixture
def uploads(app) -> Path:
    folder = Path(app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("ab" * 16 + ".jpg")).write_bytes(b"\xff\xd8 a photo \xff\xd9")
    return folder


def test_round_trip_restores_every_row_and_photo(app, demo, database_url, uploads, tmp_path):
    archive = tmp_path / "site.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    manifest = read_manifest(archive)
    assert manifest["tables"]["orders"]["rows"] > 0
    assert manifest["photos"], "the demo's return photos travel with the database"

    target = _fresh_target(database_url, tmp_path)
    restored_photos = tmp_path / "restored-uploads"
    # A second app on the empty database, as an operator would start one on a new machine.
    second = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": target,
            "SECRET_KEY": "t",
            "UPLOAD_DIR": str(restored_photos),
        }
    )
    result = second.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert "matches" in result.output

    assert _contents(target) == _contents(database_url)
    assert _photos(restored_photos) == _photos(uploads)
    source, copy = make_engine(database_url), make_engine(target)
    with source.connect() as a, copy.connect() as b:
        assert table_figures(a) == table_figures(b)
    source.dispose()
    copy.dispose()

    # A second restore onto the now-full database is refused and changes nothing.
    result = second.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code != 0
    assert "not empty" in result.output
    assert _contents(target) == _contents(database_url)


def test_a_copy_that_differs_from_its_manifest_is_reported(app, demo, database_url, tmp_path):
    from tracking.operations.backup import backup, restore

    archive = tmp_path / "site.tar.gz"
    backup(database_url, Path(app.config["UPLOAD_DIR"]), archive)
    # Tamper with the manifest: claim one order more than the dump holds.
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    manifest = json.loads(members["manifest.json"])
    manifest["tables"]["orders"]["rows"] += 1
    members["manifest.json"] = json.dumps(manifest).encode()
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(tampered, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    report = restore(tampered, _fresh_target(database_url, tmp_path), tmp_path / "photos")
    assert [p for p in report.problems if p.startswith("table orders")]


def test_a_backup_of_another_kind_of_database_is_refused(app, database_url, tmp_path):
    from tracking.operations.backup import backup, restore

    archive = tmp_path / "site.tar.gz"
    backup(database_url, tmp_path / "none", archive)
    other = (
        "postgresql+psycopg://nobody@127.0.0.1:1/none"
        if database_url.startswith("sqlite")
        else f"sqlite:///{tmp_path / 'x.sqlite3'}"
    )
    with pytest.raises(BackupError, match="cannot go onto"):
        restore(archive, other, tmp_path / "photos")


def test_not_a_backup_is_refused(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    with pytest.raises(BackupError, match="not a Todoku backup"):
        read_manifest(junk)
