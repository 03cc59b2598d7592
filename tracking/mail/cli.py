"""``flask --app app coupons``: import a brand's pool of unique coupon codes, count what is left."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from tracking.db import get_session
from tracking.mail import coupons


@click.group("coupons")
def coupons_cli() -> None:
    """Coupon pools: the delivered and follow-up mails' coupons, returns' store-credit codes."""


def _brand(slug: str) -> str:
    if slug not in current_app.extensions["todoku_brands"]:
        raise click.BadParameter(f"no brand {slug!r}", param_hint="BRAND")
    return slug


PURPOSE = click.option(
    "--purpose",
    type=click.Choice(coupons.PURPOSES),
    default="coupon",
    show_default=True,
    help="coupon: the mails' next-purchase codes; store_credit: codes for returns' store credit",
)


@coupons_cli.command("import")
@click.argument("brand")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@PURPOSE
@with_appcontext
def import_command(brand: str, csv_file, purpose: str) -> None:
    """Add the codes in CSV_FILE (one per line, first column) to BRAND's pool."""
    added, dupes, problems = coupons.import_csv(
        get_session(), _brand(brand), csv_file.read(), purpose
    )
    for problem in problems:
        click.echo(f"skipped {problem}", err=True)
    left, issued = coupons.remaining(get_session(), brand, purpose)
    click.echo(f"{added} codes added, {dupes} already in the pool; {left} left, {issued} issued.")


@coupons_cli.command("remaining")
@click.argument("brand")
@PURPOSE
@with_appcontext
def remaining_command(brand: str, purpose: str) -> None:
    """How many codes of BRAND's pool are left and issued."""
    left, issued = coupons.remaining(get_session(), _brand(brand), purpose)
    click.echo(f"{left} left, {issued} issued.")
