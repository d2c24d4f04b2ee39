"""Mirroring the Wikidata register from its mock endpoint (396 real works, some with a
generated picture as their P18) into a local store: complete, then incremental, each picture
fetched once; then a seller's photograph of a work is found through the mirror."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageEnhance
from provcheck_wikidata import WikidataRegistry
from provcheck_wikidata.service import WikidataService, create_mock, painting

from provcheck import (
    Conclusion,
    DataSource,
    LocalStore,
    MirrorSummary,
    ObjectDescription,
    OutcomeState,
    RecordStatus,
    acheck,
    mirror,
)
from provcheck.mocks import in_process

pytestmark = pytest.mark.anyio
WORKS = 396
PICTURES = 12


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Setup:
    def __init__(self, store_path: Path) -> None:
        mock = create_mock(None, {"photographs": str(PICTURES)})
        assert isinstance(mock.state, WikidataService)
        self.service, self.app, self.store_path = mock.state, mock.app, store_path

    def registry(self, **settings: Any) -> WikidataRegistry:
        options = {"base_url": "http://wikidata.mock/sparql", "min_interval": 0, "page_size": 100}
        return WikidataRegistry(
            transport=in_process(self.app), store=str(self.store_path), **options | settings
        )

    async def sync(self) -> MirrorSummary:
        with LocalStore(self.store_path) as store:
            async with self.registry() as registry:
                return await mirror(registry, store)


@pytest.fixture
def endpoint(tmp_path: Path) -> Setup:
    return Setup(tmp_path / "store.sqlite3")


async def test_a_full_mirror_then_an_incremental_one_fetches_each_picture_once(
    endpoint: Setup,
) -> None:
    first = await endpoint.sync()
    assert (first.full, first.fetched, first.added, first.removed) == (True, WORKS, WORKS, 0)
    assert (first.images_fetched, first.images_failed) == (PICTURES, 0)
    with LocalStore(endpoint.store_path) as store:
        assert store.count("wikidata") == WORKS
        concert = store.get("wikidata", "Q1169395")
        assert concert is not None and concert.status is RecordStatus.STOLEN

    endpoint.service.edit("Q1169395", lost_art_ids=["598103"])
    second = await endpoint.sync()
    assert second.fetched <= 2, "an incremental sync fetched more than what changed"
    assert endpoint.service.pictures_served == PICTURES, "a picture was fetched again"
    with LocalStore(endpoint.store_path) as store:
        concert = store.get("wikidata", "Q1169395")
        assert concert is not None and concert.same_as == ("lostart:598103",)
        assert store.count("wikidata") == WORKS


async def test_a_sellers_photograph_of_a_work_is_found_through_the_mirror(
    endpoint: Setup, tmp_path: Path
) -> None:
    await endpoint.sync()
    work = endpoint.service.works[PICTURES - 3]
    assert work["images"], "the work has a picture"
    registered = Image.open(io.BytesIO(painting(work["qid"]))).convert("RGB")
    w, h = registered.size
    # Photographed again: cropped, a little turned, brighter, larger, saved as a JPEG.
    photo = registered.crop((w // 20, h // 16, w - w // 15, h - h // 25)).rotate(3, expand=True)
    photo = ImageEnhance.Brightness(photo).enhance(1.1)
    photo.resize((photo.width * 5 // 4, photo.height * 5 // 4)).save(tmp_path / "p.jpg", quality=75)

    async with endpoint.registry() as registry:
        report = await acheck(ObjectDescription(images=[tmp_path / "p.jpg"]), [registry])
    outcome = report.outcome("wikidata")
    assert outcome.state is OutcomeState.SEARCHED
    assert outcome.source is DataSource.MIRROR and outcome.data_as_of is not None
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    assert outcome.candidates[0].record.record_id == work["qid"]


async def test_the_live_endpoint_failing_leaves_the_mirror_answering_with_a_warning(
    endpoint: Setup,
) -> None:
    await endpoint.sync()
    offline = WikidataRegistry(
        base_url="http://127.0.0.1:9/sparql", min_interval=0, store=str(endpoint.store_path)
    )
    async with offline as registry:
        report = await acheck({"title": "The Concert", "maker": "Vermeer"}, [registry])
    outcome = report.outcome("wikidata")
    assert outcome.state is OutcomeState.SEARCHED and outcome.source is DataSource.MIRROR
    assert any("the live endpoint could not be asked" in w for w in outcome.warnings)
    assert outcome.candidates[0].record.record_id == "Q1169395"


async def test_a_photograph_is_verified_against_the_mirror_with_the_service_out_of_reach(
    endpoint: Setup, tmp_path: Path
) -> None:
    # The mirror keeps each picture's local features: verification needs no service, and a
    # service out of reach must not turn a confirmed photograph into "no match found".
    await endpoint.sync()
    work = endpoint.service.works[PICTURES - 3]
    registered = Image.open(io.BytesIO(painting(work["qid"]))).convert("RGB")
    w, h = registered.size
    photo = registered.crop((w // 10, h // 10, w - w // 10, h - h // 10)).rotate(3, expand=True)
    photo.save(tmp_path / "p.jpg", quality=60)
    offline = WikidataRegistry(
        base_url="http://127.0.0.1:9/sparql", min_interval=0, store=str(endpoint.store_path)
    )
    async with offline as registry:
        report = await acheck(ObjectDescription(images=[tmp_path / "p.jpg"]), [registry])
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    best = report.outcome("wikidata").candidates[0]
    assert best.record.record_id == work["qid"]
    assert "confirmed" in next(e for e in best.evidence if e.field == "images").reason
