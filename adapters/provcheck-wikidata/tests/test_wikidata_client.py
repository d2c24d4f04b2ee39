"""The Wikidata plugin against its mock endpoint (396 real works, in-process) and against
answers in the endpoint's format (respx): its queries, their escaping, the statuses it reads, its
cross-references, the service's throttling, and the conformance suite."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from provcheck_wikidata import (
    WikidataRegistry,
    commons_image,
    record_from_row,
    sparql_string,
    standing,
)
from provcheck_wikidata.service import (
    WikidataService,
    create_mock,
    row_of,
    sparql_literal_value,
)
from provcheck_wikidata.sparql import search_query

from provcheck import (
    Access,
    Capabilities,
    Conclusion,
    ObjectDescription,
    OutcomeState,
    Record,
    RecordStatus,
    Registry,
    acheck,
)
from provcheck.mocks import Faults, in_process
from provcheck.testing import RegistryConformance

pytestmark = pytest.mark.anyio
ENDPOINT = "https://query.wikidata.org/sparql"
LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"')


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def private_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the user's own store (where a mirror would be looked for)."""
    path = tmp_path / "local.sqlite3"
    monkeypatch.setenv("PROVCHECK_LOCAL_PATH", str(path))
    return path


def on_mock(
    faults: Faults | None = None, **settings: Any
) -> tuple[WikidataRegistry, WikidataService]:
    mock = create_mock(faults, {})
    assert isinstance(mock.state, WikidataService)
    options = {**mock.client_settings, "min_interval": 0, **settings}
    return WikidataRegistry(transport=in_process(mock.app), **options), mock.state


# --- SPARQL escaping -------------------------------------------------------------------------

HOSTILE = [
    'x")) } ?item ?p ?o . { #',
    'Le "Concert" d\'été',
    "back\\slash \\u0022) } #",
    "line\nbreak\r\tand\x00control",
    '"""',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_string_is_one_literal_that_stands_for_itself(text: str) -> None:
    literal = sparql_string(text)
    assert LITERAL.fullmatch(literal), literal
    assert "\n" not in literal and "\r" not in literal
    expected = re.sub(r"[\x00-\x08\x0b\x0e-\x1f\x7f\\]", " ", text)  # as spaces
    assert sparql_literal_value(literal) == expected


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_title_maker_or_number_leaves_the_query_as_it_was(text: str) -> None:
    def skeleton(query: str) -> str:
        return LITERAL.sub('""', query)

    plain = search_query(title_words=["word"], maker="maker", inventory_number="n", limit=5)
    hostile = search_query(title_words=[text], maker=text, inventory_number=text, limit=5)
    assert skeleton(hostile) == skeleton(plain)  # the query's structure is untouched
    values = [sparql_literal_value(literal) for literal in LITERAL.findall(hostile)]
    lowered = re.sub(r"[\x00-\x08\x0b\x0e-\x1f\x7f\\]", " ", text.lower())
    assert values.count(lowered) == 3


async def test_the_endpoint_is_asked_what_the_user_typed_and_nothing_more() -> None:
    registry, service = on_mock()
    title = 'Concert")) } UNION { ?item ?p ?o } #'
    async with registry:
        records = await registry.search(ObjectDescription(title=title), limit=10)
    # All the words (none holds them all), then the longest alone: what was typed, as words.
    assert {record.record_id for record in records} == {"Q1169395"}
    assert service.queries, "the mock refused the query"
    words = [
        sparql_literal_value(found)
        for query in service.queries
        for found in re.findall(r"LCASE\(\?matchLabel\), (" + LITERAL.pattern + ")", query)
    ]
    assert set(words) == {"concert", "union", "item"}


# --- Searching ---------------------------------------------------------------------------------


async def test_a_title_and_a_maker_find_the_work_with_its_status() -> None:
    registry, service = on_mock()
    async with registry:
        report = await acheck({"title": "The Concert", "maker": "Vermeer"}, [registry])
    outcome = report.outcome("wikidata")
    assert outcome.state is OutcomeState.SEARCHED
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    concert = outcome.candidates[0].record
    assert concert.record_id == "Q1169395"
    assert concert.status is RecordStatus.STOLEN
    assert concert.url == "https://www.wikidata.org/wiki/Q1169395"
    assert concert.description.maker_text == "Johannes Vermeer"
    assert concert.date_of_loss is not None and concert.date_of_loss.earliest == 1990
    assert (concert.description.provenance or "").startswith("Status: missing: Isabella Stewart")
    assert isinstance(concert.raw, dict)  # the row, as it came
    assert concert.raw["item"] == {
        "type": "uri",
        "value": "http://www.wikidata.org/entity/Q1169395",
    }
    assert all(query.startswith("#provcheck-wikidata:search") for query in service.queries)


async def test_an_inventory_number_and_a_lost_art_id_are_kept_and_cross_referenced() -> None:
    registry, service = on_mock()
    service.edit(
        "Q1169395", inventory_numbers=["P21w27"], lost_art_ids=["598103"], mnr_ids=["MNR 1"]
    )
    async with registry:
        records = await registry.search(ObjectDescription(inventory_number="p21W27"), limit=5)
    (concert,) = records
    assert concert.description.inventory_number == "P21w27"
    assert concert.same_as == ("lostart:598103", "mnr:MNR 1")
    assert isinstance(concert.raw, dict)
    assert concert.raw["lostArtIds"] == {"type": "literal", "value": "598103"}


class LostArtStandIn(Registry):
    """A Lost Art register holding the same painting under its own id."""

    name = "lostart"
    title = "Lost Art (stand-in)"
    access = Access.API
    capabilities = Capabilities(fields=frozenset({"title", "makers"}))

    async def search(self, query: ObjectDescription, *, limit: int) -> list[Record]:
        found = {"title": "The Concert", "maker": "Vermeer"}
        return [Record(registry="lostart", record_id="598103", status="stolen", description=found)]


async def test_wikidata_and_lost_art_records_of_one_work_are_one_candidate() -> None:
    registry, service = on_mock()
    service.edit("Q1169395", lost_art_ids=["598103"])
    query = {"title": "The Concert", "maker": "Johannes Vermeer"}
    async with registry:
        report = await acheck(query, [registry, LostArtStandIn()])
    (concert,) = [
        c for c in report.candidates if "lostart:598103" in {c.record.key, *c.also_recorded_as}
    ]
    assert {concert.record.key, *concert.also_recorded_as} == {
        "wikidata:Q1169395",
        "lostart:598103",
    }
    assert report.outcome("lostart").candidates[0].record.record_id == "598103"  # each kept


async def test_nothing_to_ask_live_and_no_mirror_is_skipped_with_the_way_to_search() -> None:
    registry, _ = on_mock()
    async with registry:
        report = await acheck(ObjectDescription(description="a painting of a harbour"), [registry])
    outcome = report.outcome("wikidata")
    assert outcome.state is OutcomeState.SKIPPED
    assert outcome.reason is not None and "provcheck mirror wikidata" in outcome.reason


@pytest.mark.parametrize(
    ("agent", "status"), [("python-httpx/0.28", 403), ("provcheck/1 (test)", 200)]
)
async def test_the_mock_refuses_clients_that_do_not_say_who_they_are(
    agent: str, status: int
) -> None:
    mock = create_mock(None, {})
    query = search_query(title_words=["concert"], limit=1)
    async with httpx.AsyncClient(transport=in_process(mock.app)) as client:
        answer = await client.get(
            "http://wikidata.mock/sparql", params={"query": query}, headers={"User-Agent": agent}
        )
    assert answer.status_code == status


async def test_an_unknown_query_is_answered_400_as_the_endpoint_does() -> None:
    mock = create_mock(None, {})
    async with httpx.AsyncClient(transport=in_process(mock.app)) as client:
        answers = [
            await client.get(
                "http://wikidata.mock/sparql",
                params={"query": query},
                headers={"User-Agent": "t/1"},
            )
            for query in ("SELECT * WHERE { ?s ?p ?o }", '#provcheck-wikidata:search\n{ "x }')
        ]
    assert [answer.status_code for answer in answers] == [400, 400]


async def test_the_client_sends_the_sparql_accept_and_a_descriptive_user_agent() -> None:
    with respx.mock() as mock:
        route = mock.get(ENDPOINT).respond(
            200, json={"head": {"vars": ["item"]}, "results": {"bindings": []}}
        )
        async with WikidataRegistry(min_interval=0) as registry:
            assert list(await registry.search(ObjectDescription(title="Harbour"), limit=5)) == []
    request = route.calls[0].request
    assert request.headers["Accept"] == "application/sparql-results+json"
    assert "provcheck-wikidata" in request.headers["User-Agent"]
    assert request.url.params["query"].startswith("#provcheck-wikidata:search")


# --- Throttling and faults -----------------------------------------------------------------


async def test_429_is_waited_out_as_retry_after_says() -> None:
    sleeps: list[float] = []
    registry, _ = on_mock(Faults(rate_limited=2, retry_after=3))

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    registry._http.retry = type(registry._http.retry)(attempts=4, max_wait=60, sleep=record_sleep)
    async with registry:
        records = await registry.search(ObjectDescription(title="Storm Galilee"), limit=5)
    assert any("Storm on the Sea of Galilee" in (r.description.title or "") for r in records)
    assert sleeps == [3.0, 3.0]


@pytest.mark.parametrize(
    ("faults", "kind"),
    [
        (Faults(rate_limited=20, retry_after=0), "rate-limited"),
        (Faults(malformed=20), "malformed-response"),
        (Faults(drift="missing-field"), "malformed-response"),
    ],
)
async def test_faults_the_client_cannot_get_past_are_reported(faults: Faults, kind: str) -> None:
    registry, _ = on_mock(faults)
    async with registry:
        report = await acheck({"title": "The Concert"}, [registry])
    outcome = report.outcome("wikidata")
    assert outcome.state is OutcomeState.FAILED
    assert outcome.error is not None and outcome.error.kind == kind
    assert report.conclusion is Conclusion.INCOMPLETE


# --- Status ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "collections", "status", "word"),
    [
        ([("Isabella Stewart Gardner Museum theft", "1990-03-18T00:00:00Z")], [], RecordStatus.STOLEN, "missing"),
        ([("Nazi plunder", "")], [], RecordStatus.LOOTED, "missing"),
        ([("restitution of Nazi-looted art", ""), ("Nazi plunder", "")], [], RecordStatus.RESTITUTED, "restituted"),
        ([("art theft", "2002-12-07T00:00:00Z"), ("recovery", "2016-09-30T00:00:00Z")], [], RecordStatus.RECOVERED, "recovered"),
        ([("art theft", "1972-01-01T00:00:00Z"), ("discovery", "")], [], RecordStatus.RECOVERED, "recovered"),
        # Recovered, then stolen again: missing.
        ([("recovery", "1990-01-01T00:00:00Z"), ("art theft", "2010-05-20T00:00:00Z")], [], RecordStatus.STOLEN, "missing"),
        # A claim is not a restitution.
        ([("claim for restitution of an artwork", ""), ("Nazi plunder", "")], [], RecordStatus.LOOTED, "missing"),
        # A collection holding it since after the loss: recovered; its old museum says nothing.
        ([("art theft", "1911-08-21T00:00:00Z")], [("Louvre", "1913-12-30T00:00:00Z", "")], RecordStatus.RECOVERED, "recovered"),
        ([("art theft", "1990-03-18T00:00:00Z")], [("Gardner Museum", "", "")], RecordStatus.STOLEN, "missing"),
        ([("archaeological looting", "1971-12-01T00:00:00Z"), ("restitution", "2006-01-01T00:00:00Z")], [], RecordStatus.RESTITUTED, "restituted"),
    ],
)  # fmt: skip
def test_the_status_is_read_from_the_events(
    events: list[tuple[str, str]],
    collections: list[tuple[str, str, str]],
    status: RecordStatus,
    word: str,
) -> None:
    found = standing(events, collections)
    assert (found.status, found.word) == (status, word), found.because


async def test_the_mocks_works_are_stolen_looted_recovered_or_restituted_as_their_events_say() -> (
    None
):
    registry, service = on_mock()
    async with registry:
        records = [record async for record in registry.iter_records()]
    # 408 entries of the seed, one per creator: 396 works, each one row as the query groups them.
    assert len(records) == len(service.works) == 396
    counts = {status: sum(r.status is status for r in records) for status in RecordStatus}
    # Restituted or recovered by a later event: 242, told apart.
    assert (counts[RecordStatus.RESTITUTED], counts[RecordStatus.RECOVERED]) == (225, 17)
    assert (counts[RecordStatus.STOLEN], counts[RecordStatus.LOOTED]) == (93, 61)
    restituted = [r for r in records if "Status: restituted" in (r.description.provenance or "")]
    assert {r.status for r in restituted} == {RecordStatus.RESTITUTED}  # the word says the same
    festive = next(r for r in records if r.record_id == "Q21074426")
    assert festive.description.maker_text == "Dirck van Delen; Dirck Hals"


def test_a_row_that_is_not_a_work_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Wikidata entity"):
        record_from_row({"item": {"type": "uri", "value": "https://example.org/Q1"}})
    with pytest.raises(TypeError):
        record_from_row(["not", "a", "row"])


def test_a_commons_image_is_fetched_as_a_thumbnail_from_the_upload_host() -> None:
    image = commons_image(
        "http://commons.wikimedia.org/wiki/Special:FilePath/Vermeer%20The%20Concert.JPG"
    )
    # Commons addresses a file by the MD5 of its name, underscores for spaces:
    # md5("Vermeer_The_Concert.JPG") begins "b8".
    where = "b/b8/Vermeer_The_Concert.JPG"
    assert image.variants["original"] == f"https://upload.wikimedia.org/wikipedia/commons/{where}"
    assert image.variants["large"] == (
        f"https://upload.wikimedia.org/wikipedia/commons/thumb/{where}/1024px-Vermeer_The_Concert.JPG"
    )


async def test_images_elsewhere_than_commons_or_the_endpoint_are_not_fetched() -> None:
    with respx.mock(assert_all_called=False) as mock:
        elsewhere = mock.get(url__regex=r"https://169\.254\.169\.254/.*").respond(200)
        async with WikidataRegistry(min_interval=0) as registry:
            image = commons_image("https://169.254.169.254/latest/meta-data")
            assert await registry.image_bytes(image) is None
    assert not elsewhere.called


async def test_a_commons_thumbnail_refused_falls_back_to_the_original() -> None:
    image = commons_image("http://commons.wikimedia.org/wiki/Special:FilePath/Small.png")
    with respx.mock() as mock:
        mock.get(image.variants["large"]).respond(400)
        original = mock.get(image.variants["original"]).respond(200, content=b"\x89PNG...")
        async with WikidataRegistry(min_interval=0) as registry:
            assert await registry.image_bytes(image) == b"\x89PNG..."
    assert original.called


def test_every_mock_row_is_a_record() -> None:
    mock = create_mock(None, {})
    assert isinstance(mock.state, WikidataService)
    for work in mock.state.works:
        record = record_from_row(row_of(work))
        assert record.record_id == work["qid"]


# --- Conformance -----------------------------------------------------------------------------


class TestWikidataRegistry(RegistryConformance):
    @pytest.fixture
    def registry_factory(self) -> Callable[[], Registry]:
        return lambda: on_mock()[0]

    @pytest.fixture
    def query_with_records(self) -> ObjectDescription:
        return ObjectDescription(title="The Concert", maker="Vermeer")

    @pytest.fixture
    def query_without_records(self) -> ObjectDescription:
        return ObjectDescription(title="Zyzzyva")

    @pytest.fixture
    def failing_registry(self) -> Registry:
        return on_mock(Faults(server_error=100))[0]

    @pytest.fixture
    def hanging_registry(self) -> Registry:
        return on_mock(Faults(latency=3600))[0]
