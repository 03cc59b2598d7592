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
    check = 11 - sum(int(serial[i]) * w for i, w in enumerate(S10_WEIGHTS)) % 11
    return {10: "0", 11: "5"}.get(check, str(check))


def s10_valid(number: str) -> bool:
    """Two letters, 8-digit serial, check digit, ISO country code."""
    if not _S10.match(number):
        return False
    return s10_check_digit(number[2:10]) == number[10]


# ---------------------------------------------------------------------------------------------
# International check digits (UPS, FedEx, USPS). Kept together at the end of the file so the
# Japanese-carrier branch can add its own section without merge conflicts.
#
# Implemented from the published schemes (FedEx Ground label spec, USPS Pub. 199 IMpb mod 10)
# as cross-checked in several independent open-source validators; the unmaintained
# ``tracking-numbers`` package is deliberately not a dependency (see docs/carriers.md).
# ---------------------------------------------------------------------------------------------


def mod10_31_check_digit(body: str) -> str:
    """GS1-style mod 10: from the right, digits weigh 3, 1, 3, 1 … (USPS IMpb, FedEx Ground).

    Detects every single-digit error (3 and 1 are both coprime to 10)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def mod10_31_valid(number: str) -> bool:
    return len(number) >= 2 and number.isdigit() and mod10_31_check_digit(number[:-1]) == number[-1]


def fedex_express_check_digit(body: str) -> str:
    """FedEx Express 12-digit: from the right, weights 1, 3, 7 repeating; sum mod 11 mod 10.

    The final "mod 10" folds remainder 10 onto 0, so NOT every single-digit error is detected."""
    weights = (1, 3, 7)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(body)))
    return str(total % 11 % 10)


def fedex_valid(number: str) -> bool:
    """FedEx tracking numbers by length:

    - 12 digits: Express (1/3/7 mod 11);
    - 15 digits: Ground (mod 10, 3/1);
    - 20 digits: Ground Economy (SmartPost): an IMpb whose "92" prefix is not printed, so the
      mod 10 check runs over "92" + the number;
    - 22 digits starting "92": the same SmartPost number in full IMpb form (USPS delivers it, so
      it validates for ``usps`` too);
    - 22 digits starting "96": Ground barcode; the check covers the last 15 digits.

    Checked against FedEx's documented mock tracking numbers (tests/carriers/test_intl_numbers).
    A 20-digit mock starting "02" fits none of these and is not accepted (scheme unknown)."""
    if not number.isdigit():
        return False
    if len(number) == 12:
        return fedex_express_check_digit(number[:-1]) == number[-1]
    if len(number) == 15:
        return mod10_31_valid(number)
    if len(number) == 20:
        return mod10_31_valid("92" + number)
    if len(number) == 22 and number.startswith("92"):
        return mod10_31_valid(number)
    if len(number) == 22 and number.startswith("96"):
        return mod10_31_valid(number[7:])
    return False


def usps_impb_valid(number: str) -> bool:
    """USPS IMpb tracking numbers: 20–22 digits, mod 10 with weights 3/1 (Pub. 199)."""
    return 20 <= len(number) <= 22 and mod10_31_valid(number)
