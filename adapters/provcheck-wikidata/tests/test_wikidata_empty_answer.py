"""An empty answer from the query service (`bindings: []`) where it counts works is a failed
mirror, never a synced empty one, and never marks a mirrored work removed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from provcheck_wikidata import WikidataRegistry
from provcheck_wikidata.service import WikidataService, create_mock
from starlette.types import ASGIApp, Receive, Scope, Send

from provcheck import LocalStore, RegistryError, mirror
from provcheck.mocks import in_process

pytestmark = pytest.mark.anyio
WORKS = 396


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class EmptyListing:
    """The endpoint, but every bulk page answered with no rows while `empty` is set (a cache or a
    proxy answering a valid, empty result); the count still says what the endpoint holds."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.empty = app, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.empty and scope["type"] == "http" and b"bulk" in scope.get("query_string", b""):
            body = json.dumps({"head": {"vars": ["item"]}, "results": {"bindings": []}}).encode()
            headers = [(b"content-type", b"application/sparql-results+json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


async def test_an_empty_answer_where_works_are_counted_is_a_failure(tmp_path: Path) -> None:
    mock = create_mock(None, {"photographs": "0"})
    assert isinstance(mock.state, WikidataService)
    endpoint = EmptyListing(mock.app)
    path = tmp_path / "store.sqlite3"

    async def sync(*, full: bool = False) -> int:
        registry = WikidataRegistry(
            transport=in_process(endpoint),
            base_url="http://wikidata.mock/sparql",
            min_interval=0,
            store=str(path),
        )
        with LocalStore(path) as store:
            async with registry:
                return (await mirror(registry, store, full=full)).fetched

    endpoint.empty = True
    empty = r"^wikidata: the query service answered no works, where it counts 396"
    with pytest.raises(RegistryError, match=empty):
        await sync()  # a first mirror
    with LocalStore(path) as store:
        assert store.mirror_state("wikidata") is None
    endpoint.empty = False
    assert await sync() == WORKS
    endpoint.empty = True
    assert await sync() == 0  # an incremental sync: nothing changed since, rightly
    with pytest.raises(RegistryError, match=empty):
        await sync(full=True)
    with LocalStore(path) as store:
        assert len(store.record_ids("wikidata")) == WORKS
