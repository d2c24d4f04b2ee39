"""The FBI plugin against answers in the API's real format: the verbatim item of
`fixtures/fbi/item.json` and real NSAF rows served as items (respx), and against its mock API
in-process (conformance)."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from provcheck_fbi import FbiRegistry, record_from_item
from provcheck_fbi.service import FbiService, create_mock, nsaf_items

from provcheck import (
    Conclusion,
    ObjectDescription,
    OutcomeState,
    RecordStatus,
    Registry,
    acheck,
)
from provcheck.mocks import Faults, find_seed, in_process
from provcheck.testing import RegistryConformance

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
ITEM = json.loads((FIXTURES / "fbi" / "item.json").read_text(encoding="utf-8"))
API = "https://api.fbi.gov"
NSAF = nsaf_items(find_seed("provcheck_fbi", "nsaf", "nsaf_data.csv"), photographs=0)


def venus_items(count: int) -> list[dict[str, Any]]:
    """Real NSAF rows as items, every one titled with "Venus" so that one question finds them."""
    items = []
    for number, row in enumerate(NSAF[:count]):
        item = copy.deepcopy(row)
        item["title"] = f"Venus {number} {row['title']}"
        items.append(item)
    return items


def page_answers(
    items: list[dict[str, Any]], size: int
) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        chunk = items[(page - 1) * size : page * size]
        return httpx.Response(200, json={"total": len(items), "page": page, "items": chunk})

    return answer


def fbi(**settings: Any) -> FbiRegistry:
    return FbiRegistry(**{"min_interval": 0, "page_size": 50, **settings})


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


def test_every_field_of_the_real_item_is_mapped() -> None:
    record = record_from_item(ITEM)
    assert record.record_id == "534f305bf39f482285c88157d1528d3c"  # uid, not referenceNumber
    assert record.status is RecordStatus.STOLEN
    d = record.description
    assert d.title == "1885 Morgan dollar"
    assert d.object_type == "coins and paper money"
    assert d.keywords == ("morgan", "1885", "dollar", "coin")
    assert d.period is not None and (d.period.earliest, d.period.latest) == (1885, 1885)
    assert d.measurements and d.measurements[0].centimetres == pytest.approx(3.81)
    assert "serial number 7164.65/25625412" in (d.description or "")
    image = d.images[0]
    assert image.url == "https://artcrimes.fbi.gov/image-repository/coin-20-coin-only.png"
    assert image.variants["large"].endswith("/@@images/image/large")
    assert image.variants["thumb"].endswith("/@@images/image/thumb")
    assert record.url == "https://www.fbi.gov/nsaf/1885-morgan-dollar"
    assert record.raw == ITEM


def test_the_fbi_seal_is_not_a_photograph_of_the_object() -> None:
    sealed = dict(ITEM, images=[{"original": "https://artcrimes.fbi.gov/x/seal-fbi.jpg"}])
    assert record_from_item(sealed).description.images == ()


@respx.mock(base_url=API)
async def test_pages_are_followed_to_the_end(respx_mock: respx.MockRouter) -> None:
    items = venus_items(120)
    route = respx_mock.get("/@artcrimes").mock(side_effect=page_answers(items, 50))
    async with fbi() as registry:
        records = await registry.search(ObjectDescription(title="Venus"), limit=500)
    assert len(records) == 120
    assert [c.request.url.params["page"] for c in route.calls] == ["1", "2", "3"]
    assert len({r.record_id for r in records}) == 120


@respx.mock(base_url=API)
async def test_nothing_found_is_an_empty_result(respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/@artcrimes").respond(200, json={"total": 0, "page": 1, "items": []})
    async with fbi() as registry:
        assert list(await registry.search(ObjectDescription(title="Harbour"), limit=20)) == []


@respx.mock(base_url=API)
async def test_a_malformed_item_is_left_out_with_a_warning(respx_mock: respx.MockRouter) -> None:
    items: list[Any] = venus_items(5)
    items[2] = {"title": "Venus without a uid"}
    items.insert(4, "not an item")
    respx_mock.get("/@artcrimes").mock(side_effect=page_answers(items, 50))
    async with fbi() as registry:
        report = await acheck({"title": "Venus"}, [registry])
    outcome = report.outcome("fbi")
    assert outcome.state is OutcomeState.SEARCHED
    assert outcome.records_returned == 4
    assert outcome.warnings == (
        "item 3 of page 1 left out: uid: Field required",
        "item 5 of page 1 left out: item: an item is an object, not str",
    )


@pytest.mark.parametrize(
    ("answers", "state", "kind"),
    [
        pytest.param([httpx.Response(429, headers={"Retry-After": "0"})] * 2, OutcomeState.SEARCHED, None, id="a few 429s"),
        pytest.param([httpx.Response(429, headers={"Retry-After": "0"})] * 9, OutcomeState.FAILED, "rate-limited", id="a 429 storm"),
        pytest.param([httpx.Response(503, headers={"Retry-After": "0"})] * 9, OutcomeState.FAILED, "unavailable", id="503 throughout"),
        pytest.param([httpx.RemoteProtocolError("dropped")], OutcomeState.SEARCHED, None, id="a dropped connection"),
        pytest.param([httpx.ConnectError("no network")] * 9, OutcomeState.FAILED, "unavailable", id="no network"),
        pytest.param([httpx.Response(200, html="<html>Just a moment...</html>")], OutcomeState.FAILED, "malformed-response", id="a challenge page"),
    ],
)  # fmt: skip
async def test_faults_are_retried_or_reported(
    answers: list[Any], state: OutcomeState, kind: str | None
) -> None:
    good = httpx.Response(200, json={"total": 1, "page": 1, "items": [ITEM]})
    with respx.mock(base_url=API) as mock:
        mock.get("/@artcrimes").mock(side_effect=[*answers, good])
        async with fbi() as registry:
            report = await acheck({"title": "Morgan"}, [registry])
    outcome = report.outcome("fbi")
    assert outcome.state is state, outcome.error
    assert (outcome.error.kind if outcome.error else None) == kind
    assert report.conclusion is not Conclusion.NO_MATCH_FOUND or state is OutcomeState.SEARCHED


@respx.mock(base_url=API)
async def test_requests_keep_to_the_services_pace(respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/@artcrimes").respond(200, json={"total": 0, "page": 1, "items": []})
    started = time.monotonic()
    async with fbi(min_interval=0.2) as registry:
        # The title and two of its words: three requests, each 0.2 s after the last.
        await registry.search(ObjectDescription(title="Hysterical Venus"), limit=20)
    assert respx_mock.calls.call_count == 3
    assert time.monotonic() - started >= 0.4


async def test_record_images_on_public_hosts_are_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    # Another host than the API's: fetched under the address policy (a public address).
    monkeypatch.setattr(
        "provcheck.registers.fetching.resolve_addresses", lambda host, port: ["192.0.32.10"]
    )
    with respx.mock() as mock:
        large = mock.get(
            "https://artcrimes.fbi.gov/image-repository/coin-20-coin-only.png/@@images/image/large"
        ).respond(200, content=b"\x89PNG...")
        async with fbi() as registry:
            data = await registry.image_bytes(record_from_item(ITEM).description.images[0])
    assert data == b"\x89PNG..." and large.called


class TestFbiRegistry(RegistryConformance):
    @pytest.fixture
    def registry_factory(self) -> Callable[[], Registry]:
        def make() -> Registry:
            mock = create_mock(None, {})
            return FbiRegistry(
                transport=in_process(mock.app), **mock.client_settings, min_interval=0
            )

        return make

    @pytest.fixture
    def query_with_records(self) -> ObjectDescription:
        return ObjectDescription(title="Hysterical Venus", maker="Dali")

    @pytest.fixture
    def query_without_records(self) -> ObjectDescription:
        return ObjectDescription(title="Zyzzyva")

    @pytest.fixture
    def failing_registry(self) -> Registry:
        mock = create_mock(Faults(server_error=100), {})
        return FbiRegistry(transport=in_process(mock.app), **mock.client_settings, min_interval=0)

    @pytest.fixture
    def hanging_registry(self) -> Registry:
        mock = create_mock(Faults(latency=3600), {})
        return FbiRegistry(transport=in_process(mock.app), **mock.client_settings, min_interval=0)


async def test_the_mock_serves_its_pictures_where_its_items_say() -> None:
    mock = create_mock(None, {"photographs": "5"})
    assert isinstance(mock.state, FbiService)
    async with FbiRegistry(transport=in_process(mock.app), **mock.client_settings) as registry:
        first = mock.state.items[0]
        records = await registry.search(ObjectDescription(title=first["title"]), limit=5)
        pictured = next(r for r in records if r.description.images)
        data = await registry.image_bytes(pictured.description.images[0])
    assert pictured.description.images[0].url.startswith("http://fbi.mock/image-repository/")
    assert data is not None and data[:4] == b"\x89PNG"


async def test_a_photograph_given_to_the_live_api_is_said_not_searched_for() -> None:
    """The live API searches words only: a photograph given with a generic title must not end
    in "no match found" -- the register was never searched for it."""
    import io

    from PIL import Image

    mock = create_mock(None, {})
    registry = FbiRegistry(transport=in_process(mock.app), **mock.client_settings, min_interval=0)
    picture = io.BytesIO()
    Image.effect_noise((200, 160), 60).convert("RGB").save(picture, "PNG")
    query = ObjectDescription(title="Untitled", images=[picture.getvalue()])
    async with registry:
        report = await acheck(query, [registry])
    outcome = report.outcome("fbi")
    assert outcome.state is OutcomeState.SEARCHED and outcome.photographs_searched is False
    assert report.conclusion is Conclusion.INCOMPLETE
    kinds = {limitation.kind for limitation in report.limitations}
    assert {"photograph-not-searched", "query-too-thin"} <= kinds
