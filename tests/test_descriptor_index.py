"""The local-feature index: votes for the right image, saved and reopened, never stale."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES
from PIL import Image

from provcheck.images.descriptor_index import INDEXED_DESCRIPTORS, DescriptorIndex, key_bits_for
from provcheck.images.verification import LocalFeatures, local_features
from provcheck.model.description import ImageRef

IMAGES = sorted((FIXTURES / "sample-register" / "images").glob("*.jpg"))[:8]


def _index() -> DescriptorIndex:
    stored = [local_features(Image.open(path)).descriptors[:INDEXED_DESCRIPTORS] for path in IMAGES]
    owners = np.repeat(np.arange(len(stored)) + 100, [len(d) for d in stored])
    return DescriptorIndex.build(np.concatenate(stored), owners)


def _a_detail_of(path: Path) -> np.ndarray:
    image = Image.open(path).convert("RGB")
    w, h = image.size
    detail = image.crop((w // 5, h // 6, w - w // 6, h - h // 5)).rotate(7, expand=True)
    return local_features(detail).descriptors


def test_a_detail_of_a_stored_image_collects_the_most_votes() -> None:
    index = _index()
    for number, path in enumerate(IMAGES):
        votes = index.votes(_a_detail_of(path), limit=3, min_votes=5)
        assert votes and votes[0][0] == 100 + number, (path.name, votes)


def test_the_tables_looked_up_on_several_threads_give_the_votes_of_one() -> None:
    index = _index()
    for path in IMAGES[:3]:
        query = _a_detail_of(path)
        alone = index.weighted_votes(query, limit=8, min_votes=1, threads=1)
        assert len(alone) > 1
        for threads in (2, 3, 64):
            assert index.weighted_votes(query, limit=8, min_votes=1, threads=threads) == alone


def test_a_patch_seen_again_through_a_camera_is_found_in_a_large_register() -> None:
    """A close photograph's patches differ from the register's by 25-40 of 256 bits (blur,
    noise, another angle). With keys as long as 10,000 images' (22 bits), a third of them must
    still meet their stored twin in some table (six tables met a quarter), or a detail's few
    patches go unseen."""
    rng = np.random.default_rng(7)
    stored = rng.integers(0, 256, size=(20_000, 32), dtype=np.uint8)
    index = DescriptorIndex(stored, np.arange(len(stored), dtype=np.uint32), key_bits=22)
    seen = stored[:2000].copy()
    bits = np.unpackbits(seen, axis=1)
    for row, apart in zip(bits, rng.integers(25, 41, size=len(bits)), strict=True):
        row[rng.choice(256, size=apart, replace=False)] ^= 1
    seen = np.packbits(bits, axis=1)
    found = sum(
        any(
            owner == number
            for owner, _ in index.votes(seen[number : number + 1], limit=5, min_votes=1)
        )
        for number in range(len(seen))
    )
    assert found >= len(seen) // 3, found


def test_a_saved_index_reopens_with_the_same_answers(tmp_path: Path) -> None:
    index = _index()
    index.save(tmp_path / "index", tag="3:3:3")
    reopened = DescriptorIndex.open(tmp_path / "index", tag="3:3:3")
    assert reopened is not None and len(reopened) == len(index)
    query = _a_detail_of(IMAGES[2])
    assert reopened.votes(query, limit=5, min_votes=1) == index.votes(query, limit=5, min_votes=1)


def test_a_stale_or_damaged_index_is_not_used(tmp_path: Path) -> None:
    _index().save(tmp_path / "index", tag="3:3:3")
    assert DescriptorIndex.open(tmp_path / "index", tag="4:4:4") is None
    (tmp_path / "index" / "ids-0.npy").write_bytes(b"not an array")
    assert DescriptorIndex.open(tmp_path / "index", tag="3:3:3") is None
    assert DescriptorIndex.open(tmp_path / "nowhere", tag="3:3:3") is None


def test_keys_grow_with_the_register() -> None:
    assert key_bits_for(2_000_000) == 20  # 10,000 images
    assert key_bits_for(20_000_000) == 24  # 100,000 images of 200 descriptors
    assert key_bits_for(200_000_000) == 24  # capped
    assert key_bits_for(1000) == 16


def test_the_store_keeps_its_index_beside_it_and_rebuilds_it_after_an_import(
    tmp_path: Path,
) -> None:
    import provcheck
    from provcheck.store.importing import import_file

    folder = tmp_path / "register"
    folder.mkdir()
    lines = [
        f'{{"record_id": "{path.stem}", "description": {{"images": [{{"path": "{path}"}}]}}}}'
        for path in IMAGES
    ]
    (folder / "first.jsonl").write_text("\n".join(lines[:4]) + "\n")
    (folder / "second.jsonl").write_text("\n".join(lines[4:]) + "\n")
    store = provcheck.LocalStore(tmp_path / "store.sqlite3")
    import_file(store, folder / "first.jsonl")
    query = _a_detail_of(IMAGES[6])
    before = store.stats().size_bytes
    found = store.search_by_features([query], limit=3, min_votes=5)
    assert IMAGES[6].stem not in [record.record_id for record, _ in found]
    assert (tmp_path / "store.sqlite3.index" / "index.json").is_file()
    # The store's size, as `provcheck local stats` shows it, counts the saved index too.
    saved = sum(f.stat().st_size for f in (tmp_path / "store.sqlite3.index").iterdir())
    assert store.stats().size_bytes >= before + saved
    import_file(store, folder / "second.jsonl")
    found = store.search_by_features([query], limit=3, min_votes=5)
    assert found and found[0][0].record_id == IMAGES[6].stem
    store.close()
    # Another process opens the saved index rather than rebuilding it.
    again = provcheck.LocalStore(tmp_path / "store.sqlite3")
    before = (tmp_path / "store.sqlite3.index" / "index.json").stat().st_mtime_ns
    assert again.search_by_features([query], limit=3, min_votes=5)[0][0].record_id == IMAGES[6].stem
    assert (tmp_path / "store.sqlite3.index" / "index.json").stat().st_mtime_ns == before
    again.close()


def test_a_new_store_at_the_same_path_does_not_take_the_old_index(tmp_path: Path) -> None:
    import provcheck
    from provcheck.store.importing import import_file

    def register(paths: list[Path], name: str) -> Path:
        lines = [
            f'{{"record_id": "r{n}", "description": {{"images": [{{"path": "{path}"}}]}}}}'
            for n, path in enumerate(paths)
        ]
        (tmp_path / name).write_text("\n".join(lines) + "\n")
        return tmp_path / name

    store_path = tmp_path / "store.sqlite3"
    store = provcheck.LocalStore(store_path)
    import_file(store, register(IMAGES[:3], "first.jsonl"))
    query = _a_detail_of(IMAGES[4])
    store.search_by_features([query], limit=3, min_votes=5)  # builds and saves the index
    store.close()
    for leftover in tmp_path.glob("store.sqlite3*"):
        if leftover.is_file():
            leftover.unlink()  # the index folder stays behind
    # Same number of records and images, other pictures: the old index must not answer.
    store = provcheck.LocalStore(store_path)
    import_file(store, register(IMAGES[3:6], "second.jsonl"))
    found = store.search_by_features([query], limit=3, min_votes=5)
    assert found and found[0][0].record_id == "r1" and found[0][1] >= 20
    store.close()


def test_an_index_whose_arrays_disagree_is_not_used(tmp_path: Path) -> None:
    index = _index()
    index.save(tmp_path / "index", tag="t")
    np.save(tmp_path / "index" / "ids-3.npy", np.zeros(5, dtype=np.uint32))  # wrong length
    assert DescriptorIndex.open(tmp_path / "index", tag="t") is None


def test_the_index_is_built_when_asked_ahead_and_never_for_words_alone(tmp_path: Path) -> None:
    import provcheck
    from provcheck.store.importing import import_file

    lines = [
        f'{{"record_id": "{path.stem}", "description": {{"title": "Study {path.stem}",'
        f' "images": [{{"path": "{path}"}}]}}}}'
        for path in IMAGES
    ]
    (tmp_path / "register.jsonl").write_text("\n".join(lines) + "\n")
    index = tmp_path / "store.sqlite3.index" / "index.json"
    with provcheck.LocalStore(tmp_path / "store.sqlite3") as store:
        import_file(store, tmp_path / "register.jsonl")
        # A search by words reads no image index (building one took seconds of a text check).
        assert store.search_by_features([], limit=3, min_votes=5) == []
        assert not index.exists()
        store.prepare_search()  # just after the import: not yet settled
        assert not index.exists()
        store.prepare_search()  # no change since
        assert index.is_file()


def test_images_stored_when_the_index_kept_fewer_descriptors_are_indexed_in_full(
    tmp_path: Path,
) -> None:
    # A store written when the index kept 200 descriptors an image: its images' kept features
    # hold them all, and the index takes as many as it now keeps from there.
    import sqlite3

    import provcheck
    from provcheck.store.importing import import_file

    lines = [
        f'{{"record_id": "{path.stem}", "description": {{"images": [{{"path": "{path}"}}]}}}}'
        for path in IMAGES
    ]
    (tmp_path / "register.jsonl").write_text("\n".join(lines) + "\n")
    path = tmp_path / "store.sqlite3"
    import_file(provcheck.LocalStore(path), tmp_path / "register.jsonl")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE image_descriptors SET descriptors = substr(descriptors, 1, 200 * 32)")
    store = provcheck.LocalStore(path)
    kept = [len(local_features(Image.open(p)).descriptors[:INDEXED_DESCRIPTORS]) for p in IMAGES]
    assert max(kept) > 200
    store.search_by_features([_a_detail_of(IMAGES[6])], limit=3, min_votes=5)
    assert len(store._descriptor_index()) == sum(kept)


def _ranked_by_features(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    readings: Callable[[np.ndarray, np.ndarray], list[list[np.ndarray]]],
) -> list[str]:
    """The local register's answer to a photograph read as `readings(ours, theirs)` says, of a
    register of two works: ours, and a look-alike (theirs), as descriptors each holds."""
    import provcheck
    from provcheck.images import verification
    from provcheck.store.importing import import_file
    from provcheck.store.local_register import LocalRegistry

    lines = [
        f'{{"record_id": "{path.stem}", "description": {{"images": [{{"path": "{path}"}}]}}}}'
        for path in IMAGES[:2]
    ]
    (tmp_path / "register.jsonl").write_text("\n".join(lines) + "\n")
    store = provcheck.LocalStore(tmp_path / "store.sqlite3")
    import_file(store, tmp_path / "register.jsonl")
    index = store._descriptor_index()
    rows = dict(store._sql.execute("SELECT record_id, id FROM records").fetchall())
    ours, theirs = (
        np.asarray(index.descriptors)[np.asarray(index.owners) == rows[path.stem]]
        for path in IMAGES[:2]
    )

    def read(ref: ImageRef, *, mirrored: bool = False) -> list[list[LocalFeatures]]:
        def features(descriptors: np.ndarray) -> LocalFeatures:
            points = np.zeros((len(descriptors), 2), np.float32)
            return LocalFeatures(points, np.ascontiguousarray(descriptors), 800, 600)

        return [[features(size) for size in reading] for reading in readings(ours, theirs)]

    monkeypatch.setattr(verification, "query_readings", read)
    query = provcheck.ObjectDescription(images=[ImageRef(path=str(IMAGES[2]))])
    try:
        return [r.record_id for r in LocalRegistry(store=store)._search(query, limit=5).records]
    finally:
        store.close()


def test_a_patch_seen_at_both_sizes_of_a_photograph_counts_for_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A photograph is looked for at its working size and at half of it; a detail's few patches
    of its work are met at both, while a look-alike's are met at one. Its sizes' votes add up:
    taking the better size alone ranked a look-alike with three chance votes above the work
    with two and two."""
    found = _ranked_by_features(
        tmp_path,
        monkeypatch,
        lambda ours, theirs: [[np.concatenate([ours[:2], theirs[:3]]), ours[10:12]]],
    )
    assert found[0] == IMAGES[0].stem, found


def test_a_halftone_read_as_printed_does_not_add_its_dots_votes_to_the_merged_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A printed halftone is read as printed and with its dots merged; the dots, as printed,
    meet a dotted look-alike at both sizes. Each reading stands alone: added up, the look-alike's
    two and two as printed and two merged outweighed the work's five merged."""
    found = _ranked_by_features(
        tmp_path,
        monkeypatch,
        lambda ours, theirs: [
            [theirs[:2], theirs[2:4]],
            [np.concatenate([ours[:5], theirs[4:6]])],
        ],
    )
    assert found[0] == IMAGES[0].stem, found
