"""pytest plugin for ``make mutation`` only (loaded through ``PYTEST_PLUGINS``; never in
``make test``): migrate SQLite once per mutation run instead of once per mutant.

mutmut forks one child per mutant and starts a new pytest session in it, so the session-scoped
``sqlite_template`` fixture (tests/conftest.py) ran the Alembic migrations again for every
mutant whose tests touch the database: about 8 s of a 10 s mutant on the shared machine. Here
the first migration to "head" is kept in a file and later ones copy it; the children inherit the
copy from the parent mutmut process. The fixture itself is untouched: it still calls
``migrate.upgrade`` and gets the same migrated file.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tracking import migrate

_ORIGINAL = migrate.upgrade
_MIGRATED: dict[str, Path] = {}


def _upgrade_once(url: str, revision: str = "head") -> None:
    prefix = "sqlite:///"
    if not (url.startswith(prefix) and revision == "head"):
        _ORIGINAL(url, revision)
        return
    if "head" not in _MIGRATED:
        migrated = Path(tempfile.mkdtemp(prefix="todoku-mutation-")) / "head.sqlite3"
        _ORIGINAL(f"{prefix}{migrated}", revision)
        _MIGRATED["head"] = migrated
    shutil.copy(_MIGRATED["head"], url[len(prefix) :])


def pytest_configure(config):
    migrate.upgrade = _upgrade_once
