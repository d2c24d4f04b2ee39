"""Describing a store's older images again, as an import today would.

An image keeps the local features it was imported with. Those stored before a register's picture
kept its filling (`LocalFeatures.filling`), or the earlier and thinner filling, or before features
were kept at all, are found and verified as they were then: a close photograph of a bare part of such a work meets little of it.
Importing the list again into a new store mends that; `refresh_features` does it in place, from
each image's stored copy (the 768-pixel copy every store keeps), so that neither the original
files nor the records are needed again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from provcheck.errors import InputError
from provcheck.images.loading import WORKING_SIDE, load_image
from provcheck.images.verification import REGISTER_FILLING, LocalFeatures, local_features
from provcheck.store.interface import Store

__all__ = ["RefreshSummary", "refresh_features"]

# Images described anew per transaction: an interruption loses at most these.
_BATCH = 100
# The filling pictures were given before it was drawn from every corner ORB finds: 500 of its
# 3,000 strongest. A picture with fewer corners than that was given less, and the same as today.
_EARLIER_FILLING = 500


@dataclass
class RefreshSummary:
    images: int = 0
    refreshed: int = 0
    current: int = 0  # described as an import today would already
    without_copy: int = 0  # nothing to describe them from: left as they were
    unreadable: list[str] = field(default_factory=list)  # one line each: which, and why


def refresh_features(
    store: Store, *, progress: Callable[[int, int], None] | None = None
) -> RefreshSummary:
    """Describe again every stored image whose kept features are older than an import's today,
    from the store's copy of it. Each batch is kept as it is done: interrupted, the same call
    later goes on where it stopped (what was described anew is then current)."""
    digests = store.image_digests()
    summary = RefreshSummary(images=len(digests))
    if progress is not None:
        progress(0, len(digests))
    for start in range(0, len(digests), _BATCH):
        # Described first, then written at once: a transaction held while a hundred images are
        # described (seconds) would keep every other program's write to the store waiting.
        described = [
            (digest, features)
            for digest in digests[start : start + _BATCH]
            if (features := _described_anew(store, digest, summary)) is not None
        ]
        with store.transaction():
            for digest, features in described:
                store.replace_image_features(digest, features)
        if progress is not None:
            progress(min(start + _BATCH, len(digests)), len(digests))
    return summary


def _described_anew(store: Store, digest: str, summary: RefreshSummary) -> LocalFeatures | None:
    """The image's features as an import today would describe it, where they differ from those
    kept (else None, counted in `summary`)."""
    try:
        kept = store.image_features(digest)
    except (ValueError, TypeError):  # a damaged record: what this is for, from the copy
        kept = None
    if kept is not None and kept.filling and kept.filling != _EARLIER_FILLING:
        summary.current += 1
        return None
    try:
        copy = store.thumbnail(digest)
    except (ValueError, TypeError) as error:
        summary.unreadable.append(f"stored image {digest[:12]}: its copy is damaged ({error})")
        return None
    if not copy:
        summary.without_copy += 1
        return None
    try:
        image = load_image(copy, source=f"stored image {digest[:12]}", max_side=WORKING_SIDE)
    except InputError as error:
        summary.unreadable.append(str(error))
        return None
    features = local_features(image, filling=REGISTER_FILLING)
    if kept is not None and _same(kept, features):
        # A plain picture has no filling to add: described once from its copy, it is current.
        summary.current += 1
        return None
    summary.refreshed += 1
    return features


def _same(one: LocalFeatures, other: LocalFeatures) -> bool:
    return (
        one.filling == other.filling
        and one.descriptors.shape == other.descriptors.shape
        and bool(np.array_equal(one.descriptors, other.descriptors))
    )
