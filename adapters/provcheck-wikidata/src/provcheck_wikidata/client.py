"""The `wikidata` register: Wikidata's works of art with a theft or plunder event (CC0), through
the Wikidata Query Service's SPARQL endpoint.

`GET {base_url}?query=...` with `Accept: application/sparql-results+json` answers W3C SPARQL JSON
results (queries: `provcheck_wikidata.sparql`). Live, the client asks for the title's words, the
maker and the inventory number (P217) each in turn; in bulk (`iter_records`, for `provcheck
mirror wikidata`) it pages through every such work, most recently modified first, so that the
mirror fetches each image (P18, on Wikimedia Commons) once and fingerprints it: a photograph is
then checked against them. The service throttles heavy clients (429 with `Retry-After`), which
`HttpSession` waits out; the client also keeps `min_interval` between its requests.

Each row becomes a `Record`: the QID as its id, the status read from its events
(`provcheck_wikidata.status`: stolen or looted while missing, else recovered or restituted --
by what event is said in the record's provenance), its Lost
Art IDs (P1428) and MNR ids (P10039) as cross-references to those registers' records
(`Record.same_as`: `lostart:<id>`, `mnr:<id>`), and the row itself kept whole.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import quote, unquote

from pydantic import Field, JsonValue

from provcheck import (
    Access,
    Capabilities,
    ImageRef,
    LocalFeatures,
    ObjectDescription,
    Record,
    Registry,
    RegistryError,
    RegistrySettings,
    SearchResult,
    collect_records,
    mirror_image_features,
    search_mirror_and_live,
)
from provcheck.http import USER_AGENT, HttpSession, RetryPolicy, Throttle
from provcheck_wikidata.sparql import (
    Binding,
    SparqlResults,
    bulk_query,
    count_query,
    search_query,
    split_list,
)
from provcheck_wikidata.status import standing

__all__ = ["WikidataRegistry", "WikidataSettings", "commons_image", "record_from_row"]

ENTITY = re.compile(r"^https?://www\.wikidata\.org/entity/(Q\d+)$")
COMMONS_FILE = re.compile(r"^https?://commons\.wikimedia\.org/wiki/Special:FilePath/(.+)$")
UPLOAD = "https://upload.wikimedia.org"
LARGE = 1024  # pixels: the size of the Commons thumbnail fetched (enough to verify a photograph)
_WORD = re.compile(r"[^\W\d_]{3,}")


class WikidataSettings(RegistrySettings):
    base_url: str = Field(
        default="https://query.wikidata.org/sparql",
        description="the SPARQL endpoint (a mirror or a test server may stand in)",
    )
    mode: Literal["auto", "live", "mirror"] = Field(
        default="auto",
        description="auto: the mirror (if synced) and the live endpoint; live or mirror: only that",
    )
    store: str | None = Field(
        default=None, description="the local store holding the mirror (default: the local one)"
    )
    page_size: int = Field(default=500, ge=1, le=5000, description="works per bulk query")
    min_interval: float = Field(
        default=1.0, ge=0, description="seconds between requests: the service throttles"
    )
    timeout: float = Field(default=65.0, gt=0, description="the service stops a query at 60 s")


def commons_image(url: str) -> ImageRef:
    """A P18 value as an image: a Commons `Special:FilePath` address, with its `large` variant
    (a thumbnail on upload.wikimedia.org, addressed by the MD5 of the file name as Commons does);
    any other address as it is."""
    found = COMMONS_FILE.match(url)
    if found is None:
        return ImageRef(url=url)
    name = unquote(found.group(1)).replace(" ", "_")
    digest = hashlib.md5(name.encode()).hexdigest()
    path = f"{digest[0]}/{digest[:2]}/{quote(name)}"
    thumb = f"{LARGE}px-{quote(name)}"
    if name.lower().endswith(".svg"):
        thumb += ".png"
    elif name.lower().endswith((".tif", ".tiff")):
        thumb = f"lossy-page1-{thumb}.jpg"
    return ImageRef(
        url=url,
        variants={
            "original": f"{UPLOAD}/wikipedia/commons/{path}",
            "large": f"{UPLOAD}/wikipedia/commons/thumb/{path}/{thumb}",
        },
    )


def _value(row: Mapping[str, Binding], name: str) -> str | None:
    found = row.get(name)
    return found.value.strip() or None if found is not None else None


def _period(inception: str | None) -> str | None:
    """P571 (`1658-01-01T00:00:00Z`, `-0515-01-01T...`) as a year provcheck reads."""
    found = re.match(r"^([+-]?)(\d+)-", inception or "")
    if found is None:
        return None
    year = int(found.group(2))
    return f"{year} BC" if found.group(1) == "-" else str(year)


def _provenance(events: list[list[str]], collections: list[list[str]], said: str) -> str:
    def dated(label: str, *dates: str) -> str:
        shown = "–".join(date[:10] for date in dates if date)
        return f"{label} ({shown})" if shown else label

    parts = [said]
    if events:
        parts.append("Events: " + "; ".join(dated(*unit[:2]) for unit in events))
    if collections:
        parts.append("Collections: " + "; ".join(dated(*unit[:3]) for unit in collections))
    return ". ".join(parts) + "."


def record_from_row(row: JsonValue, *, registry: str = "wikidata") -> Record:
    """A result row (`{variable: {"type", "value", ...}}`) as a `Record`; `TypeError` if it is
    not an object, `ValueError` (pydantic's among them) if it is not a work of this query."""
    if not isinstance(row, dict):
        raise TypeError(f"a row is an object, not {type(row).__name__}")
    bindings = {name: Binding.model_validate(value) for name, value in row.items()}
    item = ENTITY.match(_value(bindings, "item") or "")
    if item is None:
        raise ValueError("item: not a Wikidata entity")
    qid = item.group(1)
    events = [[*unit, ""] for unit in split_list(bindings, "events")]
    collections = [[*unit, "", ""] for unit in split_list(bindings, "collections")]
    now = standing(
        [(unit[0], unit[1]) for unit in events],
        [(unit[0], unit[1], unit[2]) for unit in collections],
    )
    said = f"Status: {now.word}: {now.because}"
    inventory = [unit[0] for unit in split_list(bindings, "inventoryNumbers")]
    creators = [unit[0] for unit in split_list(bindings, "creators")]
    same_as = [
        f"{register}:{unit[0].strip()}"
        for register, name in (("lostart", "lostArtIds"), ("mnr", "mnrIds"))
        for unit in split_list(bindings, name)
        if unit[0].strip()
    ]
    fields = {
        "title": _value(bindings, "itemLabel"),
        "maker": "; ".join(creators) or None,
        "description": _value(bindings, "itemDescription"),
        "period": _period(_value(bindings, "inception")),
        "inventory_number": inventory[0] if inventory else None,
        "provenance": _provenance(events, collections, said),
    }
    images = [commons_image(unit[0]) for unit in split_list(bindings, "images")]
    description = ObjectDescription.model_validate(
        {name: value for name, value in fields.items() if value is not None} | {"images": images}
    )
    modified = _value(bindings, "modified")
    return Record(
        registry=registry,
        record_id=qid,
        status=now.status,
        description=description,
        date_of_loss=now.lost_on,
        url=f"https://www.wikidata.org/wiki/{qid}",
        modified=datetime.fromisoformat(modified) if modified else None,
        same_as=tuple(same_as),
        raw={name: binding.model_dump() for name, binding in bindings.items()},
    )


class WikidataRegistry(Registry):
    """Wikidata's works of art with a theft or plunder event (SPARQL; title words, maker and
    inventory number live; everything, photographs included, once mirrored)."""

    name: ClassVar[str] = "wikidata"
    title: ClassVar[str] = "Wikidata: works of art with a theft or plunder event"
    homepage: ClassVar[str | None] = "https://www.wikidata.org/wiki/Q1756454"
    access: ClassVar[Access] = Access.API
    capabilities: ClassVar[Capabilities] = Capabilities(
        fields=frozenset({"title", "makers", "inventory_number", "description", "provenance"}),
        images=True,
    )
    Settings: ClassVar[type[RegistrySettings]] = WikidataSettings
    settings: WikidataSettings
    # The works `count_records` last found, for the message of an empty answer.
    _counted: int | None = None

    def __init__(self, settings: WikidataSettings | None = None, /, **options: Any) -> None:
        super().__init__(settings, **options)
        headers = {
            # The service refuses clients that do not say who they are.
            "User-Agent": f"{USER_AGENT} (provcheck-wikidata; stolen-art register check)",
        }
        retry = RetryPolicy(attempts=4, max_wait=60.0)
        throttle = Throttle(max_concurrency=1, min_interval=self.settings.min_interval)
        self._http = HttpSession(
            registry=self.name,
            base_url=self.settings.base_url,
            headers=headers | {"Accept": "application/sparql-results+json"},
            timeout=self.settings.timeout,
            retry=retry,
            throttle=throttle,
            transport=self.transport,
        )
        # Commons' files, by their upload address (its `Special:FilePath` redirects there).
        self._commons = HttpSession(
            registry=self.name,
            base_url=UPLOAD,
            headers=headers | {"Accept": "image/*"},
            retry=retry,
            throttle=throttle,
            transport=self.transport,
        )

    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        questions = self._questions(query, limit=limit)
        return await search_mirror_and_live(
            self.name,
            self.settings.store,
            query,
            limit=limit,
            mode=self.settings.mode,
            live=(lambda: self._live(questions, limit=limit)) if questions else None,
            unanswerable="wikidata: the live endpoint is asked for titles, makers and inventory "
            "numbers only; to search by photograph, mirror the register first "
            "(`provcheck mirror wikidata`)",
            service="live endpoint",
        )

    async def iter_records(self, *, since: datetime | None = None) -> AsyncIterator[Record]:
        """Every work, most recently modified first; given `since`, only those modified since.
        No works at all, where every work was asked for, is an empty answer (a cache or a proxy),
        never an empty register: `RegistryError`."""
        size = self.settings.page_size
        for offset in itertools.count(0, size):
            rows = await self._rows(bulk_query(since=since, limit=size, offset=offset))
            if not rows and offset == 0 and since is None:
                counted = "" if self._counted is None else f", where it counts {self._counted:,}"
                raise RegistryError(
                    f"wikidata: the query service answered no works{counted}: an empty answer, "
                    "not an empty register; try again later",
                    registry=self.name,
                )
            for row in rows:
                try:
                    record = record_from_row(row, registry=self.name)
                except (ValueError, TypeError):
                    continue  # a malformed row cannot be mirrored; the next sync tries again
                if since is not None and record.modified is not None and record.modified < since:
                    return
                yield record
            if len(rows) < size:
                return

    async def count_records(self) -> int | None:
        rows = await self._rows(count_query())
        count = rows[0].get("count") if rows and isinstance(rows[0], dict) else None
        try:
            self._counted = int(str(count["value"])) if isinstance(count, dict) else None
        except ValueError:
            self._counted = None
        return self._counted

    async def image_features(self, image: ImageRef) -> LocalFeatures | None:
        # A mirrored picture's features, kept by the mirror: verified without the service.
        return await mirror_image_features(self.settings.store, image)

    async def image_bytes(self, image: ImageRef) -> bytes | None:
        # The large thumbnail first (enough to verify a photograph, a fraction of the original);
        # only from the endpoint's own host (a mirror or mock) or Commons' upload host: an
        # answer must not send provcheck anywhere else.
        url = image.variants.get("large") or image.url
        if url is None:
            return image.data
        if COMMONS_FILE.match(url):
            url = commons_image(url).variants["large"]
        if self._http.owns(url):
            return (await self._http.request("GET", url, headers={"Accept": "image/*"})).content
        if not self._commons.owns(url):
            return image.data
        try:
            return (await self._commons.request("GET", url)).content
        except RegistryError as error:
            # A thumbnail larger than its original is refused: the original, then.
            original = re.sub(r"/thumb(/.+)/[^/]+$", r"\1", url)
            if error.status is None or error.status >= 500 or original == url:
                raise
            return (await self._commons.request("GET", original)).content

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._commons.aclose()

    async def _rows(self, query: str) -> list[JsonValue]:
        """The result rows of `query`, each as it came (the answer must be SPARQL JSON)."""
        # The endpoint's own address, as given: joined to nothing, httpx would add a final `/`.
        response = await self._http.request("GET", self.settings.base_url, params={"query": query})
        return self._http.parse_model(SparqlResults, response).results.bindings

    def _questions(self, query: ObjectDescription, *, limit: int) -> list[str]:
        """What to ask, most telling first: every word of the title, then its longest word
        alone (a title described in other words), the maker's last name, the inventory number."""
        questions = []
        words = sorted(set(_WORD.findall(query.title or "")), key=lambda w: (-len(w), w.lower()))
        if words:
            questions.append(search_query(title_words=words[:6], limit=limit))
            if len(words) > 1:
                questions.append(search_query(title_words=words[:1], limit=limit))
        if query.makers:
            questions.append(search_query(maker=query.makers[0].name.split()[-1], limit=limit))
        if query.inventory_number:
            questions.append(search_query(inventory_number=query.inventory_number, limit=limit))
        return questions

    async def _live(self, questions: Sequence[str], *, limit: int) -> SearchResult:
        warnings: list[str] = []
        answers = []
        for number, question in enumerate(questions, start=1):
            rows = await self._rows(question)
            records, left_out = collect_records(
                rows,
                lambda row: record_from_row(row, registry=self.name),
                label=lambda n: f"row {n} of question {number}",  # noqa: B023  # used at once
            )
            answers.append(records)
            warnings += left_out
        # Each question's first answers before any question's later ones.
        found: dict[str, Record] = {}
        for record in itertools.chain.from_iterable(itertools.zip_longest(*answers)):
            if record is not None:
                found.setdefault(record.record_id, record)
        return SearchResult(tuple(found.values())[:limit], warnings=tuple(warnings))
