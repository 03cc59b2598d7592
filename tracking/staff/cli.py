"""``flask --app app staff …``: staff accounts and API keys."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from tracking.db import get_session
from tracking.staff.api_keys import create_api_key, list_api_keys, revoke_api_key
from tracking.staff.auth import MIN_PASSWORD, ROLES, StaffError, create_staff

staff_cli = AppGroup("staff", help="Staff accounts and API keys.")


def _check_brand(slug: str) -> str:
    if slug not in current_app.extensions["todoku_brands"]:
        raise click.BadParameter(f"no brand {slug!r}", param_hint="--brand")
    return slug


@staff_cli.command("create")
@click.option("--brand", required=True)
@click.option("--email", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help=f"At least {MIN_PASSWORD} characters; asked for when not given.",
)
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="staff",
    show_default=True,
    help="An owner also manages staff accounts, API keys and alert settings.",
)
def create_command(brand: str, email: str, password: str, role: str) -> None:
    """Create a staff account for BRAND."""
    try:
        user = create_staff(get_session(), _check_brand(brand), email, password, role)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{user.role} account {user.email} created for {brand}")


@staff_cli.command("api-key")
@click.option("--brand", required=True)
@click.option("--name", required=True, help="What uses the key, e.g. 'warehouse'.")
def api_key_command(brand: str, name: str) -> None:
    """Create an API key for BRAND (printed once)."""
    click.echo(create_api_key(get_session(), _check_brand(brand), name))


@staff_cli.command("revoke-key")
@click.option("--brand", required=True)
@click.argument("prefix")
def revoke_key_command(brand: str, prefix: str) -> None:
    """Revoke BRAND's API key PREFIX (the part after ``tdk_``, or the whole key)."""
    parts = prefix.split("_")
    prefix = parts[1] if len(parts) >= 3 and parts[0] == "tdk" else prefix
    row = revoke_api_key(get_session(), _check_brand(brand), prefix)
    if row is None:
        raise click.ClickException(f"{brand} has no API key {prefix!r}")
    click.echo(f"API key {row.prefix} ({row.name}) of {brand} is revoked")


@staff_cli.command("api-keys")
@click.option("--brand", required=True)
def list_keys_command(brand: str) -> None:
    """List BRAND's API keys: prefix, name, created, last used, revoked."""
    for row in list_api_keys(get_session(), _check_brand(brand)):
        used = row.last_used_at.isoformat(timespec="minutes") if row.last_used_at else "never"
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        click.echo(
            f"{row.prefix}  {row.name:<20} created {row.created_at:%Y-%m-%d}  used {used}  {state}"
        )
