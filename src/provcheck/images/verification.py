"""Geometric verification: do two photographs show the same flat object, by local features?

A perceptual hash says two images look alike as a whole; it cannot say that a cropped, tilted or
reframed photograph shows *this* painting rather than a similar one. ORB keypoints matched between
the two images and a RANSAC homography can: many matches that agree on one perspective mapping, and
a mapping that covers a good share of the register's image, are evidence that survives crops,
frames, rotation and perspective.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from provcheck.images import screens
from provcheck.images.loading import WORKING_SIDE, load_image
from provcheck.model.description import ImageRef

__all__ = [
    "GeometricMatch",
    "LocalFeatures",
    "features_for",
    "features_from_bytes",
    "features_of_bytes",
    "features_to_bytes",
    "local_features",
    "match_geometry",
    "matches_at_each_scale",
    "query_features",
    "query_readings",
    "remember_photograph",
    "retrieval_descriptors",
]

# Work size: enough detail for ORB on a painting, small enough to stay fast.
_SIDE = WORKING_SIDE
# ORB describes a patch of 31 pixels around each point, away from the edges: smaller is blank.
_MIN_SIDE = 64
_ENLARGED_BELOW = 400
# How often each of ORB's eight scales, finest first, is taken into a register's index.
_OCTAVE_SHARES = (35, 35, 30, 25, 20, 20, 20, 15)
_STRETCH_TAIL = 0.005  # the darkest and lightest half percent are let go (specks, glare)
_STRETCH_BELOW = 192  # grey levels spanned, of 256, below which an image is stretched
# A photograph is also described at about half the working side (`_ENLARGED_BELOW`, see
# `query_features`) once it is half as large again as that.
_HALVED_FROM = 600
_FEATURES = 1000
# A register's picture also keeps this many features where its strongest are few (`_filling`),
# drawn from this many (all ORB finds in most pictures at the working size, ~11 ms more an image).
REGISTER_FILLING = 750
_FILLING_DETECTED = 10000
_FILLING_GRID = 6
_RATIO = 0.8  # Lowe's ratio test: the best match must be clearly better than the second
_RANSAC_PIXELS = 6.0
_MAX_SQUASH = 3.0  # a view of a flat picture from up to ~70 degrees off-axis
# Below these a mapping is chance: a few random matches always agree on some homography.
CONFIRMING_INLIERS = 20
CONFIRMING_COVERAGE = 0.15
# Texture and matches below which the geometry cannot say either way (see `conclusive`).
_INCONCLUSIVE_MATCHES = 12
# Chance agreement on man-made structure (`GeometricMatch.structured_chance`): spread over less
# than this share of either picture, and fewer than this share of the matches (or, for fewer
# agreeing matches than `_CHANCE_FEW`, `_CHANCE_FEW_IN_SLIVER` within a sliver of both pictures,
# fewer than `_CHANCE_SHARE_OF_FEW`). Chosen on canvas backs
# with labels against each other, and on the benchmark's details, screens, prints and old
# photographs (`benchmarks/image_matching.py`): no two of 100 backs confirmed as one (a back
# photographed again agrees 129 to 259 times), 3 true matches of 451 lost. Two labels of one
# printed kind and typeface but other words can agree more often than most of their matches, in
# a sliver of both pictures (`_CHANCE_SLIVER`): 69 of 104 in 2% of either, in the several-views
# benchmark (58 at most in 1,438 other such pairs); a back photographed again whose matches lie
# in its label alone, 80 at the least (75 photographs). Beyond a sliver 80 would be too many: an
# old photograph of a stormy sea agreed 76 of 120 times, over 11% of it.
_CHANCE_SPREAD = 0.15
_CHANCE_SHARE = 0.6
_CHANCE_FEW = 60
_CHANCE_SHARE_OF_FEW = 0.75
_CHANCE_SLIVER = 0.05
_CHANCE_FEW_IN_SLIVER = 80
# A photograph covering less than this share of the record's picture shows a detail of it.
_WHOLE = 0.6
_TEXTURED = 200
_BLANK = 8


@dataclass(frozen=True)
class LocalFeatures:
    keypoints: np.ndarray  # N x 2 float32, in pixels of the work-size image
    descriptors: np.ndarray  # N x 32 uint8 (ORB)
    width: int
    height: int
    # How many of the last features fill the parts of a register's picture that its strongest
    # leave bare (`local_features(..., filling=...)`); none for a query's photograph.
    filling: int = 0

    def strongest(self) -> LocalFeatures:
        """These features without the filling."""
        if not self.filling:
            return self
        kept = len(self.descriptors) - self.filling
        return LocalFeatures(
            self.keypoints[:kept], self.descriptors[:kept], self.width, self.height
        )

    def filling_only(self) -> LocalFeatures:
        """The filling alone."""
        kept = len(self.descriptors) - self.filling
        return LocalFeatures(
            self.keypoints[kept:], self.descriptors[kept:], self.width, self.height
        )

    def indexed(self, count: int, filling: int) -> np.ndarray:
        """The `count` descriptors a register's retrieval index keeps of these: the first of the
        strongest, then up to `filling` of the filling."""
        strongest = len(self.descriptors) - self.filling
        filled = min(self.filling, filling, count)
        return np.concatenate(
            [
                self.descriptors[: min(strongest, count - filled)],
                self.descriptors[strongest : strongest + filled],
            ]
        )


def _no_features(width: int, height: int) -> LocalFeatures:
    """What a picture with nothing to describe has (a blank, a sliver, no screen to merge)."""
    return LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), width, height)


@dataclass(frozen=True)
class GeometricMatch:
    """How well one photograph maps onto another: agreeing matches and the share covered."""

    inliers: int
    matches: int
    coverage: float  # share of the register's image that the query's outline covers
    # How much texture each side had to match: two textured pictures of one thing share features.
    query_features: int = 0
    record_features: int = 0
    # The largest share of either picture that the agreeing matches span (their convex hull).
    spread: float = 1.0
    # Where the query's outline falls in the register's image: left, top, right, bottom, as
    # shares of its width and height (None when nothing maps).
    region: tuple[float, float, float, float] | None = None
    # Where the agreeing matches lie in the query's photograph: left, top, right, bottom, as
    # shares of its width and height (None when none agree).
    query_area: tuple[float, float, float, float] | None = None
    # Which of the query's photographs, and which of the record's, this is the mapping of.
    photograph: int = 0
    record_photograph: int = 0

    @property
    def confirmed(self) -> bool:
        # Many agreeing matches, or (in a small image) fewer that are most of all matches found:
        # chance matches agree with a mapping at a low rate, never most of them.
        consistent = self.inliers >= CONFIRMING_INLIERS or (
            self.inliers >= CONFIRMING_INLIERS // 2 and self.inliers >= 0.5 * self.matches
        )
        return consistent and self.coverage >= CONFIRMING_COVERAGE and not self.structured_chance

    @property
    def structured_chance(self) -> bool:
        """Agreement that man-made structure makes by chance: two canvases' stretcher bars, the
        boxes of two labels, a frame's mouldings. Their straight edges agree with one mapping,
        but they are a minority of the matches and lie along a few lines, in a sliver of either
        picture; a picture's own features agree over an area, or make up most of the matches."""
        if self.spread >= _CHANCE_SPREAD:
            return False
        few = _CHANCE_FEW_IN_SLIVER if self.spread < _CHANCE_SLIVER else _CHANCE_FEW
        return self.share < _CHANCE_SHARE or (
            self.inliers < few and self.share < _CHANCE_SHARE_OF_FEW
        )

    @property
    def share(self) -> float:
        """The share of the matches found that agree with the mapping."""
        return self.inliers / max(1, self.matches)

    @property
    def conclusive(self) -> bool:
        """Does the geometry say anything, confirmed or not? Few matches settle nothing when an
        image has little texture to match (a monochrome, a flat print); but two well-textured
        pictures of one thing always share more, and a photograph full of detail is not a copy of
        a picture with none at all (a blank, a blur)."""
        textures = (self.query_features, self.record_features)
        if max(textures) >= _TEXTURED and min(textures) < _BLANK:
            return True
        return self.matches >= _INCONCLUSIVE_MATCHES or min(textures) >= _TEXTURED

    @property
    def agreement(self) -> float:
        """The share of what the poorer of the two pictures could match that agrees: a copy
        agrees with nearly all of it, whatever the size of either picture."""
        return self.inliers / max(1, min(self.query_features, self.record_features))

    @property
    def overrules_likeness(self) -> bool:
        """Can this failed mapping overrule hashes that say "the same picture"? When both pictures
        had plenty to map (a copy of one would map onto the other), or one had nothing at all
        (a blank is no copy of a painting); not when one is a small, soft old photograph whose
        few features a new photograph barely meets."""
        textures = (self.query_features, self.record_features)
        return min(textures) >= _TEXTURED or (max(textures) >= _TEXTURED and min(textures) < _BLANK)

    @property
    def detail(self) -> str | None:
        """ "a detail: 22% of the work, top left" when the photograph shows part of the record's
        picture only; None when it shows the whole (or the mapping is not confirmed)."""
        if not self.confirmed or self.region is None or self.coverage >= _WHOLE:
            return None
        left, top, right, bottom = self.region
        across = _THIRDS[min(2, int(3 * (left + right) / 2))]
        down = _THIRDS_DOWN[min(2, int(3 * (top + bottom) / 2))]
        where = (
            "centre"
            if across == down == "centre"
            else " ".join(word for word in (down, across) if word != "centre")
        )
        return f"a detail: {self.coverage:.0%} of the work, {where}"

    @property
    def detail_over_an_area(self) -> bool:
        """Does this confirm a detail by many matches over an area, or by twice as many that are
        three in four of all found in a smaller one (a close photograph of the Lute Player's
        sleeve and violin beside a bare wall: 62 of 74 in 9% of either picture)? What a register
        picture's filling may confirm, and nothing else: its features lie on bare canvas and flat
        paint too, where two different objects agree more often (two canvas backs, 30 of 40
        matches in a sliver of either, 54% covered; an occluded Degas on another, 10 of 19, 72%
        covered)."""
        return (
            self.confirmed
            and self.inliers >= CONFIRMING_INLIERS
            and self.coverage < _WHOLE
            and (
                self.spread >= _CHANCE_SPREAD
                or (self.inliers >= 2 * CONFIRMING_INLIERS and self.share >= _CHANCE_SHARE_OF_FEW)
            )
        )

    def describe(self) -> str:
        verdict = "confirmed" if self.confirmed else "not confirmed"
        if self.structured_chance and not self.confirmed and self.inliers >= CONFIRMING_INLIERS:
            verdict = "not confirmed (they lie along a few lines, as chance structure does)"
        shown = f"; {self.detail}" if self.detail else ""
        return (
            f"{self.inliers} of {self.matches} feature matches agree, {self.coverage:.0%} "
            f"covered: {verdict}{shown}"
        )


_THIRDS = ("left", "centre", "right")
_THIRDS_DOWN = ("top", "centre", "bottom")


def local_features(image: Image.Image, *, filling: int = 0) -> LocalFeatures:
    """ORB keypoints and descriptors of an image, at a bounded working size, in the order a
    register's index should keep them (see `_index_order`).

    An image smaller than `_ENLARGED_BELOW` (an old record photograph, a thumbnail) is enlarged to
    it first: ORB looks at 31-pixel patches, and at 250 px a painting's every detail is smaller
    than that, so its features would meet a large photograph's only at the coarsest scales.

    A register's picture is given `filling` (`REGISTER_FILLING`): that many more features after
    the strongest, where they are few (`_filling`). A query's photograph needs none.
    """
    small = image.convert("L")
    small.thumbnail((_SIDE, _SIDE))
    if _MIN_SIDE <= max(small.size) < _ENLARGED_BELOW:
        scale = _ENLARGED_BELOW / max(small.size)
        small = small.resize(
            (round(small.width * scale), round(small.height * scale)), Image.Resampling.BICUBIC
        )
    small = _stretched(small)
    if min(small.size) < _MIN_SIDE:  # a sliver: ORB's pyramid cannot be built, nothing to find
        return _no_features(*small.size)
    pixels = np.asarray(small, dtype=np.uint8)
    orb = cv2.ORB.create(nfeatures=_FEATURES)
    keypoints, descriptors = orb.detectAndCompute(pixels, None)
    if descriptors is None or not keypoints:
        return _no_features(*small.size)
    order = _index_order(keypoints)
    points = np.array([k.pt for k in keypoints], dtype=np.float32)[order]
    descriptors = descriptors[order]
    if filling:
        more_points, more_descriptors = _filling(pixels, points, filling)
        points = np.concatenate([points, more_points])
        descriptors = np.concatenate([descriptors, more_descriptors])
    return LocalFeatures(
        points,
        np.ascontiguousarray(descriptors),
        *small.size,
        filling=len(more_descriptors) if filling else 0,
    )


def _filling(
    pixels: np.ndarray, strongest: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Up to `count` more features of a picture, where its strongest (at `strongest`) are few.

    A picture's strongest corners crowd into its busiest part -- foliage, a crowd, lace -- and a
    close photograph of the skin, drapery, sky or stone beside it meets almost none of them.
    ORB is asked for every corner it finds (up to `_FILLING_DETECTED`); those not among the
    strongest fill a grid's cells, the emptiest first, each cell's strongest first (the image
    benchmark's details against 10,000 images: 49 of 60 found first without filling, 56 with
    500 drawn from 3,000 corners). The faint corners are the point: a dark curtain or a hazy
    sky has few others (details mapped onto their own works, 332 of the corpus: 319 confirmed
    with 500 of 3,000, 326 with 500 of 10,000, 327 with 750 of 10,000; with another seed 322,
    324 and 328)."""
    keypoints, descriptors = cv2.ORB.create(nfeatures=_FILLING_DETECTED).detectAndCompute(
        pixels, None
    )
    if descriptors is None or not keypoints:
        return strongest[:0], np.zeros((0, 32), np.uint8)
    points = np.array([k.pt for k in keypoints], dtype=np.float32)
    responses = np.array([k.response for k in keypoints])
    # The same point again (to two pixels) is one of the strongest, already kept.
    known = set(map(tuple, np.round(strongest / 2).astype(np.int64).tolist()))
    new = np.array(
        [p not in known for p in map(tuple, np.round(points / 2).astype(np.int64).tolist())]
    )
    points, descriptors, responses = points[new], descriptors[new], responses[new]
    height, width = pixels.shape

    def cell(at: np.ndarray) -> np.ndarray:
        across = np.clip((at[:, 0] * _FILLING_GRID / width).astype(np.int64), 0, _FILLING_GRID - 1)
        down = np.clip((at[:, 1] * _FILLING_GRID / height).astype(np.int64), 0, _FILLING_GRID - 1)
        number: np.ndarray = down * _FILLING_GRID + across
        return number

    held = np.bincount(cell(strongest), minlength=_FILLING_GRID**2)
    cells = cell(points)
    # Rank of each feature within its cell, by response; a cell's n-th then counts as held + n.
    by_strength = np.lexsort((-responses, cells))
    rank = np.empty(len(points), dtype=np.int64)
    for number in np.unique(cells):
        members = by_strength[cells[by_strength] == number]
        rank[members] = np.arange(len(members))
    order = np.argsort(held[cells] + rank, kind="stable")[:count]
    return points[order], descriptors[order]


def _stretched(image: Image.Image) -> Image.Image:
    """The image's grey levels stretched to the full range when they span less of it (a faded
    record photograph, a washed-out screen, a print under glare). ORB finds corners by a fixed
    brightness difference, so a flat picture yields few; its descriptors compare brightness within
    a patch, which a stretch (one increasing mapping for the whole image) leaves as they were, so
    a stretched photograph still meets a register's features described before."""
    histogram = np.asarray(image.histogram(), dtype=np.float64)
    cumulative = np.cumsum(histogram) / max(1.0, histogram.sum())
    low = int(np.searchsorted(cumulative, _STRETCH_TAIL))
    high = int(np.searchsorted(cumulative, 1.0 - _STRETCH_TAIL))
    if high - low >= _STRETCH_BELOW or high <= low:
        return image
    table = np.clip((np.arange(256) - low) * 255.0 / (high - low), 0, 255).round().astype(np.uint8)
    return image.point(table.tolist())


def _index_order(keypoints: Sequence[cv2.KeyPoint]) -> np.ndarray:
    """Each scale's strongest first, the scales taken in turn, the finer ones more often.

    A register's index keeps only the first few hundred features of an image. The strongest
    overall are mostly one scale's; taking the scales in turn keeps features at each, so that a
    photograph from another distance meets some of them again. The finer scales are taken more
    often (`_OCTAVE_SHARES`): a close photograph of a detail shows the work's fine texture two or
    three times larger, so only the register's finest features can meet it, while a photograph
    of the whole from further away, an old record photograph or a printed reproduction needs the
    coarse ones. Chosen on the image benchmark's families, when the index kept 200 an image:
    details among the first five candidates 50 times in 60 (48 with every scale alike; 52 with
    the four finest only, which lost old photographs and printed ones), every other family 59
    or 60.
    """
    octaves = np.array([k.octave for k in keypoints])
    responses = np.array([k.response for k in keypoints])
    # Rank of each feature within its own octave, by response.
    by_strength = np.lexsort((-responses, octaves))
    rank = np.empty(len(keypoints), dtype=np.int64)
    for octave in np.unique(octaves):
        members = by_strength[octaves[by_strength] == octave]
        rank[members] = np.arange(len(members))
    shares = np.array(_OCTAVE_SHARES, dtype=np.float64)
    share = shares[np.clip(octaves, 0, len(shares) - 1)]
    return np.lexsort((octaves, (rank + 0.5) / share))


def features_to_bytes(features: LocalFeatures) -> bytes:
    """A compact form to keep with a stored image: half-precision keypoints (to a fraction of a
    pixel at this working size), then the descriptors."""
    head = np.array([features.width, features.height, len(features.descriptors)], dtype="<u4")
    points = features.keypoints.astype("<f2")
    tail = np.array([features.filling], dtype="<u4").tobytes() if features.filling else b""
    return head.tobytes() + points.tobytes() + features.descriptors.tobytes() + tail


def features_from_bytes(data: bytes) -> LocalFeatures:
    """The features `features_to_bytes` wrote; ValueError if the bytes are not such a record."""
    if len(data) < 12:
        raise ValueError("not a local-features record")
    width, height, count = (int(v) for v in np.frombuffer(data[:12], dtype="<u4"))
    # Then, for a register's picture, how many of them are filling (see `LocalFeatures.filling`).
    filling = 0
    if len(data) == 16 + count * 36:
        filling = int(np.frombuffer(data[-4:], dtype="<u4")[0])
        if not 0 < filling <= count:
            raise ValueError("not a local-features record")
    elif len(data) != 12 + count * 36:
        raise ValueError("not a local-features record")
    points = np.frombuffer(data, dtype="<f2", count=count * 2, offset=12).astype(np.float32)
    descriptors = np.frombuffer(data, dtype=np.uint8, count=count * 32, offset=12 + count * 4)
    return LocalFeatures(
        points.reshape(-1, 2), descriptors.reshape(-1, 32), width, height, filling=filling
    )


# Query features by image digest and orientation: a photograph is decoded and described once per
# process, however many registers and candidates it is compared with.
_QUERY_FEATURES: dict[tuple[str, bool, bool, bool], LocalFeatures] = {}
# Photographs fetched by URL for a check, at the working size, by digest: their bytes cannot be
# read again from the reference (and must not be fetched twice), yet verification may want the
# mirror image's features later. A few at ~2 MB each.
_FETCHED: dict[str, Image.Image] = {}
# Photographs given by path or bytes, at the working size, by digest: one decoding for all the
# ways a photograph is described (as taken, halved, descreened, mirrored; about 5 ms each). Only
# the last few: once a photograph's features are kept, its pixels are not needed again.
_DECODED: dict[str, Image.Image] = {}
_DECODED_KEPT = 8
_FETCHED_KEPT = 32
_KEPT_LOCK = threading.Lock()  # a batch's checks fetch and verify on several threads


def _keep(kept: dict[str, Image.Image], limit: int, digest: str, image: Image.Image) -> None:
    with _KEPT_LOCK:
        while len(kept) >= limit:
            kept.pop(next(iter(kept)), None)  # the oldest first
        kept[digest] = image


def remember_photograph(ref: ImageRef, data: bytes) -> None:
    """Keep a query photograph fetched from `ref.url` (its bytes `data`, its digest in
    `ref.sha256`) so that `features_for` can describe it like a file."""
    if ref.sha256 is None or ref.sha256 in _FETCHED:
        return
    image = load_image(data, source=ref.location, max_side=_SIDE)
    image.thumbnail((_SIDE, _SIDE))
    _keep(_FETCHED, _FETCHED_KEPT, ref.sha256, image)


def features_for(
    ref: ImageRef, *, mirrored: bool = False, halved: bool = False, descreened: bool = False
) -> LocalFeatures | None:
    """Local features of a query image given by path or bytes, or by URL once fetched for this
    check (`remember_photograph`; None otherwise), or of its mirror image (local features are
    not mirror-invariant, and a photograph printed reversed still shows the work), or of it at
    half its working size, or with a printed screen's dots merged (see `query_features`; no
    features when it shows no screen): computed when first asked for, then kept."""
    with _KEPT_LOCK:
        fetched = _FETCHED.get(ref.sha256) if ref.url is not None and ref.sha256 else None
    if ref.url is not None and fetched is None:
        return None
    data = None if ref.sha256 else ref.read()
    digest = ref.sha256 or hashlib.sha256(data or b"").hexdigest()
    key = (digest, mirrored, halved, descreened)
    features = _QUERY_FEATURES.get(key)
    if features is None:
        with _KEPT_LOCK:
            image = fetched or _DECODED.get(digest)
        if image is None:
            image = load_image(data or ref.read(), source=ref.location, max_side=_SIDE)
            _keep(_DECODED, _DECODED_KEPT, digest, image)
        if mirrored:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        # None when the photograph shows no screen: nothing more to describe.
        shown = screens.descreened(image) if descreened else image
        if shown is not None and halved:  # about half the working side, no smaller than enlarged
            shown = shown.copy()
            shown.thumbnail((_ENLARGED_BELOW, _ENLARGED_BELOW), Image.Resampling.LANCZOS)
        features = local_features(shown) if shown is not None else _no_features(0, 0)
        if len(_QUERY_FEATURES) > 256:
            _QUERY_FEATURES.clear()
        _QUERY_FEATURES[key] = features
    return features


def query_features(ref: ImageRef, *, mirrored: bool = False) -> list[LocalFeatures]:
    """A query photograph's features at its working size, and at half of it when it is large;
    and, when it shows a printed screen's dots (`provcheck.images.screens`), the same of it
    with the dots merged into the picture (printed halftones against a 10,000-image register:
    52 of 60 found first without, 58 with; 59 and 60 of 60 others): its `query_readings`, one
    after another.

    A close photograph of a detail shows the work's fine texture two or three times larger than
    the register's image does; ORB's pyramid reaches that far only at its few coarsest levels,
    so the photograph at about half the working side meets many more of the stored features (a detail
    of a sample-register painting: 30 of 45 matches agreeing, against 5 of 29 at the working
    size)."""
    return [features for reading in query_readings(ref, mirrored=mirrored) for features in reading]


def query_readings(ref: ImageRef, *, mirrored: bool = False) -> list[list[LocalFeatures]]:
    """A query photograph read as taken and, when it shows a printed screen's dots, with them
    merged: each reading's features at the photograph's working size and at half of it when it
    is large (see `query_features`)."""
    whole = features_for(ref, mirrored=mirrored)
    if whole is None:
        return []
    large = max(whole.width, whole.height) >= _HALVED_FROM
    readings = [[whole, features_for(ref, mirrored=mirrored, halved=True) if large else None]]
    screened = features_for(ref, mirrored=mirrored, descreened=True)
    if screened is not None and len(screened.descriptors):  # a screen's dots to merge
        halved = (
            features_for(ref, mirrored=mirrored, halved=True, descreened=True) if large else None
        )
        readings.append([screened, halved])
    kept = [[f for f in reading if f is not None and len(f.descriptors)] for reading in readings]
    return [reading for reading in kept if reading]


def retrieval_descriptors(ref: ImageRef) -> list[np.ndarray]:
    """The descriptors a query photograph looks for stored images with: one query for each of
    its `query_readings`, its sizes together, so that a patch met at both sizes votes twice for
    the picture it shows. A close photograph of a detail meets its work's few stored patches at
    both, and a look-alike's by chance at one (120 details against 10,000 images, seed 11: 116
    found first with the votes added, 115 with the better size's alone). The readings stay apart:
    a halftone's dots, as taken, meet other dotted pictures, and their votes would bury those of
    the dots merged (120 halftones at the corpus's size, seed 11: 117 found first with every
    reading's votes added, against 118)."""
    return [
        np.concatenate([features.descriptors for features in reading])
        for reading in query_readings(ref)
    ]


def features_of_bytes(data: bytes, *, source: str) -> LocalFeatures:
    """Local features of untrusted image bytes (a register's record image)."""
    return local_features(load_image(data, source=source, max_side=_SIDE), filling=REGISTER_FILLING)


def match_geometry(
    query: LocalFeatures, record: LocalFeatures, *, filling: bool = True
) -> GeometricMatch:
    """Match the query's features to the record's and fit one homography with RANSAC: to the
    record's strongest features, then, if that confirms nothing and `filling` is asked for, with
    its filling too (which may confirm a detail only, see `GeometricMatch.detail_over_an_area`)."""
    strongest = record.strongest()
    if min(len(query.descriptors), len(strongest.descriptors)) < 8:
        return GeometricMatch(0, 0, 0.0, len(query.descriptors), len(strongest.descriptors))
    nearest = _nearest_two(query, strongest)
    found = _mapping(query, strongest, nearest)
    if not filling or record.filling < 2 or found.confirmed:
        return found
    # The nearest two of all the record's features are the nearest two of the nearest four.
    nearest_filling = _nearest_two(query, record.filling_only())
    nearest_filling[:, (0, 2)] += len(strongest.descriptors)
    filled = _mapping(query, record, _nearer_two(nearest, nearest_filling))
    return filled if filled.detail_over_an_area else found


def matches_at_each_scale(
    scales: Sequence[LocalFeatures], record: LocalFeatures
) -> Iterator[GeometricMatch]:
    """A photograph's mappings onto a record's picture, one for each of its `query_features`
    in turn (taken lazily: a check stops at the first that confirms).

    The picture's filling is tried once, with the last of them (at half size when the
    photograph is large, where a close photograph meets the register's picture best): details
    mapped onto their own works, 332 of the corpus with two seeds, were confirmed 327 and 327
    times, against 327 and 328 with the filling at every scale, for one matching less a
    candidate the photograph does not show."""
    for ours in scales:
        yield match_geometry(ours, record, filling=ours is scales[-1])


def _nearest_two(query: LocalFeatures, record: LocalFeatures) -> np.ndarray:
    """For each of the query's features, the record's nearest two: their numbers and Hamming
    distances (N x 4: first, its distance, second, its distance)."""
    # What a brute-force matcher's knnMatch computes, as arrays: not a Python object per match
    # (a tenth of a verification's time went to reading them).
    distances, numbers = cv2.batchDistance(
        query.descriptors, record.descriptors, cv2.CV_32S, normType=cv2.NORM_HAMMING, K=2
    )
    nearest = np.empty((len(query.descriptors), 4), dtype=np.float64)
    nearest[:, 0::2] = numbers
    nearest[:, 1::2] = distances
    return nearest


def _nearer_two(one: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The nearest two of each row's four (two `_nearest_two` of two sets of features)."""
    one_first = (one[:, 1] <= other[:, 1])[:, None]
    first = np.where(one_first, one[:, :2], other[:, :2])
    runner_up = np.where(one_first, other[:, :2], one[:, :2])  # the other set's nearest
    own_second = np.where(one_first, one[:, 2:], other[:, 2:])
    second = np.where((runner_up[:, 1] <= own_second[:, 1])[:, None], runner_up, own_second)
    return np.hstack([first, second])


def _mapping(query: LocalFeatures, record: LocalFeatures, nearest: np.ndarray) -> GeometricMatch:
    """The mapping of the query onto the record, given each query feature's nearest two."""
    features = (len(query.descriptors), len(record.descriptors))
    # Lowe's ratio test: the nearest clearly nearer than the second.
    good = np.flatnonzero(nearest[:, 1] < _RATIO * nearest[:, 3])
    if len(good) < 8:
        return GeometricMatch(0, len(good), 0.0, *features)
    source = query.keypoints[good].reshape(-1, 1, 2)
    target = record.keypoints[nearest[good, 0].astype(np.int64)].reshape(-1, 1, 2)
    homography, mask = cv2.findHomography(
        source, target, cv2.RANSAC, _RANSAC_PIXELS, maxIters=_ransac_iterations(len(good))
    )
    if homography is None or mask is None:
        return GeometricMatch(0, len(good), 0.0, *features)
    inliers = int(mask.sum())
    if inliers == 0:
        return GeometricMatch(0, len(good), 0.0, *features)
    agreeing = mask.ravel() == 1
    ours = source[agreeing].reshape(-1, 2)
    centre = ours.mean(axis=0)
    spread = max(_hull_share(ours, query), _hull_share(target[agreeing], record))
    size = np.array([query.width, query.height], dtype=np.float64)
    low, high = (ours.min(axis=0) / size).clip(0, 1), (ours.max(axis=0) / size).clip(0, 1)
    area = (float(low[0]), float(low[1]), float(high[0]), float(high[1]))
    if not _plausible(homography, centre):
        return GeometricMatch(inliers, len(good), 0.0, *features, spread=spread, query_area=area)
    coverage, region = _coverage(homography, query, record)
    return GeometricMatch(
        inliers, len(good), coverage, *features, spread=spread, region=region, query_area=area
    )


def _hull_share(points: np.ndarray, features: LocalFeatures) -> float:
    """The share of an image inside the convex hull of some of its points."""
    if len(points) < 3:
        return 0.0
    hull = cv2.convexHull(points.reshape(-1, 2).astype(np.float32))
    return float(cv2.contourArea(hull)) / max(1, features.width * features.height)


def _ransac_iterations(matches: int) -> int:
    """Enough RANSAC samples to find, 199 times in 200, the smallest set of agreeing matches that
    could confirm (`GeometricMatch.confirmed`): with few matches that is half of them, found in a
    few dozen samples, not the 2,000 OpenCV would otherwise spend on a pair that shares nothing."""
    share = min(CONFIRMING_INLIERS / matches, max(CONFIRMING_INLIERS // 2 / matches, 0.5))
    needed = math.log(0.005) / math.log(1.0 - min(share, 0.999) ** 4)
    return int(min(2000, max(50, math.ceil(needed))))


def _plausible(homography: np.ndarray, centre: np.ndarray) -> bool:
    """Could this mapping be a photograph of a flat object? Around the matched area it must keep
    the picture's handedness and squash it no more than a view from about 70 degrees off-axis
    does (3:1). A few chance matches always agree on *some* homography; it is seldom one a camera
    could have made."""
    points = (centre + np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])).reshape(-1, 1, 2)
    mapped = cv2.perspectiveTransform(points, homography.astype(np.float64)).reshape(-1, 2)
    # How a pixel's two sides come out: the mapping's local linear part (its Jacobian).
    jacobian = np.stack([mapped[1] - mapped[0], mapped[2] - mapped[0]], axis=1)
    if not np.all(np.isfinite(jacobian)) or np.linalg.det(jacobian) <= 0:
        return False
    largest, smallest = np.linalg.svd(jacobian, compute_uv=False)
    return bool(smallest > 0 and largest / smallest <= _MAX_SQUASH)


def _coverage(
    homography: np.ndarray, query: LocalFeatures, record: LocalFeatures
) -> tuple[float, tuple[float, float, float, float] | None]:
    """The share of the record's image inside the query's outline, mapped, and where in it that
    outline falls (as shares of its width and height); 0 and None if it folds over."""
    corners = np.array(
        [[0, 0], [query.width, 0], [query.width, query.height], [0, query.height]], dtype=np.float32
    ).reshape(-1, 1, 2)
    outline = cv2.perspectiveTransform(corners, homography).reshape(-1, 2)
    if not np.all(np.isfinite(outline)) or not cv2.isContourConvex(outline.astype(np.float32)):
        return 0.0, None  # a mapping that turns the picture inside out is not a photograph of it
    frame = np.array(
        [[0, 0], [record.width, 0], [record.width, record.height], [0, record.height]],
        dtype=np.float32,
    )
    area, inside = cv2.intersectConvexConvex(outline.astype(np.float32), frame)
    coverage = float(min(1.0, max(0.0, area / (record.width * record.height))))
    if inside is None or len(inside) < 3:
        return coverage, None
    points = inside.reshape(-1, 2)
    low, high = points.min(axis=0), points.max(axis=0)
    size = np.array([record.width, record.height], dtype=np.float64)
    left, top = (low / size).clip(0.0, 1.0)
    right, bottom = (high / size).clip(0.0, 1.0)
    return coverage, (float(left), float(top), float(right), float(bottom))
