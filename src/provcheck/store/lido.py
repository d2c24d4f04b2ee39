"""LIDO: records written as a LIDO v1.0 document, and LIDO files -- provcheck's own and other
systems' -- read back as records.

LIDO (Lightweight Information Describing Objects, ICOM-CIDOC, http://www.lido-schema.org) is the
XML that museums, aggregators (Europeana, national portals) and their collection systems exchange.
What `lido_document` writes is valid against the LIDO v1.0 XML Schema (one `lido:lido` per record
in a `lido:lidoWrap`); `records_from_lido` reads any LIDO v1.0 or v1.1 file (same namespace).

Where a record goes (every element in the `lido:` namespace):

- `lidoRecID` (lido:type "local", lido:source "provcheck"): `registry:record_id`;
- `objectWorkTypeWrap/objectWorkType/term`: the object type (LIDO requires one: "object" when the
  record has none, marked lido:type "provcheck:placeholder" so that it is not read back);
- `classificationWrap/classification` (lido:type "provcheck:keyword"): each keyword;
- `titleWrap/titleSet/appellationValue` (lido:pref "preferred"): the title ("untitled" when there is
  none, its titleSet marked "provcheck:placeholder");
- `inscriptionsWrap/inscriptions/inscriptionDescription/descriptiveNoteValue`: the inscriptions;
- `repositoryWrap/repositorySet/workID` (lido:type "inventory number"): the inventory number;
- `objectDescriptionWrap/objectDescriptionSet/descriptiveNoteValue`, one set per lido:type:
  "description", "distinguishing features", "provenance", and what LIDO has no element for:
  "provcheck:status" (the record's status) and "provcheck:raw" (the register's own record, as JSON,
  when it is at most `MAX_RAW_CHARS` long; a longer one is left out);
- `objectMeasurementsWrap/objectMeasurementsSet`: the measurements as written
  (`displayObjectMeasurements`) and each one read (`measurementsSet`), one set per part measured;
- `eventWrap`: a "Production" event -- each maker as an `eventActor` (`displayActorInRole` as
  written, `actorInRole` with the name, other names, nationality, life dates, role and attribution),
  the maker as written in an `eventDescriptionSet` (lido:type "provcheck:maker"), the period as
  `eventDate` (`displayDate`, `date/earliestDate` and `latestDate`, lido:type "estimatedDate" for
  circa), the place of origin as `eventPlace/displayPlace`, the materials as
  `eventMaterialsTech/displayMaterialsTech`; and a "Loss" event with the date and place of loss;
- `objectRelationWrap/subjectWrap/subjectSet`: the subject (`displaySubject`, and as a
  `subjectConcept/term`); `relatedWorksWrap/relatedWorkSet` with an `objectID` of lido:type
  "provcheck:same-as" for each other register's record of the same object;
- `administrativeMetadata/recordWrap`: `recordID` (the record id), `recordType` "item",
  `recordSource` (the register's name), `recordInfoSet/recordInfoLink` (the record's address at its
  register) and `recordMetadataDate` (lido:type "modified");
- `resourceWrap/resourceSet`, one per image: `resourceID` (lido:type "sha256"),
  `resourceRepresentation` (lido:type "image_master") `/linkResource` the image's path relative to
  the document or its address, one more representation per other size a register offers (lido:type
  the size's name), and the caption as `resourceDescription`.

Reading takes the same places back, so that provcheck's own export re-imports as it was (what
cannot: the makers and measurements are read again from their text as written, as every import
does; text loses its leading and trailing spaces and the characters XML cannot hold). From other
systems' LIDO it takes what they commonly give: the preferred title (lido:pref "preferred" first),
the object type, a Production or Creation event's actors, dates, place and materials, the
inscriptions, the inventory number, the descriptions, the measurements, the subject, a Loss or
Theft event, the record's link and the images (`linkResource`: an http(s) address is kept as one,
a relative path is taken from the file's folder), and keep the `lido:lido` element whole as the
record's `raw`. The record id is the `lidoRecID`; its register is the one the id names when
provcheck wrote it, else the `registry` given (else "local").

A LIDO file is untrusted input: it is parsed with no DTD, no entities, no network and libxml2's
limits on depth and text size, and refused in one `InputError` line (file:line) if it is larger
than `MAX_LIDO_BYTES`, not well-formed, declares a DOCTYPE (entities that expand a billion-fold or
read local files), or is not LIDO.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any, Generic, TypeVar, overload

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type information
from pydantic import ValidationError

from provcheck.errors import InputError, first_problem
from provcheck.model.description import ImageRef, ObjectDescription
from provcheck.model.record import REGISTER_NAME, Record, RecordStatus
from provcheck.text.makers import Maker
from provcheck.text.measurements import Measurement
from provcheck.text.periods import MAX_YEARS, DatePeriod, parse_period
from provcheck.userfiles import load_json

__all__ = [
    "LIDO_NAMESPACE",
    "MAX_LIDO_BYTES",
    "MAX_RAW_CHARS",
    "SCHEMA_LOCATION",
    "LidoProblem",
    "LidoRows",
    "lido_document",
    "records_from_lido",
]

LIDO_NAMESPACE = "http://www.lido-schema.org"
SCHEMA_LOCATION = f"{LIDO_NAMESPACE} http://www.lido-schema.org/schema/v1.0/lido-v1.0.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NS = {"lido": LIDO_NAMESPACE}

# The largest LIDO file read. An export of tens of thousands of records fits; past this a file is
# split (a parsed document takes several times its size in memory).
MAX_LIDO_BYTES = 32 * 1024 * 1024
# The longest register's record (`Record.raw`, as JSON) written into a LIDO document.
MAX_RAW_CHARS = 64 * 1024

# lido:type values of provcheck's own, for what LIDO has no element for.
PLACEHOLDER = "provcheck:placeholder"
STATUS = "provcheck:status"
RAW = "provcheck:raw"
KEYWORD = "provcheck:keyword"
MAKER_AS_WRITTEN = "provcheck:maker"
SAME_AS = "provcheck:same-as"
_SOURCE = "provcheck"  # lido:source of the lidoRecID provcheck writes: `registry:record_id`

# Event types (lower case) read as the making of the object, and as its loss.
_PRODUCTION = {"production", "creation", "herstellung", "manufacture", "making"}
_LOSS = {"loss", "theft", "stolen", "verlust", "diebstahl", "raub", "looting"}
_DESCRIPTION_TYPES = {"distinguishing features", "provenance", STATUS, RAW}
_IMAGE_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
    "webp": "image/webp",
    "heic": "image/heic",
    "avif": "image/avif",
}

# Characters XML 1.0 cannot hold (controls but tab and newlines, lone surrogates, U+FFFE/U+FFFF):
# left out of what is written, as an import leaves out controls.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A year as ISO 8601 starts an earliestDate or latestDate: "1880", "1880-05-12", "-0500", "+1880".
_ISO_YEAR = re.compile(r"\s*([+-]?)(\d{1,8})(?:-\d{1,2}(?:-\d{1,2})?)?(?:T\S*)?\s*$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

Element = Any  # an lxml element (lxml has no type information)
P = TypeVar("P", bound=Exception)


class LidoProblem(Exception):
    """What is wrong with one `lido:lido` of a file: the field (None for the record as a whole)
    and what is wrong."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# Writing ---------------------------------------------------------------------------------------


def lido_document(records: Iterable[Record], image_paths: Mapping[str, str] | None = None) -> bytes:
    """The records as one LIDO v1.0 document (UTF-8), a `lido:lido` each; see the module docstring.

    An image is linked by its path or address as the record gives it, or, when `image_paths` maps
    its sha256, by that path (relative to where the document is written)."""
    wrap = etree.Element(_tag("lidoWrap"), nsmap={"lido": LIDO_NAMESPACE, "xsi": _XSI})
    wrap.set(f"{{{_XSI}}}schemaLocation", SCHEMA_LOCATION)
    for record in records:
        _write_record(etree.SubElement(wrap, _tag("lido")), record, image_paths or {})
    data: bytes = etree.tostring(wrap, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def _tag(name: str) -> str:
    return f"{{{LIDO_NAMESPACE}}}{name}"


def _add(parent: Element, name: str, text: str | None = None, **attributes: str) -> Element:
    """A `lido:` element under `parent`, with lido: attributes (`type`, `pref`, ...)."""
    element = etree.SubElement(parent, _tag(name))
    for key, value in attributes.items():
        element.set(_tag(key), _NOT_XML.sub("", value))
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def _add_term(parent: Element, name: str, term: str, **attributes: str) -> Element:
    concept = _add(parent, name, **attributes)
    _add(concept, "term", term)
    return concept


def _write_record(lido: Element, record: Record, image_paths: Mapping[str, str]) -> None:
    description = record.description
    _add(lido, "lidoRecID", record.key, type="local", source=_SOURCE)
    metadata = _add(lido, "descriptiveMetadata")
    metadata.set(_XML_LANG, "en")

    classification = _add(metadata, "objectClassificationWrap")
    work_types = _add(classification, "objectWorkTypeWrap")
    if description.object_type:
        _add_term(work_types, "objectWorkType", description.object_type)
    else:  # LIDO requires an object type
        _add_term(work_types, "objectWorkType", "object", type=PLACEHOLDER)
    if description.keywords:
        keywords = _add(classification, "classificationWrap")
        for keyword in description.keywords:
            _add_term(keywords, "classification", keyword, type=KEYWORD)

    identification = _add(metadata, "objectIdentificationWrap")
    titles = _add(identification, "titleWrap")
    if description.title:
        _add(_add(titles, "titleSet"), "appellationValue", description.title, pref="preferred")
    else:  # LIDO requires a title
        placeholder = _add(titles, "titleSet", type=PLACEHOLDER)
        _add(placeholder, "appellationValue", "untitled", pref="preferred")
    if description.inscriptions:
        inscription = _add(_add(identification, "inscriptionsWrap"), "inscriptions")
        _add(
            _add(inscription, "inscriptionDescription"),
            "descriptiveNoteValue",
            description.inscriptions,
        )
    if description.inventory_number:
        repository = _add(_add(identification, "repositoryWrap"), "repositorySet", type="current")
        _add(repository, "workID", description.inventory_number, type="inventory number")
    notes = [
        ("description", description.description),
        ("distinguishing features", description.distinguishing_features),
        ("provenance", description.provenance),
        (STATUS, record.status.value),
        (RAW, _raw_json(record)),
    ]
    wrap = _add(identification, "objectDescriptionWrap")
    for kind, text in notes:
        if text:
            _add(_add(wrap, "objectDescriptionSet", type=kind), "descriptiveNoteValue", text)
    _write_measurements(identification, description)

    events = [event for event in (_production(description), _loss(record)) if event is not None]
    if events:
        event_wrap = _add(metadata, "eventWrap")
        for write in events:
            write(_add(_add(event_wrap, "eventSet"), "event"))

    if description.subject or record.same_as:
        relations = _add(metadata, "objectRelationWrap")
        if description.subject:
            subject_set = _add(_add(relations, "subjectWrap"), "subjectSet")
            _add(subject_set, "displaySubject", description.subject)
            _add_term(_add(subject_set, "subject"), "subjectConcept", description.subject)
        if record.same_as:
            works = _add(relations, "relatedWorksWrap")
            for key in record.same_as:
                work = _add(works, "relatedWorkSet")
                _add(_add(_add(work, "relatedWork"), "object"), "objectID", key, type=SAME_AS)
                _add_term(work, "relatedWorkRelType", "same object")

    administrative = _add(lido, "administrativeMetadata")
    administrative.set(_XML_LANG, "en")
    record_wrap = _add(administrative, "recordWrap")
    _add(record_wrap, "recordID", record.record_id, type="local")
    _add_term(record_wrap, "recordType", "item")
    _add(
        _add(_add(record_wrap, "recordSource"), "legalBodyName"),
        "appellationValue",
        record.registry,
    )
    if record.url or record.modified:
        info = _add(record_wrap, "recordInfoSet")
        if record.url:
            _add(info, "recordInfoLink", record.url)
        if record.modified:
            _add(info, "recordMetadataDate", record.modified.isoformat(), type="modified")
    if description.images:
        resources = _add(administrative, "resourceWrap")
        for image in description.images:
            _write_image(_add(resources, "resourceSet"), image, image_paths)


def _raw_json(record: Record) -> str | None:
    if record.raw is None:
        return None
    text = json.dumps(record.raw, ensure_ascii=True, separators=(",", ":"))
    return text if len(text) <= MAX_RAW_CHARS else None


def _write_measurements(identification: Element, description: ObjectDescription) -> None:
    as_written = description.measurements_text or "; ".join(
        m.text for m in description.measurements
    )
    if not as_written:
        return
    wrap = _add(identification, "objectMeasurementsWrap")
    # One set per part measured ("framed", "sheet"), in the order the text names them; the text
    # as written goes with the first.
    parts: dict[str | None, list[Measurement]] = {}
    for measurement in description.measurements:
        parts.setdefault(measurement.context, []).append(measurement)
    groups = list(parts.items()) or [(None, [])]  # the text alone, when none could be read
    for n, (context, measurements) in enumerate(groups):
        measurements_set = _add(wrap, "objectMeasurementsSet")
        if n == 0:
            _add(measurements_set, "displayObjectMeasurements", as_written)
        if not measurements:
            continue
        structured = _add(measurements_set, "objectMeasurements")
        for measurement in measurements:
            one = _add(structured, "measurementsSet")
            kind = measurement.dimension.value if measurement.dimension else "size"
            _add(one, "measurementType", kind)
            _add(one, "measurementUnit", measurement.unit.value)
            _add(one, "measurementValue", _decimal(measurement.value))
        if context:
            _add(structured, "extentMeasurements", context)


def _decimal(value: float) -> str:
    """A number as LIDO asks for it: whole or a decimal fraction, never `1e-05`."""
    return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")


def _production(description: ObjectDescription) -> Callable[[Element], None] | None:
    if not (
        description.makers
        or description.maker_text
        or description.period
        or description.place_of_origin
        or description.materials
    ):
        return None

    def write(event: Element) -> None:
        _add_term(event, "eventType", "Production")
        for maker in description.makers:
            _write_actor(_add(event, "eventActor"), maker)
        if description.maker_text and not description.makers:
            _add(_add(event, "eventActor"), "displayActorInRole", description.maker_text)
        if description.period:
            _write_date(event, description.period)
        if description.place_of_origin:
            _add(_add(event, "eventPlace"), "displayPlace", description.place_of_origin)
        if description.materials:
            _add(_add(event, "eventMaterialsTech"), "displayMaterialsTech", description.materials)
        if description.maker_text:
            note = _add(event, "eventDescriptionSet", type=MAKER_AS_WRITTEN)
            _add(note, "descriptiveNoteValue", description.maker_text)

    return write


def _write_actor(event_actor: Element, maker: Maker) -> None:
    _add(event_actor, "displayActorInRole", maker.text)
    if not maker.name.strip():
        return
    in_role = _add(event_actor, "actorInRole")
    actor = _add(in_role, "actor")
    _add(_add(actor, "nameActorSet"), "appellationValue", maker.name, pref="preferred")
    for other in maker.other_names:
        _add(_add(actor, "nameActorSet"), "appellationValue", other, pref="alternate")
    if maker.nationality:
        _add_term(actor, "nationalityActor", maker.nationality)
    if maker.birth_year is not None or maker.death_year is not None:
        lifetime = _add(actor, "vitalDatesActor")
        if maker.birth_year is not None:
            _add(lifetime, "earliestDate", _iso_year(maker.birth_year), type="birthDate")
        if maker.death_year is not None:
            _add(lifetime, "latestDate", _iso_year(maker.death_year), type="deathDate")
    if maker.role:
        _add_term(in_role, "roleActor", maker.role)
    if maker.qualifier:
        _add(in_role, "attributionQualifierActor", maker.qualifier.value)


def _loss(record: Record) -> Callable[[Element], None] | None:
    if record.date_of_loss is None and not record.place_of_loss:
        return None

    def write(event: Element) -> None:
        _add_term(event, "eventType", "Loss")
        if record.date_of_loss is not None:
            _write_date(event, record.date_of_loss)
        if record.place_of_loss:
            _add(_add(event, "eventPlace"), "displayPlace", record.place_of_loss)

    return write


def _write_date(event: Element, period: DatePeriod) -> None:
    """`eventDate`: the period as written, and its years. The `date` element is always written
    (empty when no years are known): it says the years were read, so that none are read again."""
    event_date = _add(event, "eventDate")
    _add(event_date, "displayDate", period.text)
    date = _add(event_date, "date")
    approximate = {"type": "estimatedDate"} if period.circa else {}
    if period.earliest is not None:
        _add(date, "earliestDate", _iso_year(period.earliest), **approximate)
    if period.latest is not None:
        _add(date, "latestDate", _iso_year(period.latest), **approximate)
    if period.circa and period.earliest is None and period.latest is None:
        _add(date, "earliestDate", "", **approximate)  # "circa", of no year known


def _iso_year(year: int) -> str:
    """A year as ISO 8601 writes it: four digits at least, a minus sign before the common era."""
    return f"{year:04d}" if year >= 0 else f"-{-year:04d}"


def _write_image(resource: Element, image: ImageRef, image_paths: Mapping[str, str]) -> None:
    link = (image_paths.get(image.sha256) if image.sha256 else None) or image.path or image.url
    if image.sha256:
        _add(resource, "resourceID", image.sha256, type="sha256")
    if link:
        representation = _add(resource, "resourceRepresentation", type="image_master")
        media = _IMAGE_TYPES.get(PurePosixPath(link.split("?")[0]).suffix.lower().lstrip("."))
        _add(representation, "linkResource", link, **({"formatResource": media} if media else {}))
    for size, address in image.variants.items():
        variant = _add(resource, "resourceRepresentation", type=size)
        _add(variant, "linkResource", address)
    _add_term(resource, "resourceType", "digital image")
    if image.caption:
        _add(resource, "resourceDescription", image.caption)


# Reading ---------------------------------------------------------------------------------------


class _Problem(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class LidoRows(Generic[P]):
    """The records of a LIDO file, read one by one as an import takes them: `(line, Record)`, or
    `(line, problem)` for a `lido:lido` that cannot be a record. `len()` is how many there are."""

    def __init__(
        self,
        path: Path,
        elements: list[Element],
        *,
        registry: str | None,
        prepare: Callable[[ImageRef], ImageRef] | None,
        problem: Callable[[str | None, str], P],
    ) -> None:
        self._path = path
        self._elements = elements
        self._registry = registry
        self._prepare = prepare
        self._problem = problem

    def __len__(self) -> int:
        return len(self._elements)

    def __iter__(self) -> Iterator[tuple[int, Record | P]]:
        folder = self._path.resolve().parent
        for element in self._elements:
            line = int(element.sourceline or 0)
            try:
                record = _read_record(element, folder, self._registry, self._path, line)
                if self._prepare is not None:
                    images = [self._prepare_image(image) for image in record.description.images]
                    description = record.description.model_copy(update={"images": tuple(images)})
                    record = record.model_copy(update={"description": description})
            except _Problem as problem:
                yield line, self._problem(problem.field, problem.message)
                continue
            yield line, record

    def _prepare_image(self, image: ImageRef) -> ImageRef:
        assert self._prepare is not None
        try:
            return self._prepare(image)
        except InputError as error:
            raise _Problem("description.images", str(error)) from None


@overload
def records_from_lido(
    path: Path,
    data: str | bytes,
    *,
    registry: str | None = None,
    prepare: Callable[[ImageRef], ImageRef] | None = None,
) -> LidoRows[LidoProblem]: ...


@overload
def records_from_lido(
    path: Path,
    data: str | bytes,
    *,
    registry: str | None = None,
    prepare: Callable[[ImageRef], ImageRef] | None = None,
    problem: Callable[[str | None, str], P],
) -> LidoRows[P]: ...


def records_from_lido(
    path: Path,
    data: str | bytes,
    *,
    registry: str | None = None,
    prepare: Callable[[ImageRef], ImageRef] | None = None,
    problem: Callable[[str | None, str], Any] = LidoProblem,
) -> LidoRows[Any]:
    """The records of the LIDO file `path` (its text or bytes), each with its line.

    The file is parsed at once: one `InputError` (file:line) for a file that is too large, not
    well-formed, declares a DOCTYPE, or is not LIDO. Each `lido:lido` is then read when iterated:
    a record, or `problem(field, message)` (a `LidoProblem` unless an importer gives its own).
    `registry` stores every record under that register (as `import_file`'s option); `prepare`
    is given each image (an importer's, to keep it in the store), and an `InputError` it raises is
    the record's problem. Image paths are taken from the file's folder."""
    path = Path(path)
    return LidoRows(
        path, _lido_elements(path, data), registry=registry, prepare=prepare, problem=problem
    )


def _lido_elements(path: Path, data: str | bytes) -> list[Element]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_LIDO_BYTES:
        raise InputError(
            f"{path}: the LIDO file is {len(raw):,} bytes, more than the limit of "
            f"{MAX_LIDO_BYTES:,}; split it into several files of fewer lido:lido records"
        )
    declared = _declaration_before_root(raw)
    if declared is not None:
        raise _doctype_refused(path, raw, declared)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_pis=True,
        collect_ids=False,
        # Text read by provcheck is UTF-8 already, whatever its declaration says.
        encoding="utf-8" if isinstance(data, str) else None,
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as error:
        line = error.lineno or 1
        message = " ".join(str(error.msg or error).split())
        raise InputError(f"{path}:{line}: not well-formed XML ({message})") from None
    if root is None:
        raise InputError(f"{path}:1: not XML (the file holds no element)")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # a DOCTYPE the scan above missed
        raise _doctype_refused(path, raw, raw.find(b"<!DOCTYPE"))
    if root.tag == _tag("lidoWrap"):
        return list(root.iterfind("lido:lido", _NS))
    if root.tag == _tag("lido"):
        return [root]
    name = etree.QName(root) if isinstance(root.tag, str) else None
    shown = f"{{{name.namespace}}}{name.localname}" if name and name.namespace else str(root.tag)
    raise InputError(
        f"{path}:{root.sourceline or 1}: the root element is <{shown}>, not lido:lidoWrap or "
        f"lido:lido (namespace {LIDO_NAMESPACE}): not a LIDO file"
    )


# What may come before the root element: an XML declaration, comments, processing instructions.
_PROLOG_PART = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


def _declaration_before_root(raw: bytes) -> int | None:
    """Where a `<!DOCTYPE` starts before the root element, if one does: found by reading the
    prolog only, before any parser sees the file."""
    position = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    while True:
        part = _PROLOG_PART.match(raw, position)
        if part is None or part.end() == position:
            break
        position = part.end()
    return position if raw.startswith(b"<!DOCTYPE", position) else None


def _doctype_refused(path: Path, raw: bytes, position: int) -> InputError:
    line = raw.count(b"\n", 0, max(position, 0)) + 1
    return InputError(
        f"{path}:{line}: a DOCTYPE declaration is not accepted in a LIDO file (it can define "
        "entities that expand without end or read local files); remove it"
    )


def _read_record(
    lido: Element, folder: Path, registry: str | None, path: Path, line: int
) -> Record:
    registry_named, record_id = _record_id(lido)
    metadata = lido.find("lido:descriptiveMetadata", _NS)
    administrative = lido.find("lido:administrativeMetadata", _NS)
    if metadata is None:
        raise _Problem("descriptiveMetadata", "missing: a lido:lido describes its object there")
    identification = metadata.find("lido:objectIdentificationWrap", _NS)
    notes = _descriptions(identification)
    events = metadata.findall("lido:eventWrap/lido:eventSet/lido:event", _NS)
    production = _event(events, _PRODUCTION)
    loss = _event(events, _LOSS)
    fields: dict[str, Any] = {
        "title": _title(identification),
        "object_type": _object_type(metadata),
        "keywords": _terms(
            metadata,
            "lido:objectClassificationWrap/lido:classificationWrap/lido:classification",
            KEYWORD,
        ),
        "inscriptions": _inscriptions(identification),
        "inventory_number": _inventory_number(identification),
        "description": _joined(notes.get("description", []), "\n\n"),
        "distinguishing_features": _joined(notes.get("distinguishing features", []), "\n\n"),
        "provenance": _joined(notes.get("provenance", []), "\n\n"),
        "measurements_text": _measurements(identification),
        "subject": _subject(metadata),
        "images": _images(administrative, folder),
    }
    if production is not None:
        fields["maker"] = _makers(production)
        fields["period"] = _period(production, "period")
        fields["place_of_origin"] = _places(production)
        fields["materials"] = _materials(production)
    try:
        description = ObjectDescription.model_validate(
            {name: value for name, value in fields.items() if value not in (None, "", [], ())}
        )
    except ValidationError as error:
        field, message = first_problem(error)
        raise _Problem(field, message) from None
    status_text = _joined(notes.get(STATUS, []), " ")
    raw = _raw(notes.get(RAW, []), path, line)
    if registry_named is None and raw is None:
        # Another system's record: kept whole, as an import keeps a CSV row, so that nothing the
        # common model leaves out is lost.
        raw = etree.tostring(lido, encoding="unicode", with_tail=False)
    url, modified = _record_info(administrative)
    try:
        return Record(
            registry=registry or registry_named or "local",
            record_id=record_id,
            status=RecordStatus.parse(status_text) if status_text else RecordStatus.UNKNOWN,
            description=description,
            date_of_loss=_period(loss, "date_of_loss") if loss is not None else None,
            place_of_loss=_places(loss) if loss is not None else None,
            url=url,
            modified=modified,
            raw=raw,
            same_as=tuple(_same_as(metadata)),
        )
    except ValidationError as error:
        field, message = first_problem(error)
        raise _Problem(field, message) from None


def _text(element: Element | None) -> str | None:
    if element is None:
        return None
    text = "".join(element.itertext()).strip()
    return text or None


def _preference(element: Element) -> int:
    """Preferred values first, alternates last (lido:pref), each in the document's order."""
    pref = (element.get(_tag("pref")) or "").lower()
    return 0 if pref == "preferred" else 2 if pref == "alternate" else 1


def _pick(elements: Iterable[Element]) -> str | None:
    """The preferred text of language variants (or of names) of one thing."""
    for element in sorted(elements, key=_preference):
        text = _text(element)
        if text:
            return text
    return None


def _type(element: Element) -> str:
    return (element.get(_tag("type")) or "").strip().lower()


def _joined(texts: Iterable[str | None], separator: str) -> str | None:
    return separator.join(t for t in texts if t) or None


def _record_id(lido: Element) -> tuple[str | None, str]:
    """(the register provcheck wrote it for, or None; the record id) from the lidoRecID."""
    ids = lido.findall("lido:lidoRecID", _NS)
    ours = [i for i in ids if (i.get(_tag("source")) or "") == _SOURCE]
    for element in ours or sorted(ids, key=_preference):
        text = _text(element)
        if not text:
            continue
        if element in ours:
            name, colon, record_id = text.partition(":")
            if colon and REGISTER_NAME.fullmatch(name) and record_id:
                return name, record_id
        return None, text
    raise _Problem("lidoRecID", "missing or empty: each lido:lido needs a record id")


def _title(identification: Element | None) -> str | None:
    if identification is None:
        return None
    values = [
        value
        for title_set in identification.iterfind("lido:titleWrap/lido:titleSet", _NS)
        if _type(title_set) != PLACEHOLDER
        for value in title_set.iterfind("lido:appellationValue", _NS)
    ]
    return _pick(values)


def _object_type(metadata: Element) -> str | None:
    for work_type in metadata.iterfind(
        "lido:objectClassificationWrap/lido:objectWorkTypeWrap/lido:objectWorkType", _NS
    ):
        if _type(work_type) == PLACEHOLDER:
            continue
        terms = work_type.findall("lido:term", _NS)
        # A term added for searching only (a synonym, a broader term) is not the object's type.
        own = [t for t in terms if (t.get(_tag("addedSearchTerm")) or "no") != "yes"]
        picked = _pick(own or terms)
        if picked:
            return picked
    return None


def _terms(element: Element | None, path: str, kind: str) -> list[str]:
    if element is None:
        return []
    found = []
    for concept in element.iterfind(path, _NS):
        if _type(concept) == kind:
            term = _pick(concept.iterfind("lido:term", _NS))
            if term:
                found.append(term)
    return found


def _inscriptions(identification: Element | None) -> str | None:
    if identification is None:
        return None
    texts: list[str | None] = []
    for inscription in identification.iterfind("lido:inscriptionsWrap/lido:inscriptions", _NS):
        texts.append(_pick(inscription.iterfind("lido:inscriptionTranscription", _NS)))
        for note in inscription.iterfind("lido:inscriptionDescription", _NS):
            texts.append(_pick(note.iterfind("lido:descriptiveNoteValue", _NS)))
    return _joined(texts, "; ")


def _inventory_number(identification: Element | None) -> str | None:
    if identification is None:
        return None
    sets = identification.findall("lido:repositoryWrap/lido:repositorySet", _NS)
    # The current holder's number before a former one's.
    for repository in sorted(sets, key=lambda s: _type(s) == "former"):
        number = _pick(repository.iterfind("lido:workID", _NS))
        if number:
            return number
    return None


def _descriptions(identification: Element | None) -> dict[str, list[str]]:
    """The texts of the objectDescriptionSets, by kind: provcheck's own kinds, the rest as
    "description"."""
    notes: dict[str, list[str]] = {}
    if identification is None:
        return notes
    for note in identification.iterfind(
        "lido:objectDescriptionWrap/lido:objectDescriptionSet", _NS
    ):
        kind = _type(note)
        text = _pick(note.iterfind("lido:descriptiveNoteValue", _NS))
        if text:
            notes.setdefault(kind if kind in _DESCRIPTION_TYPES else "description", []).append(text)
    return notes


def _measurements(identification: Element | None) -> str | None:
    if identification is None:
        return None
    written: list[str | None] = []
    read: list[str] = []
    for measured in identification.iterfind(
        "lido:objectMeasurementsWrap/lido:objectMeasurementsSet", _NS
    ):
        written.append(_pick(measured.iterfind("lido:displayObjectMeasurements", _NS)))
        for structured in measured.iterfind("lido:objectMeasurements", _NS):
            part = _pick(structured.iterfind("lido:extentMeasurements", _NS))
            for one in structured.iterfind("lido:measurementsSet", _NS):
                words = [
                    _pick(one.iterfind(f"lido:{name}", _NS))
                    for name in ("measurementType", "measurementValue", "measurementUnit")
                ]
                if words[1]:
                    read.append((f"{part}: " if part else "") + " ".join(w for w in words if w))
    # The text as written; else the measurements as the file gives them, read again from words.
    return _joined(written, "; ") or _joined(read, "; ")


def _subject(metadata: Element) -> str | None:
    texts = []
    for subject_set in metadata.iterfind(
        "lido:objectRelationWrap/lido:subjectWrap/lido:subjectSet", _NS
    ):
        shown = _pick(subject_set.iterfind("lido:displaySubject", _NS))
        if shown is None:
            concepts = subject_set.iterfind("lido:subject/lido:subjectConcept", _NS)
            shown = _joined((_pick(c.iterfind("lido:term", _NS)) for c in concepts), ", ")
        texts.append(shown)
    return _joined(texts, "; ")


def _same_as(metadata: Element) -> list[str]:
    keys = []
    for identifier in metadata.iterfind(
        "lido:objectRelationWrap/lido:relatedWorksWrap/lido:relatedWorkSet"
        "/lido:relatedWork/lido:object/lido:objectID",
        _NS,
    ):
        key = _text(identifier)
        if key and _type(identifier) == SAME_AS:
            keys.append(key)
    return keys


def _event(events: list[Element], kinds: set[str]) -> Element | None:
    for event in events:
        terms = (
            t.lower() for t in map(_text, event.iterfind("lido:eventType/lido:term", _NS)) if t
        )
        if any(term in kinds for term in terms):
            return event
    return None


def _makers(production: Element) -> str | None:
    for note in production.iterfind("lido:eventDescriptionSet", _NS):
        if _type(note) == MAKER_AS_WRITTEN:
            written = _pick(note.iterfind("lido:descriptiveNoteValue", _NS))
            if written:
                return written
    texts = []
    for actor in production.iterfind("lido:eventActor", _NS):
        shown = _pick(actor.iterfind("lido:displayActorInRole", _NS))
        if shown is None:
            names = actor.iterfind(
                "lido:actorInRole/lido:actor/lido:nameActorSet/lido:appellationValue", _NS
            )
            name = _pick(names)
            qualifier = _pick(
                actor.iterfind("lido:actorInRole/lido:attributionQualifierActor", _NS)
            )
            shown = f"{qualifier} {name}" if qualifier and name else name
        texts.append(shown)
    return _joined(texts, "; ")


def _period(event: Element, field: str) -> DatePeriod | None:
    """The event's date: as written, with the years the file gives (else read from the text)."""
    event_date = event.find("lido:eventDate", _NS)
    if event_date is None:
        return None
    shown = _pick(event_date.iterfind("lido:displayDate", _NS))
    date = event_date.find("lido:date", _NS)
    if date is None:
        return parse_period(shown)
    bounds = [date.find(f"lido:{name}", _NS) for name in ("earliestDate", "latestDate")]
    years = [_year(_text(bound)) for bound in bounds]
    if any(_text(b) and y is None for b, y in zip(bounds, years, strict=True)):
        # A date the file gives but not as a year ("ca. 1880"): read as text.
        return parse_period(shown or _joined((_text(b) for b in bounds), " - "))
    earliest, latest = years
    if shown is None:  # no date as written: the years as a person would write them
        if earliest is None and latest is None:
            return None
        if earliest is None:
            shown = f"before {latest}"
        elif latest is None:
            shown = f"after {earliest}"
        else:
            shown = str(earliest) if earliest == latest else f"{earliest}-{latest}"
    circa = any(b is not None and _type(b) == "estimateddate" for b in bounds)
    try:
        return DatePeriod(text=shown, earliest=earliest, latest=latest, circa=circa)
    except ValidationError as error:
        raise _Problem(field, first_problem(error)[1]) from None


def _year(text: str | None) -> int | None:
    match = _ISO_YEAR.fullmatch(text or "")
    if match is None:
        return None
    year = int(match.group(2)) * (-1 if match.group(1) == "-" else 1)
    return year if -MAX_YEARS <= year <= MAX_YEARS else None


def _places(event: Element) -> str | None:
    texts = []
    for place in event.iterfind("lido:eventPlace", _NS):
        shown = _pick(place.iterfind("lido:displayPlace", _NS))
        if shown is None:
            shown = _pick(place.iterfind("lido:place/lido:namePlaceSet/lido:appellationValue", _NS))
        texts.append(shown)
    return _joined(texts, "; ")


def _materials(production: Element) -> str | None:
    texts = []
    for materials in production.iterfind("lido:eventMaterialsTech", _NS):
        shown = _pick(materials.iterfind("lido:displayMaterialsTech", _NS))
        if shown is None:
            terms = materials.iterfind("lido:materialsTech/lido:termMaterialsTech", _NS)
            shown = _joined((_pick(t.iterfind("lido:term", _NS)) for t in terms), ", ")
        texts.append(shown)
    return _joined(texts, "; ")


def _raw(texts: list[str], path: Path, line: int) -> Any:
    if not texts:
        return None
    try:
        return load_json(texts[0], source=f"{path}:{line}")
    except InputError as error:
        raise _Problem(RAW, str(error).split(": ", 2)[-1]) from None


def _record_info(administrative: Element | None) -> tuple[str | None, datetime | None]:
    if administrative is None:
        return None, None
    info_sets = administrative.findall("lido:recordWrap/lido:recordInfoSet", _NS)
    links = [link for info in info_sets for link in info.iterfind("lido:recordInfoLink", _NS)]
    url = _pick(links)
    modified = None
    for info in info_sets:
        for date in info.iterfind("lido:recordMetadataDate", _NS):
            if _type(date) == "modified" and modified is None:
                try:
                    modified = datetime.fromisoformat(_text(date) or "")
                except ValueError:
                    continue  # another system's own date format: not a time provcheck can keep
    return url, modified


def _images(administrative: Element | None, folder: Path) -> list[ImageRef]:
    if administrative is None:
        return []
    images = []
    for resource in administrative.iterfind("lido:resourceWrap/lido:resourceSet", _NS):
        representations = resource.findall("lido:resourceRepresentation", _NS)
        masters = [r for r in representations if _type(r) == "image_master"]
        main = (masters or representations or [None])[0]
        if main is None:
            continue
        link_element = main.find("lido:linkResource", _NS)
        link = _text(link_element)
        # lido:formatResource, as the schema has it; some systems write it without a namespace.
        media = _attribute(link_element, "formatResource") if link_element is not None else ""
        if not link or (media and not media.lower().startswith("image/")):
            continue  # a text, a sound or a film: not a photograph of the object
        variants = {}
        for other in representations:
            address = _text(other.find("lido:linkResource", _NS))
            if other is not main and _type(other) and address and _is_address(address):
                variants[other.get(_tag("type")).strip()] = address
        caption = _pick(resource.iterfind("lido:resourceDescription", _NS))
        images.append(_image(link, folder, caption, variants))
    return images


def _attribute(element: Element, name: str) -> str:
    return str(element.get(_tag(name)) or element.get(name) or "")


def _is_address(link: str) -> bool:
    return link.lower().startswith(("http://", "https://"))


def _image(link: str, folder: Path, caption: str | None, variants: dict[str, str]) -> ImageRef:
    if _is_address(link):
        return ImageRef(url=link, caption=caption, variants=variants)
    if _SCHEME.match(link) or Path(link).is_absolute() or "\x00" in link:
        raise _Problem(
            "description.images",
            f"linkResource {link[:80]!r}: an image is taken by http(s) address, or by a path "
            "relative to the LIDO file",
        )
    return ImageRef(path=str((folder / link).resolve()), caption=caption, variants=variants)
