"""Image bytes of any kind, and valid photographs damaged: an upright RGB image or one `InputError`."""

from __future__ import annotations

from conftest import image_bytes
from fuzzing import fuzz
from hypothesis import example, given
from hypothesis import strategies as st

from provcheck.errors import InputError
from provcheck.images.fingerprints import compute_fingerprints
from provcheck.images.loading import load_image

SEEDS = {
    "png": image_bytes(format="PNG"),
    "jpeg": image_bytes(format="JPEG"),
    "gif": image_bytes(format="GIF"),
    "webp": image_bytes(format="WEBP"),
}


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A valid image with bytes flipped, cut short, dropped or spliced in."""
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        where = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "drop", "insert"]))
        if action == "flip":
            data[where] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[max(where, 8) :]
        elif action == "drop":
            del data[where : where + draw(st.integers(1, 64))]
        else:
            data[where:where] = draw(st.binary(min_size=1, max_size=64))
    return bytes(data)


def _load(data: bytes) -> None:
    try:
        image = load_image(data, source="photo.jpg")
    except InputError as error:
        assert str(error).startswith("photo.jpg: ") and "\n" not in str(error)
        return
    assert image.mode == "RGB" and image.width > 0 and image.height > 0
    assert compute_fingerprints(image)


@fuzz(300)
@given(st.binary(max_size=512))
@example(b"")
@example(b"\x89PNG\r\n\x1a\n")
@example(b"\xff\xd8\xff")
@example(b"GIF89a")
@example(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
def test_loading_any_bytes(data: bytes) -> None:
    _load(data)


@fuzz(300)
@given(damaged())
@example(SEEDS["png"][:40])
@example(SEEDS["jpeg"][: len(SEEDS["jpeg"]) // 2])
def test_loading_damaged_images(data: bytes) -> None:
    _load(data)
