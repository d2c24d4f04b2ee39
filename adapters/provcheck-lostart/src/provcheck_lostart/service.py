"""A mock of the Lost Art Database's CSV export (`https://www.lostart.de/de/search-export/csv`).

It serves real records (`seed/lostart_sample.csv.gz`: about 2,000 of the database's 127,500, or
the whole set with `--set source=PATH`) as the real service does: `start=N` pages of 500 rows,
`filter[type][0]=Objektdaten` (other types: nothing), the narrowing filters
`filter[report_type][0]` and `filter[object_type][path]`, an empty body after the last page; the
14 columns with a multi-line `Kontakt` block (a placeholder: the copy it serves has the personal
data removed), fields quoted as PHP's `fputcsv` quotes them (any with a space, `;`, a quote or a
line break; quotes doubled, except the one the database holds backslash-escaped, record
5000002894, written `\\"` as the real export writes it). Options: `bom=true` starts every page
with a byte-order mark, as newer exports do; `bot_wall=N` answers the next N requests with the
web site's bot wall (an HTML proof-of-work page, status 200) instead of the CSV. The other faults
(`--fault`) come from `provcheck.mocks.FaultInjection`.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, FilePath
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from provcheck.mocks import FaultInjection, Faults, MockService, find_seed, parse_options

__all__ = ["BOT_WALL", "COLUMNS", "LostArtMockOptions", "LostArtService", "create_mock"]

COLUMNS = (
    "Meldungsart",
    "Datensatzart",
    "Lost Art ID",
    "Hersteller/Künstler/Autor:in",
    "Titel",
    "Datierung",
    "Objektart",
    "Inventarnummer/Signatur",
    "Beschreibung",
    "Provenienz",
    "Veröffentlicht seit",
    "Kontakt",
    "Link",
    "Literatur / Quelle",
)
PAGE = 500
NARROWING = ("filter[report_type][0]", "filter[object_type][path]")
# Where the database holds a quote escaped with a backslash, which its exporter writes unchanged.
BACKSLASH_QUOTED = {"5000002894"}
KONTAKT = "Kontakt über die Lost Art-Datenbank\nDeutsches Zentrum Kulturgutverluste\nMagdeburg"
BOT_WALL = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Making sure you&#39;re not a bot!</title>
<script src="/.within.website/x/cmd/anubis/static/js/main.mjs" type="module"></script></head>
<body><h1>Making sure you&#39;re not a bot!</h1><p>Loading...</p>
<p>Please wait a moment while we ensure the security of your connection.</p></body></html>
"""
_NEEDS_QUOTES = frozenset(';"\\\n\r\t ')


class LostArtMockOptions(BaseModel):
    """The mock's own settings (`provcheck mock serve lostart --set source=lostart.csv.gz`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: FilePath | None = Field(
        default=None, description="an export copy to serve (.csv or .csv.gz; default the seed)"
    )
    bom: bool = Field(default=False, description="start every page with a byte-order mark")
    bot_wall: int = Field(default=0, ge=0, description="answer the next N requests with it")


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of an export copy (RFC 4180, `;`; gzipped or not), each by its column names."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    file = io.StringIO(raw.decode("utf-8-sig"), newline="")
    return list(csv.DictReader(file, delimiter=";"))


def fputcsv_line(fields: list[str]) -> str:
    """One line as PHP's `fputcsv` writes it (`;`, `"` quoting, `\\` as its escape character)."""
    return ";".join(_fputcsv_field(value) for value in fields) + "\n"


def _fputcsv_field(value: str) -> str:
    if not _NEEDS_QUOTES.intersection(value):
        return value
    if "\\" not in value:
        return '"' + value.replace('"', '""') + '"'
    out, escaped = ['"'], False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            out.append('"')
        out.append(char)
    return "".join(out) + '"'


@dataclass
class LostArtService:
    """The export's rows, and what tests change in them (a record published, one taken down)."""

    rows: list[dict[str, str]]
    options: LostArtMockOptions
    requests: int = 0
    bot_wall_left: int = 0
    _lines: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.bot_wall_left = self.options.bot_wall

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{lang}/search-export/csv", self.export, methods=["GET"])])

    def publish(self, row: Mapping[str, str], *, on: str | None = None) -> None:
        """A record published (today, or `on`): it joins the export where the service puts it."""
        day = on or datetime.now(UTC).date().isoformat()
        self.rows.insert(len(self.rows) // 2, {**row, "Veröffentlicht seit": day})

    def take_down(self, record_id: str) -> None:
        self.rows = [row for row in self.rows if row["Lost Art ID"] != record_id]

    async def export(self, request: Request) -> Response:
        self.requests += 1
        if self.bot_wall_left > 0:
            self.bot_wall_left -= 1
            return HTMLResponse(BOT_WALL)
        params = request.query_params
        try:
            start = max(0, int(params.get("start", "0")))
        except ValueError:
            return Response("start is a number", status_code=400, media_type="text/plain")
        if params.get("filter[type][0]", "Objektdaten") != "Objektdaten":
            return _csv(b"\n")
        narrowed = any(name in params for name in NARROWING)
        chosen = [row for row in self.rows if _matches(row, params)] if narrowed else self.rows
        if start >= len(chosen):
            return _csv(b"\n")  # the (almost) empty body after the last page
        lines = [self._line(row) for row in chosen[start : start + PAGE]]
        text = ("\ufeff" if self.options.bom else "") + fputcsv_line(list(COLUMNS)) + "".join(lines)
        return _csv(text.encode("utf-8"))

    def _line(self, row: Mapping[str, str]) -> str:
        """A row as the exporter writes it, each written once (a page is then a join)."""
        key = f"{row['Lost Art ID']}@{row['Veröffentlicht seit']}"
        if key not in self._lines:
            values = {**row, "Kontakt": row.get("Kontakt") or KONTAKT}
            if row["Lost Art ID"] in BACKSLASH_QUOTED:
                values["Beschreibung"] = values["Beschreibung"].replace('"', '\\"')
            self._lines[key] = fputcsv_line([values.get(name, "") for name in COLUMNS])
        return self._lines[key]


def _matches(row: Mapping[str, str], params: Mapping[str, str]) -> bool:
    report, kind = (params.get(name) for name in NARROWING)
    return (not report or row["Meldungsart"] == report) and (
        not kind or row["Objektart"].startswith(kind)
    )


def _csv(body: bytes) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="export.csv"'},
    )


def create_mock(
    faults: Faults | None = None, options: Mapping[str, str] | LostArtMockOptions | None = None
) -> MockService:
    """The mock export with the seed's records, or a whole copy (the `provcheck.mocks` entry
    point)."""
    options = parse_options(LostArtMockOptions, options, "lostart")
    source = options.source or find_seed("provcheck_lostart", "lostart", "lostart_sample.csv.gz")
    service = LostArtService(read_rows(source), options)
    return MockService(
        app=FaultInjection(service.app(), faults or Faults()),
        client_settings={"base_url": "http://lostart.mock", "min_interval": 0},
        about=(
            f"Lost Art CSV export mock: {len(service.rows):,} records from {source.name}, "
            f"{PAGE} a page{', with a BOM' if options.bom else ''}"
        ),
        state=service,
    )
