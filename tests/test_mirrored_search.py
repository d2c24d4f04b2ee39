"""`search_mirror`: a register's mirror in the local store, searched for a plugin."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from provcheck import (
    DataSource,
    LocalStore,
    MirrorState,
    ObjectDescription,
    QueryNotSupported,
    Record,
    RecordStatus,
    search_mirror,
)

SYNCED_AT = "2026-03-01T12:00:00+00:00"
QUERY = ObjectDescription(title="Acorn table lamp")


def _lamp(registry: str, record_id: str) -> Record:
    return Record(
        registry=registry,
        record_id=record_id,
        status=RecordStatus.STOLEN,
        description=ObjectDescription(title="Acorn table lamp", maker="Tiffany Studios"),
    )


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store holding a mirror of `demo` and the same lamp from `other`, never mirrored there."""
    path = tmp_path / "store.sqlite3"
    with LocalStore(path) as local:
        with local.transaction():
            local.put_record(_lamp("demo", "d-1"), mirrored=True)
            local.put_record(_lamp("other", "o-1"), mirrored=True)
        local.set_mirror_state("demo", MirrorState(synced_at=SYNCED_AT))
    return path


@pytest.mark.anyio
async def test_no_store_is_no_mirror_and_creates_none(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite3"
    assert await search_mirror("demo", path, QUERY, limit=10) is None
    assert not path.exists()


@pytest.mark.anyio
async def test_a_register_not_mirrored_into_the_store_is_none(store: Path) -> None:
    # `other` has records there, but no mirror synced to the end.
    assert await search_mirror("other", str(store), QUERY, limit=10) is None


@pytest.mark.anyio
async def test_a_mirrored_register_answers_with_its_own_records_and_their_age(
    store: Path,
) -> None:
    found = await search_mirror("demo", str(store), QUERY, limit=10)
    assert found is not None
    assert [record.key for record in found.records] == ["demo:d-1"]
    assert found.source is DataSource.MIRROR
    assert found.data_as_of == datetime.fromisoformat(SYNCED_AT)


@pytest.mark.anyio
async def test_no_store_given_is_the_local_registers_store(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVCHECK_LOCAL_PATH", str(store))
    found = await search_mirror("demo", None, QUERY, limit=10)
    assert found is not None
    assert [record.key for record in found.records] == ["demo:d-1"]


@pytest.mark.anyio
async def test_live_mode_never_asks_the_mirror(store: Path) -> None:
    assert await search_mirror("demo", store, QUERY, limit=10, mode="live") is None


@pytest.mark.anyio
async def test_mirror_mode_without_a_mirror_declines_and_says_how_to_make_one(
    store: Path,
) -> None:
    with pytest.raises(QueryNotSupported, match=r"`provcheck mirror other`"):
        await search_mirror("other", store, QUERY, limit=10, mode="mirror")
    found = await search_mirror("demo", store, QUERY, limit=10, mode="mirror")
    assert found is not None
    assert found.source is DataSource.MIRROR
