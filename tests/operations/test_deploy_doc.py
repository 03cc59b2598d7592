"""docs/deploy.md shows only what exists: every app command it runs (``flask --app app …``, or
the ``todoku`` wrapper it defines) is one of the app's commands, with options that command
takes, and every setting it names is one the code reads."""

from __future__ import annotations

import re

import click
import pytest

from tests.support import ROOT


def _joined(markdown: str) -> str:
    """The guide with each inline code span on one line (prose wraps them); code blocks as
    they are."""
    parts = markdown.split("```")
    for i in range(0, len(parts), 2):  # outside the fenced blocks
        parts[i] = re.sub(r"`[^`]+`", lambda m: " ".join(m.group(0).split()), parts[i])
    return "```".join(parts)


DOC = _joined((ROOT / "docs" / "deploy.md").read_text(encoding="utf-8"))
# What follows "flask --app app", "flask --app 'app:create_app()'" or the wrapper "todoku",
# up to the end of the command (a quote, a pipe, &&, a closing bracket or the line's end).
COMMAND = re.compile(
    r"(?:flask --app (?:app|'app:create_app\(\)')|(?:sudo -u todoku |^)todoku)"
    r" ([a-z][^`'\"|&;)\n]*)",
    re.MULTILINE,
)
SETTING = re.compile(
    r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9*]+)+)[`=]|^([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)=", re.M
)
# Read by what the project runs on, not by the app.
OUTSIDE = {"PATH"}


def commands() -> list[list[str]]:
    return [match.group(1).split() for match in COMMAND.finditer(DOC)]


def sources() -> str:
    files = [
        ROOT / "app.py",
        *(ROOT / "tracking").rglob("*.py"),
        *(ROOT / "carriers").rglob("*.py"),
    ]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


@pytest.fixture(scope="module")
def cli():
    from app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "t"})
    return app.cli


def resolve(cli, words: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = cli
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        found = command.commands.get(rest[0])
        assert found is not None, f"no command {rest[0]!r} in {' '.join(words)!r}"
        command, rest = found, rest[1:]
    assert not isinstance(command, click.Group), f"{' '.join(words)!r} names a group only"
    return command, rest


def test_the_guide_shows_the_commands_it_needs():
    shown = {" ".join(words[:2]) for words in commands()}
    for needed in ("db upgrade", "translate compile", "worker", "privacy export"):
        assert any(s.startswith(needed) for s in shown), needed
    assert any(words[0] == "backup" for words in commands())


def test_every_command_and_option_in_the_guide_exists(cli):
    for words in commands():
        command, rest = resolve(cli, words)
        options = {opt for param in command.params for opt in param.opts}
        for word in (w.strip("[]") for w in rest):
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"{word} is not an option of {words}"


def test_the_check_sees_a_made_up_command_or_option(cli):
    with pytest.raises(AssertionError, match="no command"):
        resolve(cli, ["orders", "frobnicate"])
    command, _rest = resolve(cli, ["privacy", "erase"])
    assert "--dry-run" in {o for p in command.params for o in p.opts}
    assert "--dry-runs" not in {o for p in command.params for o in p.opts}


def test_every_setting_in_the_guide_is_read_by_the_code():
    code = sources()
    names = {a or b for a, b in SETTING.findall(DOC)} - OUTSIDE
    assert {"SECRET_KEY", "TRUST_PROXY_HOPS", "WORKER_LEASE_SECONDS"} <= names
    missing = sorted(n for n in names if f'"{n.rstrip("*")}' not in code)
    assert not missing, missing
