"""What staff read about an import, in their language: a row error is a message id (its
``code``) and values (``params``: the cell as typed, a limit), worded here by Babel when it is
shown (the staff page in the staff member's language, the CLI in ``--lang``). The parser's and
pydantic's English (``RowError.reason``) is for the log only and never shown beside it."""

from __future__ import annotations

from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

FORMAT_LABELS = {
    "generic": _l("Todoku CSV (one row per item)"),
    "shopify": _l("Shopify order export"),
    "rakuten": _l("Rakuten RMS order file (受注データ)"),
    "rakuten-shipping": _l("Rakuten shipping report (発送完了報告)"),
}

# A row error's stable code → its message; a code not here reads as ``OTHER``.
REASONS = {
    "empty": _l("This cell is empty."),
    "missing": _l("This cell is empty."),
    "string_too_long": _l("Too long: at most %(max)s characters."),
    "too_long": _l("Too many entries: at most %(max)s."),
    "int_parsing": _l("Not a whole number."),
    "int_from_float": _l("Not a whole number."),
    "greater_than_equal": _l("Outside the allowed range."),
    "less_than_equal": _l("Outside the allowed range."),
    "value_error": _l("Not a valid value."),
    "bad_time": _l("Not a date and time Todoku can read."),
    "bad_date": _l("Not a date Todoku can read."),
    "bad_amount": _l("Not an amount."),
    "unknown_carrier": _l("Unknown carrier."),
    "ambiguous_carrier": _l("The tracking number fits several carriers: give the carrier."),
    "invalid_tracking_number": _l("Not a tracking number."),
    "duplicate_parcel": _l("This parcel is already on the order."),
    "unknown_sku": _l("The order has no item with this SKU."),
    "no_such_order": _l("No such order: import the order file first."),
    "invalid_email": _l(
        "Not exactly one email address: give one address, without commas or semicolons."
    ),
    "cell_too_long": _l("The cell is too long (at most %(limit)s characters)."),
    "cell_control_character": _l(
        "The cell contains a character that cannot be typed, such as NUL."
    ),
    "cell_invalid_text": _l("The cell contains text that is not valid Unicode."),
    "line_too_long": _l("The line is too long (at most %(limit)s characters); it was skipped."),
}
OTHER = _l("Not a valid value.")

MAX_SHOWN = 40  # characters of the cell shown beside the message
_LIMITS = {"max_length": "max", "min_length": "min", "ge": "min", "le": "max"}


def error_params(error: dict) -> dict:
    """The values of one pydantic error worth showing: the input as typed (text or a number,
    cut short) and the limit it broke. Never pydantic's message."""
    params = {}
    value = error.get("input")
    if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value):
        text = str(value)
        params["value"] = text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"
    for key, name in _LIMITS.items():
        limit = (error.get("ctx") or {}).get(key)
        if isinstance(limit, int | float) and not isinstance(limit, bool):
            params[name] = limit
    return params


class _Values(dict):
    def __missing__(self, key: str) -> str:  # a message naming a value the error lacks
        return "?"


def reason_text(code: str, params: dict | None = None) -> str:
    """The row error in the current locale: its message, numbers in the locale's form, then
    the cell as typed."""
    params = params or {}
    values = _Values(
        {
            k: format_decimal(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
            for k, v in params.items()
        }
    )
    text = str(REASONS.get(code, OTHER)) % values
    value = params.get("value")
    if value not in (None, "") and "%(value)s" not in str(REASONS.get(code, OTHER)):
        text = _("%(reason)s (%(value)s)", reason=text, value=value)
    return text


def lines_in(locale: str, errors: list, limit: int) -> list[str]:
    """The first ``limit`` row errors for the command line, worded in ``locale``."""
    with force_locale(locale):
        out = [
            _(
                "line %(line)s: %(column)s: %(reason)s",
                line=e.line,
                column=e.column or "-",
                reason=reason_text(e.code, e.params),
            )
            for e in errors[:limit]
        ]
        if len(errors) > limit:
            out.append(_("… and %(n)s more", n=format_decimal(len(errors) - limit)))
    return out


def file_error_in(locale: str, exc) -> str:
    """An ``ImportFileError`` for the command line, worded in ``locale``."""
    with force_locale(locale):
        return file_error_text(exc.code, exc.params)


def file_error_text(code: str, params: dict) -> str:
    """What staff read when a whole file is refused (``ImportFileError``'s code)."""
    if code == "undecodable":
        return _(
            "The file is not valid Shift_JIS or UTF-8 text (tried %(tried)s): line %(line)s "
            "holds bytes neither can read. Save it as UTF-8 or Shift_JIS (CP932) and upload it "
            "again.",
            tried=params.get("tried", ""),
            line=params.get("line", "?"),
        )
    if code == "header_too_long":
        return _("The first line (the column names) is too long: is this a CSV file?")
    if code == "bad_header":
        return _(
            "Column %(column)s of the first line is not a column name (too long, or a "
            "character that cannot be typed).",
            column=params.get("column", "?"),
        )
    if code == "too_many_columns":
        return _("The file has more than %(n)s columns.", n=params.get("limit", ""))
    if code == "wrong_format" and params.get("guess"):
        return _(
            "The columns are not those of the chosen kind of file; it looks like: %(kind)s.",
            kind=FORMAT_LABELS.get(params["guess"], params["guess"]),
        )
    if code == "wrong_format":
        return _("This file's columns match none of the formats.")
    if code == "gave_up":
        return _(
            "The worker stopped %(n)s times before this file was done (it was restarted, or "
            "ran out of memory), so it is not tried again. Orders it stored are kept; "
            "uploading the file again is safe (they count as unchanged). If it keeps "
            "happening, split the file.",
            n=params.get("n", "?"),
        )
    if code == "file_gone":
        return _("The file is no longer kept. Please upload it again.")
    return _("The file could not be imported. Please try again, or ask the administrator.")
