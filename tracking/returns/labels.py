"""Prepaid return labels: the PDF staff upload for one return, and the brand's shared label file.

An upload is checked to be a PDF (its header and end-of-file marker, a size limit) and stored in
``UPLOAD_DIR`` under a random name, like the return photos; it is served only on the return's
signed status page and to the brand's staff, as a download (never rendered by us)."""

from __future__ import annotations

import contextlib
import re
import secrets
from datetime import datetime
from pathlib import Path

from flask import current_app, send_file
from sqlalchemy import update
from sqlmodel import Session, col

from tracking.brands.brand import Brand
from tracking.orders.models import Order
from tracking.returns.models import ReturnEvent, ReturnRequest
from tracking.returns.notify import notify_update
from tracking.returns.photos import upload_dir
from tracking.timeutil import utcnow

MAX_BYTES = 5 * 1024 * 1024  # a carrier label is a page or two: tens of kilobytes
_STORED = re.compile(r"[0-9a-f]{32}\.pdf")


class LabelError(ValueError):
    """``code``: empty, too_large, not_pdf, stale."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def check(data: bytes) -> bytes:
    """``data`` if it is a PDF we accept as a label, else ``LabelError``."""
    if not data:
        raise LabelError("empty")
    if len(data) > MAX_BYTES:
        raise LabelError("too_large")
    # A PDF starts with its header and ends with %%EOF (trailing whitespace allowed); a picture,
    # an HTML page or an executable renamed .pdf does neither.
    if not data.startswith(b"%PDF-1.") and not data.startswith(b"%PDF-2."):
        raise LabelError("not_pdf")
    if b"%%EOF" not in data[-1024:]:
        raise LabelError("not_pdf")
    return data


def path_of(directory: Path, stored_name: str) -> Path:
    # Stored names are ours (hex + .pdf); refuse anything else rather than join it into a path.
    if not _STORED.fullmatch(stored_name):
        raise FileNotFoundError(stored_name)
    return directory / stored_name


def attach(
    session: Session,
    brand: Brand,
    rr: ReturnRequest,
    data: bytes,
    *,
    actor: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ReturnRequest:
    """Store ``data`` as the return's label (replacing an earlier one) and record it in the
    return's history. A stale ``expected_version`` is ``LabelError("stale")``."""
    if rr.brand != brand.slug:
        raise LabelError("stale")
    check(data)
    now = now or utcnow()
    expected = rr.version if expected_version is None else expected_version
    directory = upload_dir()
    name = f"{secrets.token_hex(16)}.pdf"  # 128 random bits; the uploaded file's name is ignored
    (directory / name).write_bytes(data)
    result = session.exec(
        update(ReturnRequest)
        .where(col(ReturnRequest.id) == rr.id, col(ReturnRequest.version) == expected)
        .values(label_name=name, version=expected + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        (directory / name).unlink(missing_ok=True)
        raise LabelError("stale")
    previous = rr.label_name
    session.add(ReturnEvent(return_id=rr.id, action="label", actor=actor[:254], created_at=now))
    rr.label_name, rr.version, rr.updated_at = name, expected + 1, now
    order = session.get(Order, rr.order_id)
    if order is not None and rr.status == "approved":
        # Once per upload, while the customer is to send the parcel (before approval the page
        # shows no label yet; once sent, a label is of no use to them).
        notify_update(session, brand, rr, order, "label", now=now)
    session.commit()
    if previous:
        # The customer downloads the newest only; the old file would be an orphan.
        with contextlib.suppress(FileNotFoundError):
            path_of(directory, previous).unlink(missing_ok=True)
    return rr


def uploaded(rr: ReturnRequest) -> Path | None:
    """The return's uploaded label file, if there is one on disk."""
    if not rr.label_name:
        return None
    try:
        path = path_of(upload_dir(), rr.label_name)
    except FileNotFoundError:
        return None
    return path if path.is_file() else None


def shared(brand: Brand) -> Path | None:
    """The brand's shared label (``[returns.shipping] shared_label``) in the brands' assets."""
    name = brand.returns.shipping.shared_label
    if not name or Path(name).name != name:
        return None
    path = Path(current_app.config["BRANDS_DIR"]) / "assets" / name
    return path if path.is_file() else None


def download(path: Path, filename: str):
    """The label as a download: never shown inline, never sniffed as anything else."""
    response = send_file(
        path, mimetype="application/pdf", as_attachment=True, download_name=filename
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
