"""The same object from two sources -- the NSAF listing imported, the FBI API mirrored; two
registers whose records name each other (`Record.same_as`) -- is one candidate naming both; a
mirror marks removed only what it mirrored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import NSAF
from hypothesis import given, settings
from hypothesis import strategies as st
from provcheck_fbi import FbiRegistry
from provcheck_fbi.service import FbiService, create_mock

from provcheck import ObjectDescription, Record, RecordStatus, acheck
from provcheck.errors import InputError
from provcheck.model.candidate import Band, Candidate
from provcheck.model.duplicates import merge_same_objects
from provcheck.reports.terminal import render_report
from provcheck.store.importing import import_file, load_mapping
from provcheck.store.mirroring import mirror
from provcheck.store.sqlite import LocalStore
from provcheck.store.sqlite_file import upgrade_store_file
from provcheck.testing.mocks import in_process

pytestmark = pytest.mark.anyio
ROWS = 4523


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def candidate(record_id: str, score: float, registry: str = "fbi", **fields: Any) -> Candidate:
    raw = fields.pop("raw", None)
    record = Record(registry=registry, record_id=record_id, raw=raw, **fields)
    return Candidate(record=record, score=score, band=Band.WEAK)


def keys(candidates: list[Candidate]) -> list[tuple[str, tuple[str, ...]]]:
    return [(c.record.key, c.also_recorded_as) for c in candidates]


def test_records_with_one_reference_url_are_one_candidate() -> None:
    ranked = [
        candidate("de8b6d55", 0.71, url="https://www.fbi.gov/nsaf/acorn"),
        candidate("other", 0.5, url="https://www.fbi.gov/nsaf/oak"),
        candidate("acorn", 0.6, url="http://WWW.FBI.GOV/nsaf/acorn/"),
        candidate("acorn", 0.4, registry="local", url="https://www.fbi.gov/nsaf/acorn"),
    ]
    assert keys(merge_same_objects(ranked)) == [
        ("fbi:de8b6d55", ("fbi:acorn",)),
        ("fbi:other", ()),
        ("local:acorn", ()),  # another register's record is its own candidate
    ]


def test_a_record_without_url_joins_only_a_one_to_one_pair() -> None:
    def coin(record_id: str, score: float, url: str | None, **raw: str) -> Candidate:
        description = {"title": "Coin With Writing", "maker": "Rome"}
        return candidate(record_id, score, url=url, description=description, raw=raw)

    pair = [
        coin("nsaf-01049-coin", 0.8, None, **{"Reference Number": "01049"}),
        coin("uid1", 0.7, "https://www.fbi.gov/nsaf/coin-1", referenceNumber="01049"),
    ]
    assert keys(merge_same_objects(pair)) == [("fbi:nsaf-01049-coin", ("fbi:uid1",))]
    # Four coins of one case in both sources: which is which cannot be told; all are shown.
    many = [
        *pair,
        coin("nsaf-01049-coin-2", 0.6, None, **{"Reference Number": "01049"}),
        coin("uid2", 0.5, "https://www.fbi.gov/nsaf/coin-2", referenceNumber="01049"),
    ]
    assert len(merge_same_objects(many)) == 4
    other_case = [pair[0], coin("uid3", 0.7, "https://x.org/a", referenceNumber="00001")]
    assert len(merge_same_objects(other_case)) == 2


def test_a_record_paired_to_a_group_whose_leader_changed_is_not_lost() -> None:
    # The URL group {api, listing} is led first by `api`, then by `named` (better, no URL, paired
    # by case, title and maker); `bare` pairs with the same group by case and title alone.
    def acorn(record_id: str, score: float, url: str | None, maker: str | None) -> Candidate:
        description = {"title": "Acorn", "maker": maker}
        return candidate(
            record_id, score, url=url, description=description, raw={"caseNumber": "7"}
        )

    ranked = [
        acorn("named", 0.9, None, "Smith"),
        acorn("api", 0.8, "https://www.fbi.gov/nsaf/acorn", "Smith"),
        acorn("listing", 0.7, "https://www.fbi.gov/nsaf/acorn", None),
        acorn("bare", 0.6, None, None),
    ]
    assert keys(merge_same_objects(ranked)) == [
        ("fbi:named", ("fbi:api", "fbi:listing", "fbi:bare"))
    ]


def test_records_of_two_registers_that_name_each_other_are_one_candidate() -> None:
    # Wikidata names the Lost Art record; a police alert names the museum's own loss.
    ranked = [
        candidate("Q1", 0.9, registry="wikidata", same_as=("lostart:598103",)),
        candidate("alert-7", 0.8, registry="police", same_as=("museum:inv-12",)),
        candidate("598103", 0.7, registry="lostart"),
        candidate("inv-12", 0.6, registry="museum"),
        candidate("Q2", 0.5, registry="wikidata", same_as=("lostart:1",)),  # names none here
    ]
    assert keys(merge_same_objects(ranked)) == [
        ("wikidata:Q1", ("lostart:598103",)),
        ("police:alert-7", ("museum:inv-12",)),
        ("wikidata:Q2", ()),
    ]


def test_a_cross_reference_joins_in_either_direction_and_through_a_third_record() -> None:
    named_by_the_worse = [
        candidate("598103", 0.9, registry="lostart"),
        candidate("Q1", 0.5, registry="wikidata", same_as=("lostart:598103",)),
    ]
    assert keys(merge_same_objects(named_by_the_worse)) == [("lostart:598103", ("wikidata:Q1",))]
    # Two records naming one Lost Art record that is not among the results: one object still.
    both_name_it = [
        candidate("Q1", 0.9, registry="wikidata", same_as=("lostart:598103",)),
        candidate("m-1", 0.4, registry="mnr", same_as=("lostart:598103",)),
    ]
    assert keys(merge_same_objects(both_name_it)) == [("wikidata:Q1", ("mnr:m-1",))]


def test_an_empty_cross_reference_leaves_the_records_json_as_it_was() -> None:
    plain = Record(registry="wikidata", record_id="Q1")
    assert "same_as" not in plain.model_dump(mode="json")
    named = plain.model_copy(update={"same_as": ("lostart:1",)})
    assert named.model_dump(mode="json")["same_as"] == ["lostart:1"]
    with pytest.raises(ValueError, match="registry:record_id"):
        Record(registry="wikidata", record_id="Q1", same_as=("no colon",))


async def test_one_object_in_two_registers_is_one_candidate_each_keeping_its_record() -> None:
    from sample_registries import MemoryRegistry

    class Wikidata(MemoryRegistry):
        name = "wikidata"

    class LostArt(MemoryRegistry):
        name = "lostart"

    painting = {"title": "The Concert", "maker": "Vermeer"}
    wikidata = Wikidata([{"description": painting, "status": "recovered",
                          "same_as": ("lostart:0",)}])  # fmt: skip
    lostart = LostArt([{"description": painting, "status": "looted"}])
    report = await acheck({"title": "The Concert", "maker": "Vermeer"}, [wikidata, lostart])
    (one,) = report.candidates
    assert {one.record.key, *one.also_recorded_as} == {"wikidata:0", "lostart:0"}
    # Each register's outcome keeps its own record, and its status.
    assert report.outcome("wikidata").candidates[0].record.status is RecordStatus.RECOVERED
    assert report.outcome("lostart").candidates[0].record.status is RecordStatus.LOOTED
    assert f"also recorded as {one.also_recorded_as[0]}" in render_report(report)


# Few values, so that records often share a URL, or a case, title and maker.
_RECORDS = st.lists(
    st.tuples(
        st.sampled_from([None, None, "https://x.org/a", "http://X.ORG/a/", "https://x.org/b"]),
        st.sampled_from(["Acorn", "Acorn", "Oak"]),
        st.sampled_from([None, "Smith", "Jones"]),
        st.sampled_from([None, "7", "7", "8"]),
        st.sampled_from(["fbi", "fbi", "fbi", "local"]),
        st.sampled_from([(), (), ("local:r0",), ("fbi:r1", "lostart:9"), ("lostart:9",)]),
    ),
    max_size=10,
)


@given(_RECORDS)
@settings(max_examples=500, deadline=None)
def test_no_record_is_ever_lost_nor_shown_twice(records: list[tuple[Any, ...]]) -> None:
    ranked = [
        candidate(
            f"r{n}",
            1 - n / 100,
            registry=registry,
            url=url,
            description={"title": title, "maker": maker},
            raw={"caseNumber": case} if case else None,
            same_as=same_as,
        )
        for n, (url, title, maker, case, registry, same_as) in enumerate(records)
    ]
    merged = merge_same_objects(ranked)
    shown = [key for c in merged for key in (c.record.key, *c.also_recorded_as)]
    assert sorted(shown) == sorted(c.record.key for c in ranked)
    # The best-scoring record of each group stands for it: the output keeps the ranking's order.
    positions = [ranked.index(c) for c in ranked if c.record.key in {m.record.key for m in merged}]
    assert [m.record.key for m in merged] == [ranked[p].record.key for p in positions]
    for leader in merged:
        scores = {c.record.key: c.score for c in ranked}
        assert all(scores[k] <= leader.score for k in leader.also_recorded_as)


@pytest.fixture
def imported_and_mirrored(tmp_path: Path) -> tuple[Any, Path, FbiService]:
    mock = create_mock(None, {"photographs": "0"})
    assert isinstance(mock.state, FbiService)
    path = tmp_path / "store.sqlite3"
    with LocalStore(path) as store:
        import_file(store, NSAF, mapping=load_mapping("nsaf"))
    return mock.app, path, mock.state


def registry(app: Any, path: Path, **settings: Any) -> FbiRegistry:
    return FbiRegistry(transport=in_process(app), base_url="http://fbi.mock", min_interval=0,
                       store=str(path), **settings)  # fmt: skip


async def test_a_mirror_leaves_imported_records_of_its_register_alone(
    imported_and_mirrored: tuple[Any, Path, FbiService],
) -> None:
    app, path, service = imported_and_mirrored
    with LocalStore(path) as store:
        async with registry(app, path) as fbi:
            first = await mirror(fbi, store)
        assert (first.fetched, first.added, first.removed) == (ROWS, ROWS, 0)
        assert store.count("fbi") == 2 * ROWS
        assert store.record_ids("fbi", mirrored=True) != store.record_ids("fbi", mirrored=False)
        gone = service.items[0]["uid"]
        service.take_down(gone)
        async with registry(app, path) as fbi:
            again = await mirror(fbi, store)  # the count disagrees: the whole list is read
        assert again.removed == 1
        assert store.count("fbi") == 2 * ROWS - 1
        assert gone not in store.record_ids("fbi")
        assert "kapow" in store.record_ids("fbi")  # its listing's record stays


async def test_one_object_from_two_sources_is_one_candidate(
    imported_and_mirrored: tuple[Any, Path, FbiService],
) -> None:
    app, path, _ = imported_and_mirrored
    with LocalStore(path) as store:
        async with registry(app, path) as fbi:
            await mirror(fbi, store)
    query = ObjectDescription(title="Acorn", maker="Tiffany", period="1906",
                              measurements="24 in", materials="copper; stained glass")  # fmt: skip
    report = await acheck(query, [registry(app, path, mode="mirror")])
    outcome = report.outcome("fbi")
    found = [c for c in outcome.candidates if "acorn" in c.record.key or any(
        "acorn" in k for k in c.also_recorded_as)]  # fmt: skip
    assert len(found) == 1, [c.record.key for c in outcome.candidates]
    (acorn,) = found
    assert len(acorn.also_recorded_as) == 1
    both = {acorn.record.key, *acorn.also_recorded_as}
    assert "fbi:acorn" in both and len(both) == 2
    keys_shown = [c.record.key for c in outcome.candidates]
    assert len(keys_shown) == len(set(keys_shown))
    assert f"also recorded as {acorn.also_recorded_as[0]}" in render_report(report)


def test_a_store_from_before_origins_knows_its_mirrored_records(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with LocalStore(path) as store, store.transaction():
        import_id = store.start_import("listing.csv")
        store.put_record(Record(registry="fbi", record_id="acorn"), import_id=import_id)
        store.put_record(Record(registry="fbi", record_id="de8b6d55"))
        store.finish_import(import_id, added=1, updated=0, skipped=0)
    with LocalStore(path) as store:  # as a store written before records knew their origin
        store.connection.execute("ALTER TABLE records DROP COLUMN origin")
        store.connection.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with pytest.raises(InputError, match="run `provcheck store upgrade"):
        LocalStore(path)
    assert upgrade_store_file(path) == (1, 2)
    with LocalStore(path) as store:
        assert store.record_ids("fbi", mirrored=True) == {"de8b6d55"}
        assert store.mark_removed("fbi", ["acorn", "de8b6d55"]) == 1
        assert store.record_ids("fbi") == {"acorn"}


def test_one_object_from_the_local_store_and_its_register_is_one_candidate_in_the_report(
    tmp_path: Path,
) -> None:
    """The demo's lamp: `fbi:acorn` imported from the NSAF listing into the local store, and the
    same item from the FBI's API -- two registers' outcomes, one object in the report."""
    import contextlib
    import io

    from provcheck.cli.demo import run_demo

    with contextlib.redirect_stdout(io.StringIO()):
        reworded = run_demo(tmp_path)[1]
    urls = [c.record.url for c in reworded.candidates if c.record.registry == "fbi"]
    assert len(urls) == len(set(urls)), "one FBI item shown twice"
    lamp = next(c for c in reworded.candidates if c.record.key == "fbi:acorn")
    assert any(key.startswith("fbi:") for key in lamp.also_recorded_as)
    # Each register's outcome keeps what that register answered.
    assert any(c.record.key != "fbi:acorn" for c in reworded.outcome("fbi").candidates)
