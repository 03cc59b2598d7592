"""Check-digit properties: test only what each scheme actually guarantees."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

import carriers
from carriers.numbers import S10_WEIGHTS, mod7_complete, mod7_valid, s10_check_digit, s10_valid

digits = st.text(alphabet=string.digits, min_size=11, max_size=11)
digits10 = st.text(alphabet=string.digits, min_size=10, max_size=10)
serials = st.text(alphabet=string.digits, min_size=8, max_size=8)
letters2 = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=2)


@given(digits)
def test_any_mod7_completed_12_digit_number_validates(body):
    number = mod7_complete(body)
    for code in ("yamato", "sagawa", "japanpost"):
        assert carriers.get(code).validate(number), code


@given(digits10)
def test_registered_mail_11_digits_validates_for_japan_post(body):
    assert carriers.get("japanpost").validate(mod7_complete(body))


@given(digits, st.integers(0, 10), st.integers(-9, 9))
def test_mod7_detects_single_digit_changes_except_by_seven(body, position, delta):
    # Changing digit k by d changes the body by d * 10^k; 10^k mod 7 is never 0, so the change
    # is caught exactly when d is not a multiple of 7. Changes by +-7 (0<->7, 1<->8, 2<->9)
    # are invisible to mod 7: that is a property of the scheme, not a bug.
    number = mod7_complete(body)
    old = int(number[position])
    new = old + delta
    if delta == 0 or not 0 <= new <= 9:
        return
    changed = number[:position] + str(new) + number[position + 1 :]
    assert mod7_valid(changed) is (delta % 7 == 0)


@given(digits, st.integers(0, 9))
def test_mod7_rejects_any_other_check_digit(body, check):
    number = mod7_complete(body)
    if str(check) != number[-1]:
        assert not mod7_valid(number[:-1] + str(check))


def test_s10_known_examples():
    assert s10_valid("EG725089303JP")
    assert s10_valid("RB123456785GB")
    assert s10_check_digit("12345678") == "5"
    assert not s10_valid("EG725089304JP")
    assert not s10_valid("EG72508930JP")
    assert not s10_valid("1G725089303JP")


@given(letters2, serials)
def test_any_s10_number_with_its_check_digit_validates(prefix, serial):
    number = f"{prefix}{serial}{s10_check_digit(serial)}JP"
    assert s10_valid(number)
    assert carriers.get("japanpost").validate(number)
    assert not carriers.get("japanpost").validate(number[:-2] + "GB")  # not posted in Japan


def _residue(serial: str) -> int:
    return sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11


@given(letters2, serials, st.integers(0, 7), st.integers(0, 9))
def test_s10_detects_single_digit_changes_in_the_serial(prefix, serial, position, digit):
    # Every weight is non-zero mod 11 (11 is prime), so any single-digit change moves the
    # weighted sum's residue. The only blind spot: residues 0 and 6 both give check digit 5
    # (C = 11 -> 5 and C = 5), so a change between those two residues goes unnoticed. The
    # scheme guarantees detection in every other case, which is what we assert.
    changed = serial[:position] + str(digit) + serial[position + 1 :]
    if changed == serial:
        return
    assert _residue(changed) != _residue(serial)
    number = f"{prefix}{changed}{s10_check_digit(serial)}JP"
    if {_residue(serial), _residue(changed)} != {0, 6}:
        assert not s10_valid(number)


def test_s10_blind_spot_is_real():
    # 94113696 and 94113666 differ in one digit and share check digit 5.
    assert s10_check_digit("94113696") == s10_check_digit("94113666") == "5"


@given(st.text(alphabet=string.digits, min_size=10, max_size=10))
def test_seino_accepts_10_digits_format_only(number):
    assert carriers.get("seino").validate(number)


@given(st.text(alphabet=string.digits, min_size=11, max_size=12))
def test_fukuyama_accepts_11_or_12_digits_format_only(number):
    assert carriers.get("fukuyama").validate(number)


def test_format_only_adapters_reject_other_shapes():
    assert not carriers.get("seino").validate("123456789")
    assert not carriers.get("seino").validate("12345678AB")
    assert not carriers.get("fukuyama").validate("1234567890")
    assert not carriers.get("fukuyama").validate("1234567890123")


def test_detect_lists_every_jp_carrier_a_12_digit_number_fits():
    found = carriers.detect("4444-1375-8703")
    assert {"yamato", "sagawa", "japanpost", "fukuyama"} <= set(found)
    # Japan Post issued it; USPS also tracks S10 items once they reach the US.
    assert sorted(carriers.detect("EG725089303JP")) == ["japanpost", "usps"]
