"""Running an import: parse the file in its format, validate each order against the intake
models, store it through the intake, and count created / updated / unchanged / failed.

Every failed row is reported with its file line, column and reason; valid rows are stored even
when others fail. A dry run does all the work in a transaction it then rolls back, so its
counts are exactly what the real import will do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlmodel import Session

from tracking.brands.brand import Brand
from tracking.orders import batch, intake
from tracking.orders.imports import (
    ImportFileError,
    ParsedOrder,
    ParsedShipment,
    RowError,
    decode,
    generic,
    header,
    messages,
    rakuten,
    rakuten_shipping,
    shopify,
)
from tracking.orders.schema import OrderIn, ShipmentIn

FORMATS = {
    "shopify": shopify,
    "rakuten": rakuten,
    "rakuten-shipping": rakuten_shipping,
    "generic": generic,
}
COMMIT_EVERY = 500


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    numbers: list[str] = field(default_factory=list)  # the first orders created or updated

    def count(self, result: str, number: str = "") -> None:
        setattr(self, result, getattr(self, result) + 1)
        if result != "unchanged" and number and len(self.numbers) < 50:
            self.numbers.append(number)

    def as_dict(self, max_errors: int = 200) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "dry_run": self.dry_run,
            "numbers": self.numbers,
            "errors": [
                [e.line, e.column, e.reason, e.number, e.code, e.params]
                for e in self.errors[:max_errors]
            ],
        }

    def summary(self) -> str:
        return (
            f"{'dry run: ' if self.dry_run else ''}{self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.failed} failed"
        )


def detect_format(raw: bytes) -> str | None:
    columns = header(decode(raw))
    for name in ("rakuten-shipping", "shopify", "generic", "rakuten"):
        if FORMATS[name].detect(columns):
            return name
    return None


def readable(raw: bytes, fmt: str) -> str:
    """The file's text when it can be imported as ``fmt``: decoded, its header within the caps
    and that of the format; ``ImportFileError`` (nothing stored) else."""
    if fmt not in FORMATS:
        raise ImportFileError(
            "unknown_format", f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}"
        )
    text = decode(raw)
    if not FORMATS[fmt].detect(header(text)):
        guess = detect_format(raw)
        hint = f"; it looks like a {guess} file" if guess else ""
        raise ImportFileError(
            "wrong_format", f"the header is not that of a {fmt} file{hint}", guess=guess or ""
        )
    return text


def _error_for(exc: ValidationError, parsed: ParsedOrder | ParsedShipment) -> RowError:
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    line = parsed.line if isinstance(parsed, ParsedShipment) else parsed.lines[0]
    if isinstance(parsed, ParsedOrder) and len(loc) >= 2 and loc[1].isdigit():
        lines = parsed.item_lines if loc[0] == "items" else parsed.shipment_lines
        if int(loc[1]) < len(lines):
            line = lines[int(loc[1])]
    name = loc[-1] if loc else ""
    if loc[:1] == ["items"] and name == "name":
        name = "name@item"
    column = parsed.columns.get(name) or parsed.columns.get(loc[0] if loc else "", name)
    code = first["type"]
    if code in ("string_too_short", "missing") and not first.get("input"):
        code = "empty"
    number = getattr(parsed, "number", "") or ""
    return RowError(line, column, first["msg"], number, code, messages.error_params(first))


def _value_at(data, loc: list[str]) -> dict:
    """The refused input under ``loc`` (``shipments.0.carrier``), as the message's value."""
    value = data
    for part in loc:
        if not part.isdigit():
            value = getattr(value, part, None)
        elif isinstance(value, list) and int(part) < len(value):
            value = value[int(part)]
        else:
            return {}
    return {"value": value} if isinstance(value, str) and value else {}


def run_import(
    session: Session,
    brand: Brand,
    fmt: str,
    raw: bytes,
    *,
    dry_run: bool = False,
    source: str = "",
    progress: Callable[[Report], None] | None = None,
    history: bool = False,
) -> Report:
    """Import ``raw`` as ``fmt``. ``history`` (``--no-mail``): every order the file names is
    marked ``Order.history``, so no trigger ever mails its customer (a backlog from before
    Todoku)."""
    text = readable(raw, fmt)
    module = FORMATS[fmt]
    report = Report(dry_run=dry_run)
    source = source or f"import:{fmt}"
    # Rows in file order: parser errors, parcels and orders; orders are stored in batches
    # (``orders.batch``), and the report is written in file order once a batch is stored.
    pending: list = []
    orders = 0
    for parsed in module.parse(text, brand.tz):
        pending.append(parsed)
        if isinstance(parsed, RowError):
            continue
        orders += 1
        if orders >= COMMIT_EVERY:
            _store_batch(session, brand, pending, source, report, history)
            pending, orders = [], 0
            if not dry_run:
                session.commit()
            if progress:
                progress(report)
    _store_batch(session, brand, pending, source, report, history)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return report


def _store_batch(session, brand, pending: list, source, report: Report, history: bool) -> None:
    """Store one batch and report each of its rows in file order."""
    valid: list[tuple[int, ParsedOrder, OrderIn]] = []
    parcels: list[tuple[int, ParsedShipment, ShipmentIn]] = []
    outcomes: dict[int, RowError | batch.Stored] = {}
    for position, parsed in enumerate(pending):
        if isinstance(parsed, RowError):
            continue
        model = OrderIn if isinstance(parsed, ParsedOrder) else ShipmentIn
        try:
            data = model.model_validate(parsed.data)
        except ValidationError as exc:
            error = _error_for(exc, parsed)
            if isinstance(parsed, ParsedOrder):
                error.number = str(parsed.data.get("number", ""))
            outcomes[position] = error
            continue
        (valid if model is OrderIn else parcels).append((position, parsed, data))
    stored = batch.upsert_orders(
        session, brand, [data for _, _, data in valid], source=source, history=history
    )
    for (position, parsed, data), result in zip(valid, stored, strict=True):
        outcomes[position] = (
            _intake_error(parsed, data, result)
            if isinstance(result, intake.IntakeError)
            else result
        )
    added = batch.add_parcels(
        session,
        brand,
        [(parsed.number, data) for _, parsed, data in parcels],
        source=source,
        history=history,
    )
    for (position, parsed, _data), result in zip(parcels, added, strict=True):
        outcomes[position] = _parcel_outcome(parsed, result)
    for position, parsed in enumerate(pending):
        outcome = parsed if isinstance(parsed, RowError) else outcomes[position]
        if isinstance(outcome, RowError):
            report.failed += 1
            report.errors.append(outcome)
        else:
            report.count(outcome.result, outcome.number)


def _parcel_outcome(parsed: ParsedShipment, result) -> RowError | batch.Stored:
    if result is None:
        return RowError(
            parsed.line,
            "注文番号",
            "no such order: import the order file first",
            parsed.number,
            "no_such_order",
            {"value": parsed.number},
        )
    if isinstance(result, intake.IntakeError):
        return RowError(
            parsed.line,
            parsed.columns.get("carrier", result.field),
            result.message,
            parsed.number,
            result.code,
            {"value": parsed.data.get("tracking_number", "")},
        )
    return result


def _intake_error(parsed: ParsedOrder, data: OrderIn, exc: intake.IntakeError) -> RowError:
    loc = exc.field.split(".")
    line = parsed.lines[0]
    if loc[:1] == ["shipments"] and len(loc) > 1 and int(loc[1]) < len(parsed.shipment_lines):
        line = parsed.shipment_lines[int(loc[1])]
    column = parsed.columns.get(loc[-1], loc[-1])
    return RowError(line, column, exc.message, data.number, exc.code, _value_at(data, loc))
