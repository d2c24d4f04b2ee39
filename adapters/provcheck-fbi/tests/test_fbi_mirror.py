"""Mirroring the FBI register from its mock API (all 4,523 NSAF rows as items, some with
generated pictures) into a local store: complete, incremental, resumable after an interruption,
and searchable by a new photograph of a record's picture."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageEnhance
from provcheck_fbi import FbiRegistry
from provcheck_fbi.service import FbiService, create_mock, picture

from provcheck import (
    Conclusion,
    DataSource,
    LocalStore,
    ObjectDescription,
    OutcomeState,
    RegistryUnavailableError,
    acheck,
)
from provcheck.mocks import in_process
from provcheck.store.mirroring import MirrorSummary, mirror

pytestmark = pytest.mark.anyio
NSAF_ROWS = 4523


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Setup:
    service: FbiService
    app: Any
    store_path: Path

    def registry(self, **settings: Any) -> FbiRegistry:
        options = {"base_url": "http://fbi.mock", "min_interval": 0, "store": str(self.store_path)}
        return FbiRegistry(transport=in_process(self.app), **{**options, **settings})


def setup_with(pictures: int, tmp_path: Path) -> Iterator[Setup]:
    mock = create_mock(None, {"photographs": str(pictures)})
    assert isinstance(mock.state, FbiService)
    yield Setup(mock.state, mock.app, tmp_path / "store.sqlite3")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Setup]:
    yield from setup_with(20, tmp_path)


async def sync(setup: Setup, **options: Any) -> MirrorSummary:
    with LocalStore(setup.store_path) as store:
        async with setup.registry() as registry:
            return await mirror(registry, store, **options)


def stored(setup: Setup) -> tuple[int, set[str]]:
    with LocalStore(setup.store_path) as store:
        return store.count("fbi"), store.record_ids("fbi")


async def test_a_full_mirror_then_an_incremental_one(api: Setup) -> None:
    first = await sync(api)
    assert (first.full, first.fetched, first.added, first.removed) == (
        True,
        NSAF_ROWS,
        NSAF_ROWS,
        0,
    )
    assert (first.images_fetched, first.images_failed) == (20, 0)
    count, ids = stored(api)
    assert count == NSAF_ROWS == len(ids)

    edited, gone = api.service.items[10]["uid"], api.service.items[11]["uid"]
    api.service.edit(edited, title="Renamed by the FBI")
    api.service.take_down(gone)
    served = api.service.pictures_served
    second = await sync(api)
    assert not second.full or second.removed == 1
    assert second.fetched <= 3, "an incremental sync fetched more than what changed"
    assert second.removed == 1
    assert api.service.pictures_served == served, "a picture was fetched again"
    with LocalStore(api.store_path) as store:
        assert store.get("fbi", gone) is None or gone not in store.record_ids("fbi")
        record = store.get("fbi", edited)
        assert record is not None and record.description.title == "Renamed by the FBI"
        assert store.count("fbi") == NSAF_ROWS - 1
        state = store.mirror_state("fbi")
        assert state is not None and state.synced_at == second.synced_at


class Interrupted(Exception):
    pass


async def test_an_interrupted_mirror_resumes_with_nothing_lost_or_fetched_twice(
    api: Setup,
) -> None:
    def stop_half_way(summary: MirrorSummary) -> None:
        if summary.fetched == NSAF_ROWS // 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        await sync(api, progress=stop_half_way)
    kept, _ = stored(api)
    assert NSAF_ROWS // 2 - 100 <= kept <= NSAF_ROWS // 2
    with LocalStore(api.store_path) as store:
        assert store.mirror_state("fbi") is None, "an unfinished sync must not count as synced"

    resumed = await sync(api)
    count, ids = stored(api)
    assert count == NSAF_ROWS == len(ids), "records lost or duplicated"
    assert api.service.pictures_served == 20, "a picture was fetched twice"
    assert resumed.images_kept + resumed.images_fetched == 20


async def test_a_new_photograph_of_a_record_is_found_through_the_mirror(
    api: Setup, tmp_path: Path
) -> None:
    await sync(api)
    item = next(i for i in api.service.items if "seal-fbi" not in str(i["images"][0]["original"]))
    registered = Image.open(io.BytesIO(picture(item["uid"], 1024))).convert("RGB")
    w, h = registered.size
    photo = registered.crop((w // 25, h // 20, w - w // 18, h - h // 30)).rotate(4, expand=True)
    photo = ImageEnhance.Brightness(photo).enhance(1.12)
    photo.resize((photo.width * 3 // 2, photo.height * 3 // 2)).save(tmp_path / "p.jpg", quality=72)

    async with api.registry() as registry:
        report = await acheck(ObjectDescription(images=[tmp_path / "p.jpg"]), [registry])
    outcome = report.outcome("fbi")
    assert outcome.state is OutcomeState.SEARCHED
    assert outcome.source is DataSource.MIRROR and outcome.data_as_of is not None
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    assert outcome.candidates[0].record.record_id == item["uid"]


async def test_without_a_mirror_a_photograph_alone_is_skipped_with_the_way_to_search_it(
    api: Setup, tmp_path: Path
) -> None:
    (tmp_path / "p.png").write_bytes(picture("x", 256))
    async with api.registry() as registry:
        report = await acheck(ObjectDescription(images=[tmp_path / "p.png"]), [registry])
    outcome = report.outcome("fbi")
    assert outcome.state is OutcomeState.SKIPPED
    assert outcome.reason is not None and "provcheck mirror fbi" in outcome.reason


async def test_the_live_api_failing_leaves_the_mirror_answering_with_a_warning(api: Setup) -> None:
    await sync(api)
    offline = FbiRegistry(base_url="http://127.0.0.1:9", min_interval=0, store=str(api.store_path))
    async with offline as registry:
        report = await acheck({"title": "Hysterical Venus", "maker": "Dali"}, [registry])
    outcome = report.outcome("fbi")
    assert outcome.state is OutcomeState.SEARCHED
    assert outcome.source is DataSource.MIRROR
    assert any("the live API could not be asked" in w for w in outcome.warnings)
    assert report.conclusion is Conclusion.POSSIBLE_MATCH


@pytest.mark.slow
async def test_a_full_mirror_with_three_hundred_pictures(tmp_path: Path) -> None:
    setup = next(setup_with(300, tmp_path))
    summary = await sync(setup)
    assert (summary.fetched, summary.images_fetched, summary.images_failed) == (NSAF_ROWS, 300, 0)
    again = await sync(setup)
    assert again.images_fetched == 0 and setup.service.pictures_served == 300


class FailingAfter(httpx.AsyncBaseTransport):
    """The service goes away after `requests` requests (the network drops mid-sync)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, requests: int) -> None:
        self.inner, self.left = inner, requests

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.left -= 1
        if self.left < 0:
            raise httpx.ConnectError("network unreachable", request=request)
        return await self.inner.handle_async_request(request)


async def test_a_network_failure_mid_sync_keeps_what_was_stored(api: Setup) -> None:
    registry = FbiRegistry(
        transport=FailingAfter(in_process(api.app), requests=40),
        base_url="http://fbi.mock",
        min_interval=0,
    )
    with LocalStore(api.store_path) as store:
        async with registry:
            with pytest.raises(RegistryUnavailableError, match="network unreachable"):
                await mirror(registry, store)
        kept = store.count("fbi")
        assert kept >= 1000, "records fetched before the failure were lost"
        assert store.mirror_state("fbi") is None
    resumed = await sync(api)
    assert stored(api)[0] == NSAF_ROWS
    assert resumed.fetched == NSAF_ROWS and api.service.pictures_served == 20  # none twice
