"""A mock of the Wikidata Query Service's SPARQL endpoint, answering from 396 real works.

The seed (`seed/stolen-watchlist.json`, see its README) holds 408 entries for 396 real works of
art with a theft or plunder event (one per creator), each with its label, creator, description,
events, collections and one date; the mock answers the plugin's own queries about them in the endpoint's format (W3C SPARQL 1.1 JSON
results, one row per work, lists joined as the plugin's query joins them). It does not run
SPARQL: it recognises the plugin's queries by their first line (`#provcheck-wikidata:search`,
`:bulk`, `:count`) and reads what they ask from their filters (the title's words, the maker, the
inventory number, `since`) and `LIMIT`/`OFFSET`; any other query is answered 400, as the real
endpoint answers a query it cannot parse. The seed's one date is the P585 of the work's first
loss event; `schema:dateModified` is made up (six hours apart, in the seed's order) since the
seed has none; it has no images, inventory numbers or Lost Art ids either: the first
`photographs` works get a generated picture as their P18 (served by the mock, as Commons serves
files at `Special:FilePath`), and tests give works what else they need (`edit`). Like the real
service, the mock refuses clients with no `User-Agent` of their own (403) and throttles those
that ask faster than `min_interval` (429 with `Retry-After`).
"""

from __future__ import annotations

import functools
import io
import json
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from PIL import Image, ImageDraw, ImageFilter
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from provcheck.mocks import (
    FaultInjection,
    Faults,
    MockService,
    PollPacing,
    find_seed,
    parse_options,
)
from provcheck_wikidata.sparql import FIELD_SEPARATOR, LIST_SEPARATOR, MARKER
from provcheck_wikidata.status import is_loss

__all__ = ["WikidataMockOptions", "WikidataService", "create_mock", "painting", "works"]

ENTITY = "http://www.wikidata.org/entity/"
XSD = "http://www.w3.org/2001/XMLSchema#"
HERE = "{mock}"  # where the mock is served, filled in from each request
VARIABLES = [
    "item",
    "itemLabel",
    "itemDescription",
    "modified",
    "inception",
    "creators",
    "events",
    "collections",
    "images",
    "inventoryNumbers",
    "lostArtIds",
    "mnrIds",
]
_LITERAL = r'("(?:[^"\\\n]|\\.)*")'
_TITLE_WORD = re.compile(r"FILTER\(CONTAINS\(LCASE\(\?matchLabel\), " + _LITERAL + r"\)\)")
_MAKER = re.compile(r"FILTER\(CONTAINS\(LCASE\(\?matchMakerLabel\), " + _LITERAL + r"\)\)")
_INVENTORY = re.compile(r"FILTER\(LCASE\(STR\(\?matchInventory\)\) = " + _LITERAL + r"\)")
_SINCE = re.compile(r"FILTER\(\?changed >= " + _LITERAL + r"\^\^xsd:dateTime\)")
_LIMIT = re.compile(r"^LIMIT (\d+)(?: OFFSET (\d+))?$", re.MULTILINE)
_ANY_LITERAL = re.compile(_LITERAL)
_UNICODE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_ECHAR = re.compile(r"\\(.)", re.DOTALL)
_ECHARS = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f"}


class WikidataMockOptions(BaseModel):
    """The mock's own settings (`provcheck mock serve wikidata --set photographs=50`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    photographs: int = Field(default=40, ge=0, description="works that get a generated picture")
    min_interval: float = Field(default=0.0, ge=0, description="faster requests get 429")
    seed: Path | None = None


def works(seed: Path, *, photographs: int) -> list[dict[str, Any]]:
    """The seed's entries as the mock's works, in the seed's order. The seed repeats a work once
    for each of its creators; the query groups them into one row, and so does the mock."""
    entries = json.loads(seed.read_text(encoding="utf-8"))["entries"]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    found: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry["qid"] in found:
            creators = found[entry["qid"]]["creators"]
            creators += [entry["artist"]] if entry.get("artist") not in (None, *creators) else []
            continue
        number = len(found)
        events = [[label, ""] for label in entry["events"]]
        first_loss = next((e for e in events if is_loss(e[0])), events[0] if events else None)
        if entry.get("eventDate") and first_loss is not None:
            first_loss[1] = f"{entry['eventDate']}T00:00:00Z"
        name = re.sub(r"[^\w-]+", "_", entry["title"] or "Untitled").strip("_")[:80]
        found[entry["qid"]] = {
            "qid": entry["qid"],
            "label": entry["title"],
            "description": entry.get("description") or None,
            "creators": [entry["artist"]] if entry.get("artist") else [],
            "events": events,
            "collections": [[label, "", ""] for label in entry["collections"]],
            "images": (
                [f"{HERE}/wiki/Special:FilePath/{quote(name)}_{entry['qid']}.png"]
                if number < photographs
                else []
            ),
            "inventory_numbers": [],
            "lost_art_ids": [],
            "mnr_ids": [],
            "modified": (start + timedelta(hours=6 * number)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    return list(found.values())


@functools.lru_cache(maxsize=64)
def painting(qid: str, side: int = 1024) -> bytes:
    """A picture of work `qid`, the same composition at every size: overlapping translucent
    polygons and bands over a two-colour ground, drawn from the QID, different for each work and
    with detail enough for local features."""
    rng = random.Random(f"wikidata-{qid}")
    width, height = 1000, 800
    ground = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    tint = Image.new("RGB", (width, height), tuple(rng.randrange(40, 220) for _ in range(3)))
    canvas = Image.blend(ground, tint, 0.6).convert("RGBA")
    for layer_number in range(3):
        layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        for _ in range(40):
            corners = rng.randrange(3, 7)
            cx, cy, reach = rng.randrange(width), rng.randrange(height), rng.randrange(15, 160)
            points = [
                (cx + rng.randrange(-reach, reach), cy + rng.randrange(-reach, reach))
                for _ in range(corners)
            ]
            colour = (*(rng.randrange(256) for _ in range(3)), rng.randrange(120, 256))
            draw.polygon(points, fill=colour, outline=(0, 0, 0, 255))
        for _ in range(12 + layer_number * 4):
            y = rng.randrange(height)
            draw.line(
                [(0, y), (width, y + rng.randrange(-200, 200))],
                fill=(*(rng.randrange(256) for _ in range(3)), 255),
                width=rng.randrange(1, 6),
            )
        canvas = Image.alpha_composite(canvas, layer)
    picture = canvas.convert("RGB").filter(ImageFilter.SMOOTH)
    picture.thumbnail((side, side))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def sparql_literal_value(literal: str) -> str:
    """The string a SPARQL string literal (`"..."`, with its escapes) stands for."""
    body = literal[1:-1]
    body = _UNICODE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), body)
    return _ECHAR.sub(lambda m: _ECHARS.get(m.group(1), m.group(1)), body)


def _values(pattern: re.Pattern[str], query: str) -> list[str]:
    return [sparql_literal_value(found) for found in pattern.findall(query)]


def _balanced(query: str) -> bool:
    """Whether the query's braces and parentheses pair up outside its string literals (a
    literal left open by a quote in a user's string would leave them unpaired)."""
    outside = _ANY_LITERAL.sub('""', query)
    return '"' not in outside.replace('""', "") and all(
        outside.count(a) == outside.count(b) for a, b in ("{}", "()")
    )


def _literal(value: str, **extra: str) -> dict[str, str]:
    return {"type": "literal", "value": value, **extra}


def _joined(units: Iterable[Iterable[str]]) -> dict[str, str]:
    return _literal(LIST_SEPARATOR.join(FIELD_SEPARATOR.join(unit) for unit in units))


def row_of(work: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """A work as one row of the plugin's query."""
    row = {
        "item": {"type": "uri", "value": ENTITY + work["qid"]},
        "modified": _literal(work["modified"], datatype=XSD + "dateTime"),
        "creators": _joined([c] for c in work["creators"]),
        "events": _joined(work["events"]),
        "collections": _joined(work["collections"]),
        "images": _joined([i] for i in work["images"]),
        "inventoryNumbers": _joined([n] for n in work["inventory_numbers"]),
        "lostArtIds": _joined([n] for n in work["lost_art_ids"]),
        "mnrIds": _joined([n] for n in work["mnr_ids"]),
    }
    if work["label"]:
        row["itemLabel"] = _literal(work["label"], **{"xml:lang": "en"})
    if work["description"]:
        row["itemDescription"] = _literal(work["description"], **{"xml:lang": "en"})
    return row


@dataclass
class WikidataService:
    """The endpoint's works, and what tests change in them."""

    works: list[dict[str, Any]]
    options: WikidataMockOptions
    clock: Callable[[], float] = time.monotonic
    queries: list[str] = field(default_factory=list)  # every query answered, for tests
    pictures_served: int = 0
    pacing: PollPacing = field(init=False)

    def __post_init__(self) -> None:
        self.pacing = PollPacing(self.options.min_interval)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/sparql", self.sparql, methods=["GET"]),
                Route("/wiki/Special:FilePath/{name}", self.image, methods=["GET"]),
            ]
        )

    def work(self, qid: str) -> dict[str, Any]:
        return next(work for work in self.works if work["qid"] == qid)

    def edit(self, qid: str, **changes: Any) -> None:
        """Change a work as an editor would: its `dateModified` moves on."""
        latest = max(work["modified"] for work in self.works)
        moved = datetime.fromisoformat(latest) + timedelta(minutes=1)
        self.work(qid).update(changes, modified=moved.strftime("%Y-%m-%dT%H:%M:%SZ"))

    async def sparql(self, request: Request) -> Response:
        agent = request.headers.get("user-agent", "")
        if not agent or agent.startswith(("python-httpx", "python-requests")):
            return PlainTextResponse("Please set a descriptive User-Agent", status_code=403)
        if (wait := self.pacing.too_soon("client", self.clock())) is not None:
            return PlainTextResponse(
                "Too Many Requests", status_code=429, headers={"Retry-After": str(wait)}
            )
        query = request.query_params.get("query", "")
        kind = query.partition("\n")[0].removeprefix(MARKER) if query.startswith(MARKER) else ""
        if kind not in ("search", "bulk", "count") or not _balanced(query):
            return PlainTextResponse(
                "MalformedQueryException: not a query this mock knows", status_code=400
            )
        self.queries.append(query)
        if kind == "count":
            count = _literal(str(len(self.works)), datatype=XSD + "integer")
            return _results(["count"], [{"count": count}], request)
        found = sorted(self.works, key=lambda w: w["qid"])
        found.sort(key=lambda w: str(w["modified"]), reverse=True)
        found = [work for work in found if _asked_for(work, query)]
        limits = _LIMIT.search(query)
        if limits is None:
            return PlainTextResponse("MalformedQueryException: no LIMIT", status_code=400)
        offset = int(limits.group(2) or 0)
        chunk = found[offset : offset + int(limits.group(1))]
        return _results(VARIABLES, [row_of(work) for work in chunk], request)

    async def image(self, request: Request) -> Response:
        found = re.search(r"_(Q\d+)\.png$", request.path_params["name"])
        if found is None or not any(w["qid"] == found.group(1) for w in self.works):
            return PlainTextResponse("No such file", status_code=404)
        self.pictures_served += 1
        return Response(painting(found.group(1)), media_type="image/png")


def _asked_for(work: Mapping[str, Any], query: str) -> bool:
    label = (work["label"] or "").lower()
    if not all(word in label for word in _values(_TITLE_WORD, query)):
        return False
    makers = [maker.lower() for maker in work["creators"]]
    if not all(any(m in maker for maker in makers) for m in _values(_MAKER, query)):
        return False
    numbers = {number.lower() for number in work["inventory_numbers"]}
    if not all(number in numbers for number in _values(_INVENTORY, query)):
        return False
    return all(work["modified"] >= since[:19] for since in _values(_SINCE, query))


def _results(variables: list[str], rows: list[dict[str, Any]], request: Request) -> Response:
    body = {"head": {"vars": variables}, "results": {"bindings": rows}}
    text = json.dumps(body).replace(HERE, str(request.base_url).rstrip("/"))
    return Response(text, media_type="application/sparql-results+json")


def create_mock(
    faults: Faults | None = None,
    options: Mapping[str, str] | WikidataMockOptions | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> MockService:
    """The mock endpoint with the seed's works (the `provcheck.mocks` entry point)."""
    options = parse_options(WikidataMockOptions, options, "wikidata")
    seed = options.seed or find_seed("provcheck_wikidata", "wikidata", "stolen-watchlist.json")
    service = WikidataService(works(seed, photographs=options.photographs), options, clock)
    return MockService(
        app=FaultInjection(service.app(), faults or Faults(), drift_field="results"),
        client_settings={"base_url": "http://wikidata.mock/sparql"},
        about=(
            f"Wikidata SPARQL endpoint mock: {len(service.works)} works with a theft or plunder "
            f"event, {options.photographs} with a generated picture"
        ),
        state=service,
    )
