"""Captured failures: a live body that no parser could read is kept (redacted, size-capped) with
its carrier, number and error, shown to staff, and exported as a fixture for a new test.

Redaction runs before anything is stored: values under keys that carry people's data (names,
addresses, phones, e-mail, signatures) become ``"[redacted]"`` in JSON bodies, and e-mail
addresses, phone numbers and postcodes are masked in any body (HTML pages included). The number
itself is kept: it is what the fixture is about.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlmodel import Session, col, select

from tracking.sync.models import CapturedFailure

MAX_BODY = 64 * 1024
REDACTED = "[redacted]"
#: JSON keys (lower-cased, any depth) whose values are people's data.
SENSITIVE_KEYS = re.compile(
    r"(name|address|street|line1|line2|phone|tel|mobile|email|e_mail|mail|signed|signature|"
    r"recipient|consignee|receiver|contact|company|zip|postal|postcode)",
    re.IGNORECASE,
)
# Keys that match the pattern above but are about the carrier or the parcel, not a person.
_KEEP_KEYS = {"courier_name", "carrier_name", "provider_name", "name_en", "service_name"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w-])(\+?\d[\d -]{7,}\d)(?![\w-])")
_POSTCODE = re.compile(r"〒\s*\d{3}-?\d{4}|(?<!\d)\d{3}-\d{4}(?!\d)")


def redact_text(text: str, keep: str = "") -> str:
    text = _EMAIL.sub(REDACTED, text)
    text = _POSTCODE.sub(REDACTED, text)

    def phone(m: re.Match) -> str:
        digits = re.sub(r"\D", "", m[0])
        return m[0] if keep and digits == keep else REDACTED

    return _PHONE.sub(phone, text)


def _walk(value, keep: str):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            sensitive = SENSITIVE_KEYS.search(str(k)) and str(k).lower() not in _KEEP_KEYS
            if sensitive and isinstance(v, (str, int, float)) and v not in ("", None):
                out[k] = REDACTED
            elif sensitive and isinstance(v, (dict, list)):
                out[k] = _walk(v, keep) if _has_place(v) else REDACTED
            else:
                out[k] = _walk(v, keep)
        return out
    if isinstance(value, list):
        return [_walk(v, keep) for v in value]
    if isinstance(value, str):
        return redact_text(value, keep)
    return value


def _has_place(value) -> bool:
    """An address block of a scan (city/country) is kept, minus its street lines: the
    location of a scan is what a parser reads, not a person's data."""
    return isinstance(value, dict) and any(
        k in value for k in ("city", "countryCode", "country", "addressLocality")
    )


def redact(body: bytes, number: str = "") -> tuple[bytes, str]:
    """(redacted body, "json" or "html"). Bodies that are not UTF-8 are kept as their
    replacement-decoded text, masked the same way."""
    keep = re.sub(r"\D", "", number)
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return redact_text(text, keep).encode("utf-8"), "html"
    return json.dumps(_walk(data, keep), ensure_ascii=False, indent=1).encode("utf-8"), "json"


def capture(
    session: Session,
    carrier: str,
    number: str,
    body: bytes,
    error: str,
    shipment_id: int | None = None,
) -> CapturedFailure:
    """Store one failure (does not commit)."""
    clean, kind = redact(body, number)
    row = CapturedFailure(
        carrier=carrier[:32],
        tracking_number=number[:64],
        shipment_id=shipment_id,
        error=error[:500],
        body=clean[:MAX_BODY],
        body_size=len(body),
        content_type=kind,
    )
    session.add(row)
    return row


def recent(session: Session, limit: int = 50) -> list[CapturedFailure]:
    query = select(CapturedFailure).order_by(col(CapturedFailure.captured_at).desc())
    return list(session.exec(query.limit(limit)).all())


def export(session: Session, directory: Path, carrier: str | None = None) -> list[Path]:
    """Write each captured body as ``DIR/<carrier>/captured_<id>.<json|html>`` plus a
    ``cases.toml`` stub per carrier that the contract test loads once its expectations are
    filled in (until then each case says ``raises = "ParseFailed"``: what happened live)."""
    query = select(CapturedFailure).order_by(CapturedFailure.id)
    if carrier:
        query = query.where(CapturedFailure.carrier == carrier)
    written: list[Path] = []
    stubs: dict[str, list[str]] = {}
    for row in session.exec(query).all():
        folder = directory / row.carrier
        folder.mkdir(parents=True, exist_ok=True)
        name = f"captured_{row.id}.{row.content_type or 'json'}"
        (folder / name).write_bytes(row.body)
        written.append(folder / name)
        stubs.setdefault(row.carrier, []).append(
            "\n".join(
                [
                    f"# Captured {row.captured_at:%Y-%m-%d %H:%M} UTC: {row.error}",
                    f"# Body {row.body_size} bytes live"
                    + (", cut to the first 64 KiB" if row.body_size > MAX_BODY else "")
                    + ", redacted. Replace `raises` with the expected status once fixed.",
                    "[[case]]",
                    f'file = "{name}"',
                    f"number = {json.dumps(row.tracking_number)}",
                    'raises = "ParseFailed"',
                ]
            )
        )
    for code, cases in stubs.items():
        path = directory / code / "cases.toml"
        path.write_text("\n\n".join(cases) + "\n", encoding="utf-8")
        written.append(path)
    return written
