from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from conftest import image_bytes
from PIL import Image

from provcheck import ImageRef, InputError
from provcheck.imaging import fingerprinted, hamming, load_image


def test_loads_an_image_as_rgb() -> None:
    image = load_image(image_bytes(format="JPEG"), source="x.jpg")
    assert image.mode == "RGB"
    assert image.size == (64, 48)


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size its data does not have: the shape of a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is a text file named photo.jpg", "x.jpg: not a readable image"),
        (image_bytes(format="JPEG")[:300], "x.jpg: damaged or truncated image"),
        (
            _png_claiming(100_000, 100_000),
            "x.jpg: image is too large to open; the limit is 80,000,000 pixels",
        ),
        (b"\x89PNG\r\n\x1a\n", "x.jpg: "),
    ],
    ids=["not-an-image", "truncated", "decompression-bomb", "header-only"],
)
def test_untrusted_images_fail_with_one_clear_line(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as raised:
        load_image(data, source="x.jpg")
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_missing_empty_and_folder_paths(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such image file"):
        fingerprinted(ImageRef(path=str(tmp_path / "missing.jpg")))
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        fingerprinted(ImageRef(path=str(tmp_path / "empty.jpg")))
    with pytest.raises(InputError, match="is a folder"):
        fingerprinted(ImageRef(path=str(tmp_path)))


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    data = image_bytes((60, 20), format="JPEG", exif=exif.tobytes())
    assert load_image(data, source="x").size == (20, 60)


def test_transparency_is_flattened_onto_white() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (4, 4), (255, 0, 0, 0)).save(out, format="PNG")
    image = load_image(out.getvalue(), source="x")
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize("mode", ["CMYK", "I;16", "L", "P"])
def test_other_modes_become_rgb(mode: str) -> None:
    out = io.BytesIO()
    image = (
        Image.new("RGB", (8, 8), (10, 200, 30)).convert(mode)
        if mode != "I;16"
        else Image.new("I;16", (8, 8), 4000)
    )
    image.save(out, format="TIFF" if mode == "CMYK" else "PNG")
    assert load_image(out.getvalue(), source="x").mode == "RGB"


def test_the_same_picture_recompressed_keeps_its_fingerprint() -> None:
    original = fingerprinted(ImageRef(data=image_bytes((256, 192), format="PNG")))
    small = Image.open(io.BytesIO(image_bytes((256, 192), format="PNG"))).resize((128, 96))
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=40)
    copy = fingerprinted(ImageRef(data=out.getvalue()))
    other = fingerprinted(ImageRef(data=image_bytes((256, 192), seed=99)))
    assert original.sha256 != copy.sha256
    assert hamming(original.fingerprints["phash"], copy.fingerprints["phash"]) <= 6
    assert hamming(original.fingerprints["phash"], other.fingerprints["phash"]) > 12


def test_fingerprinting_is_idempotent() -> None:
    ref = fingerprinted(ImageRef(data=image_bytes()))
    assert fingerprinted(ref) is ref
    assert set(ref.fingerprints) == {"phash", "dhash"}
