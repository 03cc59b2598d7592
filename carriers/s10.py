"""UPU S10 item identifiers (e.g. ``RB123456785GB``), used by USPS international mail.

Kept in its own module so the Japanese-carrier branch (which also needs S10) merges cleanly;
``carriers.numbers.s10_valid`` is preferred once it exists there.
"""

from __future__ import annotations

import re

_S10 = re.compile(r"^[A-Z]{2}\d{9}[A-Z]{2}$")
_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> str:
    """Check digit over the 8 serial digits: 11 − (Σ mod 11), 10 → 0, 11 → 5.

    Weights are all coprime to 11, so every single-digit change of the serial alters
    Σ mod 11; the 10 → 0 / 11 → 5 folding can still collide, so not every error is caught."""
    c = 11 - sum(int(d) * w for d, w in zip(serial, _WEIGHTS, strict=True)) % 11
    return {10: "0", 11: "5"}.get(c, str(c))


def s10_valid(number: str) -> bool:
    return bool(_S10.match(number)) and s10_check_digit(number[2:10]) == number[10]
