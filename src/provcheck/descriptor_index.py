"""Retrieval by local features: which stored images share many keypoints with a photograph.

A new photograph of a painting -- on a wall, in a frame, at an angle, half cropped -- no longer
looks like the register's image as a whole, so perceptual hashes miss it; but hundreds of its
small patches still look like the painting's. Each stored image keeps its strongest ORB
descriptors; this index finds, for each of the query's descriptors, stored ones within a small
Hamming distance (locality-sensitive hashing on bit samples, so only a few buckets are compared)
and lets each stored image collect votes. The best-voted images are then verified geometrically.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DescriptorIndex"]

_TABLES = 10
_KEY_BITS = 20
_MATCH_DISTANCE = 48  # of 256 bits: the same patch seen again, not a similar one
_SEED = 20261125


@dataclass(frozen=True)
class _Table:
    bits: np.ndarray  # which of the 256 bits make the key
    keys: np.ndarray  # sorted keys of the stored descriptors
    order: np.ndarray  # stored descriptor index of each sorted key


def _keys(descriptors: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Each descriptor's bits at `chosen` positions, packed into one integer key."""
    keys = np.zeros(len(descriptors), dtype=np.uint32)
    for position, bit in enumerate(chosen):
        column = (descriptors[:, bit // 8] >> (7 - bit % 8)) & 1
        keys |= column.astype(np.uint32) << position
    return keys


class DescriptorIndex:
    """Stored ORB descriptors (N x 32 bytes), each owned by an image id."""

    def __init__(self, descriptors: np.ndarray, owners: np.ndarray) -> None:
        self.descriptors = np.ascontiguousarray(descriptors, dtype=np.uint8)
        # Four 64-bit words per descriptor: a Hamming distance is four popcounts, not 32.
        self._words = self.descriptors.view(np.uint64).reshape(-1, 4)
        self.owners = owners
        # Crowded: many times the size a bucket would have if descriptors were spread evenly.
        self._crowded = max(64, 32 * len(self.descriptors) // (1 << _KEY_BITS))
        rng = np.random.default_rng(_SEED)
        self._tables = []
        for _ in range(_TABLES):
            chosen = rng.choice(256, size=_KEY_BITS, replace=False)
            keys = _keys(descriptors, chosen)
            order = np.argsort(keys, kind="stable")
            self._tables.append(_Table(chosen, keys[order], order))

    def __len__(self) -> int:
        return len(self.descriptors)

    def votes(self, query: np.ndarray, *, limit: int, min_votes: int) -> list[tuple[int, int]]:
        """(image id, votes) of the stored images most of the query's descriptors meet again."""
        if len(self.descriptors) == 0 or len(query) == 0:
            return []
        candidates: list[np.ndarray] = []
        queries: list[np.ndarray] = []
        for table in self._tables:
            keys = _keys(query, table.bits)
            starts = np.searchsorted(table.keys, keys, side="left")
            ends = np.searchsorted(table.keys, keys, side="right")
            sizes = ends - starts
            # A crowded bucket holds a pattern half the paintings share (plain sky, canvas weave):
            # like a stop word, it identifies nothing and costs the most. Leave it out.
            sizes[sizes > self._crowded] = 0
            if not sizes.any():
                continue
            which = np.repeat(np.arange(len(query)), sizes)
            offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            candidates.append(table.order[np.repeat(starts, sizes) + offsets])
            queries.append(which)
        if not candidates:
            return []
        stored = np.concatenate(candidates)
        asked = np.concatenate(queries)
        query_words = np.ascontiguousarray(query, dtype=np.uint8).view(np.uint64).reshape(-1, 4)
        distances = np.bitwise_count(self._words[stored] ^ query_words[asked]).sum(axis=1)
        close = distances <= _MATCH_DISTANCE
        # One vote per query descriptor per image, however many tables found the pair.
        owners_close = self.owners[stored[close]].astype(np.int64)
        pairs = np.unique(
            asked[close].astype(np.int64) * (int(self.owners.max()) + 1) + owners_close
        )
        if len(pairs) == 0:
            return []
        owners, counts = np.unique(pairs % (int(self.owners.max()) + 1), return_counts=True)
        best = np.argsort(-counts, kind="stable")[:limit]
        return [(int(owners[i]), int(counts[i])) for i in best if counts[i] >= min_votes]
