"""tracking/'s root holds shared infrastructure and the feature packages only: new code goes into
the package it belongs to (docs/architecture.md says which), never a new flat module."""

from __future__ import annotations

from pathlib import Path

TRACKING = Path(__file__).resolve().parent.parent / "tracking"

INFRASTRUCTURE = {
    "__init__.py",
    "calendars.py",
    "config.py",
    "db.py",
    "errors.py",
    "extensions.py",
    "i18n.py",
    "migrate.py",
    "models.py",
    "normalize.py",
    "security.py",
    "templating.py",
    "timeutil.py",
}
PACKAGES = {
    "brands",
    "dashboard",
    "demo",
    "estimates",
    "mail",
    "orders",
    "page",
    "returns",
    "staff",
    "sync",
    "translations",
    "web",
}


def test_the_root_holds_only_infrastructure_and_feature_packages():
    modules = {p.name for p in TRACKING.glob("*.py")}
    assert modules - INFRASTRUCTURE == set(), "a new flat module: move it into its feature package"
    folders = {p.name for p in TRACKING.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders - PACKAGES == set(), "a new folder: add it to docs/architecture.md and here"


def test_every_feature_package_is_a_package():
    for name in PACKAGES - {"translations"}:
        assert (TRACKING / name / "__init__.py").is_file(), name
