"""Reading the Lost Art Database's CSV export (`search-export/csv`) into `Record`s.

The export is one page of up to 500 rows: UTF-8 (newer exports start with a BOM), `;` between
fields, a header line, 14 columns (`Meldungsart;Datensatzart;"Lost Art ID";...`). Fields are
quoted RFC 4180 style, multi-line ones included (the `Kontakt` address block), but the exporter
is PHP-`fputcsv`-like: a quote inside a field may come backslash-escaped (`\\"Wiener
Monumentalbauten\\"`), which `csv` reads right only with `escapechar="\\\\"`. Columns are found
by their header names, so a page without `Kontakt` (a copy with the personal data removed) reads
the same. What the German columns hold, as the record's fields:

- `Hersteller/Künstler/Autor:in`: persons run together, each with its role in brackets
  (`Name, Vorname [Künstler:in]Uccello, Paolo (Schule des) [Künstler:in]`, `Lehmann [Verlag]`);
- `Datierung`: free text with a suffix (`1920 (um) [Datierung]`, `1885 [Erscheinungsdatum]`),
  a span written `1701/1800`;
- measurements and materials: only inside the German `Beschreibung`, read from there;
- `Meldungsart`: `Suchmeldung` (a loss report: the object is sought) or `Fundmeldung` (a find
  report: an institution holds it and earlier owners may claim it).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from provcheck import (
    DatePeriod,
    Maker,
    MalformedResponseError,
    ObjectDescription,
    Record,
    RecordStatus,
    parse_measurements,
    parse_period,
)

__all__ = [
    "FIELD_LIMIT",
    "PUBLISHED",
    "REPORT_TYPES",
    "WEB_PAGE",
    "ExportRow",
    "makers_of",
    "materials_of",
    "parse_export",
    "period_of",
    "record_from_row",
]

ExportRow = Mapping[str, str]

# The longest field read, in characters. The csv module's own default (131,072) could refuse a
# real long description; past this much a field is not a record's but a broken or hostile answer.
FIELD_LIMIT = 1 << 20

ID = "Lost Art ID"
PUBLISHED = "Veröffentlicht seit"
REQUIRED = ("Meldungsart", ID, "Titel", PUBLISHED)

# The report types as statuses: a loss report is an object sought, a find report one an institution
# holds and earlier owners may claim (`RecordStatus.label` says so in a report); `raw` keeps the
# German word.
REPORT_TYPES: dict[str, RecordStatus] = {
    "Suchmeldung": RecordStatus.SOUGHT,
    "Fundmeldung": RecordStatus.FOUND,
}

# What a bot wall, a login or an error page looks like where the CSV was expected.
WEB_PAGE = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<\?xml|<script)", re.IGNORECASE)
_BOM = "\ufeff"

# A person's role, after their name: `Uccello, Paolo (Schule des) [Künstler:in]`.
_ROLE = re.compile(r"\[([^\[\]]+)\]")
_NOTE = re.compile(r"\s*\(([^()]*)\)\s*")
_UNNAMED = re.compile(r"^(unbekannt|anonym|unknown|n\.\s*n\.)\b", re.IGNORECASE)
_SUFFIX = re.compile(r"\s*\[[^\[\]]*\]\s*$")
# A `Datierung` line that dates the collection or holding the object was in (`[Zeitraum]`,
# `[Zeitraum (Bestand)]`), not the object.
_COLLECTION_SPAN = re.compile(r"\[\s*zeitraum\b[^\[\]]*\]\s*$", re.IGNORECASE)

# Materials and techniques as the descriptions write them (German), in the words they use.
_MATERIALS = re.compile(
    r"\b(Öl|Tempera|Aquarell|Gouache|Pastell|Kohle|Bleistift|Tusche|Feder|Kreide|Radierung|"
    r"Lithographie|Lithografie|Holzschnitt|Kupferstich|Stahlstich|Leinwand|Holz|Papier|Karton|"
    r"Pappe|Kupfer|Bronze|Marmor|Silber|Gold|Porzellan|Fayence|Majolika|Elfenbein|Glas|"
    r"Seide|Wolle|Leder|Zinn|Messing|Eisen|Terrakotta|Gips|Alabaster|Email|Mahagoni|Eiche|"
    r"Nussbaum|Pergament)\w*(?:\s+auf\s+\w+)?",
)


def parse_export(body: bytes) -> list[dict[str, str]]:
    """The rows of one export page, each by its header names; `[]` for the (almost) empty page
    after the last. A web page where the CSV was expected (the bot wall) is
    `MalformedResponseError`, never an empty page; so is a CSV without the export's columns."""
    if WEB_PAGE.match(body[:512].lstrip(b"\xef\xbb\xbf")):
        raise MalformedResponseError(
            "lostart: the service answered with a web page, not the export (its bot wall, or an "
            "error page); try again later, or mirror from a copy of the export",
            registry="lostart",
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedResponseError(
            f"lostart: the export is not UTF-8 ({error.reason} at byte {error.start})",
            registry="lostart",
        ) from None
    text = text.removeprefix(_BOM)
    if not text.strip():
        return []
    # Process-wide, so only ever raised to the limit the export needs, never lowered below what
    # the program using provcheck chose.
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", escapechar="\\")
    try:
        header = [name.strip() for name in next(reader)]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise MalformedResponseError(
                f"lostart: the export lacks the column(s) {', '.join(missing)}: not the Lost Art "
                f"export, or its format changed (header: {';'.join(header)[:200]})",
                registry="lostart",
            )
        return [dict(zip(header, row, strict=False)) for row in reader if any(row)]
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise MalformedResponseError(
                f"lostart: the export has a field longer than {csv.field_size_limit():,} "
                f"characters (line {reader.line_num}): a broken answer, not a record",
                registry="lostart",
            ) from None
        raise MalformedResponseError(
            f"lostart: the export is not readable CSV (line {reader.line_num}: {error})",
            registry="lostart",
        ) from None


def record_from_row(row: ExportRow, *, registry: str = "lostart") -> Record:
    """One export row as a `Record`; `ValueError` if it is not one (no id, an unknown report
    type, a date that is not one)."""
    record_id = row.get(ID, "").strip()
    if not record_id.isdigit():
        raise ValueError(f"Lost Art ID {record_id[:20]!r} is not a number")
    report = row.get("Meldungsart", "").strip()
    if report not in REPORT_TYPES:
        raise ValueError(f"Meldungsart {report[:30]!r} is neither Suchmeldung nor Fundmeldung")
    published = datetime.strptime(row.get(PUBLISHED, "").strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    description_text = _text(row.get("Beschreibung"))
    maker_text = _text(row.get("Hersteller/Künstler/Autor:in"))
    fields = {
        "title": _text(row.get("Titel")),
        "maker_text": maker_text,
        "makers": makers_of(maker_text or ""),
        "period": period_of(row.get("Datierung", "")),
        "object_type": _text(row.get("Objektart")),
        "inventory_number": _text(row.get("Inventarnummer/Signatur")),
        "description": description_text,
        "measurements": parse_measurements(description_text) if description_text else (),
        "materials": materials_of(description_text or ""),
        "provenance": _text(row.get("Provenienz")),
    }
    # `makers` is given even when empty: "Unbekannt (Deutsch (Meißen)) [Künstler:in]" names no
    # maker, and the model must not read one from the text again.
    description = ObjectDescription.model_validate(
        {
            name: value
            for name, value in fields.items()
            if value not in (None, ()) or (name == "makers" and maker_text)
        }
    )
    return Record(
        registry=registry,
        record_id=record_id,
        status=REPORT_TYPES[report],
        description=description,
        url=_text(row.get("Link")),
        modified=published,
        raw={name: value for name, value in row.items() if name != "Kontakt"},
    )


def makers_of(text: str) -> tuple[Maker, ...]:
    """The persons of a maker field run together, each with its role (`Künstler:in`, `Verlag`,
    ...); an unnamed one (`Unbekannt (...)`) is no maker. A field without roles is one person."""
    people = _people(text) or ([(text, "")] if text.strip() else [])
    makers = []
    for written, role in people:
        name = _NOTE.sub(" ", written).strip(" ,;")
        if not name or _UNNAMED.match(name):
            continue
        surname, _, forename = name.partition(",")
        full = f"{forename.strip()} {surname.strip()}".strip() if forename.strip() else name
        makers.append(Maker(name=full, role=role.strip() or None, text=written.strip()))
    return tuple(makers)


def _people(text: str) -> list[tuple[str, str]]:
    """Each person written before a role, with the role. (Read role by role: a pattern that
    looked for the next role from every letter took minutes over a hostile page.)"""
    people, start = [], 0
    for role in _ROLE.finditer(text):
        # The text since the last bracket: a stray one ("[Verlag nicht ermittelbar [Verlag]")
        # is no part of the name.
        written = re.split(r"[\[\]]", text[start : role.start()])[-1].strip()
        if written:
            people.append((written, role.group(1)))
        start = role.end()
    return people


def period_of(text: str) -> DatePeriod | None:
    """`Datierung` without its bracketed suffix (`1701/1800` is a span); None if empty.

    Of several lines, the object's own (`[Datierung]`, `[Dokumentdatum]`,
    `[Erscheinungsdatum]`) is read: a `[Zeitraum]` line is the span of the whole collection
    (an archive's `1411-1885`) and is read only when it is all there is.
    """
    lines = [line for line in (text or "").splitlines() if line.strip()]
    own = [line for line in lines if not _COLLECTION_SPAN.search(line)]
    written = "\n".join(_SUFFIX.sub("", line).strip() for line in (own or lines)).strip()
    if not written:
        return None
    return parse_period(written)


def materials_of(description: str) -> str | None:
    """The materials and techniques a German description names (`Öl auf Leinwand`), or None."""
    found = dict.fromkeys(match.group(0) for match in _MATERIALS.finditer(description))
    return ", ".join(found) or None


def _text(value: str | None) -> str | None:
    return value.strip() or None if value else None
