"""``flask --app app backup PATH`` and ``flask --app app restore PATH`` (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from tracking.operations.backup import BackupError, backup, restore
from tracking.page import cache as render_cache


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write one archive: the database (a consistent copy taken while the site runs), the
    uploaded photos and a manifest of what both contain."""
    config = current_app.config
    try:
        report = backup(config["DATABASE_URL"], Path(config["UPLOAD_DIR"]), path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Backed up {report.tables} tables ({report.rows} rows) and {report.photos} photos "
        f"to {path}"
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(path: Path) -> None:
    """Put a backup onto an empty database and photo folder, then check every table and photo
    against the backup's manifest. Run the release step (`flask db upgrade`) afterwards when
    the backup is older than the code."""
    config = current_app.config
    try:
        report = restore(path, config["DATABASE_URL"], Path(config["UPLOAD_DIR"]))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    for problem in report.problems:
        click.echo(f"MISMATCH {problem}", err=True)
    if report.problems:
        raise click.ClickException("the restored copy does not match the backup's manifest")
    render_cache.forget_all(current_app)
    click.echo(
        f"Restored {report.tables} tables ({report.rows} rows) and {report.photos} photos; "
        "every table and photo matches the backup's manifest"
    )
