"""page.gzipped: deflated pieces joined into one gzip member that any decoder reads back."""

from __future__ import annotations

import gzip
import zlib

import pytest

from tracking.page import gzipped


@pytest.mark.parametrize(
    "pieces",
    [["<html>" * 500, "token-1", "</html>" * 300], ["", "x", ""], ["só 日本語 " * 100]],
)
def test_joined_pieces_are_one_valid_gzip_member(pieces):
    plain = "".join(pieces).encode()
    body = gzipped.join([gzipped.deflate(p.encode()) for p in pieces], plain)
    assert gzip.decompress(body) == plain  # checks the CRC-32 and the length
    assert zlib.decompressobj(wbits=31).decompress(body) == plain
    if len(plain) > 2000:
        assert len(body) < len(plain) / 4


def test_a_wrong_trailer_is_caught():
    """The trailer is what a decoder checks: one made for other text fails."""
    pieces = ["a" * 100, "b" * 100]
    body = gzipped.join([gzipped.deflate(p.encode()) for p in pieces], b"c" * 200)
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(body)
