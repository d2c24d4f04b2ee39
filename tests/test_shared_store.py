"""One store used from several places at once -- several workers, a command line beside them --
as a team's store is: each case below runs against SQLite and PostgreSQL alike, every place with a
connection of its own. Nothing written is lost or written twice, and nothing is left waiting."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, NSAF
from sample_registries import MemoryRegistry

from provcheck import ObjectDescription, Record, RegistryError
from provcheck.batch import read_catalogue, run_batch
from provcheck.cases import CaseFile
from provcheck.store.importing import import_file, load_mapping
from provcheck.store.interface import StoredJob
from provcheck.store.local_register import LocalRegistry
from provcheck.store.mirroring import mirror
from provcheck.store.opening import open_store

pytestmark = pytest.mark.anyio


def test_an_import_runs_while_checks_read_the_store(any_store: str) -> None:
    """Checks go on while a register is imported: each sees the records as they were or as they
    are, never fails, and finds the new ones once the import has committed."""
    with open_store(any_store) as store:
        import_file(store, FIXTURES / "sample-register" / "records.jsonl")
    known = ObjectDescription(title="Portrait of a Young Woman with a Pearl Necklace")
    new = ObjectDescription(title="Seated Buddha", maker_text="unknown")
    failures: list[BaseException] = []
    done = threading.Event()

    def importing() -> None:
        try:
            with open_store(any_store) as store:
                import_file(store, NSAF, mapping=load_mapping("nsaf"))
        except BaseException as error:  # pragma: no cover -- reported below
            failures.append(error)
        finally:
            done.set()

    writer = threading.Thread(target=importing)
    searches = 0
    with open_store(any_store) as reader:
        wanted = reader.search_text(known, limit=1)[0].key
        writer.start()
        while not done.is_set() or searches < 3:
            assert wanted in [r.key for r in reader.search_text(known, limit=20)]
            searches += 1
        writer.join()
        assert not failures, failures
        assert reader.count("fbi") > 4_000
        assert any(r.registry == "fbi" for r in reader.search_text(new, limit=20))
    assert searches >= 3


class _SlowListing(MemoryRegistry):
    """A register whose listing waits, mid-sync, until it is let go."""

    name = "listed"

    def __init__(self) -> None:
        super().__init__([{"description": {"title": f"Object {i}"}} for i in range(5)])
        self.listing = asyncio.Event()
        self.go_on = asyncio.Event()

    async def iter_records(self, *, since: datetime | None = None) -> AsyncIterator[Record]:
        for number, record in enumerate(self.records):
            if number == 2:
                self.listing.set()
                await self.go_on.wait()
            yield record.model_copy(update={"modified": datetime(2026, 1, 1, tzinfo=UTC)})

    async def count_records(self) -> int | None:
        return len(self.records)


async def test_a_second_sync_of_a_register_says_the_first_runs_and_does_nothing(
    any_store: str,
) -> None:
    register = _SlowListing()
    with open_store(any_store) as first, open_store(any_store) as second:
        running = asyncio.create_task(mirror(register, first))
        await register.listing.wait()
        with pytest.raises(RegistryError, match=r"another sync of listed into .* is running"):
            await mirror(register, second)
        register.go_on.set()
        summary = await running
        assert summary.added == 5
        assert second.mirror_state("listed") is not None
        again = await mirror(register, second)  # the first has ended: the lock is free
        assert again.fetched == 5


def test_case_entries_appended_from_two_places_stay_one_chain(any_store: str) -> None:
    with open_store(any_store) as store:
        case_id = CaseFile(store).new("Bronze figure of a horse").case_id
    failures: list[BaseException] = []

    def writing(writer: str) -> None:
        try:
            with open_store(any_store) as store:
                cases = CaseFile(store)
                for number in range(12):
                    cases.add_note(case_id, f"{writer}: note {number}")
        except BaseException as error:  # pragma: no cover -- reported below
            failures.append(error)

    writers = [threading.Thread(target=writing, args=(name,)) for name in ("desk", "service")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert not failures, failures
    with open_store(any_store) as store:
        cases = CaseFile(store)
        verified = cases.verify(case_id)
        assert verified.ok, verified.problem
        assert verified.entries == 25
        assert [sequence for sequence, _ in store.case_entries(case_id)] == list(range(1, 26))


def test_each_job_is_taken_by_one_worker_only(any_store: str) -> None:
    now = "2026-12-01T10:00:00+00:00"
    with open_store(any_store) as store:
        for number in range(30):
            store.add_job(
                StoredJob(f"job-{number:02}", "batch", "queued", now, now, now, request_json="{}")
            )
    taken: dict[str, list[str]] = {"a": [], "b": []}

    def working(worker: str) -> None:
        with open_store(any_store) as store:
            while (job := store.claim_job(now, "2026-12-01T11:00:00+00:00")) is not None:
                taken[worker].append(job.job_id)

    workers = [threading.Thread(target=working, args=(name,)) for name in taken]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    every = taken["a"] + taken["b"]
    assert sorted(every) == [f"job-{number:02}" for number in range(30)]  # each once
    with open_store(any_store) as store:
        assert {job.attempts for job in store.jobs(limit=100)} == {1}


async def test_two_batches_of_one_catalogue_check_every_object_each(
    any_store: str, tmp_path: Path
) -> None:
    """Two people screen the same catalogue against one store at once, each into a folder of
    their own: both finish, every object checked in each, nothing journaled twice."""
    with open_store(any_store) as store:
        import_file(store, FIXTURES / "sample-register" / "records.jsonl")
    items, problems = read_catalogue(FIXTURES / "catalogue" / "catalogue.csv")
    assert not problems

    async def batch(out: Path) -> int:
        local = LocalRegistry(path=any_store)
        try:
            summary = await run_batch(items, [local], out, concurrency=2)
        finally:
            await local.aclose()
        return summary.checked

    first, second = await asyncio.gather(batch(tmp_path / "a"), batch(tmp_path / "b"))
    assert first == second == len(items)
    for folder in ("a", "b"):
        journal = (tmp_path / folder / "journal.jsonl").read_text().splitlines()
        assert len(journal) == len(items)
