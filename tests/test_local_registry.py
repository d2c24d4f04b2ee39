from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES, NSAF
from PIL import Image, ImageFilter

import provcheck
from provcheck import Conclusion, ObjectDescription, OutcomeState, Registry
from provcheck.store.importing import import_file, load_mapping
from provcheck.store.local_register import LocalRegistry
from provcheck.store.sqlite import LocalStore
from provcheck.store.sqlite_file import upgrade_store_file
from provcheck.testing import RegistryConformance

QUERIES = FIXTURES / "queries"


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "store.sqlite3"
    with LocalStore(path) as store:
        import_file(store, FIXTURES / "sample-register" / "records.jsonl")
    return path


@pytest.fixture(scope="module")
def nsaf_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nsaf") / "store.sqlite3"
    with LocalStore(path) as store:
        import_file(store, NSAF, mapping=load_mapping("nsaf"))
    return path


class TestLocalRegistryConformance(RegistryConformance):
    @pytest.fixture
    def registry_factory(self, sample_store: Path) -> Callable[[], Registry]:
        return lambda: LocalRegistry(path=str(sample_store))

    @pytest.fixture
    def query_with_records(self) -> ObjectDescription:
        return ObjectDescription(title="The Horsewoman", maker="Bryullov")

    @pytest.fixture
    def query_without_records(self) -> ObjectDescription:
        return ObjectDescription(title="Zyzzyva quokka")

    @pytest.fixture
    def failing_registry(self, tmp_path: Path) -> Registry:
        (tmp_path / "garbage.sqlite3").write_bytes(b"not a database" * 1000)
        return LocalRegistry(path=str(tmp_path / "garbage.sqlite3"))

    @pytest.fixture
    def hanging_registry(self, sample_store: Path) -> Registry:
        return _StalledDisk(path=str(sample_store))


class _StalledDisk(LocalRegistry):
    """A store on a disk that has stopped answering (a network share gone away)."""

    def _search(self, query: ObjectDescription, limit: int) -> provcheck.SearchResult:
        time.sleep(1.0)
        return super()._search(query, limit)


def test_text_search_finds_the_record_first(nsaf_store: Path) -> None:
    report = provcheck.check(
        {"title": "Hysterical Venus", "maker": "Dali"}, [LocalRegistry(path=str(nsaf_store))]
    )
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    assert report.candidates[0].record.record_id == "hysterical-venus"
    assert report.outcome("local").source is provcheck.DataSource.LOCAL
    assert report.outcome("local").data_as_of is not None


def test_a_new_photograph_finds_the_registered_painting(sample_store: Path) -> None:
    query = ObjectDescription.from_file(QUERIES / "dealer-photo.json")
    report = provcheck.check(query, [LocalRegistry(path=str(sample_store))])
    best = report.candidates[0]
    assert best.record.description.title == "The Horsewoman"
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    images = next(e for e in best.evidence if e.field == "images")
    assert images.similarity is not None and images.similarity > 0.8


def test_image_search_alone_retrieves_by_fingerprint(sample_store: Path) -> None:
    query = provcheck.images.fingerprints.fingerprinted(
        ObjectDescription.from_file(QUERIES / "dealer-photo.json").images[0]
    )
    with LocalStore(sample_store) as store:
        hits = store.search_images([query.fingerprints], limit=3, max_distance=18)
    assert hits[0][0].record_id == "LOSS-2020"
    assert hits[0][1] <= 10


def test_a_painting_that_a_few_of_a_photographs_patches_meet_is_still_compared(
    sample_store: Path,
) -> None:
    """A soft, close photograph of 6% of a painting meets its stored features in four
    places only, and every other painting in one at most: the register must still hand it to
    verification (at 10,000 images, such photographs -- details, printed halftones -- were left
    out while five meetings were asked for)."""
    painting = Image.open(
        FIXTURES / "sample-register" / "images" / "imgdata-bathing-of-a-red-horse.jpg"
    )
    w, h = painting.convert("RGB").size
    side = 0.06**0.5
    part = painting.convert("RGB").crop(
        (
            int(w * (0.45 - side / 2)),
            int(h * (0.55 - side / 2)),
            int(w * (0.45 + side / 2)),
            int(h * (0.55 + side / 2)),
        )
    )
    part = part.resize((900, 900 * part.height // part.width), Image.Resampling.BICUBIC)
    photograph = io.BytesIO()
    part.filter(ImageFilter.GaussianBlur(2.5)).save(photograph, format="JPEG", quality=60)
    query = ObjectDescription.model_validate({"images": [photograph.getvalue()]})
    registry = LocalRegistry(path=str(sample_store))
    found = asyncio.run(registry.search(query, limit=10))
    assert "LOSS-2005" in [record.record_id for record in found]


def test_an_object_in_no_register_is_no_match_found(sample_store: Path) -> None:
    query = ObjectDescription.from_file(QUERIES / "not-registered.json")
    report = provcheck.check(query, [LocalRegistry(path=str(sample_store))])
    assert report.conclusion is Conclusion.NO_MATCH_FOUND
    assert all(c.score < report.match_threshold for c in report.candidates)


def test_a_reworded_description_finds_the_lamp(sample_store: Path) -> None:
    query = ObjectDescription.from_file(QUERIES / "reworded.json")
    report = provcheck.check(query, [LocalRegistry(path=str(sample_store))])
    assert report.candidates[0].record.key == "fbi:acorn"
    assert report.conclusion is Conclusion.POSSIBLE_MATCH


def test_an_empty_store_proves_nothing(tmp_path: Path) -> None:
    query = {"title": "Harbour at dusk", "maker": "Jan Vermeulen"}
    LocalStore(tmp_path / "empty.sqlite3").close()
    report = provcheck.check(query, [LocalRegistry(path=str(tmp_path / "empty.sqlite3"))])
    outcome = report.outcome("local")
    assert outcome.state is OutcomeState.SKIPPED
    assert outcome.reason and "holds no records" in outcome.reason
    assert report.conclusion is Conclusion.INCOMPLETE


def test_no_store_proves_nothing_and_is_not_made(tmp_path: Path) -> None:
    query = {"title": "Harbour at dusk", "maker": "Jan Vermeulen"}
    report = provcheck.check(query, [LocalRegistry(path=str(tmp_path / "new.sqlite3"))])
    outcome = report.outcome("local")
    assert outcome.state is OutcomeState.SKIPPED
    assert outcome.reason and "there is no store there" in outcome.reason
    assert report.conclusion is Conclusion.INCOMPLETE
    assert list(tmp_path.iterdir()) == []


def test_local_is_installed_through_the_entry_point(private_store: Path) -> None:
    entries = provcheck.installed_registries()
    assert entries["local"].target == "provcheck.store.local_register:LocalRegistry"
    registry = provcheck.open_registry("local")
    assert registry.settings.path == str(private_store)  # from PROVCHECK_LOCAL_PATH
    asyncio.run(registry.aclose())
    report = provcheck.check({"title": "x"})  # every installed register: local among them
    assert "local" in [o.registry for o in report.outcomes]


def test_the_failing_store_is_a_failed_outcome(tmp_path: Path) -> None:
    (tmp_path / "bad.sqlite3").write_bytes(b"garbage" * 1000)
    report = provcheck.check({"title": "x"}, [LocalRegistry(path=str(tmp_path / "bad.sqlite3"))])
    outcome = report.outcome("local")
    assert outcome.state is OutcomeState.FAILED
    assert outcome.error is not None and "not a provcheck store" in outcome.error.message
    assert report.conclusion is Conclusion.INCOMPLETE


def test_store_stats_as_json_is_plain_json(sample_store: Path) -> None:
    with LocalStore(sample_store) as store:
        stats = store.stats()
    shown = stats.as_json()
    assert json.loads(json.dumps(shown)) == shown  # plain JSON values only: no Path, no dataclass
    assert list(shown) == ["path", "size_bytes", "records", "images", "last_import"]
    assert shown["path"] == str(sample_store)
    assert shown["records"] == {"fbi": 10, "local": 35}
    assert shown["images"] == stats.images > 0
    last = shown["last_import"]
    assert last["source"].endswith("records.jsonl") and last["added"] == 45
    assert list(last) == [
        "id", "source", "started_at", "finished_at", "added", "updated", "skipped",
    ]  # fmt: skip
    shown["records"]["fbi"] = 0  # a copy: the stats themselves are not changed through it
    assert stats.records_by_registry["fbi"] == 10


def test_an_empty_store_stats_as_json_has_no_last_import(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "empty.sqlite3") as store:
        shown = store.stats().as_json()
    assert (shown["records"], shown["images"], shown["last_import"]) == ({}, 0, None)


def test_the_store_may_be_given_as_a_path_object(tmp_path: Path) -> None:
    """A notebook's `Path` names the store as a string would; never silently the default one."""
    from provcheck.batch import open_registries

    store = tmp_path / "given.sqlite3"
    opened = provcheck.open_registry("local", path=store)
    assert opened.settings.path == str(store)
    (batch_local,) = open_registries(["local"], store=store)
    assert not isinstance(batch_local, str) and batch_local.settings.path == str(store)


def test_a_record_added_by_another_connection_is_searched_by_its_respelled_words(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite3"
    with LocalStore(path) as searching, LocalStore(path) as writing:
        import_file(searching, FIXTURES / "sample-register" / "records.jsonl")
        query = ObjectDescription(title="Kaleidoscopic Marmoset")
        assert searching.search_text(query, limit=5) == []
        writing.put_record(
            provcheck.Record(
                registry="local",
                record_id="x1",
                description=ObjectDescription(title="Kaleidoscopik Marmosett"),
            )
        )
        # "Kaleidoscopic" is found as the new record's spelling, read after the other's write.
        assert [r.record_id for r in searching.search_text(query, limit=5)] == ["x1"]


def test_reports_written_to_the_store_do_not_make_it_read_its_records_again(
    tmp_path: Path,
) -> None:
    from provcheck.store.interface import StoredReport

    path = tmp_path / "store.sqlite3"
    with LocalStore(path) as searching, LocalStore(path) as service:
        import_file(searching, FIXTURES / "sample-register" / "records.jsonl")
        words = searching._title_and_maker_terms()
        service.put_report(StoredReport("r1", "2026-12-02T00:00:00Z", "no_match", None), "{}")
        # A service writes a report at every check: the vocabulary of every title must not
        # be read again for each (it was, and it was most of a check's time).
        assert searching._title_and_maker_terms() is words
        service.withdraw_record(
            "local",
            searching.search_text(ObjectDescription(title="The Horsewoman"), limit=1)[0].record_id,
        )
        assert searching._title_and_maker_terms() is not words


def test_a_store_from_before_the_records_generation_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with LocalStore(path) as store:
        import_file(store, FIXTURES / "sample-register" / "records.jsonl")
        db = store.connection
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall():
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE records_generation")
        db.execute("DROP TABLE schema_migrations")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    assert upgrade_store_file(path) == (1, 2)
    with LocalStore(path) as store:
        assert store.count() == 45  # nothing lost
        before = store._version()
        store.put_record(
            provcheck.Record(
                registry="local", record_id="x2", description=ObjectDescription(title="A new one")
            )
        )
        assert store._version() > before
        assert store.search_text(ObjectDescription(title="The Horsewoman"), limit=1)


def test_a_record_changed_by_another_connection_is_found_as_it_now_is(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    query = ObjectDescription(title="The Horsewoman")
    with LocalStore(path) as searching, LocalStore(path) as writing:
        import_file(searching, FIXTURES / "sample-register" / "records.jsonl")
        (first,) = searching.search_text(query, limit=1)
        changed = first.model_copy(update={"place_of_loss": "Kyiv, changed since"})
        writing.put_record(changed)
        # Records already read are kept, but never past a change to them.
        (again,) = searching.search_text(query, limit=1)
        assert again.place_of_loss == "Kyiv, changed since"


def test_a_kept_record_is_read_again_when_its_json_differs(tmp_path: Path) -> None:
    # Another connection may write between a search's query and the reading of its rows: a
    # record is kept by the JSON read, never served for other JSON of the same row.
    with LocalStore(tmp_path / "store.sqlite3") as store:
        old = provcheck.Record(registry="local", record_id="r", place_of_loss="Cologne")
        new = old.model_copy(update={"place_of_loss": "Kyiv"})
        assert store._records_of([(1, old.model_dump_json())])[0].place_of_loss == "Cologne"
        assert store._records_of([(1, new.model_dump_json())])[0].place_of_loss == "Kyiv"
