"""Return submissions and photo bytes for the returns, admin and API tests (orders come from
tests/factories.py)."""

from __future__ import annotations

import io

from PIL import Image

from tracking.returns.policy import LineInput
from tracking.returns.submission import Submission


def submission(key: str, *lines: tuple, bank: dict | None = None, photos=None) -> Submission:
    """``lines``: (item_id, qty, reason, resolution[, variant])."""
    return Submission(
        key=key,
        lines=[LineInput(*line) for line in lines],
        bank=bank or {},
        photos=photos or {},
    )


def jpeg(size=(64, 48), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", size, (200, 40, 40))
    if exif is not None:
        img.save(out, "JPEG", exif=exif)
    else:
        img.save(out, "JPEG")
    return out.getvalue()


def png(size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()
