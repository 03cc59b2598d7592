"""``flask --app app carriers check CODE NUMBER`` and ``carriers list``: operator tools.

Failures (no credentials, no network, unknown number) print one line and exit 1: an operator
wants the reason, not a traceback.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from . import REGISTRY, CarrierError, get, normalize
from .account import installation
from .model import TrackingResult

carriers_cli = AppGroup("carriers", help="Carrier adapters: list them, check a number live.")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(1)


def _when(value) -> str:
    return value.isoformat() if value is not None else "-"


def render(result: TrackingResult) -> str:
    lines = [
        f"{result.carrier} {result.tracking_number}: {result.status.value}"
        + (f" ({result.sub_status})" if result.sub_status else ""),
    ]
    if result.raw_status:
        lines.append(f"  carrier says: {result.raw_status}")
    edd = result.estimated_delivery
    if edd:
        lines.append(f"  estimated delivery: {_when(edd.start)} – {_when(edd.end)}")
    if result.delivered_at:
        lines.append(f"  delivered at: {_when(result.delivered_at)}")
    lines.append(f"  events ({len(result.events)}, newest first):")
    for e in result.events:
        place = f" @ {e.location}" if e.location else ""
        lines.append(
            f"    {_when(e.occurred_at)}  {e.status.value:<20} {e.description}{place}"
            f"  [{e.raw_code}]"
        )
    return "\n".join(lines)


@carriers_cli.command("check")
@click.argument("code")
@click.argument("number")
@click.option("--carrier", default=None, help="For aggregators: the underlying carrier code.")
def check_command(code: str, number: str, carrier: str | None) -> None:
    """Fetch NUMBER live from carrier CODE and print the normalized result."""
    try:
        adapter = get(code)
    except CarrierError as exc:
        _fail(f"{exc} (known: {', '.join(sorted(REGISTRY))})")
    clean = normalize(number)
    if not getattr(adapter, "accepts_any", False) and not adapter.validate(clean):
        click.echo(f"warning: {clean} does not look like a {adapter.name} number", err=True)
    context = {"carrier": carrier} if carrier else {}
    try:
        result = adapter.track(clean, **context)
    except NotImplementedError:
        _fail(f"{code} has no live tracking yet")
    except CarrierError as exc:
        _fail(f"{code} {clean}: {exc.__class__.__name__}: {exc}")
    click.echo(render(result))


@carriers_cli.command("list")
def list_command() -> None:
    """Every registered carrier: code, names, and whether its credentials are set."""
    for code in sorted(REGISTRY):
        adapter = REGISTRY[code]
        needed = adapter.credentials
        if not needed:
            creds = "not needed"
        else:
            ready = installation(adapter).complete
            creds = ("yes" if ready else "no") + f" ({', '.join(needed)})"
        kind = "aggregator" if getattr(adapter, "accepts_any", False) else "carrier"
        click.echo(
            f"{code:<10} {kind:<10} {adapter.name} / {adapter.display_name('ja')}"
            f"  credentials: {creds}"
        )
