"""The retrieval index of a store's record images' local features, saved in a folder.

Building the index of a large register takes longer than a check, so it is saved in a folder (for
a SQLite store, `<store>.index` beside its file; for a PostgreSQL store, in the user's cache folder)
and memory-mapped by the next command or worker; it is rebuilt when the records or images it was
built from have changed (its tag says which store, and which state of it, it was built from).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path

import numpy as np

from provcheck.images.descriptor_index import DescriptorIndex

__all__ = ["index_folder", "saved_descriptor_index"]


def index_folder(store_path: Path) -> Path:
    """Where the index of the SQLite store at `store_path` is saved."""
    return Path(f"{store_path}.index")


def saved_descriptor_index(
    folder: Path, tag: str, rows: Callable[[], Iterable[tuple[int, bytes]]]
) -> DescriptorIndex:
    """The index of every stored record image's descriptors, each owned by its record's row id:
    the one saved in `folder` if its tag is `tag`, else built from `rows()` -- (row id, the
    image's descriptors) -- and saved, where the folder can be written."""
    index = DescriptorIndex.open(folder, tag=tag)
    if index is None:
        index = _build(rows())
        with suppress(OSError):  # a read-only folder: keep it in memory only
            index.save(folder, tag=tag)
    return index


def _build(rows: Iterable[tuple[int, bytes]]) -> DescriptorIndex:
    owners_of: list[int] = []
    arrays: list[np.ndarray] = []
    for row_id, blob in rows:
        owners_of.append(row_id)
        arrays.append(np.frombuffer(bytes(blob), dtype=np.uint8).reshape(-1, 32))
    descriptors = np.concatenate(arrays) if arrays else np.zeros((0, 32), np.uint8)
    owners = np.repeat(np.array(owners_of, dtype=np.uint32), [len(a) for a in arrays])
    return DescriptorIndex.build(descriptors, owners)
