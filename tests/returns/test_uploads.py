"""Photos: size, type, disguised scripts, decompression bombs, metadata stripped, random names
outside static/, and served only to staff of the brand."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from PIL import Image
from sqlmodel import select

from tests.factories import items_of, make_order
from tests.support.returns import jpeg, png
from tracking.returns import photos
from tracking.returns.models import ReturnPhoto


def _png_bomb(width=30000, height=30000) -> bytes:
    """A tiny PNG whose header claims 900 MP: one compressed row of zeros repeated."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = zlib.compress(b"\x00" * (width // 8 + 1) * 64, 9)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_jpeg_png_webp_are_reencoded_as_jpeg():
    webp = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(webp, "WEBP")
    for data in (jpeg(), png(), webp.getvalue()):
        out, w, h = photos.reencode(data)
        assert out[:3] == b"\xff\xd8\xff" and w > 0 and h > 0


def test_metadata_is_stripped():
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0131] = "GPS 35.6895N 139.6917E"  # Software: any text we planted
    data = jpeg(exif=exif.tobytes())
    assert b"SpyCam" in data
    out, _w, _h = photos.reencode(data)
    assert b"SpyCam" not in out and b"Exif" not in out and b"139.69" not in out


def test_oversized_file_is_refused():
    with pytest.raises(photos.PhotoError) as info:
        photos.reencode(b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024))
    assert info.value.code == "too_large"


@pytest.mark.parametrize(
    "data",
    [
        b"#!/bin/sh\nrm -rf /\n",
        b"%PDF-1.7\n...",
        b"GIF89a" + b"\0" * 20,
        # A "PNG" that is really a script: the signature, then a shell/HTML payload.
        b"\x89PNG\r\n\x1a\n<script>alert(1)</script>#!/bin/sh\n",
    ],
)
def test_wrong_types_and_disguised_scripts_are_refused(data):
    with pytest.raises(photos.PhotoError) as info:
        photos.reencode(data)
    assert info.value.code == "wrong_type"


def test_gif_is_not_accepted_even_when_valid():
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    with pytest.raises(photos.PhotoError):
        photos.reencode(out.getvalue())


def test_script_after_a_real_image_does_not_survive():
    data = png() + b"<?php system($_GET['c']); ?>"
    out, _w, _h = photos.reencode(data)
    assert b"<?php" not in out


def test_decompression_bomb_is_refused_without_decoding():
    bomb = _png_bomb()
    assert len(bomb) < 20_000
    with pytest.raises(photos.PhotoError) as info:
        photos.reencode(bomb)
    assert info.value.code == "too_many_pixels"


def test_just_over_our_pixel_limit_is_refused():
    with pytest.raises(photos.PhotoError) as info:
        photos.reencode(_png_bomb(8000, 5001))  # 40.008 MP, below Pillow's own limit
    assert info.value.code == "too_many_pixels"


def test_empty_file():
    with pytest.raises(photos.PhotoError):
        photos.reencode(b"")


# --- through the form ------------------------------------------------------------------------


@pytest.fixture
def upload_app(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app


def _post(client, session, order, token_for, files, reason="damaged"):
    url = f"/sakura-tea/o/{token_for(order)}/return"
    page = client.get(url).get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    yun, _ = items_of(session, order)
    data = {
        "key": key,
        f"qty-{yun.id}": "1",
        f"reason-{yun.id}": reason,
        f"resolution-{yun.id}": "refund",
        f"photos-{yun.id}": [(io.BytesIO(b), name) for b, name in files],
    }
    return client.post(url + "?lang=en", data=data, content_type="multipart/form-data")


def test_reason_needing_a_photo_without_one(upload_app, client, session, token_for):
    order = make_order(session)
    r = _post(client, session, order, token_for, [])
    assert r.status_code == 422 and "Please add the photos this reason needs." in r.get_data(True)


def test_photo_is_stored_outside_static_under_a_random_name(
    upload_app, client, session, token_for, tmp_path
):
    order = make_order(session)
    r = _post(client, session, order, token_for, [(jpeg(), "../../etc/passwd.jpg")])
    assert r.status_code == 303
    pic = session.exec(select(ReturnPhoto)).one()
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", pic.stored_name)
    stored = tmp_path / "uploads" / pic.stored_name
    assert stored.is_file() and stored.read_bytes()[:3] == b"\xff\xd8\xff"
    assert "static" not in str(stored)


def test_more_than_five_photos_per_item(upload_app, client, session, token_for):
    order = make_order(session)
    r = _post(client, session, order, token_for, [(jpeg(), f"{i}.jpg") for i in range(6)])
    assert r.status_code == 422 and "Up to 5 photos per item." in r.get_data(True)
    assert session.exec(select(ReturnPhoto)).first() is None


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (
            b"\x89PNG\r\n\x1a\n<script>alert(1)</script>",
            "Photos must be JPEG, PNG or WebP pictures.",
        ),
        (_png_bomb(), "A photo is too large to process."),
        (b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024), "A photo is larger than 10 MB."),
    ],
    # Named: pytest would spell the 10 MB blob out in the test id (40 MB per report).
    ids=["script-as-png", "png-bomb", "over-10-mb"],
)
def test_bad_uploads_through_the_form(upload_app, client, session, token_for, blob, message):
    order = make_order(session)
    r = _post(client, session, order, token_for, [(blob, "photo.png")])
    assert r.status_code == 422 and message in r.get_data(True)
    assert session.exec(select(ReturnPhoto)).first() is None
