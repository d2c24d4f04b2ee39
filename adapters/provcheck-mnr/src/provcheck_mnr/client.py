"""The `mnr` register: the French state's recovered, claimable works (MNR, "Rose-Valland") on POP.

About 2,000 works taken from their owners in France in 1940-1944, recovered in Germany after the
war and held by the French state, in the national museums' care, until their owners' heirs claim
them. POP, the Ministry of Culture's heritage platform, publishes them:

- one notice by its reference: `GET {base_url}/mnr/<REF>`, JSON with every field of the MNR
  schema and the storage keys of its images (`VIDEO`), which are found under `image_base_url`;
- every notice, most recently changed first: OAI-PMH at `{base_url}/oai`, set `mnr`, pages of 50
  joined by resumption tokens, `from` for what changed since a day. Its Dublin Core leaves out
  the images and most fields, so each notice it lists is read again as JSON.

POP's API searches nothing by words a plugin can rely on, and nothing by photograph. So, live,
this register finds a notice by its reference (a query whose inventory number is one: `MNR 330`,
`OAR00245`); everything else -- title, maker, words, photographs -- is searched in a mirror of the
register (`provcheck mirror mnr`), which is a few thousand records.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationError

from provcheck import (
    Access,
    Capabilities,
    ImageRef,
    InputError,
    LocalFeatures,
    MalformedResponseError,
    ObjectDescription,
    Record,
    Registry,
    RegistryError,
    RegistrySettings,
    mirror_image_features,
    search_mirror_and_live,
)
from provcheck.http import HttpSession, RetryPolicy, Throttle
from provcheck.registers.fetching import fetch_image
from provcheck_mnr.notice import REFERENCE, parse_day, record_from_notice
from provcheck_mnr.oai import MAX_PAGE_BYTES, OaiError, OaiHeader, OaiPage, UnsafeXml, read_page

__all__ = ["MnrRegistry", "MnrSettings", "candidate_references"]

# An inventory number as people write an MNR reference: `MNR 330`, `OAR.245`, `MNR0265B`.
_INVENTORY = re.compile(r"\s*([A-Za-z]{2,5})[\s.\-]*0*(\d{1,6})\s*([A-Za-z]{0,2})\s*")
REFERENCE_LENGTH = 8  # most references: MNR00330, MCSR0012, MNR0265B


class MnrSettings(RegistrySettings):
    base_url: str = Field(
        default="https://api.pop.culture.gouv.fr",
        description="POP's API (a mirror or a test server may stand in)",
    )
    oai_path: str = Field(default="/oai", description="the OAI-PMH endpoint, under base_url")
    oai_set: str = Field(default="mnr", description="the OAI-PMH set of the MNR notices")
    image_base_url: str = Field(
        default="https://s3.eu-west-3.amazonaws.com/pop-phototeque/",
        description="where the images' storage keys (VIDEO) are found; a path is under base_url",
    )
    min_interval: float = Field(
        default=0.2, ge=0, description="seconds between requests: a public service, asked gently"
    )
    mode: Literal["auto", "live", "mirror"] = Field(
        default="auto",
        description="auto: the mirror (if synced) and references live; live or mirror: only that",
    )
    store: str | None = Field(
        default=None, description="the local store holding the mirror (default: the local one)"
    )
    timeout: float = Field(default=30.0, gt=0)


def candidate_references(inventory_number: str | None) -> tuple[str, ...]:
    """The POP references an inventory number may be, most likely first (`MNR 330` ->
    `MNR00330`, then `MNR330`); none when it is not written like one."""
    found = _INVENTORY.fullmatch(inventory_number or "")
    if found is None:
        return ()
    prefix, number, suffix = found[1].upper(), found[2], found[3].upper()
    width = max(REFERENCE_LENGTH - len(prefix) - len(suffix), len(number))
    forms = (f"{prefix}{number.zfill(width)}{suffix}", f"{prefix}{number}{suffix}")
    return tuple(dict.fromkeys(f for f in forms if REFERENCE.fullmatch(f)))


class MnrRegistry(Registry):
    """MNR (Rose-Valland) on POP: live by reference; mirrored, by any field and by photograph."""

    name: ClassVar[str] = "mnr"
    title: ClassVar[str] = "MNR (Musées Nationaux Récupération, Rose-Valland)"
    homepage: ClassVar[str | None] = "https://www.pop.culture.gouv.fr/"
    access: ClassVar[Access] = Access.API
    capabilities: ClassVar[Capabilities] = Capabilities(
        fields=frozenset(
            {
                "title",
                "makers",
                "inventory_number",
                "materials",
                "object_type",
                "description",
                "provenance",
                "keywords",
            }
        ),
        images=True,
    )
    Settings: ClassVar[type[RegistrySettings]] = MnrSettings
    settings: MnrSettings

    def __init__(self, settings: MnrSettings | None = None, /, **options: Any) -> None:
        super().__init__(settings, **options)
        self._http = HttpSession(
            registry=self.name,
            base_url=self.settings.base_url,
            timeout=self.settings.timeout,
            retry=RetryPolicy(attempts=4, max_wait=20.0),
            throttle=Throttle(max_concurrency=1, min_interval=self.settings.min_interval),
            max_response_bytes=MAX_PAGE_BYTES,
            transport=self.transport,
        )
        image_base = self.settings.image_base_url
        self._image_base = self._http.resolve(image_base) or image_base

    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        references = candidate_references(query.inventory_number)

        async def by_reference() -> list[Record]:
            return (await self._by_reference(references))[:limit]

        return await search_mirror_and_live(
            self.name,
            self.settings.store,
            query,
            limit=limit,
            mode=self.settings.mode,
            live=by_reference if references else None,
            unanswerable="mnr: POP's API finds an MNR notice by its reference only (an inventory "
            "number such as `MNR 330` or `OAR00245`); to search by title, maker, words or "
            "photograph, mirror the register first: `provcheck mirror mnr`",
            live_first=True,  # the notice as it is now, before the mirror's copy
        )

    async def iter_records(self, *, since: datetime | None = None) -> AsyncIterator[Record]:
        """Every notice of the set, most recently changed first (as POP lists them); given
        `since`, those changed since that day (OAI-PMH's `from` counts in days)."""
        params = {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": self.settings.oai_set}
        if since is not None:
            params["from"] = since.date().isoformat()
        async for header in self._headers(params):
            if header.deleted or not REFERENCE.fullmatch(header.reference):
                continue  # a deleted notice is marked removed by the next full sync
            try:
                record = await self._notice(header.reference, listed=header)
            except MalformedResponseError:
                continue  # a malformed notice cannot be mirrored; the next sync tries again
            if record is not None:
                yield record

    async def count_records(self) -> int | None:
        params = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
        page = await self._page({**params, "set": self.settings.oai_set})
        if page.complete_list_size is not None:
            return page.complete_list_size
        return len(page.headers) if page.token is None else None

    async def image_features(self, image: ImageRef) -> LocalFeatures | None:
        # A mirrored picture's features, kept by the mirror: verified without the service.
        return await mirror_image_features(self.settings.store, image)

    async def image_bytes(self, image: ImageRef) -> bytes | None:
        url = image.url
        if url is None:
            return image.data
        if self._http.owns(url):
            response = await self._http.request("GET", url, headers={"Accept": "image/*"})
            return response.content
        if not url.startswith(("https://", "http://")):
            return None
        # The image storage is another host: fetched under the address policy (public
        # addresses only, checked at every redirect), as any address a service gives.
        async with self._http.throttle:
            try:
                return await asyncio.to_thread(fetch_image, url)
            except InputError as error:
                raise RegistryError(
                    f"mnr: an image was not fetched: {error}", registry=self.name
                ) from None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _by_reference(self, references: Sequence[str]) -> list[Record]:
        for reference in references:
            record = await self._notice(reference)
            if record is not None:
                return [record]
        return []

    async def _notice(self, reference: str, *, listed: OaiHeader | None = None) -> Record | None:
        """The notice `reference` as a record; None if POP has no such notice."""
        try:
            response = await self._http.request(
                "GET", f"/mnr/{reference}", headers={"Accept": "application/json"}
            )
        except RegistryError as error:
            if error.status == 404:
                return None
            raise
        notice = self._http.parse_json(response)
        if notice is None or notice == {}:
            return None  # POP answers an unknown reference with an empty body
        try:
            return record_from_notice(
                notice,
                image_base=self._image_base,
                registry=self.name,
                modified=parse_day(listed.datestamp) if listed is not None else None,
            )
        except (ValidationError, TypeError) as error:
            raise MalformedResponseError(
                f"mnr: the notice {reference} is not in the expected form ({error})"[:300],
                registry=self.name,
            ) from None

    async def _headers(self, params: dict[str, str]) -> AsyncIterator[OaiHeader]:
        """The headers of every page of one OAI-PMH listing, following its resumption tokens."""
        seen: set[str] = set()
        while True:
            page = await self._page(params)
            for header in page.headers:
                yield header
            if page.token is None:
                return
            if page.token in seen:
                raise MalformedResponseError(
                    "mnr: the OAI-PMH service gave the same resumption token twice",
                    registry=self.name,
                )
            seen.add(page.token)
            params = {"verb": params["verb"], "resumptionToken": page.token}

    async def _page(self, params: dict[str, str]) -> OaiPage:
        response = await self._http.request(
            "GET", self.settings.oai_path, params=params, headers={"Accept": "text/xml"}
        )
        try:
            return read_page(response.content)
        except UnsafeXml as error:
            raise MalformedResponseError(
                f"mnr: the OAI-PMH answer was refused: {error}", registry=self.name
            ) from None
        except OaiError as error:
            raise RegistryError(
                f"mnr: the OAI-PMH service answered an error ({error})", registry=self.name
            ) from None
