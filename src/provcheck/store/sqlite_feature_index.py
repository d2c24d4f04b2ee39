"""The retrieval index of a SQLite store's record images' local features, saved beside its file.

Building the index of a large register takes longer than a check, so it is saved in the folder
`<store>.index` and memory-mapped by the next command; it is rebuilt when the records or images
it was built from have changed (its tag says which store, and how many of each, it was built from).
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from pathlib import Path

import numpy as np

from provcheck.images.descriptor_index import DescriptorIndex

__all__ = ["index_folder", "saved_descriptor_index"]


def index_folder(store_path: Path) -> Path:
    """Where the index of the store at `store_path` is saved."""
    return Path(f"{store_path}.index")


def saved_descriptor_index(db: sqlite3.Connection, store_path: Path) -> DescriptorIndex:
    """The index of every stored record image's descriptors, each owned by its record's row id:
    the saved one if it is current, else built (and saved, where the folder can be written)."""
    tag = ":".join(
        str(value)
        for value in db.execute(
            "SELECT (SELECT value FROM meta WHERE key = 'store_id'), count(*),"
            " coalesce(max(rowid), 0), (SELECT count(*) FROM image_descriptors)"
            " FROM record_images"
        ).fetchone()
    )
    folder = index_folder(store_path)
    index = DescriptorIndex.open(folder, tag=tag)
    if index is None:
        index = _build(db)
        with suppress(OSError):  # a read-only folder: keep it in memory only
            index.save(folder, tag=tag)
    return index


def _build(db: sqlite3.Connection) -> DescriptorIndex:
    rows = db.execute(
        "SELECT ri.record, d.descriptors FROM record_images ri"
        " JOIN image_descriptors d ON d.sha256 = ri.sha256"
    ).fetchall()
    arrays = [np.frombuffer(blob, dtype=np.uint8).reshape(-1, 32) for _, blob in rows]
    descriptors = np.concatenate(arrays) if arrays else np.zeros((0, 32), np.uint8)
    owners = np.repeat(
        np.array([row_id for row_id, _ in rows], dtype=np.uint32),
        [len(a) for a in arrays],
    )
    return DescriptorIndex.build(descriptors, owners)
