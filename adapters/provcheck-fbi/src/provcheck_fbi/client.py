"""The `fbi` register: the FBI National Stolen Art File, through its public JSON API.

`GET {base_url}/@artcrimes` takes `title`, `maker`, `crimeCategory`, `referenceNumber`, `page`,
`pageSize`, `sort_on` and `sort_order`, and answers `{"total", "page", "items"}`; no key. The API
searches a few text fields only and cannot search by image (mirroring the register into the local
store is how its photographs become searchable). The client asks for the title, the maker and the
reference number each in turn, pages until it has `limit` items or the service has no more, keeps
to the service's throttling (`min_interval` between requests; 429 and 503 are waited out as the
service says), and maps every item into a `Record`: `uid` as its id (a reference number is a case
shared by many objects), measurements, period and maker read by provcheck's parsers, the images
with their `large` and `thumb` variants, the category slug as the object type, `additionalData`
as keywords, and the item itself kept whole. A malformed item is left out with a warning; the
rest are returned.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from provcheck import (
    Access,
    Capabilities,
    ImageRef,
    InputError,
    LocalFeatures,
    ObjectDescription,
    Record,
    RecordStatus,
    Registry,
    RegistryError,
    RegistrySettings,
    SearchResult,
    collect_records,
    mirror_image_features,
    search_mirror_and_live,
)
from provcheck.http import HttpSession, RetryPolicy, Throttle
from provcheck.registers.fetching import fetch_image

__all__ = ["FbiRegistry", "FbiSettings", "record_from_item"]

# Items with no photograph show the FBI seal: no picture of the object.
NO_PHOTOGRAPH = re.compile(r"seal-fbi\.jpg|no-image-available", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{4,}")


class FbiSettings(RegistrySettings):
    base_url: str = Field(
        default="https://api.fbi.gov",
        description="the API (a mirror or a test server may stand in)",
    )
    page_size: int = Field(default=50, ge=1, le=100, description="items asked per page")
    min_interval: float = Field(
        default=0.5,
        ge=0,
        description="seconds between requests: the service throttles fast clients",
    )
    mode: Literal["auto", "live", "mirror"] = Field(
        default="auto",
        description="auto: the mirror (if synced) and the live API; live or mirror: only that",
    )
    store: str | None = Field(
        default=None, description="the local store holding the mirror (default: the local one)"
    )
    timeout: float = Field(default=30.0, gt=0)


class _Image(BaseModel):
    model_config = ConfigDict(extra="ignore")

    original: str | None = None
    large: str | None = None
    thumb: str | None = None
    caption: str | None = None


class _Item(BaseModel):
    """One item as the API gives it: the fields the record is made of. Others are kept in `raw`."""

    model_config = ConfigDict(extra="ignore")

    uid: str = Field(min_length=1)
    title: str | None = None
    maker: str | None = None
    materials: str | None = None
    measurements: str | None = None
    period: str | None = None
    description: str | None = None
    additionalData: str | None = None  # the API's own key
    crimeCategory: str | None = None
    referenceNumber: str | None = None
    images: list[_Image] = []
    url: str | None = None
    modified: datetime | None = None


class _Page(BaseModel):
    model_config = ConfigDict(extra="ignore")

    total: int = Field(ge=0)
    page: int | None = None
    items: list[JsonValue]


def record_from_item(item: JsonValue, *, registry: str = "fbi") -> Record:
    """An API item as a `Record`; `TypeError` if it is not an object, `pydantic.ValidationError`
    if it is not an item."""
    if not isinstance(item, dict):
        raise TypeError(f"an item is an object, not {type(item).__name__}")
    found = _Item.model_validate(item)
    images = [
        ImageRef(
            url=image.original,
            caption=image.caption or None,
            variants={k: v for k, v in (("large", image.large), ("thumb", image.thumb)) if v},
        )
        for image in found.images
        if image.original and not NO_PHOTOGRAPH.search(image.original)
    ]
    fields = {
        "title": found.title,
        "maker": found.maker,
        "materials": found.materials,
        "measurements": found.measurements,
        "period": found.period,
        "description": found.description,
        "object_type": found.crimeCategory.replace("-", " ") if found.crimeCategory else None,
        "keywords": found.additionalData,
    }
    description = ObjectDescription.model_validate(
        {name: value for name, value in fields.items() if value is not None} | {"images": images}
    )
    return Record(
        registry=registry,
        record_id=found.uid,
        status=RecordStatus.STOLEN,
        description=description,
        url=found.url,
        modified=found.modified,
        raw=dict(item),
    )


class FbiRegistry(Registry):
    """The FBI National Stolen Art File (public API; text search of title, maker, case number)."""

    name: ClassVar[str] = "fbi"
    title: ClassVar[str] = "FBI National Stolen Art File"
    homepage: ClassVar[str | None] = "https://www.fbi.gov/investigate/violent-crime/art-theft"
    access: ClassVar[Access] = Access.API
    # Live, the API searches titles, makers and case numbers; a mirror searches everything,
    # photographs included.
    capabilities: ClassVar[Capabilities] = Capabilities(
        fields=frozenset(
            {"title", "makers", "inventory_number", "materials", "description", "keywords"}
        ),
        images=True,
    )
    Settings: ClassVar[type[RegistrySettings]] = FbiSettings
    settings: FbiSettings

    def __init__(self, settings: FbiSettings | None = None, /, **options: Any) -> None:
        super().__init__(settings, **options)
        self._http = HttpSession(
            registry=self.name,
            base_url=self.settings.base_url,
            headers={"Accept": "application/json"},
            retry=RetryPolicy(attempts=4, max_wait=20.0),
            throttle=Throttle(max_concurrency=1, min_interval=self.settings.min_interval),
            transport=self.transport,
        )

    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        live_answers = bool(query.title or query.makers or query.inventory_number)
        return await search_mirror_and_live(
            self.name,
            self.settings.store,
            query,
            limit=limit,
            mode=self.settings.mode,
            live=(lambda: self._live(query, limit=limit)) if live_answers else None,
            unanswerable="fbi: the live API searches titles, makers and case numbers only; to "
            "search by photograph, mirror the register first (`provcheck mirror fbi`)",
        )

    async def iter_records(self, *, since: datetime | None = None) -> AsyncIterator[Record]:
        """Every item, most recently modified first; given `since`, only those modified since."""
        page = 1
        while True:
            found = await self._page({"sort_on": "modified", "sort_order": "desc"}, page)
            for item in found.items:
                try:
                    record = record_from_item(item, registry=self.name)
                except (ValidationError, TypeError):
                    continue  # a malformed item cannot be mirrored; the next sync tries again
                if since is not None and record.modified is not None and record.modified < since:
                    return
                yield record
            if not found.items or page * self.settings.page_size >= found.total:
                return
            page += 1

    async def count_records(self) -> int | None:
        response = await self._http.request("GET", "/@artcrimes", params={"pageSize": 1})
        return self._http.parse_model(_Page, response).total

    async def _live(self, query: ObjectDescription, *, limit: int) -> SearchResult:
        warnings: list[str] = []
        answers = [
            [record async for record in self._items(params, limit=limit, warnings=warnings)]
            for params in self._questions(query)
        ]
        # Each question's first answers before any question's later ones: twenty lamps by
        # "Tiffany" must not crowd out the one "Acorn".
        records: dict[str, Record] = {}
        for record in itertools.chain.from_iterable(itertools.zip_longest(*answers)):
            if record is not None:
                records.setdefault(record.record_id, record)
        return SearchResult(tuple(records.values())[:limit], warnings=tuple(warnings))

    async def image_features(self, image: ImageRef) -> LocalFeatures | None:
        # A mirrored picture's features, kept by the mirror: verified without the service.
        return await mirror_image_features(self.settings.store, image)

    async def image_bytes(self, image: ImageRef) -> bytes | None:
        # The large size first (enough to verify a photograph, a fraction of the original). An
        # image on the API's own host -- the service, or the mirror or mock the user pointed
        # base_url at -- comes through the session; one anywhere else only under the address
        # policy (public addresses, checked at every redirect): an answer of the API must not
        # send provcheck to a private or loopback address.
        url = image.variants.get("large") or image.url
        if url is None or not url.startswith(("https://", "http://")):
            return image.data
        if self._http.owns(url):
            response = await self._http.request("GET", url, headers={"Accept": "image/*"})
            return response.content
        async with self._http.throttle:  # the image hosts throttle as the API does
            try:
                return await asyncio.to_thread(fetch_image, url)
            except InputError as error:
                raise RegistryError(
                    f"{self.name}: a record image was not fetched: {error}", registry=self.name
                ) from None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _page(self, params: Mapping[str, str], page: int) -> _Page:
        response = await self._http.request(
            "GET",
            "/@artcrimes",
            params={**params, "page": page, "pageSize": self.settings.page_size},
        )
        return self._http.parse_model(_Page, response)

    def _questions(self, query: ObjectDescription) -> list[dict[str, str]]:
        """What to ask, most telling first. The API wants every word of a title to appear, so a
        title described in other words is also asked for by its longest words, one at a time."""
        questions = []
        if query.title:
            questions.append({"title": query.title})
            words = sorted(set(_WORD.findall(query.title)), key=lambda w: (-len(w), w.lower()))
            questions += [{"title": word} for word in words[:4] if word != query.title]
        if query.makers:
            questions.append({"maker": query.makers[0].name.split()[-1]})
        if query.inventory_number:
            questions.append({"referenceNumber": query.inventory_number})
        return questions

    async def _items(
        self, params: Mapping[str, str], *, limit: int, warnings: list[str]
    ) -> AsyncIterator[Record]:
        """Records of the items one question finds, page by page, at most `limit`."""
        given = 0
        page = 1
        while given < limit:
            found = await self._page(params, page)
            records, left_out = collect_records(
                found.items,
                lambda item: record_from_item(item, registry=self.name),
                label=lambda n: f"item {n} of page {page}",  # noqa: B023  # used at once
            )
            warnings += left_out
            for record in records[: limit - given]:
                yield record
            given += min(len(records), limit - given)
            if not found.items or page * self.settings.page_size >= found.total:
                return
            page += 1
