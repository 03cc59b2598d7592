"""Customer photos: checked, re-encoded (which drops metadata and anything smuggled in) and
stored under random names outside ``static/``. Only staff of the brand can fetch them."""

from __future__ import annotations

import io
import secrets
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a phone photo is ~12-50 MP; more is a pixel flood
MAX_SIDE = 2000  # stored size: enough to judge damage, small on disk
FORMATS = ["JPEG", "PNG", "WEBP"]


class PhotoError(ValueError):
    """``code`` is one of: too_large, wrong_type, too_many_pixels, empty."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def reencode(data: bytes) -> tuple[bytes, int, int]:
    """JPEG bytes of the picture in ``data`` (no EXIF, no GPS, no trailing payload)."""
    if not data:
        raise PhotoError("empty")
    if len(data) > MAX_BYTES:
        raise PhotoError("too_large")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 1× and 2× its limit: treat the warning as the error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise PhotoError("too_many_pixels")
                img.load()
                img = ImageOps.exif_transpose(img)
                img = img.convert("RGB")
                img.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                img.save(out, "JPEG", quality=85, optimize=True)
                return out.getvalue(), img.width, img.height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, PhotoError):
            raise
        raise PhotoError("wrong_type") from None


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(directory: Path, jpeg: bytes) -> str:
    name = f"{secrets.token_hex(16)}.jpg"  # 128 random bits; the customer's file name is ignored
    (directory / name).write_bytes(jpeg)
    return name


def path_of(directory: Path, stored_name: str) -> Path:
    # Stored names are ours (hex + .jpg); refuse anything else rather than join it into a path.
    if not (len(stored_name) == 36 and stored_name.endswith(".jpg")):
        raise FileNotFoundError(stored_name)
    return directory / stored_name
