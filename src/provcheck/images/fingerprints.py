"""Fingerprints: perceptual hashes (64-bit pHash and dHash) of a photograph with its uniform
borders trimmed (a scan's margin, a seller's padding), and finding the artwork inside a
photograph. They are computed once per image and travel with its `ImageRef`. A register stores
them as they are; a query also carries them for the image turned by 90, 180 and 270 degrees and
mirrored (`phash@rot90`, `dhash@mirror-rot180`, ...), so that a photograph taken on its side still
meets its record.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import imagehash
import numpy as np
from PIL import Image, ImageChops

from provcheck.images.loading import load_image
from provcheck.model.description import ImageRef

__all__ = [
    "compute_fingerprints",
    "find_artwork",
    "fingerprint_kind",
    "fingerprinted",
    "hamming",
    "trim_borders",
]

# Hashing looks at a few dozen pixels: decoding a JPEG at reduced scale costs nothing in quality.
_HASH_DECODE_SIDE = 512


_OUTLINE_SUPPORT = 0.85  # share of an artwork's outline that must lie on an edge


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
