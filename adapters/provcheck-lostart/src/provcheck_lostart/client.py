"""The `lostart` register: the German Lost Art Database, through its public CSV export.

`GET {base_url}/de/search-export/csv?start=N&filter[type][0]=Objektdaten` answers one page of 500
rows (`export.py` reads them), `start` stepping by 500, and an (almost) empty body after the last
page; no key. The service has no search the client could ask and no order by date, so the
register is mirrored (`provcheck mirror lostart`): every page read, each row a record whose
`modified` is its `Veröffentlicht seit` date; a later sync reads the pages again but stores only
what was published since the last one. A check then searches the mirror, by any words. Without a
mirror a search declines and says how to make one -- unless `mode=live`, which reads the whole
export for each search (slow against the real service; for a mock or a copy).
"""

from __future__ import annotations

import heapq
import logging
import re
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from provcheck import (
    Access,
    Capabilities,
    DataSource,
    ObjectDescription,
    QueryNotSupported,
    Record,
    Registry,
    RegistryError,
    RegistrySettings,
    SearchResult,
    search_mirror,
)
from provcheck.http import HttpSession, RetryPolicy, Throttle
from provcheck_lostart.export import PUBLISHED, parse_export, record_from_row

__all__ = ["EXPORT_PATH", "LostArtRegistry", "LostArtSettings"]

EXPORT_PATH = "/de/search-export/csv"
OBJECT_DATA = {"filter[type][0]": "Objektdaten"}
_WORD = re.compile(r"[^\W_]{3,}")
# Rows of the export that are not records are said here (a warning, on stderr unless the program
# using provcheck routes its logging elsewhere), never dropped silently.
_log = logging.getLogger("provcheck_lostart")


class LostArtSettings(RegistrySettings):
    base_url: str = Field(
        default="https://www.lostart.de",
        description="the Lost Art web site (a mock or a copy may stand in)",
    )
    page_size: int = Field(
        default=500, ge=1, description="rows the export gives a page (the service's, 500)"
    )
    min_interval: float = Field(
        default=1.0, ge=0, description="seconds between requests: one page at a time, politely"
    )
    mode: Literal["auto", "mirror", "live"] = Field(
        default="auto",
        description="auto or mirror: search the mirror; live: read the whole export per search",
    )
    store: str | None = Field(
        default=None, description="the local store holding the mirror (default: the local one)"
    )
    timeout: float = Field(default=60.0, gt=0)


class LostArtRegistry(Registry):
    """The Lost Art Database (Germany): loss reports (objects sought) and find reports (objects
    held by institutions, claimable), mirrored from its CSV export."""

    name: ClassVar[str] = "lostart"
    title: ClassVar[str] = "Lost Art Database (Germany)"
    homepage: ClassVar[str | None] = "https://www.lostart.de"
    access: ClassVar[Access] = Access.API
    capabilities: ClassVar[Capabilities] = Capabilities(
        fields=frozenset(
            {"title", "makers", "period", "object_type", "inventory_number", "description"}
        ),
        images=False,
    )
    Settings: ClassVar[type[RegistrySettings]] = LostArtSettings
    settings: LostArtSettings

    def __init__(self, settings: LostArtSettings | None = None, /, **options: Any) -> None:
        super().__init__(settings, **options)
        self._http = HttpSession(
            registry=self.name,
            base_url=self.settings.base_url,
            headers={"Accept": "text/csv"},
            timeout=self.settings.timeout,
            retry=RetryPolicy(attempts=4, max_wait=30.0),
            throttle=Throttle(max_concurrency=1, min_interval=self.settings.min_interval),
            transport=self.transport,
        )
        # The rows `count_records` last found: a listing that ends before them was cut short.
        self._counted: int | None = None

    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        if self.settings.mode == "live":
            return await self._scan(query, limit=limit)
        mirrored = await search_mirror(self.name, self.settings.store, query, limit=limit)
        if mirrored is None:
            raise QueryNotSupported(
                "lostart: the Lost Art Database cannot be searched live; mirror it first with "
                "`provcheck mirror lostart` (about 127,500 records), then check again"
            )
        return mirrored

    async def iter_records(self, *, since: datetime | None = None) -> AsyncIterator[Record]:
        """Every record of the export, page by page; given `since`, only those published since
        (the export has no order by date, so every page is read). A row that is not a record is
        left out, and said in one warning at the end; the next full sync reads it again.

        The export's end is an (almost) empty page, which a failing proxy also answers: an export
        with no rows at all, or ending before the rows `count_records` found, is `RegistryError`,
        never a shorter register."""
        start, left_out = 0, []
        while True:
            rows = await self._page(start)
            for number, row in enumerate(rows, start=start + 1):
                # An ISO date compares as text: a row published before `since` is not read.
                if since is not None and row.get(PUBLISHED, "") < since.date().isoformat():
                    continue
                try:
                    record = record_from_row(row, registry=self.name)
                except ValueError as error:
                    left_out.append(f"row {number}: {error}")
                    continue
                yield record
            if len(rows) < self.settings.page_size:
                break
            start += self.settings.page_size
        self._check_ended(start + len(rows))
        if left_out:
            _log.warning(
                "lostart: %s export row%s left out, not a record: %s%s",
                f"{len(left_out):,}",
                "" if len(left_out) == 1 else "s",
                left_out[0],
                f" (and {len(left_out) - 1:,} more)" if len(left_out) > 1 else "",
            )

    async def count_records(self) -> int | None:
        """The export's rows, from a few pages: the last full page found by halving, then the
        rows of the one after it (about 10 requests for the whole set's 255 pages)."""
        size = self.settings.page_size
        full, beyond = 0, 1  # pages: `full` is known full (0: none yet), `beyond` not full
        while len(await self._page((beyond - 1) * size)) == size:
            full, beyond = beyond, beyond * 2
        while beyond - full > 1:
            middle = (full + beyond) // 2
            if len(await self._page((middle - 1) * size)) == size:
                full = middle
            else:
                beyond = middle
        self._counted = full * size + len(await self._page(full * size))
        return self._counted

    async def aclose(self) -> None:
        await self._http.aclose()

    def _check_ended(self, rows: int) -> None:
        """The listing ended after `rows` rows: an error unless that is the export's end."""
        if rows == 0:
            raise RegistryError(
                "lostart: the export answered no rows at all (an empty body where the first page "
                "was expected): a failing service or proxy, not an empty database; try again later",
                registry=self.name,
            )
        if self._counted is not None and rows < self._counted:
            raise RegistryError(
                f"lostart: the export ended after {rows:,} rows, before the {self._counted:,} it "
                "counted: an answer cut short (a failing service or proxy); try again later",
                registry=self.name,
            )

    async def _page(self, start: int) -> list[dict[str, str]]:
        response = await self._http.request(
            "GET", EXPORT_PATH, params={"start": start, **OBJECT_DATA}
        )
        return parse_export(response.content)

    async def _scan(self, query: ObjectDescription, *, limit: int) -> SearchResult:
        """The whole export read for one search: the records sharing most words with the query
        (title, makers, inventory number), at most `limit`; the core's matcher judges them."""
        wanted = _words(
            " ".join(
                [query.title or "", query.inventory_number or ""]
                + [maker.name for maker in query.makers]
            )
        )
        if not wanted:
            raise QueryNotSupported(
                "lostart: a live search needs a title, a maker or an inventory number"
            )
        best: list[tuple[int, int, Record]] = []
        async for number, record in _numbered(self.iter_records()):
            text = " ".join(filter(None, [record.description.title, record.description.maker_text]))
            shared = len(wanted & _words(f"{text} {record.description.inventory_number or ''}"))
            if shared:
                heapq.heappush(best, (shared, -number, record))
                if len(best) > limit:
                    heapq.heappop(best)
        ranked = [record for _, _, record in sorted(best, key=lambda b: (-b[0], -b[1]))]
        return SearchResult(tuple(ranked), source=DataSource.LIVE)


def _words(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(text)}


async def _numbered(records: AsyncIterator[Record]) -> AsyncIterator[tuple[int, Record]]:
    number = 0
    async for record in records:
        yield number, record
        number += 1
