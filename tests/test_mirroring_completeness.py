"""A mirror is never wiped by a bad answer: a listing marks records removed only when it is known
complete -- as long as the register's count, never empty, and not taking most of the mirror away
unless a full sync was asked for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sample_registries import MemoryRegistry

from provcheck import Record, RegistryError
from provcheck.store.mirroring import MirrorSummary, mirror
from provcheck.store.sqlite import LocalStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class ListedRegistry(MemoryRegistry):
    """A register with bulk access whose listing can end early (a proxy's truncated answer) and
    whose count can say something else than its listing."""

    name = "listed"

    def __init__(self, ids: range) -> None:
        super().__init__([{"description": {"title": f"Object {i}"}} for i in ids])
        self.listed: int | None = None  # None: every record; else only the first this many
        self.count: int | None = len(self.records)

    async def iter_records(self, *, since: datetime | None = None) -> AsyncIterator[Record]:
        when = datetime(2026, 1, 1, tzinfo=UTC)
        for record in self.records[: self.listed]:
            yield record.model_copy(update={"modified": when})

    async def count_records(self) -> int | None:
        return self.count


async def sync(path: Path, registry: ListedRegistry, *, full: bool = False) -> MirrorSummary:
    with LocalStore(path) as store:
        return await mirror(registry, store, full=full)


def held(path: Path) -> int:
    with LocalStore(path) as store:
        return len(store.record_ids("listed"))


def synced_at(path: Path) -> str | None:
    with LocalStore(path) as store:
        state = store.mirror_state("listed")
        return state.synced_at if state is not None else None


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite3"


async def test_a_listing_short_of_the_count_fails_and_marks_nothing_removed(store: Path) -> None:
    register = ListedRegistry(range(10))
    await sync(store, register)
    before = synced_at(store)
    register.listed = 4  # the proxy ended the listing; the register still counts 10
    with pytest.raises(
        RegistryError,
        match=r"^the listing ended after 4 of 10 records; nothing was marked removed$",
    ):
        await sync(store, register, full=True)
    assert held(store) == 10
    assert synced_at(store) == before, "an incomplete listing was counted as a sync"


async def test_a_first_sync_short_of_the_count_keeps_what_it_stored_unsynced(store: Path) -> None:
    register = ListedRegistry(range(10))
    register.listed = 3
    with pytest.raises(RegistryError, match="after 3 of 10 records"):
        await sync(store, register)
    assert held(store) == 3 and synced_at(store) is None


async def test_an_empty_listing_is_never_a_synced_empty_mirror(store: Path) -> None:
    register = ListedRegistry(range(0))
    register.count = None
    with pytest.raises(RegistryError, match=r"^the register listed no records;"):
        await sync(store, register)
    assert synced_at(store) is None


@pytest.mark.parametrize("full", [False, True])
async def test_an_empty_listing_marks_nothing_removed(store: Path, full: bool) -> None:
    register = ListedRegistry(range(10))
    await sync(store, register)
    register.listed, register.count = 0, 0  # the count answered empty too
    with pytest.raises(RegistryError, match="the register listed no records"):
        await sync(store, register, full=full)
    assert held(store) == 10


async def test_most_of_a_mirror_is_not_removed_unless_a_full_sync_is_asked(store: Path) -> None:
    register = ListedRegistry(range(20))
    await sync(store, register)
    register.listed, register.count = 16, 16  # a few withdrawn: marked removed as ever
    assert (await sync(store, register)).removed == 4 and held(store) == 16
    register.listed, register.count = 3, 3  # listing and count agree: 13 of 16 withdrawn?
    with pytest.raises(
        RegistryError, match=r"would mark 13 of the mirror's 16 records removed; nothing was marked"
    ):
        await sync(store, register)
    assert held(store) == 16
    summary = await sync(store, register, full=True)  # asked for: the registrar said so
    assert summary.removed == 13 and held(store) == 3


async def test_a_shortfall_within_one_in_a_thousand_is_complete(store: Path) -> None:
    register = ListedRegistry(range(2000))
    register.listed = 1998  # two items the plugin could not read, or withdrawn during the sync
    summary = await sync(store, register)
    assert summary.fetched == 1998 and synced_at(store) is not None
    register.listed = 1997
    with pytest.raises(RegistryError, match="after 1,997 of 2,000 records"):
        await sync(store, register, full=True)
