"""Importing users' files into the local store: JSON Lines of `Record`s, CSV with a mapping, or
LIDO XML (`provcheck.store.lido`: the museum world's harvesting format, as `provcheck export` writes
it and as collections systems do).

An import is all or nothing per file: every row is read and checked first (images decoded and
fingerprinted, once), and only a file without problems is written, in one transaction. With
`skip_bad=True` the good rows are written and each bad one is listed. Re-importing a record with the
same register and id updates it: an import never duplicates.

Every row is accounted for: added, updated, or skipped with its reason. No row silently replaces
another of the same file: a repeated id is a problem, or -- with a mapping's
`"duplicate_ids": "number"` -- the later rows get `ID-2`, `ID-3`, ... numbers chosen to collide
with no id in the file nor with any record of the same register in the store that this file did
not write (its own numbered records are found again when the same file is imported again, so a
re-import updates them instead of adding more).

A problem names the file, the line, the field and what is wrong: `nsaf.csv:212: Measurements: ...`.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.resources
import io
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from provcheck.errors import InputError, first_problem
from provcheck.images.fingerprints import compute_fingerprints
from provcheck.images.loading import WORKING_SIDE, load_image, thumbnail_jpeg
from provcheck.images.verification import REGISTER_FILLING, local_features
from provcheck.model.description import ImageRef, ObjectDescription
from provcheck.model.record import Record, RecordStatus
from provcheck.store.interface import Store
from provcheck.store.lido import records_from_lido
from provcheck.userfiles import active_cell, load_json, read_text

__all__ = [
    "CSV_FIELD_LIMIT",
    "BeforeWrite",
    "CsvMapping",
    "IdRule",
    "ImportProblem",
    "ImportSummary",
    "import_file",
    "json_lines",
    "keep_image",
    "load_mapping",
    "mapping_presets",
    "read_csv",
    "without_controls",
]

Progress = Callable[[int, int], None]
# Told, inside the import's transaction, of each batch of records about to be written (the store
# still holds what they replace): the keys (registry, record id) of those to keep withdrawn.
BeforeWrite = Callable[[Sequence[Record]], Collection[tuple[str, str]]]

# Record fields a CSV column can fill besides the Object ID fields of the description.
_RECORD_FIELDS = {"record_id", "status", "date_of_loss", "place_of_loss", "url"}
_DESCRIPTION_FIELDS = set(ObjectDescription.model_fields) | {"maker"}
_SPLIT_IMAGES = re.compile(r"\s*[;|\n]\s*")

# The longest CSV field read, in characters. The csv module's own default (131,072) refuses real
# long descriptions; past this much a field is not a description but a broken or hostile file.
CSV_FIELD_LIMIT = 1 << 20
_WRITTEN_AT_ONCE = 1_000  # records given to the store at once (`Store.put_records`)


# Control characters carry no text: a NUL or a stray \x01 inside a word ("Ac\x00orn") would split
# it and defeat matching, so they are removed where a field is read. A vertical tab or a form feed
# is the line break inside a cell of some exports (FileMaker's): a newline. Tab and newline stay.
# (Removed, not refused: an export with one stray control character is not worth refusing, and
# no character of the text is lost.)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _control(match: re.Match[str]) -> str:
    return "\n" if match.group() in "\x0b\x0c" else ""


def without_controls(value: Any) -> Any:
    """`value` with control characters taken out of its strings (of lists and objects too, but
    not their keys): see `_CONTROLS`."""
    if isinstance(value, str):
        return _CONTROLS.sub(_control, value) if _CONTROLS.search(value) else value
    if isinstance(value, dict):
        return {key: without_controls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_controls(item) for item in value]
    return value


def json_lines(text: str) -> Iterator[tuple[int, str]]:
    """The numbered non-blank lines of a JSON Lines text. Split at newlines only: `splitlines()`
    also ends a line at U+2028, U+0085, ..., which a JSON string may hold as they are."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield number, line


def read_csv(path: Path, text: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """The header and the rows of a CSV file's text, each row with the line it starts on (rows
    may span lines), or one `InputError` naming the line where the text cannot be read.

    A column named twice is refused: a row could keep only one of its values. Control characters
    are removed from the values (`without_controls`)."""
    # Process-wide, so only ever raised to the limit provcheck needs, never lowered below what
    # the program using provcheck chose.
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[tuple[int, dict[str, Any]]] = []
    start = 1
    try:
        header = list(reader.fieldnames or [])
        named = [name for name in header if name.strip()]  # blank names hold no data of note
        repeated = next((name for n, name in enumerate(named) if name in named[:n]), None)
        if repeated is not None:
            raise InputError(f"{path}:1: column {repeated!r} is repeated; keep one")
        start = reader.line_num + 1
        for row in reader:
            rows.append((start, without_controls(row)))
            start = reader.line_num + 1
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise InputError(
                f"{path}:{start}: field too long (over {csv.field_size_limit():,} characters); "
                "shorten it or split it, or check that the file's quotes are balanced"
            ) from None
        raise InputError(f"{path}:{start}: not readable as CSV ({error})") from None
    unclosed = _unclosed_quote(text)
    if unclosed is not None:
        raise InputError(
            f"{path}:{unclosed}: a quote opened on this line is never closed, so every later "
            'row would be read into one field; close it, or double it ("") to keep it in the text'
        )
    return header, rows


def _unclosed_quote(text: str) -> int | None:
    """The line of the row whose quoted field runs to the end of `text`, else None. Read
    leniently (the csv module's default), a quote that is never closed takes every later row
    into its field; only a strict reading says so."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error as error:
        # Other quoting a strict reading refuses ('"a"b') the lenient one reads as it stands.
        return start if "unexpected end of data" in str(error) else None
    return None


class IdRule(BaseModel):
    """One way to make a record id from a row; the first rule that gives a value is used.

    `column` (optionally narrowed by a regex `pattern` with one group) or a `template` over columns
    (`"{Reference Number}-{Title}"`); `slug` makes it lower-case-with-dashes; `url` is a template
    for the record's address at its register, using `{id}`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str | None = None
    template: str | None = None
    pattern: str | None = None
    slug: bool = False
    url: str | None = None

    def columns(self) -> list[str]:
        if self.column:
            return [self.column]
        return re.findall(r"{([^{}]+)}", self.template or "")

    def apply(self, row: dict[str, str]) -> str | None:
        if self.column is not None:
            value = row.get(self.column) or ""
        else:
            value = (self.template or "").format_map({k: v or "" for k, v in row.items()})
        if self.pattern:
            match = re.search(self.pattern, value)
            value = match.group(1) if match else ""
        if self.slug:
            value = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
        return value.strip() or None


class CsvMapping(BaseModel):
    """How the columns of a CSV file become records (a JSON file, or a named preset)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    registry: str = "local"
    status: RecordStatus = RecordStatus.UNKNOWN
    fields: dict[str, str] = Field(description="CSV column -> Object ID field or record field")
    images: list[str] = Field(default_factory=list, description="columns of image paths or URLs")
    skip_images_matching: str | None = Field(
        default=None, description="regex: image values that are placeholders, not photographs"
    )
    record_id: list[IdRule] = Field(
        default_factory=list, description="rules for the record id; default: the column record_id"
    )
    duplicate_ids: Literal["error", "number"] = "error"

    def id_rules(self) -> list[IdRule]:
        if self.record_id or "record_id" in self.fields.values():
            return self.record_id
        return [IdRule(column="record_id")]

    def model_post_init(self, context: Any, /) -> None:
        unknown = sorted(set(self.fields.values()) - _DESCRIPTION_FIELDS - _RECORD_FIELDS)
        if unknown:
            raise ValueError(
                f"mapping names unknown fields {unknown}; "
                f"fields are: {', '.join(sorted(_DESCRIPTION_FIELDS | _RECORD_FIELDS))}"
            )


def mapping_presets() -> list[str]:
    folder = importlib.resources.files("provcheck.store") / "mappings"
    return sorted(
        p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")
    )


def load_mapping(name_or_path: str) -> CsvMapping:
    """A mapping from a JSON file, or one of the presets shipped with provcheck (`nsaf`)."""
    path = Path(name_or_path)
    if path.is_file():
        text, source = read_text(path, what="mapping"), str(path)
    elif name_or_path in mapping_presets():
        resource = (
            importlib.resources.files("provcheck.store") / "mappings" / f"{name_or_path}.json"
        )
        text, source = resource.read_text(encoding="utf-8"), f"preset {name_or_path}"
    else:
        raise InputError(
            f"--mapping {name_or_path}: no such file, and no preset of that name "
            f"(presets: {', '.join(mapping_presets())})"
        )
    try:
        return CsvMapping.model_validate(load_json(text, source=source))
    except ValidationError as error:
        where, problem = first_problem(error)
        raise InputError(f"{source}: {where or 'mapping'}: {problem}") from None


@dataclass(frozen=True)
class ImportProblem:
    """A row that cannot be imported: where it is and what is wrong with it."""

    file: str
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class ImportSummary:
    """What an import did with each row of the file: every row is added, updated or skipped
    (`rows == added + updated + len(skipped)`). `renumbered` rows (a repeated id numbered under the
    mapping's `"duplicate_ids": "number"`) are among the added or updated: where, and which id."""

    source: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    skipped: list[ImportProblem] = field(default_factory=list)
    registries: dict[str, int] = field(default_factory=dict)
    renumbered: list[ImportProblem] = field(default_factory=list)
    kept_withdrawn: int = 0  # updated, but left withdrawn as their owner withdrew them


class _RowError(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _pydantic_problem(error: ValidationError) -> _RowError:
    return _RowError(*first_problem(error))


class _ImageReader:
    """Reads, fingerprints and keeps each distinct image of an import once."""

    def __init__(self, store: Store, base: Path, *, files: bool = True) -> None:
        self.store = store
        self.base = base
        self.files = files

    def prepare(self, ref: ImageRef) -> ImageRef:
        if ref.url is not None:
            return ref  # a register's image by URL: kept as a reference, fetched when mirrored
        if ref.path is not None and not self.files:
            raise InputError(
                f"{ref.path[:80]}: give images by http(s) address or as data; a file sent to "
                "the service cannot name a file"
            )
        if ref.path is not None and not Path(ref.path).is_absolute():
            ref = ref.model_copy(update={"path": str((self.base / ref.path).resolve())})
        digest, fingerprints = keep_image(self.store, ref.read(), source=ref.location)
        return ref.model_copy(update={"sha256": digest, "fingerprints": fingerprints})


def keep_image(store: Store, data: bytes, *, source: str) -> tuple[str, dict[str, str]]:
    """Keep an image in the store -- fingerprints, local features, a bounded copy -- once per
    distinct image: its digest and fingerprints. An image the store already has is not decoded
    again. `InputError` if the bytes are not a readable image."""
    digest = hashlib.sha256(data).hexdigest()
    fingerprints = store.image_fingerprints(digest)
    if fingerprints is None:
        image = load_image(data, source=source, max_side=WORKING_SIDE)
        fingerprints = compute_fingerprints(image)
        store.put_image(
            digest,
            fingerprints,
            size=image.size,
            thumbnail=thumbnail_jpeg(image),
            features=local_features(image, filling=REGISTER_FILLING),
        )
    return digest, fingerprints


def _records_from_jsonl(
    path: Path, lines: list[tuple[int, str]], images: _ImageReader, registry: str | None
) -> Iterator[tuple[int, Record | _RowError]]:
    for line_number, line in lines:
        try:
            data = without_controls(load_json(line, source=str(path), line_offset=line_number - 1))
        except InputError as error:
            yield line_number, _RowError(None, str(error).split(": ", 2)[-1])
            continue
        if not isinstance(data, dict):
            yield line_number, _RowError(None, "expected a JSON object (one Record per line)")
            continue
        if registry is not None or "registry" not in data:
            data["registry"] = registry or "local"
        try:
            record = Record.model_validate(data)
            prepared = [images.prepare(image) for image in record.description.images]
        except ValidationError as error:
            yield line_number, _pydantic_problem(error)
            continue
        except InputError as error:
            yield line_number, _RowError("description.images", str(error))
            continue
        description = record.description.model_copy(update={"images": tuple(prepared)})
        yield line_number, record.model_copy(update={"description": description})


def _records_from_csv(
    path: Path,
    header: list[str],
    rows: list[tuple[int, dict[str, Any]]],
    images: _ImageReader,
    mapping: CsvMapping,
    registry: str | None,
) -> Iterator[tuple[int, Record | _RowError]]:
    needed = (
        set(mapping.fields)
        | set(mapping.images)
        | {column for rule in mapping.record_id for column in rule.columns()}
    )
    missing = sorted(needed - set(header))
    if missing:
        raise InputError(
            f"{path}:1: the mapping needs column {missing[0]!r}, which the header lacks "
            f"(columns: {', '.join(header)})"
        )
    skip_images = re.compile(mapping.skip_images_matching) if mapping.skip_images_matching else None
    for start, row in rows:
        try:
            yield start, _record_from_row(row, mapping, images, skip_images, registry)
        except _RowError as problem:
            yield start, problem


def _record_from_row(
    row: dict[str, Any],
    mapping: CsvMapping,
    images: _ImageReader,
    skip_images: re.Pattern[str] | None,
    registry: str | None,
) -> Record:
    extra = row.pop(None, None)  # type: ignore[call-overload]
    if extra:
        raise _RowError(None, f"the row has {len(extra)} more field(s) than the header")
    values = {key: value or "" for key, value in row.items()}
    url: str | None = None
    record_id: str | None = None
    for rule in mapping.id_rules():
        record_id = rule.apply(values)
        if record_id:
            url = rule.url.format(id=record_id) if rule.url else None
            break
    description: dict[str, Any] = {}
    record_fields: dict[str, Any] = {"status": mapping.status}
    given_by: dict[str, tuple[str, str]] = {}  # field -> the column that gave it, and its value
    for column, target in mapping.fields.items():
        value = active_cell(values[column].strip())
        if not value:
            continue
        # Two columns for one field: whichever is filled; both, and different, one would be lost.
        if target in given_by and given_by[target][1] != value:
            other, kept = given_by[target]
            raise _RowError(
                column,
                f"{_shown(value)!r} differs from column {other!r} ({_shown(kept)!r}), which gives "
                f"the {target} too; keep one",
            )
        given_by[target] = (column, value)
        if target == "record_id":
            record_id = value
        elif target in _RECORD_FIELDS:
            record_fields[target] = value
        else:
            description[target] = value
    if not record_id:
        raise _RowError("record_id", "no value for the record id (see the mapping's record_id)")
    refs: list[ImageRef] = []
    for column in mapping.images:
        for value in _SPLIT_IMAGES.split(values[column].strip()):
            if not value or (skip_images and skip_images.search(value)):
                continue
            try:
                refs.append(images.prepare(ImageRef.from_value(value)))
            except InputError as error:
                raise _RowError(column, str(error)) from None
            except ValidationError as error:
                raise _RowError(column, first_problem(error)[1]) from None
    description["images"] = refs
    if url and "url" not in record_fields:
        record_fields["url"] = url
    try:
        return Record(
            registry=registry or mapping.registry,
            record_id=record_id,
            description=ObjectDescription.model_validate(description),
            raw=values,
            **record_fields,
        )
    except ValidationError as error:
        problem = _pydantic_problem(error)
        target = (problem.field or "").split(".")[-1]
        culprit = next((c for c, t in mapping.fields.items() if t == target), problem.field)
        raise _RowError(culprit, problem.message) from None


def _shown(value: str) -> str:
    return value if len(value) <= 40 else f"{value[:40]}..."


def _without_repeated_ids(
    read: list[tuple[int, Record]],
    summary: ImportSummary,
    file: str,
    store: Store,
    source: str,
    *,
    number: bool,
) -> list[Record]:
    """The records to write, one per (register, id): a repeated id is skipped as a problem, or,
    with `number`, given the first free `ID-n` (see the module docstring for what is free)."""
    first_line: dict[tuple[str, str], int] = {}
    for line, record in read:
        first_line.setdefault((record.registry, record.record_id), line)
    taken = set(first_line)
    foreign: dict[str, set[str]] = {}  # per register: the store's ids this file did not write
    good: list[Record] = []
    seen: set[tuple[str, str]] = set()
    for line, record in read:
        key = (record.registry, record.record_id)
        if key not in seen:
            seen.add(key)
            good.append(record)
            continue
        if not number:
            message = f"{record.record_id!r} is already on line {first_line[key]}"
            summary.skipped.append(ImportProblem(file, line, "record_id", message))
            continue
        if record.registry not in foreign:
            foreign[record.registry] = store.record_ids_not_from(record.registry, source)
        others = foreign[record.registry]
        n = 2
        while (record.registry, f"{record.record_id}-{n}") in taken or (
            f"{record.record_id}-{n}" in others
        ):
            n += 1
        renumbered = f"{record.record_id}-{n}"
        taken.add((record.registry, renumbered))
        summary.renumbered.append(
            ImportProblem(
                file,
                line,
                "record_id",
                f"{record.record_id!r} is already on line {first_line[key]}: "
                f"imported as {renumbered!r}",
            )
        )
        good.append(record.model_copy(update={"record_id": renumbered}))
    return good


def import_file(
    store: Store,
    path: str | Path,
    *,
    mapping: CsvMapping | None = None,
    registry: str | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
    files: bool = True,
    before_write: BeforeWrite | None = None,
) -> ImportSummary:
    """Import a `.jsonl`, `.csv` or LIDO `.xml` file into `store`; see the module docstring for
    the rules.

    `registry` stores every record under that register's name (default: the record's own, or
    the mapping's). Raises `InputError` naming the first bad row, having written nothing, unless
    `skip_bad`. `files=False` (a file sent to the service) takes images by address or inline
    data only: a path would name a file of the machine importing, not of its sender's.
    `before_write` is told of each batch before it is written, in the import's transaction
    (`provcheck.collection.records.OwnRecords.import_file` keeps the changes in the records'
    histories), and names the records to keep withdrawn.
    """
    path = Path(path)
    text = read_text(path, what="import file")
    suffix = path.suffix.lower()
    images = _ImageReader(store, path.resolve().parent, files=files)
    if suffix in (".jsonl", ".ndjson"):
        if mapping is not None:
            raise InputError(f"{path}: a mapping is for CSV files; JSON Lines hold Records already")
        lines = list(json_lines(text))
        total = len(lines)
        rows = _records_from_jsonl(path, lines, images, registry)
    elif suffix == ".csv":
        if mapping is None:
            raise InputError(
                f"{path}: a CSV file needs --mapping (a mapping file, or a preset: "
                f"{', '.join(mapping_presets())})"
            )
        header, found = read_csv(path, text)
        total = len(found)
        rows = _records_from_csv(path, header, found, images, mapping, registry)
    elif suffix == ".xml":
        if mapping is not None:
            raise InputError(f"{path}: a mapping is for CSV files; a LIDO file names its fields")
        lido = records_from_lido(
            path, text, registry=registry, prepare=images.prepare, problem=_RowError
        )
        total, rows = len(lido), iter(lido)
    else:
        raise InputError(
            f"{path}: import takes .jsonl or .csv files, or LIDO .xml, not {suffix or 'no suffix'!r}"
        )

    summary = ImportSummary(source=str(path))
    read: list[tuple[int, Record]] = []
    for done, (line, result) in enumerate(rows, start=1):
        summary.rows += 1
        if progress is not None:
            progress(done, total)
        if isinstance(result, _RowError):
            summary.skipped.append(ImportProblem(str(path), line, result.field, result.message))
        else:
            read.append((line, result))
    source = str(path.resolve())
    good = _without_repeated_ids(
        read,
        summary,
        str(path),
        store,
        source,
        number=mapping is not None and mapping.duplicate_ids == "number",
    )
    if summary.skipped and not skip_bad:
        more = len(summary.skipped) - 1
        also = f" (and {more} more bad row{'s' if more != 1 else ''})" if more else ""
        raise InputError(
            f"{summary.skipped[0]}{also}; nothing was imported: fix the file, or use --skip-bad"
        )
    import_id: int | None = None
    try:
        with store.transaction():
            import_id = store.start_import(source)
            for start in range(0, len(good), _WRITTEN_AT_ONCE):
                written = good[start : start + _WRITTEN_AT_ONCE]
                withdrawn = before_write(written) if before_write is not None else ()
                for record, new in zip(
                    written, store.put_records(written, import_id=import_id), strict=True
                ):
                    summary.added += new
                    summary.updated += not new
                    summary.registries[record.registry] = (
                        summary.registries.get(record.registry, 0) + 1
                    )
                for registry, record_id in withdrawn:
                    summary.kept_withdrawn += store.withdraw_record(registry, record_id)
            store.finish_import(
                import_id,
                added=summary.added,
                updated=summary.updated,
                skipped=len(summary.skipped),
            )
    except KeyboardInterrupt:
        # Ctrl-C as the commit ended: if the commit happened, the import is done and is
        # reported as done; "interrupted" only when nothing was written.
        if import_id is None or not store.import_finished(import_id):
            raise
    return summary
