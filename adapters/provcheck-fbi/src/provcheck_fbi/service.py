"""A mock of the FBI art-crimes API (`https://api.fbi.gov/@artcrimes`), serving the real NSAF listing.

Every one of the 4,523 rows of the National Stolen Art File listing becomes an item in the API's
real format (`{"total", "page", "items"}`; item keys as in the API: `uid`, `title`, `maker`,
`crimeCategory` slug, `referenceNumber`/`idInAgency`, `measurements`, `period`, `materials`,
`description`, `additionalData`, `images` with `original`/`large`/`thumb`, `path`, `url`,
`modified`, ...). The listing has no photographs to serve, so the first `photographs` items that
had one get a generated picture, different for each; the others show the FBI seal, as items with
no photo do. Queries: `title` and `maker` (every word must appear), `crimeCategory`,
`referenceNumber`, `page`/`pageSize`, `sort_on` (`publication` | `modified`) and `sort_order`.
Clients that ask faster than `min_interval` get 429 with `Retry-After`, as the real service
throttles clients that page too fast.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provcheck.mocks import (
    FaultInjection,
    Faults,
    MockService,
    PollPacing,
    find_seed,
    parse_options,
)

__all__ = ["FbiMockOptions", "FbiService", "create_mock", "nsaf_items"]

PUBLIC = "https://artcrimes.fbi.gov"
MAX_PAGE_SIZE = 100
_WORD = re.compile(r"\w+")


class FbiMockOptions(BaseModel):
    """The mock's own settings (`provcheck mock serve fbi --set photographs=50`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    photographs: int = Field(default=300, ge=0, description="items that get a generated picture")
    min_interval: float = Field(default=0.0, ge=0, description="faster requests get 429")
    seed: Path | None = None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


# Where the mock itself is served, in the addresses of its generated pictures: filled in from
# each request, so the pictures are found whatever host and port the mock runs at.
HERE = "{mock}"


def nsaf_items(listing: Path, *, photographs: int) -> list[dict[str, Any]]:
    """The NSAF listing's rows as API items, in the order of the listing."""
    items = []
    with listing.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    start = datetime(2019, 1, 1, tzinfo=UTC)
    pictured = 0
    for number, row in enumerate(rows):
        uid = hashlib.md5(f"nsaf-{number}-{row['Title']}".encode()).hexdigest()
        found = re.search(r"/nsaf/([^/]+)/", row["Image Link"])
        slug = found.group(1) if found else f"{_slug(row['Title'])}-{number}"
        has_photo = "seal-fbi" not in row["Image Link"] and "no-image" not in row["Image Link"]
        if has_photo and pictured < photographs:
            pictured += 1
            original = f"{HERE}/image-repository/{uid}.png"
        else:
            original = f"{PUBLIC}/image-repository/seal-fbi.jpg"
        keywords = [w.lower() for w in _WORD.findall(row["Title"]) if len(w) > 3][:4]
        items.append(
            {
                "uid": uid,
                "@id": f"https://api.fbi.gov/@artcrimes/{uid}",
                "title": row["Title"] or None,
                "maker": row["Maker/Artist"] or None,
                "materials": row["Materials"] or None,
                "measurements": row["Measurements"] or None,
                "period": row["Time Period"] or None,
                "description": row["Additional Information"] or None,
                "additionalData": "; ".join(keywords) or None,
                "crimeCategory": _slug(row["Category"]) if row["Category"] else None,
                "referenceNumber": row["Reference Number"] or None,
                "idInAgency": row["Reference Number"] or None,
                "images": [
                    {
                        "original": original,
                        "large": f"{original}/@@images/image/large",
                        "thumb": f"{original}/@@images/image/thumb",
                        "caption": "",
                    }
                ],
                "path": f"/nsaf/{slug}",
                "url": f"https://www.fbi.gov/nsaf/{slug}",
                "isStealth": False,
                "modified": (start + timedelta(hours=7 * number)).isoformat(),
                "publication": (start + timedelta(hours=7 * number)).isoformat(),
            }
        )
    return items


@functools.lru_cache(maxsize=64)
def picture(uid: str, side: int) -> bytes:
    """A picture for item `uid`, the same composition at every size: a painted-looking field of
    shapes and strokes drawn from its uid, different for each item, with detail enough for local
    features (flat blobs have none)."""
    chance = random.Random(uid)
    width, height = 1024, 768
    image = Image.new("RGB", (width, height), _colour(chance))
    draw = ImageDraw.Draw(image)
    for _ in range(90):
        x, y = chance.randrange(width), chance.randrange(height)
        w, h = chance.randrange(12, 220), chance.randrange(12, 220)
        shape = chance.randrange(4)
        if shape == 0:
            draw.ellipse((x, y, x + w, y + h), fill=_colour(chance), outline=_colour(chance))
        elif shape == 1:
            draw.rectangle((x, y, x + w, y + h), fill=_colour(chance))
        elif shape == 2:
            points = [(x + chance.randrange(-w, w), y + chance.randrange(-h, h)) for _ in range(5)]
            draw.polygon(points, fill=_colour(chance))
        else:
            draw.line((x, y, x + w, y + h), fill=_colour(chance), width=chance.randrange(2, 9))
    image.thumbnail((side, side))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _colour(chance: random.Random) -> tuple[int, int, int]:
    return (chance.randrange(256), chance.randrange(256), chance.randrange(256))


@dataclass
class FbiService:
    """The API's items, and what tests change in them (an item edited, one taken down)."""

    items: list[dict[str, Any]]
    options: FbiMockOptions
    clock: Callable[[], float] = time.monotonic
    requests: int = 0  # list and item calls, for benchmarks and tests
    pictures_served: int = 0
    pacing: PollPacing = field(init=False)

    def __post_init__(self) -> None:
        self.pacing = PollPacing(self.options.min_interval)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/@artcrimes", self.search, methods=["GET"]),
                Route("/@artcrimes/{uid}", self.item, methods=["GET"]),
                Route("/image-repository/{uid}.png", self.image, methods=["GET"]),
                Route("/image-repository/{uid}.png/@@images/image/{size}", self.image),
            ]
        )

    def edit(self, uid: str, **changes: Any) -> None:
        """Change an item as the FBI would: its `modified` time moves on."""
        item = next(i for i in self.items if i["uid"] == uid)
        latest = max(datetime.fromisoformat(i["modified"]) for i in self.items)
        item.update(changes, modified=(latest + timedelta(minutes=1)).isoformat())

    def take_down(self, uid: str) -> None:
        self.items = [i for i in self.items if i["uid"] != uid]

    async def search(self, request: Request) -> Response:
        if (wait := self.pacing.too_soon("client", self.clock())) is not None:
            return _error(429, "too many requests", {"Retry-After": str(wait)})
        self.requests += 1
        params = request.query_params
        try:
            page = max(1, int(params.get("page", "1")))
            size = min(MAX_PAGE_SIZE, max(1, int(params.get("pageSize", "20"))))
        except ValueError:
            return _error(400, "page and pageSize are numbers")
        found = [i for i in self.items if _matches(i, params)]
        sort_on = params.get("sort_on")
        if sort_on in ("modified", "publication"):
            found.sort(key=lambda i: str(i[sort_on]), reverse=params.get("sort_order") == "desc")
        chunk = found[(page - 1) * size : page * size]
        return _served({"total": len(found), "page": page, "items": chunk}, request)

    async def item(self, request: Request) -> Response:
        self.requests += 1
        uid = request.path_params["uid"]
        item = next((i for i in self.items if i["uid"] == uid), None)
        return _served(item, request) if item else _error(404, "no such item")

    async def image(self, request: Request) -> Response:
        self.pictures_served += 1
        size = {"thumb": 128, "large": 768}.get(request.path_params.get("size", ""), 1024)
        return Response(picture(request.path_params["uid"], size), media_type="image/png")


def _matches(item: Mapping[str, Any], params: Mapping[str, str]) -> bool:
    for name in ("title", "maker"):
        wanted = _WORD.findall(params.get(name, "").lower())
        if wanted and not set(wanted) <= set(_WORD.findall(str(item.get(name) or "").lower())):
            return False
    for name in ("crimeCategory", "referenceNumber"):
        if params.get(name) and item.get(name) != params[name]:
            return False
    return True


def _served(body: Any, request: Request) -> Response:
    text = json.dumps(body).replace(HERE, str(request.base_url).rstrip("/"))
    return Response(text, media_type="application/json")


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status, headers=headers)


def create_mock(
    faults: Faults | None = None,
    options: Mapping[str, str] | FbiMockOptions | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> MockService:
    """The mock API with the NSAF listing (the `provcheck.mocks` entry point)."""
    options = parse_options(FbiMockOptions, options, "fbi")
    listing = options.seed or find_seed("provcheck_fbi", "nsaf", "nsaf_data.csv")
    items = nsaf_items(listing, photographs=options.photographs)
    service = FbiService(items, options, clock)
    return MockService(
        app=FaultInjection(service.app(), faults or Faults(), drift_field="items"),
        client_settings={"base_url": "http://fbi.mock"},
        about=(
            f"FBI art-crimes API mock: {len(items):,} NSAF items, {options.photographs} with a "
            "generated picture"
        ),
        state=service,
    )
