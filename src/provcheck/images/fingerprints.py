"""Images, in one place: loading untrusted files safely, and the fingerprints matching compares.

Photographs come from sellers, registers and users' folders: any of them can be huge, truncated,
a decompression bomb, or not an image at all under a `.jpg` name. `load_image` refuses all of
those with one clear `InputError` and hands back an upright RGB image (EXIF orientation applied,
transparency flattened onto white, CMYK and 16-bit converted). Phone photographs in HEIC and AVIF
open like any other.

Fingerprints are perceptual hashes (64-bit pHash and dHash) of the image with its uniform borders
trimmed (a scan's margin, a seller's padding). They are computed once per image and travel with its
`ImageRef`. A register stores them as they are; a query also carries them for the image turned by
90, 180 and 270 degrees and mirrored (`phash@rot90`, `dhash@mirror-rot180`, ...), so that a
photograph taken on its side still meets its record.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import imagehash
import numpy as np
import pillow_heif
from PIL import Image, ImageChops, UnidentifiedImageError

from provcheck.errors import InputError
from provcheck.model.description import ImageRef

__all__ = [
    "DECODE_BUDGET_BYTES",
    "MAX_IMAGE_PIXELS",
    "WORKING_SIDE",
    "compute_fingerprints",
    "decoded_bytes",
    "find_artwork",
    "fingerprint_kind",
    "fingerprinted",
    "hamming",
    "load_image",
    "thumbnail_jpeg",
    "trim_borders",
]

pillow_heif.register_heif_opener()  # HEIC from phones; AVIF is built into Pillow

MAX_IMAGE_PIXELS = 80_000_000  # a 100-megapixel camera's raw frame is the most a photo needs
_TOO_LARGE = (
    f"the limit is {MAX_IMAGE_PIXELS:,} pixels (a decompression bomb, or far larger than needed)"
)
# Hashing looks at a few dozen pixels: decoding a JPEG at reduced scale costs nothing in quality.
_HASH_DECODE_SIDE = 512
# The largest side anything after decoding looks at (the stored copy, local features): larger
# JPEGs are decoded at a reduced scale, which is several times faster for a phone's 12 MP.
WORKING_SIDE = 768
_OUTLINE_SUPPORT = 0.85  # share of an artwork's outline that must lie on an edge


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


def trim_borders(image: Image.Image, *, tolerance: int = 24) -> Image.Image:
    """The image without uniform margins, trimmed until none is left (a mat inside a margin)."""
    for _ in range(3):
        trimmed = _trim_once(image, tolerance)
        if trimmed is image:
            break
        image = trimmed
    return image


def _trim_once(image: Image.Image, tolerance: int) -> Image.Image:
    """One uniform margin off (a scan's border, a seller's padding, a mat).

    The border colour is read from the corners; nothing is trimmed when less than a quarter of the
    image would remain, since then the "border" is more likely the picture's own ground. The
    same trim applies to a register's image and to a query, so a picture on a plain ground is cut
    alike on both sides.
    """
    small = image.copy()
    small.thumbnail((256, 256))
    width, height = small.size
    corners = [
        small.getpixel(p)
        for p in ((0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1))
    ]
    background = tuple(sorted(channel)[1] for channel in zip(*corners, strict=True))
    difference = ImageChops.difference(small, Image.new("RGB", small.size, background)).convert("L")
    box = difference.point(lambda v: 255 if v > tolerance else 0).getbbox()
    if box is None or (box[2] - box[0]) * (box[3] - box[1]) < 0.25 * width * height:
        return image
    scale_x, scale_y = image.width / width, image.height / height
    full = (
        int(box[0] * scale_x),
        int(box[1] * scale_y),
        min(image.width, round(box[2] * scale_x)),
        min(image.height, round(box[3] * scale_y)),
    )
    return image.crop(full) if full != (0, 0, image.width, image.height) else image


def _hashes(image: Image.Image, suffix: str = "") -> dict[str, str]:
    return {
        f"phash{suffix}": str(imagehash.phash(image)),
        f"dhash{suffix}": str(imagehash.dhash(image)),
    }


# The turns and mirror images a photograph can come in: (name, transposition).
_VARIANTS: tuple[tuple[str, Image.Transpose | None, Image.Transpose | None], ...] = (
    ("rot90", Image.Transpose.ROTATE_90, None),
    ("rot180", Image.Transpose.ROTATE_180, None),
    ("rot270", Image.Transpose.ROTATE_270, None),
    ("mirror", None, Image.Transpose.FLIP_LEFT_RIGHT),
    ("mirror-rot90", Image.Transpose.ROTATE_90, Image.Transpose.FLIP_LEFT_RIGHT),
    ("mirror-rot180", Image.Transpose.ROTATE_180, Image.Transpose.FLIP_LEFT_RIGHT),
    ("mirror-rot270", Image.Transpose.ROTATE_270, Image.Transpose.FLIP_LEFT_RIGHT),
)


def compute_fingerprints(image: Image.Image, *, variants: bool = False) -> dict[str, str]:
    """Perceptual hashes of the image, borders trimmed, as hex strings by kind.

    With `variants`, also of its rotations and mirror images (keys `kind@variant`), and of the
    artwork found inside it, rectified (`kind@artwork`, `kind@artwork-rot90`, ...): for queries.
    """
    fingerprints = _oriented_hashes(image, "", variants=variants)
    if variants and (artwork := find_artwork(image)) is not None:
        fingerprints |= _oriented_hashes(artwork, "artwork", variants=True)
    return fingerprints


def _oriented_hashes(image: Image.Image, prefix: str, *, variants: bool) -> dict[str, str]:
    # The hashes look at 32 px (pHash) and 9 px (dHash): a 256 px copy gives the same answer at a
    # fraction of the cost, and the same copy serves every turn and mirror image.
    small = trim_borders(image).copy()
    small.thumbnail((256, 256), Image.Resampling.LANCZOS)
    fingerprints = _hashes(small, f"@{prefix}" if prefix else "")
    if variants:
        for name, turn, flip in _VARIANTS:
            turned = small.transpose(flip) if flip is not None else small
            turned = turned.transpose(turn) if turn is not None else turned
            fingerprints |= _hashes(turned, f"@{prefix}-{name}" if prefix else f"@{name}")
    return fingerprints


def find_artwork(image: Image.Image) -> Image.Image | None:
    """The picture inside a photograph of it, its perspective undone; None if none stands out.

    A seller photographs a painting on a wall, in its frame, from a step to the side: the whole
    photograph no longer hashes like the register's image, but the painting (or its frame) is
    still the largest convex four-sided outline in it. That outline is mapped back to a rectangle;
    a uniform frame left around the picture is trimmed by the hashing, as any border is.
    """
    small = image.convert("L")
    small.thumbnail((512, 512))
    pixels = np.asarray(small, dtype=np.uint8)
    height, width = pixels.shape
    edges = cv2.dilate(
        cv2.Canny(cv2.GaussianBlur(pixels, (5, 5), 0), 30, 90), np.ones((3, 3), np.uint8)
    )
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    best: tuple[float, np.ndarray] | None = None
    for contour in contours:
        hull = cv2.convexHull(contour)
        outline = cv2.approxPolyDP(hull, 0.03 * cv2.arcLength(hull, True), True)
        area = cv2.contourArea(outline)
        # Four corners, and neither a speck nor the photograph's own edge.
        is_candidate = len(outline) == 4 and 0.1 < area / (width * height) < 0.9
        if is_candidate and (best is None or area > best[0]) and _outlined(edges, outline):
            best = (area, outline)
    if best is None:
        return None
    corners = _clockwise(best[1]) * (image.width / width)
    top_left, top_right, bottom_right, bottom_left = corners
    out_width = int(
        max(np.linalg.norm(top_right - top_left), np.linalg.norm(bottom_right - bottom_left))
    )
    out_height = int(
        max(np.linalg.norm(bottom_left - top_left), np.linalg.norm(bottom_right - top_right))
    )
    if min(out_width, out_height) < 16:
        return None
    target = np.array(
        [[0, 0], [out_width, 0], [out_width, out_height], [0, out_height]], dtype=np.float32
    )
    mapping = cv2.getPerspectiveTransform(corners, target)
    pixels_rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return Image.fromarray(cv2.warpPerspective(pixels_rgb, mapping, (out_width, out_height)))


def _outlined(edges: np.ndarray, outline: np.ndarray) -> bool:
    """Is the outline an edge nearly all the way round, as a picture's border or a frame is? The
    hull of some shape inside a painting (a horizon, a tree line) bridges across open ground."""
    corners = outline.reshape(4, 2).astype(np.float64)
    on_edge = total = 0
    for start, end in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        steps = max(2, int(np.linalg.norm(end - start)))
        points = start + np.linspace(0.0, 1.0, steps)[:, None] * (end - start)
        xs = np.clip(points[:, 0].round().astype(int), 0, edges.shape[1] - 1)
        ys = np.clip(points[:, 1].round().astype(int), 0, edges.shape[0] - 1)
        on_edge += int(np.count_nonzero(edges[ys, xs]))
        total += steps
    return on_edge >= _OUTLINE_SUPPORT * total


def _clockwise(outline: np.ndarray) -> np.ndarray:
    """Four corners as top-left, top-right, bottom-right, bottom-left."""
    points = outline.reshape(4, 2).astype(np.float32)
    sums, differences = points.sum(axis=1), np.diff(points, axis=1).ravel()
    return np.array(
        [
            points[np.argmin(sums)],
            points[np.argmin(differences)],
            points[np.argmax(sums)],
            points[np.argmax(differences)],
        ],
        dtype=np.float32,
    )


def fingerprint_kind(key: str) -> tuple[str, str | None]:
    """`"phash@rot90"` -> (`"phash"`, `"rot90"`); `"phash"` -> (`"phash"`, None)."""
    kind, _, variant = key.partition("@")
    return kind, variant or None


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex fingerprints of the same kind."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def thumbnail_jpeg(image: Image.Image, *, max_side: int = WORKING_SIDE, quality: int = 85) -> bytes:
    """A bounded JPEG copy of an image, for the store and for reports."""
    copy = image.copy()
    copy.thumbnail((max_side, max_side))
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def fingerprinted(
    ref: ImageRef,
    *,
    variants: bool = False,
    base: Path | None = None,
    data: bytes | None = None,
) -> ImageRef:
    """`ref` with its content digest and fingerprints, computed once per distinct image.

    `variants` adds the hashes of its rotations and mirror images, as a query needs. `data` is
    the image's bytes when they were had another way (a photograph fetched from its URL).
    """
    if (
        ref.sha256
        and ref.fingerprints
        and (not variants or any("@" in k for k in ref.fingerprints))
    ):
        return ref
    if data is None:
        data = ref.read(base=base)
    digest = hashlib.sha256(data).hexdigest()
    fingerprints = dict(_fingerprints_of(digest, data, ref.location, variants))
    return ref.model_copy(update={"sha256": digest, "fingerprints": fingerprints})


# Fingerprints by content digest: the same photograph is decoded once per process.
_CACHE: dict[tuple[str, bool], tuple[tuple[str, str], ...]] = {}


def _fingerprints_of(
    digest: str, data: bytes, source: str, variants: bool
) -> tuple[tuple[str, str], ...]:
    cached = _CACHE.get((digest, variants))
    if cached is None:
        image = load_image(data, source=source, max_side=_HASH_DECODE_SIDE)
        cached = tuple(compute_fingerprints(image, variants=variants).items())
        if len(_CACHE) > 4096:
            _CACHE.clear()
        _CACHE[(digest, variants)] = cached
    return cached
