"""``flask --app app orders …``: import order and shipping files, print tracking links (one, or
the CSV of a date range)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from tracking.db import get_session
from tracking.orders import intake, sheets
from tracking.orders.imports import messages
from tracking.orders.imports.run import FORMATS, ImportFileError, run_import
from tracking.orders.links import LINKS_HEADER, links_between, tracking_link

orders_cli = AppGroup("orders", help="Import orders and shipments; print tracking links.")


def _brand(slug: str):
    brand = current_app.extensions["todoku_brands"].get(slug)
    if brand is None:
        raise click.BadParameter(f"no brand {slug!r}", param_hint="--brand")
    return brand


@orders_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--brand", required=True)
@click.option("--format", "fmt", required=True, type=click.Choice(list(FORMATS)))
@click.option("--dry-run", is_flag=True, help="Check and count, store nothing.")
@click.option("--max-errors", default=50, show_default=True, help="Errors to print.")
@click.option(
    "--lang",
    default="en",
    show_default=True,
    type=click.Choice(["en", "ja"]),
    help="Language of the error messages.",
)
@click.option(
    "--no-mail",
    is_flag=True,
    help="Import as history (orders from before Todoku): their customers are never mailed.",
)
def import_command(
    file: Path, brand: str, fmt: str, dry_run: bool, max_errors: int, lang: str, no_mail: bool
) -> None:
    """Import FILE (one of the formats in docs/import.md) into BRAND.

    Exits 1 when any row failed; the valid rows are imported all the same. Errors are
    worded in --lang."""
    try:
        report = run_import(
            get_session(),
            _brand(brand),
            fmt,
            file.read_bytes(),
            dry_run=dry_run,
            history=no_mail,
        )
    except ImportFileError as exc:
        raise click.ClickException(messages.file_error_in(lang, exc)) from None
    for line in messages.lines_in(lang, report.errors, max_errors):
        click.echo(line, err=True)
    click.echo(report.summary())
    if report.failed:
        raise SystemExit(1)


@orders_cli.command("link")
@click.argument("number")
@click.option("--brand", required=True)
def link_command(number: str, brand: str) -> None:
    """Print the signed tracking link of order NUMBER (from TODOKU_BASE_URL)."""
    order = intake.find(get_session(), _brand(brand).slug, number)
    if order is None:
        raise click.ClickException(f"{brand} has no order {number!r}")
    click.echo(tracking_link(order))


@orders_cli.command("links")
@click.option("--brand", required=True)
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--output", "-o", default="-", help="File to write (default: standard output).")
def links_command(brand: str, start, end, output: str) -> None:
    """CSV of order, carrier, tracking number and tracking link of every parcel BRAND shipped
    from --from to --to (shop-local days, both included): for Rakuten's 発送メール or a
    Shopify bulk edit."""
    b = _brand(brand)
    rows = links_between(get_session(), b, start.date(), end.date())
    with click.open_file(output, "wb") as out:  # bytes: the CRLF and BOM exactly as written
        out.write(sheets.csv_text(LINKS_HEADER, rows, b.tz).encode("utf-8"))
