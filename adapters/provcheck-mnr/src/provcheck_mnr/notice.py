"""One MNR notice (the POP platform's JSON record, `GET {base}/mnr/<REF>`) as a provcheck `Record`.

The fields are those of POP's MNR schema (`mnr-fields.csv` of the official code): `REF` the
notice's reference, `TITR` its title, `AUTR` its makers (`ATTR`/`AATT` former attributions),
`DENO`/`DOMN` what kind of object, `TECH` materials and technique, `DIMS` measurements in the
French way (`H. 0,158 ; La. 0,047 ; P. 0,082 m.`), `SCLE`/`MILL`/`STYL`/`GENE` its date or
period, `INSC`/`MARQ` inscriptions and marks, `ETAT` its condition, `DESC` its description,
`PROV`/`HIST` its provenance and history, `INV` its MNR inventory number, `VIDEO` the storage
keys of its images, `DMAJ` the date it was last changed. Long texts use `#` between paragraphs.

Every MNR work was taken from its owner (seized, or sold under duress) in 1940-1944, recovered in
Germany after 1945 and entrusted to the national museums until its owner's heirs claim it: it is
not missing, and its status is `recovered`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from provcheck import ImageRef, ObjectDescription, Record, RecordStatus, parse_measurements

__all__ = [
    "NOTICE_PAGE",
    "RECORD_STATUS",
    "REFERENCE",
    "Notice",
    "french_dimensions",
    "parse_day",
    "record_from_notice",
]

# What POP's references look like: a prefix (MNR, OAR, REC, RFR, MNAM, ...), then digits with
# letters for the parts of a set (MNR0265B, OAR00245AB, AOR12U34).
REFERENCE = re.compile(r"[A-Z]{2,5}[0-9][0-9A-Z]{1,7}")
# The public page of a notice on POP.
NOTICE_PAGE = "https://www.pop.culture.gouv.fr/notice/mnr/{ref}"
# Looted, then recovered and held by the French state pending its owners' claim.
RECORD_STATUS = RecordStatus.RECOVERED

_DIMENSION_WORDS = {
    "h": "height",
    "ht": "height",
    "l": "width",
    "la": "width",
    "larg": "width",
    "long": "length",
    "p": "depth",
    "pr": "depth",
    "ep": "depth",
    "d": "diameter",
    "diam": "diameter",
}
_FRENCH_DIMENSION = re.compile(r"(?P<label>[A-Za-z]{1,5})\.?\s*(?P<value>\d+(?:[.,]\d+)?)")
_UNIT = re.compile(r"\b(mm|cm|m)\b\.?\s*$")


class Notice(BaseModel):
    """A notice's fields the record is made of; the notice itself is kept whole in `raw`."""

    model_config = ConfigDict(extra="ignore")

    REF: str = Field(pattern=REFERENCE.pattern)
    TITR: str = ""
    AUTR: list[str] = []
    ATTR: str = ""
    AATT: str = ""
    ECOL: str = ""
    DENO: list[str] = []
    DOMN: list[str] = []
    TECH: list[str] = []
    DIMS: list[str] = []
    SCLE: list[str] = []
    MILL: str = ""
    STYL: str = ""
    GENE: str = ""
    INSC: str = ""
    MARQ: str = ""
    ETAT: str = ""
    DESC: str = ""
    REPR: str = ""
    PROV: str = ""
    HIST: str = ""
    INV: str = ""
    VIDEO: list[str] = []
    DMAJ: str = ""

    @field_validator("AUTR", "DENO", "DOMN", "TECH", "DIMS", "SCLE", "VIDEO", mode="before")
    @classmethod
    def _a_list(cls, value: Any) -> Any:
        # POP's arrays; an older export gives a single value as a string.
        return [value] if isinstance(value, str) else value


def french_dimensions(text: str) -> str | None:
    """`H. 0,158 ; La. 0,047 ; P. 0,082 m.` as `height 0.158 m; width 0.047 m; depth 0.082 m`,
    which provcheck's parser reads (it takes a decimal comma for a thousands separator); None
    when the text is not in that form."""
    unit = _UNIT.search(text)
    if unit is None:
        return None
    parts = []
    for found in _FRENCH_DIMENSION.finditer(text[: unit.start()]):
        word = _DIMENSION_WORDS.get(found["label"].lower())
        if word is None:
            return None
        parts.append(f"{word} {found['value'].replace(',', '.')} {unit[1]}")
    return "; ".join(parts) or None


def record_from_notice(
    notice: JsonValue, *, image_base: str, registry: str = "mnr", modified: datetime | None = None
) -> Record:
    """A notice as a `Record`, its images addressed under `image_base` (the platform's storage).
    `modified` stands in when the notice's own `DMAJ` cannot be read. `TypeError` if the notice
    is not an object, `pydantic.ValidationError` if it has no reference."""
    if not isinstance(notice, dict):
        raise TypeError(f"a notice is an object, not {type(notice).__name__}")
    found = Notice.model_validate(notice)
    measurements_text = _joined(found.DIMS)
    readable = french_dimensions(measurements_text) if measurements_text else None
    fields: dict[str, Any] = {
        "title": found.TITR or _joined(found.DENO),
        # "Anonyme" says the maker is unknown: not a name to match.
        "maker_text": _joined(a for a in found.AUTR if a.strip().lower() != "anonyme"),
        "object_type": " > ".join(p for p in (_joined(found.DOMN), _joined(found.DENO)) if p),
        "materials": _joined(found.TECH),
        "measurements_text": measurements_text,
        "measurements": parse_measurements(readable or measurements_text or ""),
        "period": _joined(found.SCLE) or found.MILL or found.STYL or found.GENE,
        "inscriptions": _paragraphs(found.INSC, found.MARQ),
        "distinguishing_features": found.ETAT,
        "description": _paragraphs(found.DESC),
        "subject": found.REPR,
        "provenance": _paragraphs(found.PROV, found.HIST),
        "place_of_origin": found.ECOL,
        "inventory_number": found.INV or found.REF,
        "keywords": tuple(k for k in (found.REF, found.ATTR, found.AATT) if k),
    }
    images = [
        ImageRef(url=image_base.rstrip("/") + "/" + key.lstrip("/"))
        for key in found.VIDEO
        if key.strip()
    ]
    description = ObjectDescription.model_validate(
        {name: value for name, value in fields.items() if value} | {"images": images}
    )
    return Record(
        registry=registry,
        record_id=found.REF,
        status=RECORD_STATUS,
        description=description,
        url=NOTICE_PAGE.format(ref=found.REF),
        modified=parse_day(found.DMAJ) or modified,
        raw=dict(notice),
    )


def parse_day(text: str) -> datetime | None:
    """`2020-05-18` (also the `2014-05/28` some notices have) as midnight UTC; None otherwise."""
    found = re.fullmatch(r"\s*(\d{4})\D(\d{2})\D(\d{2})(?:[T ].*)?", text or "")
    if found is None:
        return None
    try:
        return datetime(int(found[1]), int(found[2]), int(found[3]), tzinfo=UTC)
    except ValueError:
        return None


def _joined(values: Iterable[str]) -> str:
    return "; ".join(v.strip() for v in values if v.strip())


def _paragraphs(*texts: str) -> str:
    # POP separates paragraphs with `#`.
    return "\n".join(p.strip() for t in texts for p in t.split("#") if p.strip())
