"""Tracking-number normalisation and check-digit schemes shared by several carriers."""

from __future__ import annotations

import re
import unicodedata

# Hyphen-like characters customers paste from mails and PDFs (long vowel mark included:
# Japanese IMEs often produce ー where a hyphen was meant).
DASHES = "\u002d\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d\ufe63\uff70"
_STRIP = re.compile(f"[\\s{re.escape(DASHES)}]+")


def normalize(number: str) -> str:
    """Full-width to half-width, drop spaces and dashes, upper-case letters."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", number or "")).upper()


def mod7_valid(number: str, length: int = 12) -> bool:
    """Japanese "7DR": the last digit is the preceding digits, as one integer, mod 7."""
    if len(number) != length or not number.isdigit():
        return False
    return int(number[:-1]) % 7 == int(number[-1])


def mod7_complete(body: str) -> str:
    """Append the mod-7 check digit to ``body``."""
    return body + str(int(body) % 7)


def ups_check_digit(body: str) -> str:
    """UPS 1Z check digit over the 15 characters after "1Z" (letters count as (ord-63) mod 10;
    even positions weigh 2)."""
    total = 0
    for i, ch in enumerate(body, start=1):
        value = int(ch) if ch.isdigit() else (ord(ch) - 63) % 10
        total += value * (2 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def ups_valid(number: str) -> bool:
    if len(number) != 18 or not number.startswith("1Z") or not number[2:].isalnum():
        return False
    return ups_check_digit(number[2:17]) == number[17]


def dhl_express_valid(number: str) -> bool:
    """DHL Express waybills: 10 digits, the last = first 9 mod 7."""
    return mod7_valid(number, length=10)


# UPU S10 (international postal items, e.g. EG725089303JP): weights over the 8 serial digits.
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_S10 = re.compile(r"^[A-Z]{2}\d{9}[A-Z]{2}$")


def s10_check_digit(serial: str) -> str:
    """C = 11 - (sum mod 11), with 10 -> 0 and 11 -> 5."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"S10 serial must be 8 digits, got {serial!r}")
    check = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: "0", 11: "5"}.get(check, str(check))


def s10_valid(number: str) -> bool:
    """Two letters, 8-digit serial, check digit, ISO country code."""
    if not _S10.match(number):
        return False
    return s10_check_digit(number[2:10]) == number[10]
