"""Loading untrusted photographs safely.

Photographs come from sellers, registers and users' folders: any of them can be huge, truncated,
a decompression bomb, or not an image at all under a `.jpg` name. `load_image` refuses all of
those with one clear `InputError` and hands back an upright RGB image (EXIF orientation applied,
transparency flattened onto white, CMYK and 16-bit converted). Phone photographs in HEIC and AVIF
open like any other.
"""

from __future__ import annotations

import contextlib
import io
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pillow_heif
from PIL import Image, UnidentifiedImageError

from provcheck.errors import InputError

__all__ = [
    "DECODE_BUDGET_BYTES",
    "MAX_IMAGE_PIXELS",
    "WORKING_SIDE",
    "decoded_bytes",
    "load_image",
    "thumbnail_jpeg",
]

pillow_heif.register_heif_opener()  # HEIC from phones; AVIF is built into Pillow
MAX_IMAGE_PIXELS = 80_000_000  # a 100-megapixel camera's raw frame is the most a photo needs
_TOO_LARGE = (
    f"the limit is {MAX_IMAGE_PIXELS:,} pixels (a decompression bomb, or far larger than needed)"
)


# The largest side anything after decoding looks at (the stored copy, local features): larger
# JPEGs are decoded at a reduced scale, which is several times faster for a phone's 12 MP.
WORKING_SIDE = 768
# Decoded pixels in this process at once: the largest image allowed, at the 4 bytes a pixel
# Pillow keeps for RGB(A). Small photographs decode side by side; a batch of large ones decodes
# one at a time (a 8,900 x 8,900 PNG is 317 MB decoded, however small its file).
DECODE_BUDGET_BYTES = 4 * MAX_IMAGE_PIXELS
# Pillow allocates pixels in blocks of 16 MB, which glibc serves from per-thread arenas and
# keeps after they are freed: four threads that each decoded a large image once hold four
# images' memory. Blocks larger than glibc's largest mmap threshold (32 MB) are mapped and
# unmapped, so the memory of a decoded image goes back when it is freed.
_core: Any = getattr(Image, "core")  # noqa: B009  # Pillow's C module: untyped, not exported
_core.set_block_size(max(_core.get_block_size(), 64 * 1024 * 1024))


_STRIP_BYTES = 8 * 1024 * 1024  # pixels reduced at a time (see `_reduced`)


# Decoded images larger than this (a 16-megapixel RGB photograph) are reduced as they are decoded.
_REDUCE_ABOVE_BYTES = 64 * 1024 * 1024
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# EXIF orientation -> the transposition that shows the image upright (as ImageOps does).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def decoded_bytes(mode: str, size: tuple[int, int]) -> int:
    """Memory an image of this mode and size takes decoded (Pillow keeps every multi-band and
    32-bit mode in 4 bytes a pixel; 16-bit PNGs decode to such modes)."""
    return size[0] * size[1] * _BYTES_PER_PIXEL.get(mode, 4)


class _DecodeBudget:
    """Bytes of decoded pixels in this process at once: a decode waits until its share is free
    (one larger than the whole budget goes alone)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0
        self._free = threading.Condition()

    @contextlib.contextmanager
    def reserve(self, cost: int) -> Iterator[None]:
        with self._free:
            self._free.wait_for(lambda: self._used == 0 or self._used + cost <= self._limit)
            self._used += cost
        try:
            yield
        finally:
            with self._free:
                self._used -= cost
                self._free.notify_all()


_DECODING = _DecodeBudget(DECODE_BUDGET_BYTES)


def load_image(data: bytes, *, source: str, max_side: int | None = None) -> Image.Image:
    """Decode untrusted image bytes into an upright RGB image, or raise one clear `InputError`.

    With `max_side`, the image comes back no smaller than that on its longer side; a JPEG is
    reduced while decoding, and any image over 64 MB decoded as soon as it is decoded (box
    averaging, a strip at a time), so that converting and
    flattening (the costly part: a 16-bit RGBA PNG of 8,900 x 8,900 pixels took 2 GB converted
    at full size) happen at the working size.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            width, height = opened.size
            if width * height > MAX_IMAGE_PIXELS:
                raise InputError(f"{source}: image is {width}x{height} pixels; {_TOO_LARGE}")
            if max_side and opened.format == "JPEG":
                opened.draft("RGB", (max_side, max_side))
            with _DECODING.reserve(decoded_bytes(opened.mode, opened.size)):
                opened.load()
                orientation = _orientation(opened)  # a PNG's EXIF may follow its pixels
                image = _reduced(opened, max_side)
                del opened  # the full-size pixels go now, before any conversion
                if orientation in _UPRIGHT:
                    image = image.transpose(_UPRIGHT[orientation])
                return _as_rgb(image)
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{source}: image is too large to open; {_TOO_LARGE}") from None
    except UnidentifiedImageError as error:
        raise InputError(f"{source}: not a readable image ({_describe(error)})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise InputError(f"{source}: damaged or truncated image ({_describe(error)})") from None


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1 if none or unreadable: a damaged EXIF block is no reason to
    refuse a photograph)."""
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # Pillow raises many kinds for a malformed EXIF block
        return 1
    return value if isinstance(value, int) else 1


def _reduced(image: Image.Image, max_side: int | None) -> Image.Image:
    """The decoded image reduced by a whole factor (box averaging: cheap, and fine for what
    hashing and local features look at), its longer side still at least `max_side`.

    Reduced a strip at a time: Pillow reduces RGBA by way of a premultiplied full-size copy, and
    a palette image must become colours first -- either would double the memory of the largest
    images. A strip's copies take a few megabytes.
    """
    factor = max(image.size) // max_side if max_side else 1
    if factor < 2 or decoded_bytes(image.mode, image.size) <= _REDUCE_ABOVE_BYTES:
        # An ordinary photograph is resized later, with a finer filter than box averaging:
        # what its fingerprints and features are made of stays as it was.
        return image
    width, height = image.size
    mode = image.mode
    if mode in ("1", "P"):  # palette and bilevel pixels cannot be averaged
        mode = "RGBA" if mode == "P" and "transparency" in image.info else "RGB"
    rows = factor * max(1, _STRIP_BYTES // (width * 4 * factor))
    reduced = Image.new(mode, (-(-width // factor), -(-height // factor)))
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        if strip.mode != mode:
            strip = strip.convert(mode)
        try:
            small = strip.reduce(factor)
        except ValueError:  # a mode `reduce` does not take
            size = (-(-strip.width // factor), -(-strip.height // factor))
            small = strip.resize(size, Image.Resampling.BOX)
        reduced.paste(small, (0, top // factor))
    return reduced


def _describe(error: BaseException) -> str:
    text = str(error).split("\n")[0]
    text = text.replace(" <_io.BytesIO object", "").split(" at 0x")[0]
    return text[:160] or type(error).__name__


def _as_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and float greyscale: scale into 8 bits before converting.
        grey = image.convert("F")
        extrema = grey.getextrema()
        low, high = float(extrema[0]), float(extrema[1])  # type: ignore[arg-type]
        scale = 255.0 / (high - low) if high != low else 1.0
        return grey.point(lambda v: (v - low) * scale).convert("L").convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


def thumbnail_jpeg(image: Image.Image, *, max_side: int = WORKING_SIDE, quality: int = 85) -> bytes:
    """A bounded JPEG copy of an image, for the store and for reports."""
    copy = image.copy()
    copy.thumbnail((max_side, max_side))
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()
