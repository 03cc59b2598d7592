"""What people and systems send us, normalised and checked at the door.

Normalised: full-width characters, the many dash look-alikes, spaces; the one email rule every
entry point (forms, API, imports, webhooks, the outbox) applies.

Checked: the request guard (tracking/web) runs ``check_text`` over every path, query string and
form field; JSON bodies are read by ``loads_json``; CSV cells, webhook fields and API values go
through ``text_problem``/``check_tree``/``check_datetime``. NUL and other control characters,
lone surrogates, over-long values, integers no column holds and dates outside the calendar we
serve are refused with ``BadInput`` (a localized 400, or the API's JSON error with the field).
Why at the door: PostgreSQL refuses NUL in text and overflows on 64-bit integers, Python's
``datetime`` overflows at year 1 and 9999, and each of those surfaced as a 500 deep inside a
service. A refused request stores nothing."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, date, datetime

from email_validator import EmailNotValidError, validate_email

from carriers.numbers import DASHES

_DASH = re.compile(f"[{re.escape(DASHES)}]")
_SPACE = re.compile(r"\s+")


class NotOneAddress(ValueError):
    """Not exactly one email address (a list, a display name, a quoted local part, junk)."""


def clean(text: str | None) -> str:
    """NFKC (full-width → half-width), every dash variant → '-', spaces trimmed and folded."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _DASH.sub("-", text)
    return _SPACE.sub(" ", text).strip()


def order_number(text: str | None) -> str:
    return clean(text).replace(" ", "").upper()


def email(text: str | None) -> str:
    """The compared and stored form of an address (lookups compare what customers type)."""
    return clean(text).replace(" ", "").lower()


def email_address(text: str | None) -> str:
    """Exactly one deliverable-looking address, in ``email``'s form; ``NotOneAddress`` else.

    email-validator refuses what would become a second recipient in ``To:`` (``a@x,b@y``,
    ``a@x;b@y``, ``Name <a@x>``, quoted local parts) and special-use domains. No DNS lookup:
    the check must not depend on the network, and masked addresses such as Rakuten's
    ``…@pc.fw.rakuten.ne.jp`` stay accepted."""
    value = email(text)
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise NotOneAddress(str(exc)) from None
    return value


def is_one_address(text: str | None) -> bool:
    try:
        email_address(text)
    except NotOneAddress:
        return False
    return True


def postcode(text: str | None) -> str:
    """Postcodes compared without separators or the 〒 mark: 150-0001 == １５０ー０００１."""
    return re.sub(r"[^0-9A-Z]", "", clean(text).upper())


_PHONE = re.compile(r"\+?[0-9()\- ]+")
PHONE_DIGITS = (6, 20)  # a short internal number .. an international one with an extension


def phone(text: str | None) -> str:
    """A phone number as stored and shown: half-width (０３−１２３４−５６７８ → 03-1234-5678),
    every dash look-alike and the katakana ー a hyphen, spaces folded. The hyphens are kept:
    where a Japanese number splits depends on its area code, which we could not restore."""
    value = clean(text)
    value = re.sub(r"\s*-\s*", "-", value)
    return value


def is_phone(text: str | None) -> bool:
    """``phone(text)`` is digits (and + - ( ) spaces) with 6 to 20 digits."""
    value = phone(text)
    digits = sum(c.isdigit() for c in value)
    return bool(_PHONE.fullmatch(value)) and PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]


# Tab, newline and carriage return are allowed only where a text area allows them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

MAX_QUERY_VALUE = 2_000  # a search box, a filter, a cursor
MAX_FORM_VALUE = 20_000  # the longest text area (a return note, a reply) is far shorter
MAX_PATH = 2_000
MAX_JSON_DEPTH = 32
# The widest integer column is BIGINT; ids in paths are INTEGER.
MAX_BIGINT = 2**63 - 1
MAX_INT = 2**31 - 1
# Shop events happen in this century; the calendar's edges overflow on conversion.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class BadInput(ValueError):
    """A value refused at the door: ``code`` is stable (API clients branch on it), ``field``
    names where it was."""

    def __init__(self, code: str, field: str | None = None):
        super().__init__(f"{code}: {field}")
        self.code = code
        self.field = field


def text_problem(value: str, *, multiline: bool = False, max_length: int | None = None):
    """The code of what is wrong with ``value``, or None."""
    if _SURROGATE.search(value):
        return "invalid_text"
    if (_CONTROL if multiline else _LINE_CONTROL).search(value):
        return "control_character"
    if max_length is not None and len(value) > max_length:
        return "too_long"
    return None


def check_text(
    value: str, field: str | None = None, *, multiline: bool = False, max_length: int | None = None
) -> str:
    problem = text_problem(value, multiline=multiline, max_length=max_length)
    if problem:
        raise BadInput(problem, field)
    return value


def check_int(value: int, field: str | None = None, *, maximum: int = MAX_BIGINT) -> int:
    if not -maximum - 1 <= value <= maximum:
        raise BadInput("number_out_of_range", field)
    return value


def check_datetime(value: datetime, field: str | None = None) -> datetime:
    """An aware time inside [1970, 2200); naive times are read as UTC."""
    try:
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        inside = EARLIEST <= aware <= LATEST
    except OverflowError:
        inside = False
    if not inside:
        raise BadInput("date_out_of_range", field)
    return value


def check_date(value: date, field: str | None = None) -> date:
    """A calendar day inside the same [1970, 2200) (a day filter, a requested delivery day)."""
    if not EARLIEST.date() <= value < LATEST.date():
        raise BadInput("date_out_of_range", field)
    return value


def day_or_none(value: str) -> date | None:
    """``YYYY-MM-DD`` (the first ten characters of what was sent) as a day we serve, else None:
    for filters, where an unusable value is dropped rather than refused."""
    try:
        return check_date(date.fromisoformat(value[:10]))
    except ValueError:
        return None


def check_tree(data, field: str | None = None, *, max_depth: int = MAX_JSON_DEPTH):
    """Every string and number of a parsed JSON document, iteratively (no recursion to blow),
    with the dotted path of the first bad value as its field."""
    stack = [(data, field, 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > max_depth:
            raise BadInput("too_deep", where)
        if isinstance(value, str):
            check_text(value, where, multiline=True)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            check_int(value, where)
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise BadInput("number_out_of_range", where)
        elif isinstance(value, dict):
            for key, item in value.items():
                check_text(key, where, max_length=200)
                stack.append((item, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((item, f"{where}.{index}" if where else str(index), depth + 1))
    return data


def loads_json(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH):
    """JSON parsed and checked: not JSON, too deep, NUL or a lone surrogate in any string
    (``\\u0000`` and ``\\ud800`` escapes included) or a number no column holds → ``BadInput``."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise BadInput("too_deep") from None
    except (ValueError, UnicodeDecodeError):
        raise BadInput("invalid_json") from None
    return check_tree(data, max_depth=max_depth)
