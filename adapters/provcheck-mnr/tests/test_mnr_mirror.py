"""Mirroring the MNR register from its mock (1,946 notices, 15 real image keys of AEG00001 and a
few generated notices with an image) into a local store, then checking objects against it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageEnhance
from provcheck_mnr import MnrRegistry
from provcheck_mnr.service import MnrService, create_mock, picture

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
NOTICES = 1946
IMAGES = 15 + 3  # AEG00001's real keys, and three generated notices


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Setup:
    service: MnrService
    app: Any
    settings: dict[str, Any]
    store_path: Path

    def registry(self, **settings: Any) -> MnrRegistry:
        options = {**self.settings, "min_interval": 0, "store": str(self.store_path)}
        return MnrRegistry(transport=in_process(self.app), **{**options, **settings})

    async def sync(self) -> MirrorSummary:
        with LocalStore(self.store_path) as store:
            async with self.registry() as registry:
                return await mirror(registry, store)


@pytest.fixture
def pop(tmp_path: Path) -> Iterator[Setup]:
    mock = create_mock(None, {"photographs": "3"})
    assert isinstance(mock.state, MnrService)
    yield Setup(mock.state, mock.app, mock.client_settings, tmp_path / "store.sqlite3")


async def test_a_mirror_then_a_check_finds_a_notice_by_its_description(pop: Setup) -> None:
    first = await pop.sync()
    assert (first.full, first.fetched, first.added) == (True, NOTICES, NOTICES)
    assert (first.images_fetched, first.images_failed) == (IMAGES, 0)
    with LocalStore(pop.store_path) as store:
        assert store.count("mnr") == NOTICES
        kept = store.get("mnr", "AEG00001")
    assert kept is not None and kept.status is RecordStatus.RECOVERED
    assert all(image.sha256 for image in kept.description.images)

    query = {
        "title": "Statuette d'Isis allaitant Horus",
        "object_type": "statuette",
        "measurements": "H. 15.8 cm",
    }
    async with pop.registry() as registry:
        report = await acheck(query, [registry])
    outcome = report.outcome("mnr")
    assert outcome.state is OutcomeState.SEARCHED
    assert outcome.source is DataSource.MIRROR and outcome.data_as_of is not None
    assert outcome.candidates and outcome.candidates[0].record.record_id == "AEG00001"
    assert report.conclusion is Conclusion.POSSIBLE_MATCH


async def test_a_new_photograph_of_a_notice_image_is_found(pop: Setup, tmp_path: Path) -> None:
    await pop.sync()
    notice = next(n for n in pop.service.notices if n["VIDEO"] and n["REF"] != "AEG00001")
    registered = Image.open(io.BytesIO(picture(notice["VIDEO"][0]))).convert("RGB")
    w, h = registered.size
    photo = registered.crop((w // 20, h // 20, w - w // 16, h - h // 25)).rotate(3, expand=True)
    ImageEnhance.Brightness(photo).enhance(1.1).save(tmp_path / "photo.jpg", quality=80)

    async with pop.registry() as registry:
        report = await acheck(ObjectDescription(images=[tmp_path / "photo.jpg"]), [registry])
    outcome = report.outcome("mnr")
    assert outcome.state is OutcomeState.SEARCHED
    assert outcome.candidates[0].record.record_id == notice["REF"]


async def test_the_next_sync_takes_only_what_changed(pop: Setup) -> None:
    await pop.sync()
    served = pop.service.pictures_served
    pop.service.edit("MNR00330", TITR="Paysage au moulin")
    pop.service.take_down("OAR00245")
    second = await pop.sync()
    assert second.removed == 1
    assert pop.service.pictures_served == served, "an image was fetched again"
    with LocalStore(pop.store_path) as store:
        assert "OAR00245" not in store.record_ids("mnr")
        edited = store.get("mnr", "MNR00330")
        assert edited is not None and edited.description.title == "Paysage au moulin"
        assert store.count("mnr") == NOTICES - 1


async def test_auto_mode_asks_a_reference_live_beside_the_mirror(pop: Setup) -> None:
    await pop.sync()
    pop.service.edit("MNR00330", TITR="Titre du jour")
    async with pop.registry() as registry:
        records = await registry.search(ObjectDescription(inventory_number="MNR 330"), limit=5)
    assert records[0].record_id == "MNR00330"
    assert records[0].description.title == "Titre du jour"  # live, not the mirror's copy
    assert len({r.key for r in records}) == len(records)
