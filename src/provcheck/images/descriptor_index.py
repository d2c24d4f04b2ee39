"""Retrieval by local features: which stored images share many keypoints with a photograph.

A new photograph of a painting -- on a wall, in a frame, at an angle, half cropped -- no longer
looks like the register's image as a whole, so perceptual hashes miss it; but hundreds of its
small patches still look like the painting's. Each stored image keeps its strongest ORB
descriptors; this index finds, for each of the query's descriptors, stored ones within a small
Hamming distance (locality-sensitive hashing on bit samples, so only a few buckets are compared)
and lets each stored image collect votes. The best-voted images are then verified geometrically.

Each table is a bucket array (the descriptors whose sampled bits make key k are
`ids[starts[k]:starts[k + 1]]`), so a lookup is two reads, and the whole index is a handful of flat
arrays that can be saved and memory-mapped: a register of 100,000 images opens in milliseconds
instead of being rebuilt for every command.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

__all__ = [
    "INDEXED_DESCRIPTORS",
    "INDEXED_FILLING",
    "INDEX_TABLES",
    "LOOKUP_THREADS",
    "DescriptorIndex",
    "key_bits_for",
]

# The first descriptors of each stored image (strongest at each scale in turn, see
# `verification.local_features`) are what the index keeps: enough for a close photograph of a
# fifth of the work to meet it again, few enough that 100,000 images' index (about 4.2 GB,
# memory-mapped) fits in memory. With 200, a fifth of the work kept too few of them: details
# among the first five candidates 47 times in 60 on the image benchmark's corpus; with 500, 58.
INDEXED_DESCRIPTORS = 500
# Of them, how many are a register picture's filling (`LocalFeatures.filling`), where its
# strongest are few: a close photograph of a bare part of a work meets those alone.
INDEXED_FILLING = 150

# Tables of sampled bits. A close photograph of a detail meets only a few of its work's stored
# patches, each some 25-40 bits away through the camera, and the longer keys of a larger register
# find fewer such twins per table: with ten tables instead of six, details of corpus works found
# among the first four candidates against 10,000 images 379 times in 400 instead of 373 (the
# same 378 at the corpus's size), for about 10 ms more a check and a third more memory.
INDEX_TABLES = 10
# A large register's lookup mostly waits on memory: at 100,000 images a photograph gathers some
# 460,000 stored descriptors from the memory-mapped array, one cache miss each, and numpy lets go
# of the GIL while it does. On two threads, one for each half of the tables, it took 34 ms instead
# of 57 on two cores (30 photographs, median); more than four gain little and crowd a busy machine.
LOOKUP_THREADS = max(1, min(4, os.cpu_count() or 1))
_MATCH_DISTANCE = 48  # of 256 bits: the same patch seen again, not a similar one
_SEED = 20261125
_FORMAT = 4  # bump when the saved layout or the sampled bits change


def _keys(descriptors: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Each descriptor's bits at `chosen` positions, packed into one integer key."""
    keys = np.zeros(len(descriptors), dtype=np.uint32)
    for position, bit in enumerate(chosen):
        column = (descriptors[:, bit // 8] >> (7 - bit % 8)) & 1
        keys |= column.astype(np.uint32) << position
    return keys


def _sampled_bits(key_bits: int) -> list[np.ndarray]:
    rng = np.random.default_rng(_SEED + key_bits)
    return [rng.choice(256, size=key_bits, replace=False) for _ in range(INDEX_TABLES)]


def key_bits_for(count: int) -> int:
    """Key length for `count` stored descriptors: buckets of about two descriptors on average, so
    a lookup compares a few, whatever the register's size (capped: each table keeps an array of
    2**bits bucket starts, 64 MB at 24 bits; at 100,000 images of 500 descriptors, 22 bits left
    twelve in a bucket, and a check's lookups cost twice what they do at 24)."""
    return min(24, max(16, count.bit_length() - 1))


class DescriptorIndex:
    """Stored ORB descriptors (N x 32 bytes), each owned by an image number (N owners)."""

    def __init__(
        self,
        descriptors: np.ndarray,
        owners: np.ndarray,
        *,
        tables: list[tuple[np.ndarray, np.ndarray]] | None = None,
        key_bits: int | None = None,
    ) -> None:
        self.descriptors = descriptors
        self.owners = owners
        self.key_bits = key_bits or key_bits_for(len(descriptors))
        self._bits = _sampled_bits(self.key_bits)
        if tables is None:
            tables = []
            for chosen in self._bits:
                keys = _keys(descriptors, chosen)
                ids = np.argsort(keys, kind="stable").astype(np.uint32)
                counts = np.bincount(keys, minlength=1 << self.key_bits)
                starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint32)
                tables.append((starts, ids))
        self._tables = tables
        # Four 64-bit words per descriptor: a Hamming distance is four popcounts, not 32.
        self._words = descriptors.view(np.uint64).reshape(-1, 4)
        # Crowded: many times the size a bucket would have if descriptors were spread evenly.
        self._crowded = max(64, 32 * len(descriptors) // (1 << self.key_bits))
        self._owner_count = int(owners.max()) + 1 if len(owners) else 1

    @classmethod
    def build(cls, descriptors: np.ndarray, owners: np.ndarray) -> DescriptorIndex:
        return cls(
            np.ascontiguousarray(descriptors, dtype=np.uint8),
            np.ascontiguousarray(owners, dtype=np.uint32),
        )

    def __len__(self) -> int:
        return len(self.descriptors)

    # Saving and opening --------------------------------------------------------------------

    def save(self, folder: Path, *, tag: str) -> None:
        """Write the index to `folder` (replaced whole, never half-written); `tag` says what it
        was built from, so that `open` can tell a stale index from a current one."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".index-", dir=folder.parent))
        try:
            np.save(work / "descriptors.npy", self.descriptors)
            np.save(work / "owners.npy", self.owners)
            for number, (starts, ids) in enumerate(self._tables):
                np.save(work / f"starts-{number}.npy", starts)
                np.save(work / f"ids-{number}.npy", ids)
            manifest = {"format": _FORMAT, "tag": tag, "key_bits": self.key_bits}
            (work / "index.json").write_text(json.dumps(manifest))
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(work, folder)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @classmethod
    def open(cls, folder: Path, *, tag: str) -> DescriptorIndex | None:
        """The index saved in `folder`, memory-mapped; None if absent, stale or unreadable."""
        try:
            manifest = json.loads((folder / "index.json").read_text())
            if (manifest.get("format"), manifest.get("tag")) != (_FORMAT, tag):
                return None

            def load(name: str) -> np.ndarray:
                array: np.ndarray = np.load(folder / name, mmap_mode="r", allow_pickle=False)
                return array

            key_bits = int(manifest["key_bits"])
            descriptors, owners = load("descriptors.npy"), load("owners.npy")
            tables = [(load(f"starts-{n}.npy"), load(f"ids-{n}.npy")) for n in range(INDEX_TABLES)]
            shapes_agree = (
                descriptors.ndim == 2
                and descriptors.shape[1] == 32
                and owners.shape == (len(descriptors),)
                and all(
                    starts.shape == ((1 << key_bits) + 1,) and ids.shape == (len(descriptors),)
                    for starts, ids in tables
                )
            )
            if not shapes_agree:
                return None
            return cls(descriptors, owners, tables=tables, key_bits=key_bits)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a cache: rebuild it

    # Searching -----------------------------------------------------------------------------

    def votes(self, query: np.ndarray, *, limit: int, min_votes: int) -> list[tuple[int, int]]:
        """(image number, votes) of the stored images the query's descriptors meet again, the
        heaviest first (see `weighted_votes`)."""
        return [
            (owner, count)
            for owner, count, _ in self.weighted_votes(query, limit=limit, min_votes=min_votes)
        ]

    def weighted_votes(
        self, query: np.ndarray, *, limit: int, min_votes: int, threads: int = LOOKUP_THREADS
    ) -> list[tuple[int, int, float]]:
        """(image number, votes, weight) of the stored images the query's descriptors meet again,
        by weight, heaviest first.

        Each of the query's descriptors that meets some image counts once for it (its votes), but
        weighs 1/sqrt(n) when it meets n images: a patch of plain canvas or a straight edge
        looks like something in many paintings, and its votes would otherwise lift the pictures
        richest in such patches above the one a photograph of a small detail truly shows.

        The tables are looked up on `threads` threads at once (see `LOOKUP_THREADS`).
        """
        if len(self.descriptors) == 0 or len(query) == 0:
            return []
        query = np.ascontiguousarray(query, dtype=np.uint8)
        tables = list(zip(self._bits, self._tables, strict=True))
        groups = [tables[start::threads] for start in range(min(threads, len(tables)))]
        if len(groups) == 1:
            found = [self._close_pairs(query, groups[0])]
        else:
            with ThreadPoolExecutor(len(groups), thread_name_prefix="provcheck-lookup") as pool:
                found = list(pool.map(functools.partial(self._close_pairs, query), groups))
        stored = np.concatenate([pairs[0] for pairs in found])
        asked = np.concatenate([pairs[1] for pairs in found])
        # One vote per query descriptor per image, however many tables found the pair.
        owners_close = self.owners[stored].astype(np.int64)
        pairs = np.unique(asked * self._owner_count + owners_close)
        if len(pairs) == 0:
            return []
        asking, owning = pairs // self._owner_count, pairs % self._owner_count
        met = np.bincount(asking, minlength=len(query))
        weights = np.bincount(owning, weights=1.0 / np.sqrt(met[asking]))
        counts = np.bincount(owning)
        owners = np.flatnonzero(counts >= min_votes)
        best = owners[np.argsort(-weights[owners], kind="stable")[:limit]]
        return [(int(o), int(counts[o]), float(weights[o])) for o in best]

    def _close_pairs(
        self, query: np.ndarray, tables: list[tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(stored descriptor, query descriptor) numbers of the pairs within `_MATCH_DISTANCE`
        that these tables bring together (a pair once for each table that does)."""
        stored_found, asked_found = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        query_words = query.view(np.uint64).reshape(-1, 4)
        for chosen, (starts, ids) in tables:
            keys = _keys(query, chosen).astype(np.int64)
            first = starts[keys].astype(np.int64)
            sizes = starts[keys + 1].astype(np.int64) - first
            # A crowded bucket holds a pattern half the paintings share (plain sky, canvas weave):
            # like a stop word, it identifies nothing and costs the most. Leave it out.
            sizes[sizes > self._crowded] = 0
            total = int(sizes.sum())
            if not total:
                continue
            offsets = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            stored = ids[np.repeat(first, sizes) + offsets].astype(np.int64)
            asked = np.repeat(np.arange(len(query), dtype=np.int64), sizes)
            distances = np.bitwise_count(self._words[stored] ^ query_words[asked]).sum(axis=1)
            close = distances <= _MATCH_DISTANCE
            stored_found.append(stored[close])
            asked_found.append(asked[close])
        return np.concatenate(stored_found), np.concatenate(asked_found)
