"""Exporting records from the store in the forms registers and partners take: Object ID records as
JSON Lines, CSV with its mapping, or LIDO -- each with its photographs, checksums and a manifest.

An export is a folder:

- `records.jsonl` (`objectid`): one `Record` per line, exactly as `provcheck local import` reads it;
- `records.csv` and `records.mapping.json` (`csv`): one row per record, and the `CsvMapping` that
  reads the file back (`provcheck local import records.csv --mapping records.mapping.json`);
- `records.lido.xml` (`lido`): a LIDO v1.0 document (`provcheck.store.lido`);
- `images/<sha256>.<ext>`: each photograph once, and `images/SHA256SUMS` (`sha256sum -c` reads it
  in that folder); the records name their photographs by these paths, relative to the folder;
- `manifest.json`: the format, provcheck's version, when, how many records, and each file's sha256
  and size. It is written last: a folder without it holds an export that did not finish.

A photograph is the original file when it is still where the record says and its bytes still have
the digest the store recorded (a re-import then finds the same image); else the store's bounded
copy (a JPEG of at most a few hundred pixels a side), named by its own digest, which the summary
counts as a bounded copy. A photograph by address stays an address. One with neither its file nor
a copy in the store is left out of the export, and counted.

What travels (an export imported into an empty store gives the same records, but):

- `objectid`: everything (but control characters, which every import leaves out); images point
  into the export folder (a bounded copy has its own digest);
- `lido`: everything but what the module `provcheck.store.lido` says (the makers and measurements
  are read again from their text as written; a register's record longer than 64 KiB is left out);
- `csv`: one register's records only (its mapping names one register); the fields as a person
  writes them (`ObjectDescription.text_fields`: makers, measurements and periods are read again
  from their text), the status, dates and place of loss, address and photographs. Not the time a
  register last changed the record, its own record (`raw`: an import keeps the CSV row there), other
  registers' records of the object (`same_as`), nor photographs' captions and other sizes.
  Keywords are joined by `;`, photographs by `; `; a value's leading and trailing spaces are lost.

The CSV is safe to open in a spreadsheet: every cell is quoted, and one that would start a formula
(`=`, `+`, `-`, `@`, a tab, a carriage return) -- or that starts with `'` before one of those -- is
prefixed with `'`, as OWASP recommends and `provcheck.batch` does. The import takes the `'` away
again (`'=SUM(A1)` is read as `=SUM(A1)`, `''=x` as `'=x`).

An export never overwrites a previous export's files unless told to (`overwrite=True`). Every file
is written whole or not at all (`write_bytes_atomically`), and nothing is written through a
symbolic link in the folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from provcheck._version import __version__
from provcheck.errors import InputError
from provcheck.model.description import TEXT_FIELDS, ImageRef
from provcheck.model.record import Record
from provcheck.store.importing import CsvMapping
from provcheck.store.interface import Store
from provcheck.store.kept_images import kept_image
from provcheck.store.lido import lido_document
from provcheck.userfiles import (
    inert_cell,
    refuse_links,
    writable_folder,
    write_bytes_atomically,
)

__all__ = [
    "CSV_COLUMNS",
    "EXPORT_FORMATS",
    "ExportFormat",
    "ExportSummary",
    "export_records",
]

ExportFormat = Literal["objectid", "csv", "lido"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("objectid", "csv", "lido")
Progress = Callable[[int, int], None]

IMAGES = "images"
CHECKSUMS = "SHA256SUMS"
MANIFEST = "manifest.json"
# The files each format writes besides the images; together, the names a previous export left.
_RECORD_FILES: dict[ExportFormat, tuple[str, ...]] = {
    "objectid": ("records.jsonl",),
    "csv": ("records.csv", "records.mapping.json"),
    "lido": ("records.lido.xml",),
}

# The CSV's columns, each read back by the mapping as the field of the same name (`maker`,
# `measurements`, `period` as written).
CSV_COLUMNS = (
    "record_id",
    "status",
    *TEXT_FIELDS,
    "date_of_loss",
    "place_of_loss",
    "url",
    "images",
)

# A cell a spreadsheet would run as a formula (OWASP's list), or one already protected as this
# module protects: both get a leading `'`, so that the import can take exactly one away.
# Image kinds by their first bytes, for the file's extension.
_SIGNATURES = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tif"),
    (b"MM\x00*", "tif"),
    (b"BM", "bmp"),
)


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: how many records and photographs (`images`, each file once), how many
    of those are the store's bounded copies (the original was gone or changed), how many
    photographs were left out (no file and no copy: `missing_images`), and the files, relative to
    `out`."""

    out: Path
    format: ExportFormat
    records: int
    images: int
    bounded_copies: int
    missing_images: int
    files: tuple[str, ...] = field(default=())


def export_records(
    store: Store,
    records: Iterable[Record] | None,
    out: Path,
    *,
    format: ExportFormat,
    registry: str | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> ExportSummary:
    """Export `records` (None: the store's records, of `registry` if named) into the folder `out`
    in `format`; see the module docstring. One `InputError` before anything is written if the
    folder cannot be written, holds a previous export (unless `overwrite`), or -- for CSV -- the
    records are of more than one register."""
    if format not in EXPORT_FORMATS:
        raise InputError(f"--format {format}: choose one of {', '.join(EXPORT_FORMATS)}")
    out = Path(out)
    writable_folder(out, "--out")
    own_files = [out / name for name in (*_RECORD_FILES[format], MANIFEST)]
    previous = [
        out / name for name in (*(n for names in _RECORD_FILES.values() for n in names), MANIFEST)
    ] + [out / IMAGES / CHECKSUMS]
    left = [p for p in previous if p.exists() or p.is_symlink()]
    if left and not overwrite:
        raise InputError(
            f"--out {out}: holds a previous export ({left[0].relative_to(out)}); choose another "
            "folder, or use --overwrite to write over it"
        )
    refuse_links(
        out,
        [*own_files, out / IMAGES / CHECKSUMS],
        folders=[out / IMAGES],
        writer="an export",
        instead="choose another --out",
    )
    chosen = list(store.iter_records(registry) if records is None else records)
    csv_registry = _one_register(chosen, registry, out) if format == "csv" else None

    images = _ImageWriter(store, out)
    exported = []
    for done, record in enumerate(chosen, start=1):
        exported.append(images.export(record))
        if progress is not None:
            progress(done, len(chosen))

    written: list[Path] = list(images.written)
    if format == "objectid":
        lines = [json.dumps(r.model_dump(mode="json"), ensure_ascii=False) for r in exported]
        written.append(_write(out / "records.jsonl", "".join(f"{line}\n" for line in lines)))
    elif format == "csv":
        written.append(_write(out / "records.csv", _csv(exported)))
        mapping = CsvMapping(
            registry=csv_registry or "local",
            fields={column: column for column in CSV_COLUMNS if column != "images"},
            images=["images"],
        )
        written.append(
            _write(out / "records.mapping.json", mapping.model_dump_json(indent=2) + "\n")
        )
    else:
        written.append(_write(out / "records.lido.xml", lido_document(exported)))
    if images.sums:
        lines = [f"{digest}  {name}\n" for name, digest in sorted(images.sums.items())]
        written.append(_write(out / IMAGES / CHECKSUMS, "".join(lines)))

    manifest = {
        "format": format,
        "provcheck": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": len(exported),
        "images": len(images.sums),
        "bounded_copies": images.bounded,
        "missing_images": images.missing,
        "files": [_described(out, path) for path in written],
    }
    written.append(_write(out / MANIFEST, json.dumps(manifest, indent=2) + "\n"))
    return ExportSummary(
        out=out,
        format=format,
        records=len(exported),
        images=len(images.sums),
        bounded_copies=images.bounded,
        missing_images=images.missing,
        files=tuple(path.relative_to(out).as_posix() for path in written),
    )


def _one_register(records: list[Record], registry: str | None, out: Path) -> str | None:
    """The one register of a CSV export's records: its mapping names one."""
    registers = sorted({record.registry for record in records})
    if len(registers) > 1:
        raise InputError(
            f"--out {out}: a CSV export holds one register's records (its mapping names one), "
            f"and these are of {', '.join(registers)}: export each with --registry, or choose "
            "--format objectid or lido"
        )
    return registers[0] if registers else registry


def _write(path: Path, content: str | bytes) -> Path:
    write_bytes_atomically(path, content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _described(out: Path, path: Path) -> dict[str, object]:
    data = path.read_bytes()
    return {
        "path": path.relative_to(out).as_posix(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }


class _ImageWriter:
    """Writes each record's photographs into `images/`, each distinct file once, and gives the
    record back naming them there."""

    def __init__(self, store: Store, out: Path) -> None:
        self.store = store
        self.out = out
        self.sums: dict[str, str] = {}  # name in images/ -> sha256
        self.written: list[Path] = []
        self.bounded = 0
        self.missing = 0
        self._done: dict[tuple[str, str], ImageRef] = {}  # (source, digest) -> the exported ref

    def export(self, record: Record) -> Record:
        images = [self._image(image) for image in record.description.images]
        kept = tuple(image for image in images if image is not None)
        description = record.description.model_copy(update={"images": kept})
        return record.model_copy(update={"description": description})

    def _image(self, image: ImageRef) -> ImageRef | None:
        if image.url is not None:
            return image  # a register's photograph by address travels as its address
        key = (image.path or "", image.sha256 or "")
        if image.data is None and key in self._done:  # the same file again: written once
            return self._done[key].model_copy(
                update={"caption": image.caption, "variants": image.variants}
            )
        data, original = kept_image(self.store, image)
        if not data:
            self.missing += 1
            return None
        digest = hashlib.sha256(data).hexdigest()
        name = f"{digest}.{_extension(data, image.path)}"
        if name not in self.sums:
            path = self.out / IMAGES / name
            write_bytes_atomically(path, data)
            self.sums[name] = digest
            self.written.append(path)
            self.bounded += not original
        exported = ImageRef(
            path=f"{IMAGES}/{name}",
            caption=image.caption,
            variants=image.variants,
            sha256=digest,
            # A bounded copy's fingerprints are its own: the import computes them.
            fingerprints=image.fingerprints if original else {},
        )
        if image.data is None:
            self._done[key] = exported
        return exported


def _extension(data: bytes, path: str | None) -> str:
    for signature, extension in _SIGNATURES:
        if data.startswith(signature):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"avif"):
        return "avif" if data[8:12] == b"avif" else "heic"
    suffix = Path(path or "").suffix.lower().lstrip(".")
    return suffix if re.fullmatch(r"[a-z0-9]{1,5}", suffix) else "img"


def _csv(records: list[Record]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        text = record.description.text_fields()
        cells = {
            **text,
            "record_id": record.record_id,
            "status": record.status.value,
            "date_of_loss": record.date_of_loss.text if record.date_of_loss else None,
            "place_of_loss": record.place_of_loss,
            "url": record.url,
            "images": "; ".join(_image_cell(image) for image in record.description.images),
        }
        writer.writerow([_cell(cells.get(column)) for column in CSV_COLUMNS])
    return buffer.getvalue()


def _image_cell(image: ImageRef) -> str:
    # The import splits a cell at `;`, `|` and newlines: in an address they are escaped.
    location = image.path or image.url or ""
    return location.replace(";", "%3B").replace("|", "%7C").replace("\n", "%0A")


def _cell(value: str | None) -> str:
    # A CSV file cannot keep a carriage return (an import reads it as a newline): written as one.
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return inert_cell(text)
