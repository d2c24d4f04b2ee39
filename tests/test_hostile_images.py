"""Photographs that attack the reader: devices and FIFOs under an image's name, files that lie
about their size, small files that decode into gigabytes. Each ends in one clear line or in a
bounded amount of memory -- never in a hang or a MemoryError."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
from conftest import FIXTURES
from PIL import Image

from provcheck import ImageRef, ObjectDescription, check
from provcheck.cli import main
from provcheck.errors import InputError
from provcheck.images.fingerprints import compute_fingerprints, fingerprinted
from provcheck.images.loading import DECODE_BUDGET_BYTES, decoded_bytes, load_image
from provcheck.userfiles import read_bounded

PHOTO = FIXTURES / "queries" / "dealer-photo.jpg"

# -- read_bounded and ImageRef.read ------------------------------------------------------------


def test_read_bounded_reads_a_regular_file_up_to_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 10)
    assert read_bounded(path, 10, what="image") == b"x" * 10
    with pytest.raises(InputError, match=r"a\.bin: the image is larger than the limit of 9 bytes"):
        read_bounded(path, 9, what="image")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused_before_a_byte_is_read() -> None:
    with pytest.raises(InputError, match="/dev/zero: is not a regular file"):
        read_bounded(Path("/dev/zero"), 100, what="attachment")
    with pytest.raises(InputError, match="/dev/zero: is not a regular file"):
        ImageRef(path="/dev/zero").read()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    errors: list[InputError] = []

    def read() -> None:
        try:
            ImageRef(path=str(fifo)).read()
        except InputError as error:
            errors.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), "reading a FIFO hung"
    assert len(errors) == 1 and "is not a regular file" in str(errors[0])


def test_missing_files_and_folders_keep_their_messages(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such image file"):
        ImageRef(path=str(tmp_path / "nowhere.jpg")).read()
    with pytest.raises(InputError, match="is a folder"):
        ImageRef(path=str(tmp_path)).read()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_in_a_check_and_an_import_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--image", "/dev/zero", "--registry", "local"])
    err = capsys.readouterr().err
    assert code == 2 and "/dev/zero" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(InputError, match="/dev/zero: is not a regular file"):
        check({"images": ["/dev/zero"]}, ["local"])

    records = tmp_path / "records.jsonl"
    records.write_text(
        '{"record_id": "Z1", "status": "stolen", "description": '
        '{"title": "Zero", "images": [{"path": "/dev/zero"}]}}\n'
    )
    code = main(["local", "import", str(records)])
    err = capsys.readouterr().err
    assert code == 2 and "/dev/zero: is not a regular file" in err


# -- decoding within a memory budget -----------------------------------------------------------


def sixteen_bit_rgba_png(side: int) -> bytes:
    """A flat 16-bit RGBA PNG: a few hundred KB that decode into side*side*4 bytes and more."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    compressor = zlib.compressobj(6)
    plain = b"\0" + bytes(side * 8)
    striped = b"\0" + bytes([0x40, 0x80] * (side * 4))
    body = (
        b"".join(compressor.compress(striped if y % 97 == 0 else plain) for y in range(side))
        + compressor.flush()
    )
    header = struct.pack(">IIBBBBB", side, side, 16, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


_MEASURE = """
import resource, sys
from provcheck import ImageRef
from provcheck.images.fingerprints import fingerprinted
from provcheck.images.verification import features_for
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ref = fingerprinted(ImageRef(path=sys.argv[1]), variants=True)
features_for(ref)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KB is Linux's")
def test_a_small_png_that_decodes_large_stays_within_its_budget(tmp_path: Path) -> None:
    """6,000 x 6,000 16-bit RGBA: 144 MB decoded. Converted at full size, as before, it took
    over 700 MB more; decoded, reduced at once and converted at the working size, well under
    300 MB."""
    path = tmp_path / "big16.png"
    path.write_bytes(sixteen_bit_rgba_png(6000))
    assert path.stat().st_size < 2_000_000
    run = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=True
    )
    grown_mb = int(run.stdout.strip())
    assert grown_mb < 300, f"peak memory grew by {grown_mb} MB"


def test_a_large_image_decodes_at_the_working_size_and_still_matches(tmp_path: Path) -> None:
    big = Image.open(PHOTO).convert("RGB").resize((6000, 4500))  # 108 MB decoded
    out = io.BytesIO()
    big.save(out, format="PNG", compress_level=1)
    image = load_image(out.getvalue(), source="big.png", max_side=512)
    assert 512 <= max(image.size) < 1024 and image.mode == "RGB"
    small = load_image(PHOTO.read_bytes(), source="photo.jpg", max_side=512)
    ours, theirs = compute_fingerprints(image), compute_fingerprints(small)
    assert (int(ours["phash"], 16) ^ int(theirs["phash"], 16)).bit_count() <= 6


def test_exif_orientation_survives_the_early_reduction() -> None:
    image = Image.new("RGB", (2000, 1000), (250, 250, 250))
    exif = Image.Exif()
    exif[0x0112] = 6  # turned 90 degrees: shown upright, it is taller than wide
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    loaded = load_image(out.getvalue(), source="turned.jpg", max_side=256)
    assert loaded.height > loaded.width


def test_decoded_size_is_budgeted_by_mode() -> None:
    assert decoded_bytes("L", (1000, 1000)) == 1_000_000
    assert decoded_bytes("I;16", (1000, 1000)) == 2_000_000
    assert decoded_bytes("RGB", (1000, 1000)) == 4_000_000  # Pillow keeps RGB in 4 bytes
    assert decoded_bytes("RGBA", (8900, 8900)) <= DECODE_BUDGET_BYTES


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("trunc.jpg", PHOTO.read_bytes()[:5000], "damaged or truncated image"),
        ("text.jpg", b"this is not an image at all", "not a readable image"),
    ],
)
def test_truncated_and_false_images_are_one_line(name: str, data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as raised:
        fingerprinted(ImageRef(data=data), variants=True)
    assert len(str(raised.value).splitlines()) == 1


def test_a_png_under_a_jpg_name_is_read_as_what_it_is(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.open(PHOTO).save(out, format="PNG")
    wrong = tmp_path / "photo.jpg"
    wrong.write_bytes(out.getvalue())
    assert fingerprinted(ImageRef(path=str(wrong))).fingerprints


def test_a_decompression_bomb_is_refused_without_decoding(tmp_path: Path) -> None:
    bomb = Image.new("1", (12_000, 12_000))  # 144 megapixels in a few KB
    out = io.BytesIO()
    bomb.save(out, format="PNG")
    started = time.perf_counter()
    with pytest.raises(InputError, match="decompression bomb"):
        load_image(out.getvalue(), source="bomb.png", max_side=512)
    assert time.perf_counter() - started < 2.0


def test_query_images_through_the_check_are_bounded_too() -> None:
    description = ObjectDescription(images=[PHOTO])
    assert description.images[0].read()[:2] == b"\xff\xd8"
