"""OAI-PMH: paging by resumption tokens, `from`, the service's errors, and hostile XML, which is
refused before any tree is built of it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import httpx
import pytest
from provcheck_mnr import MnrRegistry
from provcheck_mnr.oai import MAX_PAGE_BYTES, OaiError, UnsafeXml, read_page
from provcheck_mnr.service import MnrService, create_mock

from provcheck import MalformedResponseError, RegistryError
from provcheck.mocks import in_process

pytestmark = pytest.mark.anyio
OAI_PMH = '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def small_pages(page_size: int = 100) -> tuple[MnrService, MnrRegistry]:
    mock = create_mock(None, {"photographs": "0", "page_size": str(page_size)})
    assert isinstance(mock.state, MnrService)
    registry = MnrRegistry(transport=in_process(mock.app), min_interval=0, **mock.client_settings)
    return mock.state, registry


async def test_every_page_is_followed_newest_first() -> None:
    service, registry = small_pages(100)
    async with registry:
        records = [record async for record in registry.iter_records()]
        assert await registry.count_records() == 1946
    assert len(records) == 1946 == len({r.record_id for r in records})
    assert service.oai_requests == 20 + 1  # 20 pages of 100, and the count
    days = [r.modified for r in records]
    assert all(a is not None and b is not None and a >= b for a, b in itertools.pairwise(days))


async def test_since_asks_only_for_what_changed() -> None:
    service, registry = small_pages(100)
    service.edit("MNR00330", TITR="Titre corrigé")
    edited = datetime.fromisoformat(service.notices[0]["DMAJ"]).replace(tzinfo=UTC)
    async with registry:
        records = [record async for record in registry.iter_records(since=edited)]
    assert [r.record_id for r in records] == ["MNR00330"]
    assert records[0].description.title == "Titre corrigé"


def oai_answering(body: bytes | str, status: int = 200) -> MnrRegistry:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": "text/xml"})

    return MnrRegistry(
        transport=httpx.MockTransport(answer), base_url="http://pop.test", min_interval=0
    )


async def test_a_bad_resumption_token_is_a_registry_error() -> None:
    body = f'{OAI_PMH}<error code="badResumptionToken">expired</error></OAI-PMH>'
    async with oai_answering(body) as registry:
        with pytest.raises(RegistryError, match="badResumptionToken"):
            await registry.count_records()


async def test_a_token_given_twice_stops_the_listing() -> None:
    body = f"{OAI_PMH}<ListRecords><resumptionToken>same</resumptionToken></ListRecords></OAI-PMH>"
    async with oai_answering(body) as registry:
        with pytest.raises(MalformedResponseError, match="same resumption token twice"):
            [record async for record in registry.iter_records()]


def test_no_records_is_an_empty_page() -> None:
    page = read_page(f'{OAI_PMH}<error code="noRecordsMatch"/></OAI-PMH>'.encode())
    assert (page.headers, page.token, page.complete_list_size) == ((), None, 0)
    with pytest.raises(OaiError, match="badArgument"):
        read_page(f'{OAI_PMH}<error code="badArgument">no</error></OAI-PMH>'.encode())


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + f"]>{OAI_PMH}<ListRecords><resumptionToken>&lol9;</resumptionToken></ListRecords></OAI-PMH>"
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    f"{OAI_PMH}<ListRecords><resumptionToken>&secret;</resumptionToken></ListRecords></OAI-PMH>"
)


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        (LAUGHS, "DOCTYPE"),
        (EXTERNAL, "DOCTYPE"),
        ("<OAI-PMH><unclosed>", "not well-formed"),
        ("<html><body>maintenance</body></html>", "not OAI-PMH"),
        (f"{OAI_PMH}<GetRecord/></OAI-PMH>", "neither ListRecords"),
        (" " * (MAX_PAGE_BYTES + 1), "larger than"),
    ],
)
def test_hostile_or_foreign_xml_is_refused(body: str, refusal: str) -> None:
    with pytest.raises(UnsafeXml, match=refusal):
        read_page(body.encode())


async def test_a_hostile_answer_of_the_service_is_a_malformed_response() -> None:
    async with oai_answering(LAUGHS) as registry:
        with pytest.raises(MalformedResponseError, match="DOCTYPE"):
            [record async for record in registry.iter_records()]


async def test_a_huge_answer_is_refused_before_it_is_read_whole() -> None:
    huge = (
        f"{OAI_PMH}<ListRecords>" + "<x/>" * (MAX_PAGE_BYTES // 4 + 1) + "</ListRecords></OAI-PMH>"
    )
    async with oai_answering(huge) as registry:
        with pytest.raises(MalformedResponseError, match="larger than"):
            await registry.count_records()
