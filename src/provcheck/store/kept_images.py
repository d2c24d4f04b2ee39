"""A record's photograph as the store can give it back: the file it was imported with, while that
is still there and still the same photograph, else the store's bounded copy.

A record names its photographs by path and keeps their digest (`ImageRef.sha256`); the store keeps
a bounded copy of each. A card, an export and a register's loss registration all want the
photograph itself: the original is better, but a file moved, deleted or replaced by another
picture since the import is not the record's photograph, and the copy stands in for it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from provcheck.errors import InputError
from provcheck.model.description import MAX_IMAGE_BYTES, ImageRef
from provcheck.store.interface import Store
from provcheck.userfiles import read_bounded

__all__ = ["kept_image", "original_image"]


def original_image(image: ImageRef) -> bytes | None:
    """The photograph's own bytes (inline, or its file's), if they are still there and still
    what the store read (their digest); None otherwise, and for a photograph by address."""
    if image.data is not None:
        data = image.data
    elif image.path is not None:
        try:
            data = read_bounded(Path(image.path), MAX_IMAGE_BYTES, what="image")
        except InputError:
            return None  # moved, deleted, unreadable
    else:
        return None
    if image.sha256 and hashlib.sha256(data).hexdigest() != image.sha256:
        return None  # changed since it was imported: not the record's photograph
    return data or None


def kept_image(store: Store, image: ImageRef) -> tuple[bytes | None, bool]:
    """The photograph's bytes and whether they are the original: the original if it is still
    there, else the store's bounded copy (a JPEG), else None."""
    original = original_image(image)
    if original is not None:
        return original, True
    copy = store.thumbnail(image.sha256) if image.sha256 else None
    return copy, False
