"""``flask --app app privacy export|erase --brand SLUG --email ADDRESS`` (docs/privacy.md)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from tracking.db import get_session
from tracking.privacy import erase as erasing
from tracking.privacy.export import export
from tracking.privacy.subject import Subject


@click.group("privacy")
def privacy_cli() -> None:
    """Answer a customer's privacy request: what we hold about them, and erasing it."""


def _subject(brand: str, email: str) -> Subject:
    if brand not in current_app.extensions["todoku_brands"]:
        raise click.BadParameter(f"no brand {brand!r}", param_hint="--brand")
    subject = Subject.of(brand, email)
    if not subject.email:
        raise click.BadParameter("an address is needed", param_hint="--email")
    return subject


@privacy_cli.command("export")
@click.option("--brand", required=True)
@click.option("--email", required=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@with_appcontext
def export_command(brand: str, email: str, output: Path | None) -> None:
    """Print one JSON document of everything held about the person at this brand."""
    document = export(get_session(), _subject(brand, email))
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"{len(document['orders'])} orders written to {output}", err=True)
    else:
        click.echo(text)


@privacy_cli.command("erase")
@click.option("--brand", required=True)
@click.option("--email", required=True)
@click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
@with_appcontext
def erase_command(brand: str, email: str, dry_run: bool) -> None:
    """Blank the person's personal data, keeping what the shop's figures count."""
    session = get_session()
    erasure = erasing.erase_subject(
        session, _subject(brand, email), Path(current_app.config["UPLOAD_DIR"])
    )
    counts = ", ".join(f"{name} {n}" for name, n in erasure.counts().items())
    if dry_run:
        session.rollback()
        click.echo(f"Would erase: {counts} (dry run: nothing changed)")
        return
    session.commit()
    erasing.delete_files(erasure.photo_files)
    click.echo(f"Erased: {counts}")
