"""Registers used by the tests, written as an outside plugin author would, on the public API."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

import provcheck
from provcheck.registers.http import HttpSession, RetryPolicy


class MemoryRegistry(provcheck.Registry):
    """A register held in memory: finds its records whose title shares a word with the query."""

    name = "memory"
    title = "In-memory test register"
    access = provcheck.Access.LOCAL
    capabilities = provcheck.Capabilities(fields=frozenset({"title", "makers"}))

    def __init__(self, records: Sequence[dict[str, Any]] = (), **options: Any) -> None:
        super().__init__(**options)
        self.closed = 0
        self.records = [
            provcheck.Record(registry=self.name, record_id=str(i), **data)
            for i, data in enumerate(records)
        ]

    async def search(
        self, query: provcheck.ObjectDescription, *, limit: int
    ) -> list[provcheck.Record]:
        words = set((query.title or "").lower().split())
        found = [
            r for r in self.records if words & set((r.description.title or "").lower().split())
        ]
        return found[:limit]

    async def aclose(self) -> None:
        self.closed += 1


class SampleApiSettings(provcheck.RegistrySettings):
    base_url: str = "https://registry.example.org/api/"
    api_key: SecretStr


class SampleApiRegistry(provcheck.Registry):
    """A register behind a JSON API with a key: `GET search?title=` answers `{"items": [...]}`."""

    name = "sample-api"
    title = "Sample API register"
    homepage = "https://registry.example.org"
    access = provcheck.Access.API
    capabilities = provcheck.Capabilities(fields=frozenset({"title"}))
    Settings = SampleApiSettings
    settings: SampleApiSettings

    def __init__(
        self,
        settings: SampleApiSettings | None = None,
        /,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        **options: Any,
    ) -> None:
        super().__init__(settings, **options)
        key = self.settings.api_key.get_secret_value()
        self.http = HttpSession(
            registry=self.name,
            base_url=self.settings.base_url,
            headers={"X-Api-Key": key},
            transport=transport,
            retry=retry or RetryPolicy(attempts=2, backoff=0.01),
            secrets=[key],
        )

    async def search(
        self, query: provcheck.ObjectDescription, *, limit: int
    ) -> list[provcheck.Record]:
        payload = await self.http.get_json("search", params={"title": query.title or ""})
        return [self._record(item) for item in payload["items"][:limit]]

    def _record(self, item: dict[str, Any]) -> provcheck.Record:
        return provcheck.Record(
            registry=self.name,
            record_id=item["id"],
            status=provcheck.RecordStatus.STOLEN,
            description=provcheck.ObjectDescription(title=item["title"], maker=item.get("maker")),
            raw=item,
        )

    async def aclose(self) -> None:
        await self.http.aclose()


def sample_api_transport(mode: str = "ok") -> httpx.MockTransport:
    """A stand-in for the sample API: `ok`, `down` (HTTP 500) or `hang` (never answers)."""

    async def handle(request: httpx.Request) -> httpx.Response:
        if mode == "down":
            return httpx.Response(500, json={"error": "internal"})
        if mode == "hang":
            await asyncio.Event().wait()
        title = request.url.params.get("title", "").lower()
        items = [
            {"id": "a-1", "title": "Acorn", "maker": "Tiffany Studios"},
            {"id": "a-2", "title": "Acorn table lamp", "maker": "Tiffany"},
        ]
        return httpx.Response(
            200, json={"items": [i for i in items if title and title in i["title"].lower()]}
        )

    return httpx.MockTransport(handle)


class AcornRegistry(MemoryRegistry):
    """A named register with one record, for tests that open registers by name."""

    name = "acorns"
    title = "Acorn test register"

    def __init__(self, **options: Any) -> None:
        record = {
            "title": "Acorn",
            "maker": "Tiffany Studios",
            "period": "1906",
            "measurements": "24 in",
        }
        super().__init__(
            [{"description": record, "url": "https://registry.example.org/acorn"}], **options
        )


class DownRegistry(MemoryRegistry):
    """A named register whose service is always down."""

    name = "down"
    title = "Register that is down"

    async def search(
        self, query: provcheck.ObjectDescription, *, limit: int
    ) -> list[provcheck.Record]:
        raise provcheck.RegistryUnavailableError(
            "down: could not reach GET https://down.example.org/search"
        )


class LaterRegistry(provcheck.Registry):
    """A named register that answers later: its search is pending until it has been asked
    `answer_after` times; what it was sent is counted on the class (each check opens its own)."""

    name = "later"
    title = "Register that answers later"
    access = provcheck.Access.API
    capabilities = provcheck.Capabilities(fields=frozenset({"title", "makers"}))
    submitted = 0
    resumed = 0
    answer_after = 1

    async def search(
        self, query: provcheck.ObjectDescription, *, limit: int
    ) -> list[provcheck.Record]:
        type(self).submitted += 1
        raise provcheck.SearchPending("later: in review", handle={"ticket": "T-1"})

    async def resume(
        self, handle: Any, *, limit: int, reply: str | None = None
    ) -> list[provcheck.Record]:
        type(self).resumed += 1
        if type(self).resumed < type(self).answer_after:
            raise provcheck.SearchPending("later: still in review", handle=dict(handle))
        acorn = {"title": "Acorn", "maker": "Tiffany Studios", "period": "1906"}
        return [provcheck.Record(registry=self.name, record_id="L1", description=acorn)]


class ListedRegistry(MemoryRegistry):
    """A named register that can be mirrored: it lists the records on the class."""

    name = "listed"
    title = "Register that lists its records"
    listing: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, **options: Any) -> None:
        super().__init__(type(self).listing, **options)

    async def iter_records(self, *, since: Any = None) -> Any:
        from datetime import UTC, datetime

        for record in self.records:
            yield record.model_copy(update={"modified": datetime(2026, 11, 1, tzinfo=UTC)})

    async def count_records(self) -> int | None:
        return len(self.records)
