"""The photographs of a check: the query's, made ready once, and their verification by local
features against the best few candidates' photographs. Verification adds evidence and never fails
a search; what could not be verified -- a register's image that cannot be had, kept features that
cannot be read, even a plugin's bug -- is said in the register's warnings, never swallowed."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from provcheck.errors import (
    InputError,
    message_of,
)
from provcheck.images.verification import (
    GeometricMatch,
    LocalFeatures,
    features_for,
    features_of_bytes,
    matches_at_each_scale,
    query_features,
)
from provcheck.matching.comparators import looks_mirrored
from provcheck.model.candidate import Candidate
from provcheck.model.description import ImageRef, ObjectDescription
from provcheck.registers.registry import Registry

__all__ = [
    "VERIFIED_AT_MOST",
    "VERIFIED_BY_SCORE",
    "VERIFIED_CANDIDATES",
    "VerificationProblems",
    "query_photographs",
    "verify_photographs",
]

# Candidates per register whose photographs are verified by local features, of the register's
# first answers (the rest are far below them already; verification costs a few milliseconds per
# pair of photographs). The local register answers two found by features for each found by hashes,
# so the seventh is the fifth found by features, where a close photograph of a detail may rank in
# a large register (120 details against 10,000 images, seed 11: 117 found first, 116 with six).
VERIFIED_CANDIDATES = 7

VERIFIED_BY_SCORE = 3

# Candidates per register verified at most: beyond the first few, only those that would be
# matches on their hashes alone are (see `engine.search`), a few at a time, up to this many.
VERIFIED_AT_MOST = 48


def query_photographs(query: ObjectDescription) -> list[ImageRef]:
    """The query's images that can be verified (a file or bytes, not a URL), with their local
    features computed now, once per check, off the event loop. A photograph no longer where a
    resumed report says it was is left to its fingerprints."""
    found = []
    for image in query.images:
        with contextlib.suppress(InputError):
            if features_for(image) is not None:
                found.append(image)
    return found


@dataclass
class VerificationProblems:
    """What went wrong while verifying one register's candidates, in one round or several
    (look-alikes by hash are verified a few at a time), said once per kind."""

    unread_features: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)

    def warnings(self) -> list[str]:
        found = []
        if self.unread_features:
            found.append(
                f"the register's kept features of {len(self.unread_features)} record "
                f"photograph(s) could not be read ({self.unread_features[0]}); their pixels "
                "were described instead"
            )
        if self.unverified:
            found.append(
                f"{len(self.unverified)} record photograph(s) could not be verified by local "
                f"features ({self.unverified[0]}); they were compared by their fingerprints only"
            )
        return found


def _problem(image: ImageRef, error: BaseException) -> str:
    return f"{image.location}: {type(error).__name__}: {message_of(error)}"


async def verify_photographs(
    registry: Registry,
    query: ObjectDescription,
    photographs: list[ImageRef],
    candidates: Sequence[Candidate],
    problems: VerificationProblems,
) -> dict[str, tuple[GeometricMatch, ...]]:
    """Map each of the query's photographs onto each of the candidates' photographs, for the best
    few candidates: every pair's best mapping by record key (the matcher weighs the views). What
    could not be verified is added to `problems`."""
    found: dict[str, tuple[GeometricMatch, ...]] = {}
    # Each photograph's place among the query's (by identity: two copies of one file are two
    # photographs), to say which view confirmed.
    places = {id(image): number for number, image in enumerate(query.images)}
    numbers = [places.get(id(photo), number) for number, photo in enumerate(photographs)]
    for candidate in candidates:
        # Each photograph as taken; its mirror image too (described only then) when the record's
        # picture looks like a reversed copy of it.
        mirrored = looks_mirrored(query, candidate.record.description)
        matches: list[GeometricMatch] = []
        for record_number, image in enumerate(candidate.record.description.images):
            theirs = await _record_features(registry, image, problems)
            if theirs is None:
                continue
            for number, photo in zip(numbers, photographs, strict=True):
                best: GeometricMatch | None = None
                for flip in (False, True)[: 1 + mirrored]:
                    scales = await asyncio.to_thread(
                        functools.partial(query_features, photo, mirrored=flip)
                    )
                    each = matches_at_each_scale(scales, theirs)
                    while (match := await asyncio.to_thread(next, each, None)) is not None:
                        if best is None or _stronger(match, best):
                            best = match
                        if best.confirmed:
                            break  # nor the photograph halved, once it is confirmed as taken
                    if best is not None and best.confirmed:
                        break  # the mirror image need not be tried once the photograph is confirmed
                if best is not None:
                    matches.append(
                        replace(best, photograph=number, record_photograph=record_number)
                    )
        if matches:
            found[candidate.record.key] = tuple(matches)
    return found


async def _record_features(
    registry: Registry, image: ImageRef, problems: VerificationProblems
) -> LocalFeatures | None:
    """A record image's local features: as the register keeps them, else from its pixels. None
    when the register has no copy, or when neither can be had (then `problems` says why)."""
    try:
        kept = await registry.image_features(image)
    except Exception as error:  # a plugin's bug, or features it cannot read: use the pixels
        problems.unread_features.append(_problem(image, error))
        kept = None
    if kept is not None:
        return kept
    try:
        data = await registry.image_bytes(image)
        if data is None:
            return None  # the register keeps no copy: nothing to verify against, no failure
        return await asyncio.to_thread(
            functools.partial(features_of_bytes, data, source=image.location)
        )
    except Exception as error:  # unreadable bytes or a plugin's bug: left to the fingerprints
        problems.unverified.append(_problem(image, error))
        return None


def _stronger(match: GeometricMatch, than: GeometricMatch) -> bool:
    return (match.confirmed, match.inliers) > (than.confirmed, than.inliers)
