"""Finding look-alike images by their 64-bit hashes: one pass of XOR and popcount over them all.

Pure numpy over arrays of stored hashes (uint64, one array per kind of hash): whichever store
holds the hashes reads them into arrays once and asks here which are within reach of a query.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["nearest_images", "nearest_owners"]

_SCAN_BLOCK = 1 << 15  # stored hashes per block: 256 KB of them, a core's cache


def nearest_images(
    stored: dict[str, np.ndarray], fingerprints: Sequence[dict[str, str]], max_distance: int
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the stored hashes (uint64 arrays by kind) within `max_distance` bits of any of
    the query's fingerprints (`kind` or `kind@variant`), nearest first, and their distances.

    One pass of XOR and popcount per query hash over all stored images, in bytes; only the few
    within reach are sorted.
    """
    size = len(next(iter(stored.values()))) if stored else 0
    queries = [
        (column, np.uint64(int(value, 16)))
        for query in fingerprints
        for key, value in query.items()
        if (column := stored.get(key.partition("@")[0])) is not None  # "phash@rot90": "phash"
    ]
    best = np.full(size, 64, dtype=np.uint8)
    # A block of stored hashes at a time, every query hash against it while it is in the cache;
    # scratch arrays reused, since at a million images allocation costs as much as the work.
    differences = np.empty(min(size, _SCAN_BLOCK), dtype=np.uint64)
    bits = np.empty(min(size, _SCAN_BLOCK), dtype=np.uint8)
    for start in range(0, size, _SCAN_BLOCK):
        end = min(size, start + _SCAN_BLOCK)
        block_best, scratch, counts = (
            best[start:end],
            differences[: end - start],
            bits[: end - start],
        )
        for column, value in queries:
            np.bitwise_xor(column[start:end], value, out=scratch)
            np.bitwise_count(scratch, out=counts)
            np.minimum(block_best, counts, out=block_best)
    close = np.flatnonzero(best <= max_distance)
    order = close[np.argsort(best[close], kind="stable")]
    return order, best[order]


def nearest_owners(
    owners: np.ndarray,
    stored: dict[str, np.ndarray],
    fingerprints: Sequence[dict[str, str]],
    max_distance: int,
) -> list[tuple[int, int]]:
    """(owner, distance) of each owner (a record holding several images: `owners[i]` holds the
    i-th stored hashes) with an image within `max_distance` bits of the query, nearest first;
    each owner once, at its nearest image's distance."""
    if not fingerprints or owners.size == 0:
        return []
    indices, distances = nearest_images(stored, fingerprints, max_distance)
    found: dict[int, int] = {}
    for index, distance in zip(indices.tolist(), distances.tolist(), strict=True):
        found.setdefault(int(owners[index]), int(distance))
    return list(found.items())
