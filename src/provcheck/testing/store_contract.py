"""The behaviour every `Store` implementation must show, as tests it inherits.

Subclass `StoreContract` and provide one fixture, a fresh empty store; pytest then runs every
check below against it::

    from provcheck.testing.store_contract import StoreContract

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path): ...   # yield a new, empty, open Store; close it afterwards

The checks are what the importer, the mirror, the `local` register and the case files rely on:
records round-trip and are replaced in place, writes in a failed transaction are not kept, text
search finds words whatever their case or accents, images are found by look-alike hashes and
shared local features, a mirror marks only what it mirrored as removed, imports are logged, and
case entries, heads and attached files are kept as written.
"""

from __future__ import annotations

import numpy as np
import pytest

from provcheck.images.verification import LocalFeatures
from provcheck.model.description import ImageRef, ObjectDescription
from provcheck.model.record import Record, RecordStatus
from provcheck.store.interface import MirrorState, Store, StoredApiKey, StoredCase, StoredReport

__all__ = ["StoreContract"]

# Two 64-bit hashes three bits apart, and one far from both (its top bit set: a store must keep
# all 64 bits of a hash, whatever its own integer type).
_NEAR_A = "f0f0f0f0f0f0f0f0"
_NEAR_B = "f0f0f0f0f0f0f0f7"
_FAR = "0f0f0f0f0f0f0f0f"


def _record(
    registry: str,
    record_id: str,
    title: str | None = None,
    *,
    maker: str | None = None,
    description: str | None = None,
    images: tuple[str, ...] = (),
) -> Record:
    described = ObjectDescription(
        title=title,
        maker_text=maker,
        description=description,
        images=[
            ImageRef(url=f"https://example.org/{digest}.jpg", sha256=digest) for digest in images
        ],
    )
    return Record(registry=registry, record_id=record_id, description=described)


def _digest(number: int) -> str:
    return f"{number:064x}"


def _features(seed: int, count: int = 64, filling: int = 0) -> LocalFeatures:
    generator = np.random.default_rng(seed)
    return LocalFeatures(
        keypoints=generator.uniform(0, 100, size=(count, 2)).astype(np.float32),
        descriptors=generator.integers(0, 256, size=(count, 32), dtype=np.uint8),
        width=100,
        height=80,
        filling=filling,
    )


def _put_image(
    store: Store, number: int, phash: str, *, features: LocalFeatures | None = None
) -> str:
    digest = _digest(number)
    store.put_image(
        digest,
        {"phash": phash, "dhash": _FAR},
        size=(100, 80),
        thumbnail=f"thumbnail {number}".encode(),
        features=features,
    )
    return digest


class StoreContract:
    """Inherit it and provide a `store` fixture yielding a fresh, empty `Store`."""

    # Records -------------------------------------------------------------------------------

    def test_a_record_round_trips_and_is_replaced_in_place(self, store: Store) -> None:
        first = _record("local", "LOSS-1", "Acorn lamp", maker="Tiffany Studios")
        with store.transaction():
            assert store.put_record(first) is True
            store.put_record(_record("local", "LOSS-2", "Clock"))
        assert store.get("local", "LOSS-1") == first
        assert store.get("local", "LOSS-3") is None and store.get("fbi", "LOSS-1") is None
        changed = first.model_copy(update={"status": RecordStatus.RECOVERED})
        with store.transaction():
            assert store.put_record(changed) is False
        assert store.get("local", "LOSS-1") == changed
        assert [r.record_id for r in store.iter_records()] == ["LOSS-1", "LOSS-2"]
        assert store.count() == 2

    def test_records_of_registers_are_kept_apart(self, store: Store) -> None:
        with store.transaction():
            store.put_record(_record("local", "1", "Acorn lamp"))
            store.put_record(_record("fbi", "1", "Clock"))
            store.put_record(_record("fbi", "2", "Vase"))
        assert (store.count(), store.count("fbi"), store.count("local"), store.count("alr")) == (
            3, 2, 1, 0,
        )  # fmt: skip
        assert [r.record_id for r in store.iter_records("fbi")] == ["1", "2"]
        assert store.record_ids("fbi") == {"1", "2"} and store.record_ids("alr") == set()
        assert store.stats().records_by_registry == {"fbi": 2, "local": 1}

    def test_a_failed_transaction_keeps_no_record(self, store: Store) -> None:
        with store.transaction():
            store.put_record(_record("local", "kept", "Acorn lamp"))
        with pytest.raises(RuntimeError), store.transaction():
            store.put_record(_record("local", "lost", "Clock"))
            store.put_record(_record("local", "kept", "Changed"))
            raise RuntimeError("interrupted")
        assert store.get("local", "lost") is None
        kept = store.get("local", "kept")
        assert kept is not None and kept.description.title == "Acorn lamp"
        assert (
            store.count() == 1
            and store.search_text(ObjectDescription(title="clock"), limit=5) == []
        )

    # Text search ---------------------------------------------------------------------------

    def test_text_search_finds_words_whatever_their_case_or_accents(self, store: Store) -> None:
        with store.transaction():
            store.put_record(_record("local", "hysterical-venus", "Hysterical Venus", maker="Dali"))
            store.put_record(_record("local", "other", "Venus of the mountains"))
            store.put_record(_record("local", "unrelated", "Clock"))
        found = store.search_text(ObjectDescription(title="HYSTÉRICAL vénus"), limit=3)
        assert [r.record_id for r in found][:1] == ["hysterical-venus"]
        assert "unrelated" not in {r.record_id for r in found}
        assert store.search_text(ObjectDescription(title="a 1"), limit=3) == []  # no words

    def test_text_search_finds_titles_and_makers_however_misspelt(self, store: Store) -> None:
        with store.transaction():
            store.put_record(_record("local", "flowers", "Spring Flowers", maker="Mary Cassatt"))
            store.put_record(_record("local", "rug", "Tabriz Rug"))
            store.put_record(_record("local", "unrelated", "Carriage clock"))
        found = store.search_text(ObjectDescription(title="Srping Floers"), limit=3)
        assert [r.record_id for r in found] == ["flowers"]
        by_maker = store.search_text(
            ObjectDescription.model_validate({"maker": "Mary Casatt"}), limit=3
        )
        assert [r.record_id for r in by_maker] == ["flowers"]
        assert [
            r.record_id for r in store.search_text(ObjectDescription(title="Tobriz"), limit=3)
        ] == ["rug"]
        # A short word has too many neighbours to be guessed at ("rog" is not "rug").
        assert store.search_text(ObjectDescription(title="rog"), limit=3) == []

    def test_text_search_finds_titles_in_other_languages_and_abbreviated(
        self, store: Store
    ) -> None:
        with store.transaction():
            store.put_record(_record("lostart", "dame", "Bildnis einer Dame"))
            store.put_record(_record("lostart", "akt", "Schreitender weiblicher Akt"))
            store.put_record(_record("lostart", "unrelated", "Carriage clock"))
        english = store.search_text(ObjectDescription(title="Portrait of a lady"), limit=3)
        assert [r.record_id for r in english] == ["dame"]
        shortened = store.search_text(ObjectDescription(title="Schreit. weibl."), limit=3)
        assert [r.record_id for r in shortened] == ["akt"]

    @pytest.mark.parametrize(
        "title",
        [
            'Acorn" OR "lamp',
            "lamp*",
            "NEAR(acorn lamp)",
            "acorn AND NOT lamp",
            "-lamp",
            "title: lamp",
            "{title} : acorn",
            "(acorn",
            "^acorn",
            "acorn. der. die. das. sch. ber.",
            " ".join(f"Floers{n} Portrait Landschaft Bildnis" for n in range(300)),
        ],
    )
    def test_text_search_takes_any_title_as_words(self, store: Store, title: str) -> None:
        # The search's own syntax in a title is words like any other, and a title of
        # thousands of words is looked for by its first ones: no error, no other record.
        with store.transaction():
            store.put_record(_record("local", "lamp", "Acorn table lamp"))
            store.put_record(_record("local", "unrelated", "Carriage clock"))
        found = store.search_text(ObjectDescription(title=title), limit=3)
        assert "unrelated" not in {r.record_id for r in found}

    def test_text_search_finds_words_the_index_writes_otherwise(self, store: Store) -> None:
        # "ß" is "ss" to a buyer; the full-text index keeps it as written.
        with store.transaction():
            store.put_record(_record("lostart", "schloss", "Schloß Stein bei Zwickau"))
            store.put_record(_record("lostart", "unrelated", "Carriage clock"))
        for title in ("Schloss Stein", "Schloß Stein", "Schlos Stein"):
            found = store.search_text(ObjectDescription(title=title), limit=3)
            assert [r.record_id for r in found] == ["schloss"], title

    def test_a_named_makers_records_are_found_among_many_of_the_title(self, store: Store) -> None:
        # Landscapes titled in several languages at once ("Landschaft (Paysage)") match a
        # landscape's every form: they must not crowd out the one record of the maker named.
        with store.transaction():
            for number in range(300):
                store.put_record(_record("lostart", f"o{number}", f"Teller {number}"))
            for number in range(30):
                title = "Landschaft (Paysage) / Landscape / Paesaggio"
                store.put_record(_record("lostart", f"l{number}", title, maker=f"Maler{number}"))
            store.put_record(_record("lostart", "canetta", "Küstenlandschaft", maker="Canetta"))
        query = ObjectDescription.model_validate({"title": "coastal landscape", "maker": "Canetta"})
        found = store.search_text(query, limit=20)
        assert "canetta" in {r.record_id for r in found}
        assert len(found) == 20

    def test_a_maker_named_by_initials_is_looked_for(self, store: Store) -> None:
        # "H.V." has no word of three letters: its letters are looked for together, so that its
        # "Ein Herr" is not lost among a hundred others.
        with store.transaction():
            for number in range(100):
                store.put_record(
                    _record("lostart", f"h{number}", "Ein Herr", maker=f"Maler{number}")
                )
            store.put_record(_record("lostart", "hv", "Ein Herr", maker="H.V."))
            store.put_record(_record("lostart", "vh", "Ein Herr", maker="V. H."))
            # Letters that are words of their own elsewhere ("a", "e", "o" are function words).
            store.put_record(_record("lostart", "ca", "Ein Herr", maker="C.A."))
            store.put_record(_record("lostart", "jak", "Ein Herr", maker="J.A.K."))
        for initials, key in (("H.V.", "hv"), ("C.A.", "ca"), ("J. A. K.", "jak")):
            query = ObjectDescription.model_validate({"title": "Ein Herr", "maker": initials})
            found = [r.record_id for r in store.search_text(query, limit=20)]
            assert key in found, initials

    def test_a_title_word_ranks_above_one_in_a_description(self, store: Store) -> None:
        with store.transaction():
            store.put_record(
                _record("local", "described", "Vase", description="a bronze lamp base")
            )
            store.put_record(_record("local", "titled", "Bronze lamp"))
        found = store.search_text(ObjectDescription(title="lamp"), limit=5)
        assert [r.record_id for r in found] == ["titled", "described"]
        assert [
            r.record_id for r in store.search_text(ObjectDescription(title="lamp"), limit=1)
        ] == ["titled"]

    def test_text_search_keeps_to_the_registers_named(self, store: Store) -> None:
        with store.transaction():
            store.put_record(_record("local", "1", "Acorn lamp"))
            store.put_record(_record("fbi", "2", "Acorn lamp"))
        query = ObjectDescription(title="acorn")
        assert {r.registry for r in store.search_text(query, limit=5)} == {"local", "fbi"}
        assert [r.registry for r in store.search_text(query, limit=5, registries=["fbi"])] == [
            "fbi"
        ]
        assert store.search_text(query, limit=5, registries=[]) == []

    def test_a_replaced_record_is_found_by_its_new_words_only(self, store: Store) -> None:
        with store.transaction():
            store.put_record(_record("local", "1", "Acorn lamp"))
        with store.transaction():
            store.put_record(_record("local", "1", "Carriage clock"))
        assert store.search_text(ObjectDescription(title="acorn"), limit=5) == []
        assert [
            r.record_id for r in store.search_text(ObjectDescription(title="clock"), limit=5)
        ] == ["1"]

    # Mirrors and removal -------------------------------------------------------------------

    def test_a_mirror_marks_only_what_it_mirrored_as_removed(self, store: Store) -> None:
        with store.transaction():
            import_id = store.start_import("/data/listing.csv")
            store.put_record(_record("fbi", "imported", "Acorn lamp"), import_id=import_id)
            store.finish_import(import_id, added=1, updated=0, skipped=0)
            store.put_record(_record("fbi", "mirrored", "Acorn lamp"), mirrored=True)
        assert store.record_ids("fbi", mirrored=True) == {"mirrored"}
        assert store.record_ids("fbi", mirrored=False) == {"imported"}
        assert store.mark_removed("fbi", ["imported", "mirrored", "never-held"]) == 1
        assert store.record_ids("fbi") == {"imported"} and store.count("fbi") == 1
        assert [r.record_id for r in store.iter_records("fbi")] == ["imported"]
        assert [
            r.record_id for r in store.search_text(ObjectDescription(title="acorn"), limit=5)
        ] == ["imported"]
        assert store.mark_removed("fbi", ["mirrored"]) == 0  # already marked
        with store.transaction():  # stored again: found again
            assert (
                store.put_record(_record("fbi", "mirrored", "Acorn lamp"), mirrored=True) is False
            )
        assert store.record_ids("fbi") == {"imported", "mirrored"}

    def test_the_ids_an_import_did_not_write(self, store: Store) -> None:
        with store.transaction():
            ours = store.start_import("/data/ours.csv")
            store.put_record(_record("fbi", "ours"), import_id=ours)
            store.finish_import(ours, added=1, updated=0, skipped=0)
            theirs = store.start_import("/data/theirs.csv")
            store.put_record(_record("fbi", "theirs"), import_id=theirs)
            store.finish_import(theirs, added=1, updated=0, skipped=0)
            store.put_record(_record("fbi", "mirrored"), mirrored=True)
            store.put_record(_record("local", "elsewhere"), import_id=theirs)
        store.mark_removed("fbi", ["mirrored"])
        assert store.record_ids_not_from("fbi", "/data/ours.csv") == {"theirs", "mirrored"}

    def test_a_mirror_state_is_kept_per_register(self, store: Store) -> None:
        assert store.mirror_state("fbi") is None
        first = MirrorState(synced_at="2026-11-01T10:00:00+00:00", watermark="2026-10-31")
        store.set_mirror_state("fbi", first)
        store.set_mirror_state("alr", MirrorState(synced_at="2026-11-02T10:00:00+00:00"))
        assert store.mirror_state("fbi") == first
        later = MirrorState(
            synced_at="2026-12-01T10:00:00+00:00", listed_at="2026-12-01T10:00:00+00:00"
        )
        store.set_mirror_state("fbi", later)
        assert store.mirror_state("fbi") == later
        assert store.mirror_state("alr") == MirrorState(synced_at="2026-11-02T10:00:00+00:00")

    # Imports -------------------------------------------------------------------------------

    def test_imports_are_logged_when_they_finish(self, store: Store) -> None:
        assert store.imports() == [] and store.stats().last_import is None
        with store.transaction():
            first = store.start_import("/data/a.csv")
            store.finish_import(first, added=3, updated=0, skipped=1)
        with pytest.raises(KeyboardInterrupt), store.transaction():
            interrupted = store.start_import("/data/b.csv")
            raise KeyboardInterrupt
        with store.transaction():
            unfinished = store.start_import("/data/c.csv")
        assert store.import_finished(first)
        assert not store.import_finished(interrupted) and not store.import_finished(unfinished)
        (log,) = store.imports()
        assert (log.id, log.source, log.added, log.updated, log.skipped) == (
            first,
            "/data/a.csv",
            3,
            0,
            1,
        )
        assert log.finished_at is not None and store.stats().last_import == log

    # Images --------------------------------------------------------------------------------

    def test_an_image_is_kept_once_with_all_64_bits_of_its_hashes(self, store: Store) -> None:
        assert store.stats().images == 0  # read before: a count kept must follow the images
        _put_image(store, 3, _FAR)  # with no local features, in no record
        assert store.stats().images == 1
        digest = _put_image(store, 1, _NEAR_A, features=_features(1))
        assert store.has_image(digest) and not store.has_image(_digest(2))
        assert store.image_fingerprints(digest) == {"phash": _NEAR_A, "dhash": _FAR}
        assert store.image_fingerprints(_digest(2)) is None
        assert store.thumbnail(digest) == b"thumbnail 1" and store.thumbnail(_digest(2)) is None
        store.put_image(digest, {"phash": _FAR, "dhash": _FAR}, size=(1, 1), thumbnail=b"again")
        assert store.thumbnail(digest) == b"thumbnail 1", "the first copy is kept"
        assert store.stats().images == 2

    def test_local_features_round_trip(self, store: Store) -> None:
        features = _features(7, filling=16)
        with_features = _put_image(store, 1, _NEAR_A, features=features)
        without = _put_image(store, 2, _FAR)
        kept = store.image_features(with_features)
        assert kept is not None and (kept.width, kept.height) == (100, 80)
        assert (kept.descriptors == features.descriptors).all() and kept.filling == 16
        # Keypoints to a fraction of a pixel: a store may keep them at half precision.
        assert np.allclose(kept.keypoints, features.keypoints, atol=0.1)
        assert store.image_features(without) is None and store.image_features(_digest(3)) is None

    def test_records_are_found_by_look_alike_hashes_nearest_first(self, store: Store) -> None:
        near = _put_image(store, 1, _NEAR_B)
        exact = _put_image(store, 2, _NEAR_A)
        far = _put_image(store, 3, _FAR)
        with store.transaction():
            store.put_record(_record("local", "near", images=(near,)))
            store.put_record(_record("fbi", "exact", images=(far, exact)))
            store.put_record(_record("local", "far", images=(far,)))
        query = [{"phash": _NEAR_A}]
        found = store.search_images(query, limit=5, max_distance=10)
        assert [(r.record_id, distance) for r, distance in found] == [("exact", 0), ("near", 3)]
        assert store.search_images(query, limit=1, max_distance=10)[0][0].record_id == "exact"
        assert store.search_images(query, limit=5, max_distance=2)[0][0].record_id == "exact"
        only_local = store.search_images(query, limit=5, max_distance=10, registries=["local"])
        assert [r.record_id for r, _ in only_local] == ["near"]
        turned = store.search_images([{"phash@rot90": _NEAR_B}], limit=5, max_distance=0)
        assert [r.record_id for r, _ in turned] == ["near"]
        assert store.search_images([], limit=5, max_distance=64) == []

    def test_a_removed_or_replaced_record_is_not_found_by_its_old_image(self, store: Store) -> None:
        first = _put_image(store, 1, _NEAR_A)
        with store.transaction():
            store.put_record(_record("fbi", "gone", images=(first,)), mirrored=True)
            store.put_record(_record("fbi", "changed", images=(first,)), mirrored=True)
        store.mark_removed("fbi", ["gone"])
        with store.transaction():
            store.put_record(_record("fbi", "changed"), mirrored=True)  # its image taken away
        assert store.search_images([{"phash": _NEAR_A}], limit=5, max_distance=0) == []

    def test_records_are_found_by_shared_local_features(self, store: Store) -> None:
        shown, other = _features(1, count=200), _features(2, count=200)
        first = _put_image(store, 1, _NEAR_A, features=shown)
        second = _put_image(store, 2, _FAR, features=other)
        with store.transaction():
            store.put_record(_record("local", "shown", images=(first,)))
            store.put_record(_record("fbi", "other", images=(second,)))
        query = shown.descriptors[:100]
        found = store.search_by_features([query], limit=5, min_votes=5)
        assert [r.record_id for r, _ in found][:1] == ["shown"] and found[0][1] >= 5
        assert store.search_by_features([query], limit=5, min_votes=5, registries=["fbi"]) == []
        assert store.search_by_features([], limit=5, min_votes=5) == []

    def test_records_are_found_by_their_pictures_filling(self, store: Store) -> None:
        """A close photograph of a bare part of a work meets only the features that fill it
        (`LocalFeatures.filling`): the index keeps some of those too."""
        shown = _features(3, count=1500, filling=500)
        digest = _put_image(store, 1, _NEAR_A, features=shown)
        with store.transaction():
            store.put_record(_record("local", "shown", images=(digest,)))
        query = shown.descriptors[1000:1100]  # the first of its filling
        found = store.search_by_features([query], limit=5, min_votes=5)
        assert [r.record_id for r, _ in found] == ["shown"] and found[0][1] >= 50

    def test_an_images_features_replaced_are_kept_and_found_instead(self, store: Store) -> None:
        """`provcheck local refresh-features` describes an older image again, in place: its
        features and its share of the retrieval index are the new ones, at once."""
        old, new = _features(4, count=200), _features(5, count=300, filling=100)
        digest = _put_image(store, 1, _NEAR_A, features=old)
        unchanged = _put_image(store, 2, _FAR)
        with store.transaction():
            store.put_record(_record("local", "shown", images=(digest,)))
        assert store.search_by_features([old.descriptors[:100]], limit=5, min_votes=5)
        assert store.image_digests() == sorted([digest, unchanged])
        with store.transaction():
            store.replace_image_features(digest, new)
        kept = store.image_features(digest)
        assert kept is not None and kept.filling == 100
        assert (kept.descriptors == new.descriptors).all()
        # As many images indexed as before, and yet not the index saved before.
        assert store.search_by_features([old.descriptors[:100]], limit=5, min_votes=5) == []
        found = store.search_by_features([new.descriptors[200:300]], limit=5, min_votes=5)
        assert [r.record_id for r, _ in found] == ["shown"]
        store.replace_image_features(unchanged, old)  # an image kept without any
        again = store.image_features(unchanged)
        assert again is not None and (again.descriptors == old.descriptors).all()
        assert store.thumbnail(digest) == b"thumbnail 1"

    # Case files ----------------------------------------------------------------------------

    def test_cases_are_listed_oldest_first(self, store: Store) -> None:
        assert store.cases() == [] and not store.has_case("C-1")
        with store.transaction():
            store.add_case("C-2", "A clock", "2026-12-01T10:00:00+00:00")
            store.add_case("C-1", "Acorn lamp", "2026-11-20T10:00:00+00:00")
        assert store.has_case("C-1") and not store.has_case("C-3")
        assert store.cases() == [
            StoredCase("C-1", "Acorn lamp", "2026-11-20T10:00:00+00:00"),
            StoredCase("C-2", "A clock", "2026-12-01T10:00:00+00:00"),
        ]

    def test_case_entries_are_appended_in_order_and_kept_as_written(self, store: Store) -> None:
        with store.transaction():
            store.add_case("C-1", "Acorn lamp", "2026-11-20T10:00:00+00:00")
            store.add_case("C-2", "A clock", "2026-11-21T10:00:00+00:00")
        assert store.case_entries("C-1") == [] and store.last_case_entry("C-1") is None
        written = ['{"n": 1}', '{"n":  2, "é": "ü"}', '{"n": 3}']
        for sequence, text in enumerate(written, start=1):
            with store.transaction():
                store.add_case_entry("C-1", sequence, text)
        with store.transaction():
            store.add_case_entry("C-2", 1, '{"other": true}')
        assert store.case_entries("C-1") == [(1, written[0]), (2, written[1]), (3, written[2])]
        assert store.last_case_entry("C-1") == (3, written[2])
        assert store.case_entries("C-2") == [(1, '{"other": true}')]

    def test_a_failed_transaction_adds_no_case_entry(self, store: Store) -> None:
        with store.transaction():
            store.add_case("C-1", "Acorn lamp", "2026-11-20T10:00:00+00:00")
            store.add_case_entry("C-1", 1, '{"n": 1}')
        with pytest.raises(RuntimeError), store.transaction():
            store.add_case_entry("C-1", 2, '{"n": 2}')
            store.set_case_head("C-1", '{"entries": 2}')
            raise RuntimeError("interrupted")
        assert store.case_entries("C-1") == [(1, '{"n": 1}')] and store.case_head("C-1") is None

    def test_a_case_head_is_replaced(self, store: Store) -> None:
        with store.transaction():
            store.add_case("C-1", "Acorn lamp", "2026-11-20T10:00:00+00:00")
        assert store.case_head("C-1") is None
        with store.transaction():
            store.set_case_head("C-1", '{"entries": 1}')
        with store.transaction():
            store.set_case_head("C-1", '{"entries": 2}')
        assert store.case_head("C-1") == '{"entries": 2}' and store.case_head("C-2") is None

    def test_attached_files_are_kept_by_digest(self, store: Store) -> None:
        data = bytes(range(256)) * 4  # every byte value, NUL included
        with store.transaction():
            store.put_case_file("d1", data)
            store.put_case_file("d1", b"a second copy changes nothing")
            store.put_case_file("d2", b"")
        assert store.case_file("d1") == data and store.case_file("d2") == b""
        assert store.case_file("d3") is None

    # The service ---------------------------------------------------------------------------

    def test_api_keys_are_kept_listed_and_revoked_once(self, store: Store) -> None:
        first = StoredApiKey("a1", "Registrar", "check", "d" * 64, "2026-11-20T10:00:00+00:00")
        second = StoredApiKey("b2", "Curator", "read", "e" * 64, "2026-11-21T10:00:00+00:00")
        store.add_api_key(second)
        store.add_api_key(first)
        assert store.api_key("a1") == first and store.api_key("c3") is None
        assert store.api_keys() == [first, second]
        with pytest.raises(Exception):  # noqa: B017 -- each store raises its own kind
            store.add_api_key(first)
        assert store.revoke_api_key("a1", "2026-12-01T10:00:00+00:00")
        assert not store.revoke_api_key("a1", "2026-12-02T10:00:00+00:00")
        assert not store.revoke_api_key("c3", "2026-12-02T10:00:00+00:00")
        revoked = store.api_key("a1")
        assert revoked is not None and revoked.revoked_at == "2026-12-01T10:00:00+00:00"
        assert store.api_key("b2") == second

    def test_reports_are_kept_byte_for_byte_and_listed_newest_first(self, store: Store) -> None:
        texts = ['{"a":  1, "é": "ü"}', '{"b": 2}', '{"c": 3}']
        for number, text in enumerate(texts):
            kept = StoredReport(
                f"r{number}", f"2026-12-0{number + 1}T10:00:00+00:00", "incomplete", None
            )
            store.put_report(kept, text)
        assert store.report_json("r0") == texts[0] and store.report_json("r9") is None
        assert [r.report_id for r in store.reports(limit=10)] == ["r2", "r1", "r0"]
        assert [r.report_id for r in store.reports(limit=1, offset=1)] == ["r1"]
        with pytest.raises(Exception):  # noqa: B017 -- a kept report is never replaced
            store.put_report(
                StoredReport("r0", "2026-12-09T10:00:00+00:00", "possible-match", None), "{}"
            )
        assert store.report_json("r0") == texts[0]

    def test_a_withdrawn_record_is_kept_but_no_longer_found(self, store: Store) -> None:
        with store.transaction():
            store.put_record(_record("local", "L1", "Acorn lamp"))
        assert store.withdraw_record("local", "L1")
        assert not store.withdraw_record("local", "L1") and not store.withdraw_record("local", "L9")
        assert store.search_text(ObjectDescription(title="Acorn lamp"), limit=5) == []
        with store.transaction():
            store.put_record(_record("local", "L1", "Acorn lamp"))
        assert [
            r.record_id for r in store.search_text(ObjectDescription(title="Acorn"), limit=5)
        ] == ["L1"]

    def test_a_withdrawal_in_a_transaction_goes_with_it_and_is_listed(self, store: Store) -> None:
        with store.transaction():
            store.put_record(_record("local", "L1", "Acorn lamp"))
            store.put_record(_record("local", "L2", "Holly vase"))
        with pytest.raises(RuntimeError), store.transaction():
            store.withdraw_record("local", "L1")
            raise RuntimeError("interrupted")
        assert store.record_ids("local") == {"L1", "L2"} and store.removed_records("local") == []
        with store.transaction():
            assert store.withdraw_record("local", "L2")
        [(removed, when)] = store.removed_records("local")
        assert removed.record_id == "L2" and when[:2] == "20"  # an ISO 8601 time
        assert store.record_ids("local") == {"L1"} and store.get("local", "L2") is not None

    def test_words_most_records_use_still_find_them(self, store: Store) -> None:
        # Hundreds of records of one title (more than a search reads by rare words): a search
        # by that title finds them, whatever other words the query's translations add.
        many = [_record("ours", f"P{n}", "Portrait of a man") for n in range(700)]
        with store.transaction():
            store.put_records(many)
        found = store.search_text(ObjectDescription(title="Portrait of a man"), limit=20)
        assert len(found) == 20
        assert all(r.description.title == "Portrait of a man" for r in found)

    def test_a_word_longer_than_any_is_kept_and_searched(self, store: Store) -> None:
        title = "Vase " + "abcdefghij" * 300  # 3,000 letters: no index keeps such a word
        with store.transaction():
            store.put_record(_record("ours", "long", title))
        assert store.get("ours", "long") is not None
        found = store.search_text(ObjectDescription(title=title), limit=5)
        assert [r.record_id for r in found] == ["long"]
