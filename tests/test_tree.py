"""tracking/'s root holds shared infrastructure and the feature packages only: new code goes into
the package it belongs to (docs/architecture.md says which), never a new flat module. web/ holds
its shared helpers and the four sides only: customer, staff, api and hooks."""

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
    "normalize.py",
    "models.py",
    "security.py",
    "templating.py",
    "timeutil.py",
}
PACKAGES = {
    "addresses",
    "brands",
    "dashboard",
    "demo",
    "estimates",
    "line",
    "mail",
    "monitoring",
    "operations",
    "orders",
    "outbound",
    "page",
    "privacy",
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


WEB = TRACKING / "web"
WEB_SIDES = {"customer", "staff", "api", "hooks"}


def test_web_holds_only_its_shared_helpers_and_the_four_sides():
    modules = {p.name for p in WEB.glob("*.py")}
    assert modules == {"__init__.py"}, "a view module belongs to customer/, staff/, api/ or hooks/"
    folders = {p.name for p in WEB.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == WEB_SIDES, (
        "a new side of web/: add it here, to pyproject's contracts and docs"
    )
    for name in WEB_SIDES:
        assert (WEB / name / "__init__.py").is_file(), name


# A module past this many lines is doing several jobs: split it along its seams (the way
# returns/, mail/ and estimates/ were split) rather than raising the number.
MAX_LINES = 400


def modules_over(root: Path, limit: int = MAX_LINES) -> dict[str, int]:
    sizes = {
        str(p.relative_to(root.parent)): len(p.read_text().splitlines()) for p in root.rglob("*.py")
    }
    return {name: lines for name, lines in sorted(sizes.items()) if lines > limit}


def test_no_module_in_tracking_or_carriers_is_over_400_lines():
    for root in (TRACKING, TRACKING.parent / "carriers"):
        assert modules_over(root) == {}, "split the module along its seams"


def test_the_size_check_finds_a_long_module(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "short.py").write_text("x = 1\n" * MAX_LINES)
    (package / "sub" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    assert modules_over(package) == {"pkg/sub/long.py": MAX_LINES + 1}
