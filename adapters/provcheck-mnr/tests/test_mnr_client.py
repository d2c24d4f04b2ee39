"""The MNR plugin against its mock in-process: the conformance suite, and what a search without
a mirror does (a reference is looked up live; anything else says how to mirror)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from provcheck_mnr import MnrRegistry
from provcheck_mnr.service import create_mock

from provcheck import ObjectDescription, QueryNotSupported, Registry
from provcheck.mocks import Faults, in_process
from provcheck.testing import RegistryConformance

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def private_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the user's own store (where a mirror would be looked for)."""
    path = tmp_path / "local.sqlite3"
    monkeypatch.setenv("PROVCHECK_LOCAL_PATH", str(path))
    return path


def on_mock(faults: Faults | None = None, **settings: Any) -> MnrRegistry:
    mock = create_mock(faults, {"photographs": "0"})
    options = {**mock.client_settings, "min_interval": 0, **settings}
    return MnrRegistry(transport=in_process(mock.app), **options)


class TestMnrConformance(RegistryConformance):
    @pytest.fixture
    def registry_factory(self) -> Callable[[], Registry]:
        return on_mock

    @pytest.fixture
    def query_with_records(self) -> ObjectDescription:
        return ObjectDescription(inventory_number="AEG00001")

    @pytest.fixture
    def query_without_records(self) -> ObjectDescription:
        return ObjectDescription(inventory_number="MNR 99999")

    @pytest.fixture
    def failing_registry(self) -> Registry:
        return on_mock(Faults(server_error=1000), timeout=5)

    @pytest.fixture
    def hanging_registry(self) -> Registry:
        return on_mock(Faults(latency=60))


async def test_a_reference_written_as_an_inventory_number_is_found_live() -> None:
    async with on_mock() as registry:
        records = await registry.search(ObjectDescription(inventory_number="MNR 330"), limit=5)
    assert [r.record_id for r in records] == ["MNR00330"]
    assert records[0].description.inventory_number == "MNR 330"


async def test_words_without_a_mirror_say_how_to_search_them() -> None:
    async with on_mock() as registry:
        with pytest.raises(QueryNotSupported, match="provcheck mirror mnr"):
            await registry.search(ObjectDescription(title="Vierge à l'Enfant"), limit=5)


async def test_mirror_mode_without_a_mirror_says_so(tmp_path: Path) -> None:
    async with on_mock(mode="mirror", store=str(tmp_path / "none.sqlite3")) as registry:
        with pytest.raises(QueryNotSupported, match="no mirror"):
            await registry.search(ObjectDescription(inventory_number="MNR 330"), limit=5)
