"""Input checked at the door. Every request's path, query string and form fields pass one guard
before a view runs, JSON bodies are read by ``loads_json`` and CSV cells, webhook fields and API
values by ``check_text``/``check_tree``/``check_datetime``: NUL and other control characters,
lone surrogates, over-long values, integers no column holds and dates outside the calendar we
serve are refused with ``BadInput`` (a localized 400, or the API's JSON error with the field).

Why at the door: PostgreSQL refuses NUL in text and overflows on 64-bit integers, Python's
``datetime`` overflows at year 1 and 9999, and each of those surfaced as a 500 deep inside a
service. A refused request stores nothing.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

from flask import Blueprint, Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

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


class BoundedIntConverter(IntegerConverter):
    """``<int:id>`` that stops at INTEGER's maximum: a larger id cannot name a row, and
    PostgreSQL would fail the query instead of finding nothing (→ 404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


# Blueprint name → the config key of its body cap. Checked here, before anything else reads the
# body (this guard's own form parsing included): a webhook's signature is never computed over
# the 60 MiB a photo upload may send, and a chunked body without Content-Length stops at the cap.
_BODY_CAPS: dict[str, str] = {}


def cap_body(blueprint: Blueprint, config_key: str = "API_MAX_BODY_BYTES") -> None:
    _BODY_CAPS[blueprint.name] = config_key


def _cap_body() -> None:
    config_key = _BODY_CAPS.get(request.blueprint or "")
    if config_key is None:
        return
    cap = current_app.config[config_key]
    if request.content_length is not None and request.content_length > cap:
        raise RequestEntityTooLarge()
    # A chunked body has no length to check: read one byte past the cap (werkzeug's limited
    # stream stops there without a word) and keep what was read for the view.
    request.max_content_length = cap + 1
    if len(request.get_data(cache=True)) > cap:
        raise RequestEntityTooLarge()


def check_request() -> None:
    """The guard run before every view: body cap, path, query string and form fields."""
    _cap_body()
    check_text(request.path, "path", max_length=MAX_PATH)
    for key, value in request.args.items(multi=True):
        check_text(key, "query", max_length=200)
        check_text(value, key, max_length=MAX_QUERY_VALUE)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            check_text(key, "form", max_length=200)
            check_text(value, key, multiline=True, max_length=MAX_FORM_VALUE)
        for key, upload in request.files.items(multi=True):
            check_text(key, "form", max_length=200)
            check_text(upload.filename or "", key, max_length=500)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(check_request)
