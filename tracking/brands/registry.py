"""The brands an app serves, re-read when a brand file changes: no restart after an edit.

At most every ``BRANDS_RELOAD_SECONDS`` a request looks at the brand files' modification times;
when one changed (or a file came or went) the whole directory is loaded again. A broken edit
keeps the last good configuration and logs the problem lines once, so a typo never takes a
shop's pages down."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path

from tracking.brands.brand import Brand, BrandConfigError, brand_files, load_brands
from tracking.brands.problems import lines, staff_language

log = logging.getLogger(__name__)

#: Further checks of a loaded set (a mail secret or carrier variable a brand names is missing):
#: their problem lines, empty when fine.
ExtraCheck = Callable[[dict[str, Brand]], list[str]]


class BrandRegistry(MutableMapping[str, Brand]):
    """slug → Brand, like the dict it replaces; reading it may reload the files first. (Setting
    a brand, as tests do, lasts until the files next change.)"""

    def __init__(
        self,
        directory: str | Path,
        reload_seconds: float | None,
        check: ExtraCheck | None = None,
        demo: bool = True,
        production: bool = False,
    ):
        self.directory = Path(directory)
        self.reload_seconds = reload_seconds  # None: never reload
        self._check = check or (lambda brands: [])
        # Reentrant: the reload's own log lines go through the request log filter, which reads
        # the brands (tracking.monitoring.logs) — a plain lock hung the request that reloaded.
        self._lock = threading.RLock()
        self._stamps = self._read_stamps()
        self.demo = demo  # False: brands marked ``demo = true`` are not served
        self.production = production  # webhooks over https only
        self._brands = self._served(
            load_brands(self.directory, production)
        )  # a problem stops start-up
        self._next_look = time.monotonic() + (reload_seconds or 0)

    def _served(self, brands: dict[str, Brand]) -> dict[str, Brand]:
        if self.demo:
            return brands
        return {slug: brand for slug, brand in brands.items() if not brand.demo}

    def _read_stamps(self) -> dict[str, int]:
        try:
            return {p.name: p.stat().st_mtime_ns for p in brand_files(self.directory)}
        except OSError:
            return {}

    def refresh(self) -> None:
        """Reload when a file changed since the last look (throttled by ``reload_seconds``)."""
        if self.reload_seconds is None or time.monotonic() < self._next_look:
            return
        with self._lock:
            if time.monotonic() < self._next_look:
                return
            self._next_look = time.monotonic() + self.reload_seconds
            stamps = self._read_stamps()
            if stamps == self._stamps:
                return
            self._stamps = stamps  # a broken edit is reported once, not on every look
            try:
                brands = self._served(load_brands(self.directory, self.production))
                problems = self._check(brands)
            except BrandConfigError as exc:
                problems = lines(exc.problems, staff_language())
            if problems:
                log.error(
                    "Brand files changed but have problems; still serving the last good "
                    "configuration:\n%s",
                    "\n".join(problems),
                )
                return
            self._brands = brands
            log.info("Brand files reloaded: %s", ", ".join(sorted(brands)))

    def _current(self) -> dict[str, Brand]:
        self.refresh()
        return self._brands

    def __getitem__(self, slug: str) -> Brand:
        return self._current()[slug]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def __setitem__(self, slug: str, brand: Brand) -> None:
        self._brands = {**self._brands, slug: brand}

    def __delitem__(self, slug: str) -> None:
        self._brands = {k: v for k, v in self._brands.items() if k != slug}
