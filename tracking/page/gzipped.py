"""A cached page's gzip encoding, made mostly once: the page's shared text is deflated when the
page is rendered and kept with the cache entry (``page.rendered.Entry``); each serve deflates
only the per-visitor values (CSRF token, nonce, view token: a few hundred bytes) and joins the
pieces. Compressing the whole filled page on every serve cost about a third of a warm view.

Each piece is its own deflate run ended by a full flush, so the pieces join into one valid
deflate stream (RFC 1951: a full flush ends on a byte boundary and resets the window) that an
empty final block closes; the gzip trailer's CRC-32 is taken over the filled page (RFC 1952).
A side effect: no piece refers back into another, so the compressed size of a page never
depends on whether other text on it matches the visitor's CSRF token (BREACH).
"""

from __future__ import annotations

import struct
import zlib

# ID1 ID2, deflate, no flags, no modification time, no extra flags, unknown OS (RFC 1952).
HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# An empty final block with fixed codes: what closes the stream after the last full flush.
FINAL = b"\x03\x00"
LEVEL = 6


def deflate(data: bytes) -> bytes:
    """``data`` as one raw deflate run ending in a full flush (byte-aligned, window reset)."""
    run = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return run.compress(data) + run.flush(zlib.Z_FULL_FLUSH)


def join(pieces: list[bytes], plain: bytes) -> bytes:
    """The gzip member of ``plain``, whose deflated pieces (in order) are ``pieces``."""
    trailer = struct.pack("<II", zlib.crc32(plain), len(plain) & 0xFFFFFFFF)
    return b"".join((HEADER, *pieces, FINAL, trailer))
