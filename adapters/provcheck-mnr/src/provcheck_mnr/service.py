"""A mock of POP's MNR services: one notice as JSON (`/mnr/<REF>`), every notice by OAI-PMH
(`/oai`, set `mnr`, `oai_dc`, pages joined by resumption tokens, `from`), and the images of the
notices' `VIDEO` keys (`/images/<key>`).

Its notices are built from the seed (`seed/README.md`): the 1,946 real references of the MNR
base, two of them (AEG00001, RFR00003) with their real fields; the others with fields generated
from their reference, the same every time, and marked as generated in their `COMM` field. Every
notice has every field of the official schema (`mnr-fields.csv`), empty when not known, as POP
gives them. Images are generated pictures, one for each key, with detail enough for local
features; the first `photographs` generated notices get one.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provcheck.mocks import FaultInjection, Faults, MockService, find_seed, parse_options

__all__ = ["GENERATED", "MnrMockOptions", "MnrService", "create_mock", "mock_notices", "picture"]

GENERATED = (
    "Notice générée par la maquette de provcheck à partir de sa référence réelle : champs fictifs."
)
OAI_SET = "mnr"
_TOKEN = re.compile(
    r"(?P<verb>ListRecords|ListIdentifiers)\.(?P<cursor>\d{1,6})\.(?P<since>[0-9-]{0,10})"
)
_DAY = re.compile(r"(\d{4})\D(\d{2})\D(\d{2})")


class MnrMockOptions(BaseModel):
    """The mock's own settings (`provcheck mock serve mnr --set photographs=10`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    photographs: int = Field(default=40, ge=0, description="generated notices given an image")
    page_size: int = Field(default=50, ge=1, le=500, description="OAI-PMH records per page")
    seed: Path | None = Field(default=None, description="a folder with the seed's files")


# What a generated notice is made of, by the domain its reference's prefix names.
_DOMAINS: dict[str, tuple[str, list[str], list[str], list[str]]] = {
    # prefix: (DOMN, DENO choices, TECH choices, title choices)
    "MNR": (
        "Peinture",
        ["Tableau"],
        ["Huile sur toile", "Huile sur bois", "Huile sur cuivre"],
        [
            "Paysage avec rivière",
            "Portrait d'homme",
            "Nature morte aux fruits",
            "Vue de Venise",
            "Scène de taverne",
            "Bouquet de fleurs",
            "Portrait de femme",
            "Marine par temps calme",
        ],
    ),
    "OAR": (
        "Objet d'art",
        ["Commode", "Pendule", "Tapisserie", "Vase", "Coffret"],
        ["Bois de placage ; bronze doré", "Porcelaine", "Laine et soie", "Argent"],
        [
            "Commode à ressaut",
            "Pendule au char d'Apollon",
            "Tapisserie : scène de chasse",
            "Paire de vases couverts",
            "Coffret à bijoux",
        ],
    ),
    "RFR": (
        "Sculpture",
        ["Statue", "Buste", "Relief"],
        ["Pierre calcaire", "Marbre", "Bois polychrome", "Bronze"],
        ["Vierge à l'Enfant", "Saint Jean-Baptiste", "Buste d'homme", "Ange en prière"],
    ),
    "AGR": (
        "Dessin",
        ["Dessin"],
        ["Sanguine", "Plume et encre brune", "Pierre noire"],
        ["Étude de mains", "Paysage animé", "Tête de jeune fille"],
    ),
}
_OTHER_DOMAIN = _DOMAINS["OAR"]
_MAKERS = [
    "Anonyme",
    "Anonyme",
    "Boudin Eugène",
    "Corot Camille",
    "Ruysdael Jacob van",
    "Teniers David",
    "Guardi Francesco",
    "Robert Hubert",
    "Greuze Jean-Baptiste",
]
_CENTURIES = ["16e siècle", "17e siècle", "18e siècle", "19e siècle", "1ère moitié du 20e siècle"]
_PLACES = [
    "Paris ; musée du Louvre",
    "Paris ; musée d'Orsay",
    "Lyon ; musée des beaux-arts",
    "Rouen ; musée des beaux-arts",
    "Sèvres ; musée national de la céramique",
]


def _schema_fields(schema: Path) -> dict[str, Any]:
    """An empty notice with every field of the official schema, as POP gives them."""
    with schema.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    return {
        row["path"]: [] if row["type"] == "Array" else ""
        for row in rows
        if not row["path"].startswith("_")
    }


def _import_row(path: Path, empty: Mapping[str, Any]) -> dict[str, Any]:
    """A notice of POP's import format (`;`-separated, arrays `;`-separated inside the quotes).
    DIMS is kept whole: in this fixture `;` also stands for the decimal comma."""
    with path.open(encoding="utf-8", newline="") as file:
        row = next(csv.DictReader(file, delimiter=";"))
    notice: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(empty.get(name), list) and name != "DIMS":
            notice[name] = [v.strip() for v in value.split(";") if v.strip()]
        elif isinstance(empty.get(name), list):
            notice[name] = [value] if value else []
        else:
            notice[name] = value
    return notice


def _generated(ref: str, *, photographed: bool) -> dict[str, Any]:
    """Plausible fields for a real reference whose notice is not in the seed: drawn from the
    reference, the same every time, and marked as generated."""
    chance = random.Random(ref)
    found = re.fullmatch(r"([A-Z]+?)0*(\d+)([A-Z]*)", ref)
    prefix, number, suffix = found.groups() if found else (ref, "", "")
    domain, names, techniques, titles = _DOMAINS.get(prefix, _OTHER_DOMAIN)
    height, width = chance.randrange(12, 180), chance.randrange(10, 150)
    changed = date(2014, 1, 1) + timedelta(days=chance.randrange(0, 3650))
    return {
        "REF": ref,
        "TITR": chance.choice(titles),
        "AUTR": [chance.choice(_MAKERS)],
        "DENO": [chance.choice(names)],
        "DOMN": [domain],
        "TECH": [chance.choice(techniques)],
        "DIMS": [f"H. {_decimal(height / 100)} ; La. {_decimal(width / 100)} m"],
        "SCLE": [chance.choice(_CENTURIES)],
        "INV": f"{prefix} {number}{suffix}".strip(),
        "LOCA": chance.choice(_PLACES),
        "HIST": "Oeuvre récupérée en Allemagne après 1945, confiée à la garde des musées nationaux.",
        "COMM": GENERATED,
        "DMAJ": changed.isoformat(),
        "VIDEO": [f"mnr/{ref}/{ref.lower()}n.jpg"] if photographed else [],
        "CONTIENT_IMAGE": "oui" if photographed else "non",
    }


def _decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")  # a French decimal comma, as POP writes them


def mock_notices(seed: Path, *, photographs: int) -> list[dict[str, Any]]:
    """The mock's notices, one for each real reference of the seed, most recently changed first."""
    empty = _schema_fields(seed / "mnr-fields.csv")
    real = {
        "AEG00001": json.loads((seed / "mnr-record-AEG00001.json").read_text(encoding="utf-8")),
        "RFR00003": _import_row(seed / "mnr-record-RFR00003.csv", empty),
    }
    references = (seed / "mnr-refs.txt").read_text(encoding="utf-8").split()
    notices = []
    pictured = 0
    for ref in references:
        if ref in real:
            fields = real[ref]
        else:
            fields = _generated(ref, photographed=pictured < photographs)
            pictured += bool(fields["VIDEO"])
        common = {"BASE": "Rose Valland (MNR-Jeu de Paume)", "PRODUCTEUR": "MNR"}
        notices.append(empty | common | fields)
    notices.sort(key=lambda n: _day(n["DMAJ"]), reverse=True)
    return notices


def _day(text: str) -> str:
    """A notice's `DMAJ` as `YYYY-MM-DD` (`2014-05/28` as some notices have it)."""
    found = _DAY.match(text or "")
    return "-".join(found.groups()) if found else "1970-01-01"


@functools.lru_cache(maxsize=128)
def picture(key: str) -> bytes:
    """A picture for image `key`, different for each: arcs, bars and strokes drawn from the key,
    with corners enough for local features to describe."""
    chance = random.Random(key)
    canvas = Image.new("RGB", (640, 480), _tint(chance))
    pen = ImageDraw.Draw(canvas)
    for _ in range(80):
        left, top = chance.randrange(-40, 600), chance.randrange(-40, 440)
        box = (left, top, left + chance.randrange(10, 160), top + chance.randrange(10, 160))
        kind = chance.random()
        if kind < 0.35:
            pen.pieslice(box, chance.randrange(360), chance.randrange(360), fill=_tint(chance))
        elif kind < 0.7:
            pen.rectangle(box, fill=_tint(chance), outline=_tint(chance), width=3)
        else:
            pen.line(box, fill=_tint(chance), width=chance.randrange(2, 8))
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _tint(chance: random.Random) -> tuple[int, int, int]:
    return (chance.randrange(256), chance.randrange(256), chance.randrange(256))


@dataclass
class MnrService:
    """The platform's MNR notices, and what tests change in them."""

    notices: list[dict[str, Any]]
    options: MnrMockOptions
    notice_requests: int = 0
    oai_requests: int = 0
    pictures_served: int = 0

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/mnr/{ref}", self.notice, methods=["GET"]),
                Route("/oai", self.oai, methods=["GET"]),
                Route("/images/{key:path}", self.image, methods=["GET"]),
            ]
        )

    def edit(self, ref: str, **changes: Any) -> None:
        """Change a notice as its editors would: its `DMAJ` moves to the day after the latest."""
        latest = max(date.fromisoformat(_day(n["DMAJ"])) for n in self.notices)
        notice = next(n for n in self.notices if n["REF"] == ref)
        notice.update(changes, DMAJ=(latest + timedelta(days=1)).isoformat())
        self.notices.sort(key=lambda n: _day(n["DMAJ"]), reverse=True)

    def take_down(self, ref: str) -> None:
        self.notices = [n for n in self.notices if n["REF"] != ref]

    async def notice(self, request: Request) -> Response:
        self.notice_requests += 1
        ref = request.path_params["ref"]
        found = next((n for n in self.notices if n["REF"] == ref), None)
        if found is None:
            return JSONResponse({"success": False, "msg": "Notice introuvable"}, status_code=404)
        return JSONResponse(found)

    async def image(self, request: Request) -> Response:
        key = request.path_params["key"]
        if not any(key in n["VIDEO"] for n in self.notices):
            return JSONResponse({"success": False, "msg": "no such image"}, status_code=404)
        self.pictures_served += 1
        return Response(picture(key), media_type="image/jpeg")

    async def oai(self, request: Request) -> Response:
        self.oai_requests += 1
        params = request.query_params
        token = params.get("resumptionToken")
        if token is not None:
            found = _TOKEN.fullmatch(token)
            if found is None:
                return _oai_error("badResumptionToken", "The resumptionToken is invalid")
            verb, cursor, since = found["verb"], int(found["cursor"]), found["since"]
        else:
            verb, cursor, since = params.get("verb", ""), 0, params.get("from", "")[:10]
            if verb not in ("ListRecords", "ListIdentifiers"):
                return _oai_error("badVerb", f"Unsupported verb {verb[:40]}")
            if params.get("metadataPrefix") != "oai_dc":
                return _oai_error("cannotDisseminateFormat", "Only oai_dc is offered")
            if params.get("set", OAI_SET) != OAI_SET:
                return _oai_error("noRecordsMatch", "No records in this set")
        listed = [n for n in self.notices if not since or _day(n["DMAJ"]) >= since]
        if not listed:
            return _oai_error("noRecordsMatch", "No records match")
        size = self.options.page_size
        chunk = listed[cursor : cursor + size]
        following = cursor + size < len(listed)
        next_token = f"{verb}.{cursor + size}.{since}" if following else ""
        records = "".join(_oai_record(n, with_metadata=verb == "ListRecords") for n in chunk)
        token_xml = (
            f'<resumptionToken completeListSize="{len(listed)}" cursor="{cursor}">'
            f"{escape(next_token)}</resumptionToken>"
        )
        return _oai_answer(f"<{verb}>{records}{token_xml}</{verb}>", verb)


def _oai_record(notice: Mapping[str, Any], *, with_metadata: bool) -> str:
    ref = notice["REF"]
    header = (
        f"<header><identifier>oai:pop.culture.gouv.fr:mnr:{escape(ref)}</identifier>"
        f"<datestamp>{_day(notice['DMAJ'])}</datestamp><setSpec>{OAI_SET}</setSpec></header>"
    )
    if not with_metadata:
        return header
    # Dublin Core as POP's `createRecordMnr` writes it (the fields it takes, in its order).
    values = [
        ("title", notice.get("TITR", "")),
        ("description", notice.get("HIST", "")),
        ("creator", " ; ".join(notice.get("AUTR", []))),
        ("date", " ; ".join(notice.get("SCLE", []))),
        ("contributor", notice.get("PRODUCTEUR", "")),
        ("rights", "(c) Ministère de la Culture"),
        ("format", " ; ".join(notice.get("DIMS", []))),
        ("type", " ; ".join(notice.get("DOMN", []) + notice.get("DENO", []))),
        ("identifier", f"www.pop.culture.gouv.fr/notice/mnr/{ref}"),
        ("coverage", notice.get("LOCA", "")),
    ]
    dc = "".join(f"<dc:{name}>{escape(text)}</dc:{name}>" for name, text in values if text)
    return (
        f"<record>{header}<metadata><oai_dc:dc "
        'xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/">{dc}</oai_dc:dc></metadata></record>'
    )


def _oai_answer(content: str, verb: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2026-01-01T00:00:00Z</responseDate>"
        f"<request verb={quoteattr(verb)}>https://api.pop.culture.gouv.fr/oai</request>"
        f"{content}</OAI-PMH>"
    )
    return Response(body.encode("utf-8"), media_type="text/xml; charset=utf-8")


def _oai_error(code: str, message: str) -> Response:
    return _oai_answer(f"<error code={quoteattr(code)}>{escape(message)}</error>", "")


def create_mock(
    faults: Faults | None = None,
    options: Mapping[str, str] | MnrMockOptions | None = None,
) -> MockService:
    """The mock of POP's MNR services (the `provcheck.mocks` entry point)."""
    options = parse_options(MnrMockOptions, options, "mnr")
    seed = options.seed or find_seed("provcheck_mnr", "mnr", "mnr-refs.txt").parent
    service = MnrService(mock_notices(seed, photographs=options.photographs), options)
    pictured = sum(bool(n["VIDEO"]) for n in service.notices)
    return MockService(
        app=FaultInjection(service.app(), faults or Faults(), drift_field="TITR"),
        client_settings={"base_url": "http://mnr.mock", "image_base_url": "/images/"},
        about=(
            f"POP MNR mock: {len(service.notices):,} notices of real references (2 with real "
            f"fields, the others generated), {pictured} with images, JSON and OAI-PMH"
        ),
        state=service,
    )
