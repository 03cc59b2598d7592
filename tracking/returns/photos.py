"""Customer photos: checked, re-encoded (which drops metadata and anything smuggled in) and
stored under random names outside ``static/``. Only staff of the brand can fetch them."""

from __future__ import annotations

import io
import secrets
import struct
import warnings
from pathlib import Path

from flask import current_app
from PIL import ExifTags, Image, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a phone photo is ~12-50 MP; more is a pixel flood
MAX_SIDE = 2000  # stored size: enough to judge damage, small on disk
FORMATS = ["JPEG", "PNG", "WEBP"]
# What a malformed file (a broken EXIF block, a truncated stream) makes Pillow raise: every one
# of them means "not a picture we can re-encode", the form's validation error, never a 500.
UNREADABLE = (
    UnidentifiedImageError,
    OSError,
    EOFError,
    SyntaxError,
    ValueError,
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    ZeroDivisionError,
    struct.error,
)
# EXIF Orientation → the turn that makes the picture upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class PhotoError(ValueError):
    """``code`` is one of: too_large, wrong_type, too_many_pixels, empty."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def upright(img: Image.Image) -> Image.Image:
    """The picture turned as the camera's Orientation tag says. Only that one tag is read:
    ``ImageOps.exif_transpose`` also writes every other tag back, and one malformed tag (a
    float where a string belongs, a negative LONG) then fails the whole photo; the stored copy
    carries no EXIF anyway. An unreadable EXIF block leaves the picture as it is."""
    try:
        orientation = img.getexif().get(ExifTags.Base.Orientation, 1)
    except UNREADABLE:
        return img
    method = _UPRIGHT.get(orientation) if isinstance(orientation, int) else None
    return img.transpose(method) if method is not None else img


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
                img = upright(img)
                img = img.convert("RGB")
                img.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                img.save(out, "JPEG", quality=85, optimize=True)
                return out.getvalue(), img.width, img.height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError("too_many_pixels") from None
    except PhotoError:
        raise
    except UNREADABLE:
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
