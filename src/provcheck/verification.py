"""Geometric verification: do two photographs show the same flat object, by local features?

A perceptual hash says two images look alike as a whole; it cannot say that a cropped, tilted or
reframed photograph shows *this* painting rather than a similar one. ORB keypoints matched between
the two images and a RANSAC homography can: many matches that agree on one perspective mapping, and
a mapping that covers a good share of the register's image, are evidence that survives crops,
frames, rotation and perspective.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from provcheck.description import ImageRef
from provcheck.imaging import image_bytes, load_image

__all__ = [
    "GeometricMatch",
    "LocalFeatures",
    "features_for",
    "features_of_bytes",
    "index_descriptors",
    "local_features",
    "match_geometry",
]

# Work size: enough detail for ORB on a painting, small enough to stay fast.
_SIDE = 768
_FEATURES = 1000
_RATIO = 0.8  # Lowe's ratio test: the best match must be clearly better than the second
_RANSAC_PIXELS = 6.0
# Below these a mapping is chance: a few random matches always agree on some homography.
CONFIRMING_INLIERS = 20
CONFIRMING_COVERAGE = 0.15


@dataclass(frozen=True)
class LocalFeatures:
    keypoints: np.ndarray  # N x 2 float32, in pixels of the work-size image
    descriptors: np.ndarray  # N x 32 uint8 (ORB)
    width: int
    height: int


@dataclass(frozen=True)
class GeometricMatch:
    """How well one photograph maps onto another: agreeing matches and the share covered."""

    inliers: int
    matches: int
    coverage: float  # share of the register's image that the query's outline covers

    @property
    def confirmed(self) -> bool:
        # Many agreeing matches, or (in a small image) fewer that are most of all matches found:
        # chance matches agree with a mapping at a low rate, never most of them.
        consistent = self.inliers >= CONFIRMING_INLIERS or (
            self.inliers >= CONFIRMING_INLIERS // 2 and self.inliers >= 0.5 * self.matches
        )
        return consistent and self.coverage >= CONFIRMING_COVERAGE

    def describe(self) -> str:
        verdict = "confirmed" if self.confirmed else "not confirmed"
        return f"{self.inliers} of {self.matches} feature matches agree, {self.coverage:.0%} covered: {verdict}"


def local_features(image: Image.Image) -> LocalFeatures:
    """ORB keypoints and descriptors of an image, at a bounded working size."""
    small = image.convert("L")
    small.thumbnail((_SIDE, _SIDE))
    pixels = np.asarray(small, dtype=np.uint8)
    orb = cv2.ORB.create(nfeatures=_FEATURES)
    keypoints, descriptors = orb.detectAndCompute(pixels, None)
    if descriptors is None or not keypoints:
        return LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), *small.size)
    points = np.array([k.pt for k in keypoints], dtype=np.float32)
    return LocalFeatures(points, descriptors, small.width, small.height)


def index_descriptors(image: Image.Image, *, count: int = 400) -> np.ndarray:
    """The strongest descriptors of an image, as a register keeps them for retrieval."""
    small = image.convert("L")
    small.thumbnail((640, 640))
    orb = cv2.ORB.create(nfeatures=count * 2)
    keypoints, descriptors = orb.detectAndCompute(np.asarray(small, dtype=np.uint8), None)
    if descriptors is None or not keypoints:
        return np.zeros((0, 32), np.uint8)
    strongest = np.argsort([-k.response for k in keypoints], kind="stable")[:count]
    return np.ascontiguousarray(descriptors[strongest])


# Query features by image digest: a photograph is decoded and described once per process, however
# many registers and candidates it is compared with.
_QUERY_FEATURES: dict[str, list[LocalFeatures]] = {}


def features_for(ref: ImageRef) -> list[LocalFeatures] | None:
    """Local features of a query image given by path or bytes (None for a URL): the image's own,
    then its mirror image's (local features are not mirror-invariant, and a photograph printed
    reversed still shows the work)."""
    if ref.url is not None:
        return None
    data = None if ref.sha256 else image_bytes(ref)
    digest = ref.sha256 or hashlib.sha256(data or b"").hexdigest()
    features = _QUERY_FEATURES.get(digest)
    if features is None:
        image = load_image(data or image_bytes(ref), source=ref.location)
        features = [
            local_features(image),
            local_features(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
        ]
        if len(_QUERY_FEATURES) > 256:
            _QUERY_FEATURES.clear()
        _QUERY_FEATURES[digest] = features
    return features


def features_of_bytes(data: bytes, *, source: str) -> LocalFeatures:
    """Local features of untrusted image bytes (a register's record image)."""
    return local_features(load_image(data, source=source))


def match_geometry(query: LocalFeatures, record: LocalFeatures) -> GeometricMatch:
    """Match the query's features to the record's and fit one homography with RANSAC."""
    if len(query.descriptors) < 8 or len(record.descriptors) < 8:
        return GeometricMatch(0, 0, 0.0)
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(query.descriptors, record.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < _RATIO * p[1].distance]
    if len(good) < 8:
        return GeometricMatch(0, len(good), 0.0)
    source = query.keypoints[[m.queryIdx for m in good]].reshape(-1, 1, 2)
    target = record.keypoints[[m.trainIdx for m in good]].reshape(-1, 1, 2)
    homography, mask = cv2.findHomography(source, target, cv2.RANSAC, _RANSAC_PIXELS)
    if homography is None or mask is None:
        return GeometricMatch(0, len(good), 0.0)
    inliers = int(mask.sum())
    return GeometricMatch(inliers, len(good), _coverage(homography, query, record))


def _coverage(homography: np.ndarray, query: LocalFeatures, record: LocalFeatures) -> float:
    """The share of the record's image inside the query's outline, mapped; 0 if it folds over."""
    corners = np.array(
        [[0, 0], [query.width, 0], [query.width, query.height], [0, query.height]], dtype=np.float32
    ).reshape(-1, 1, 2)
    outline = cv2.perspectiveTransform(corners, homography).reshape(-1, 2)
    if not np.all(np.isfinite(outline)) or not cv2.isContourConvex(outline.astype(np.float32)):
        return 0.0  # a mapping that turns the picture inside out is not a photograph of it
    frame = np.array(
        [[0, 0], [record.width, 0], [record.width, record.height], [0, record.height]],
        dtype=np.float32,
    )
    area, _ = cv2.intersectConvexConvex(outline.astype(np.float32), frame)
    return float(min(1.0, max(0.0, area / (record.width * record.height))))
