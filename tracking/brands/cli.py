"""``flask brands check``, and what start-up does with broken brand files.

A staff member who edited a brand file runs ``flask --app app brands check`` (one line per
problem, in their language; exit status 1) before the change goes live. Start-up shows the
same lines and refuses to start instead of printing a traceback: the flask CLI here
(``refuse_cli_start``), gunicorn in ``on_starting`` (``tracking/operations/gunicorn_conf.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from tracking.brands.brand import BrandConfigError, brand_files, check_brand_file, load_brands
from tracking.brands.problems import LANGUAGES, N_, Problem, lines, staff_language, translations

CHECK_HINT = N_("Fix the lines above (docs/brand-config.md), then check with: %(command)s")
COMMAND = "flask --app app brands check"


@click.group("brands")
def brands_cli() -> None:
    """Brand files (brands/*.toml)."""


@brands_cli.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(LANGUAGES), help="Language of the lines (default: LANG).")
def check_command(files: tuple[Path, ...], lang: str | None) -> None:
    """Check brand files: one line per problem (file, key, what is wrong, a good value).

    With no FILE every configured brand file is checked. Exit status 1 when any has a problem."""
    lang = lang or staff_language()
    t = translations(lang)
    directory = Path(current_app.config["BRANDS_DIR"])
    paths = list(files) or brand_files(directory)
    production = current_app.config.get("TODOKU_ENV") == "production"
    if not paths:
        click.echo(Problem(str(directory), "", N_("no brand files (*.toml) here")).line(lang))
        sys.exit(1)
    failed = False
    for path in paths:
        _brand, problems = check_brand_file(path, production=production)
        if problems:
            failed = True
            click.echo("\n".join(lines(problems, lang)))
        else:
            click.echo(t.gettext(N_("%(file)s: ok")) % {"file": path})
    if not failed and not files:
        try:  # what only the set shows: a host name two brands claim
            load_brands(directory, production)
        except BrandConfigError as exc:
            failed = True
            click.echo("\n".join(lines(exc.problems, lang)))
    if failed:
        sys.exit(1)


def start_refusal(problems: list[Problem] | list[str], lang: str | None = None) -> str:
    """The message start-up shows instead of a traceback."""
    lang = lang or staff_language()
    shown = lines(problems, lang) if problems and isinstance(problems[0], Problem) else problems
    hint = translations(lang).gettext(CHECK_HINT) % {"command": COMMAND}
    return "\n".join([*shown, hint])


class _BrokenBrandsGroup(AppGroup):
    """``app.cli`` while the brand files are broken: only ``brands`` runs."""

    message = ""

    def get_command(self, ctx: click.Context, name: str):
        if name != "brands":
            click.echo(self.message, err=True)
            sys.exit(1)
        return super().get_command(ctx, name)


def refuse_cli_start(app, error: BrandConfigError) -> dict:
    """Called by ``create_app`` when the brand files have problems.

    Outside the flask CLI (tests, a gunicorn worker) the error is raised. Under it the problem
    lines are shown and the command refused, except ``flask brands …``, which gets an app
    without brands so a staff member can check the files they are fixing."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        raise error
    message = start_refusal(error.problems)
    if not isinstance(ctx.command, click.Group):  # flask run / shell / routes
        click.echo(message, err=True)
        sys.exit(1)
    group = _BrokenBrandsGroup(app.name)
    group.message = message
    app.cli = group
    return {}
