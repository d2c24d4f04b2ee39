"""Checking a whole catalogue: every object against the registers, a report each, one summary.

A catalogue is a CSV file (a header of Object ID fields, or their common names: artist, date,
medium, dimensions, photo, lot, ...) or a JSON Lines file (one object per line). Photographs are
paths relative to the catalogue, or URLs, several separated by `;`. Each object's key is its `id`
column when it has one (kept as written, in the journal and the summary), else the digest of its
description. Its report's file name is made from the key but safe, bounded and unique: a key that
is not a short plain name gets a digest of itself appended (`reports/lot-12-3f9a...json`).

Objects are checked a few at a time against registers opened once; each finished object's
report is written, then a line appended to the journal (`journal.jsonl`). A batch run again --
after an interruption, or simply twice -- skips every object the journal names, so no finished
search is repeated (a paid one above all). The summary (CSV and HTML) lists the objects by
concern: possible matches first, best score first, then the incomplete, then the rest.

One batch writes to a folder at a time: a run holds a lock on `DIR/batch.lock`, and a second run
into the same folder stops at once, before checking anything. Nothing is written through a
symbolic link placed in the folder (the journal, the reports, the summaries, the lock): such a link
stops the run with one line. The CSV summary is safe to open in a spreadsheet: a cell that would
start a formula (`=`, `+`, `-`, `@`, a tab, a carriage return) is prefixed with `'`, as OWASP
recommends, and every cell is quoted.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from provcheck.engine import acheck
from provcheck.errors import ConfigurationError, InputError, ProvcheckError, first_problem
from provcheck.model.description import ObjectDescription
from provcheck.model.report import CheckReport, Conclusion
from provcheck.registers.discovery import open_registry
from provcheck.registers.registry import Registry
from provcheck.reports.html import render_batch_summary
from provcheck.store.file_locks import LockTaken, held_file_lock
from provcheck.store.importing import ImportProblem, json_lines, read_csv, without_controls
from provcheck.userfiles import inert_cell, load_json, read_text, refuse_links, write_atomically

__all__ = [
    "BatchItem",
    "BatchSummary",
    "open_registries",
    "read_catalogue",
    "report_name",
    "run_batch",
]

# Column names people use, as the Object ID fields they mean.
COLUMN_NAMES = {
    "id": "id", "lot": "id", "ref": "id", "reference": "id", "object_id": "id",
    "title": "title", "name": "title",
    "maker": "maker", "artist": "maker", "author": "maker", "maker/artist": "maker",
    "object_type": "object_type", "type": "object_type", "category": "object_type",
    "materials": "materials", "medium": "materials", "material": "materials",
    "measurements": "measurements", "dimensions": "measurements", "size": "measurements",
    "period": "period", "date": "period", "dated": "period", "time period": "period",
    "inscriptions": "inscriptions", "marks": "inscriptions", "signature": "inscriptions",
    "subject": "subject", "description": "description", "notes": "description",
    "distinguishing_features": "distinguishing_features", "features": "distinguishing_features",
    "inventory_number": "inventory_number", "inventory": "inventory_number",
    "provenance": "provenance", "place_of_origin": "place_of_origin",
    "images": "images", "image": "images", "photo": "images", "photos": "images",
    "photograph": "images", "photographs": "images",
}  # fmt: skip
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# A key used as its report's file name as it is: short, lower-case (folders that ignore case),
# and not ending like a name made from a digest (so the two kinds never meet).
_PLAIN_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_DIGEST_END = re.compile(r"-[0-9a-f]{16}$")
LOCK_NAME = "batch.lock"
_CONCERN = {Conclusion.POSSIBLE_MATCH: 0, Conclusion.INCOMPLETE: 1, Conclusion.NO_MATCH_FOUND: 2}


@dataclass(frozen=True)
class BatchItem:
    """One object of a catalogue: where it is, its key, and its description."""

    key: str
    line: int
    query: ObjectDescription


@dataclass
class BatchSummary:
    """What a batch run did."""

    objects: int = 0
    checked: int = 0
    skipped_finished: int = 0
    by_conclusion: dict[str, int] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)
    # Objects whose check could not be made (key -> why): not journaled, so a run again retries
    # them; one object's trouble never stops the others.
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def conclusion(self) -> Conclusion:
        """The batch's, as one: a possible match if any object's is one; else incomplete if any
        object could not be checked or its check is incomplete; else no match found."""
        if self.by_conclusion.get(Conclusion.POSSIBLE_MATCH.value):
            return Conclusion.POSSIBLE_MATCH
        if self.failed or self.by_conclusion.get(Conclusion.INCOMPLETE.value):
            return Conclusion.INCOMPLETE
        return Conclusion.NO_MATCH_FOUND


def read_catalogue(
    path: Path, *, files: bool = True
) -> tuple[list[BatchItem], list[ImportProblem]]:
    """The catalogue's objects, and its rows that are not objects (where, and what is wrong).

    `files=False` (a catalogue sent to the service) takes photographs by http(s) address only:
    a path would name a file of the machine reading the catalogue, not of its sender's."""
    text = read_text(path, what="catalogue")
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[ImportProblem] = []
    if path.suffix.lower() == ".csv":
        header, found = read_csv(path, text)
        unknown = [c for c in header if c.strip().lower() not in COLUMN_NAMES]
        if unknown:
            raise InputError(
                f"{path}:1: column {unknown[0]!r} is not an Object ID field; name columns "
                f"title, maker, period, measurements, materials, images, id, ... (see --help)"
            )
        # Two names of one field ("artist" and "maker"): a row would keep only one of the values.
        field_of: dict[str, str] = {}
        for column in header:
            name = COLUMN_NAMES[column.strip().lower()]
            if name in field_of:
                raise InputError(
                    f"{path}:1: columns {field_of[name]!r} and {column!r} both give the "
                    f"{name.replace('_', ' ')}; keep one"
                )
            field_of[name] = column
        for number, row in found:
            if None in row:  # more fields than the header names
                problems.append(
                    ImportProblem(
                        str(path), number, None, "the row has more fields than the header"
                    )
                )
                continue
            rows.append((number, {COLUMN_NAMES[k.strip().lower()]: v for k, v in row.items()}))
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        for number, line in json_lines(text):
            try:
                data = without_controls(load_json(line, source=str(path), line_offset=number - 1))
            except InputError as error:
                problems.append(
                    ImportProblem(str(path), number, None, str(error).split(": ", 2)[-1])
                )
                continue
            if isinstance(data, dict):
                rows.append((number, data))
            else:
                problems.append(ImportProblem(str(path), number, None, "expected a JSON object"))
    else:
        raise InputError(f"{path}: a catalogue is a .csv or a .jsonl file")
    if not rows and not problems:  # else "Checked 0 of 0 objects" would read as no match found
        raise InputError(f"{path}: no objects in the catalogue")
    items: list[BatchItem] = []
    lines: dict[str, int] = {}
    for number, row in rows:
        item = _item(path, number, row, files=files)
        if isinstance(item, ImportProblem):
            problems.append(item)
        elif item.key in lines:  # one key, one report: a second row would overwrite the first's
            problems.append(
                ImportProblem(
                    str(path), number, "id", f"{item.key!r} is line {lines[item.key]}'s too"
                )
            )
        else:
            lines[item.key] = number
            items.append(item)
    return items, problems


def _item(
    path: Path, number: int, row: dict[str, Any], *, files: bool
) -> BatchItem | ImportProblem:
    data = {k: v for k, v in row.items() if v not in (None, "")}
    key = str(data.pop("id", "") or "").strip()
    images = data.pop("images", None)
    if isinstance(images, str):
        images = [part.strip() for part in images.split(";") if part.strip()]
    photographs = []
    for image in images or []:
        by_address = isinstance(image, str) and image.startswith(("http://", "https://"))
        named_file = isinstance(image, str) or (isinstance(image, dict) and "path" in image)
        if not files and not by_address and named_file:
            return ImportProblem(
                str(path),
                number,
                "images",
                f"{str(image)[:80]}: give photographs by http(s) address; a catalogue sent to "
                "the service cannot name a file",
            )
        if isinstance(image, str) and not image.startswith(("http://", "https://")):
            local = Path(image) if Path(image).is_absolute() else path.parent / image
            if not local.is_file():
                return ImportProblem(str(path), number, "images", f"{image}: no such file")
            image = str(local)
        photographs.append(image)
    try:
        query = ObjectDescription.model_validate({**data, "images": photographs})
    except ValidationError as error:
        where, problem = first_problem(error)
        return ImportProblem(str(path), number, where, problem)
    if query.is_empty:
        return ImportProblem(str(path), number, None, "describes nothing")
    return BatchItem(key or query.digest().removeprefix("sha256:")[:16], number, query)


def report_name(key: str) -> str:
    """The file name of an object's report: the key itself when it is a short plain name, else a
    readable part of it and a digest of the whole key (bounded, and unique to the key)."""
    if _PLAIN_KEY.fullmatch(key) and not _DIGEST_END.search(key):
        return f"{key}.json"
    readable = _UNSAFE.sub("-", key).strip("-.")[:48].rstrip("-.") or "object"
    return f"{readable}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def _refuse_link(path: Path, *, folder: bool = False) -> None:
    """No link where the batch writes `path` (a file, or a `folder`)."""
    refuse_links(
        path.parent,
        [] if folder else [path],
        folders=[path] if folder else [],
        writer="a batch",
        instead="choose another --out",
    )


@contextmanager
def _folder_lock(out: Path) -> Iterator[None]:
    """Hold the folder's lock for the run, or stop at once: two batches writing into one folder
    would each check every object (and pay twice for a paid search)."""
    lock = out / LOCK_NAME
    _refuse_link(lock)
    with ExitStack() as held:
        try:
            held.enter_context(held_file_lock(lock))
        except LockTaken as taken:
            raise InputError(
                f"another batch is writing to {out} (pid {taken.holder}); wait for it or choose "
                "another --out"
            ) from None
        except OSError as error:
            raise InputError(f"{lock}: cannot open the batch's lock: {error.strerror}") from None
        yield


def _append_line(path: Path, line: str) -> None:
    """Append one line to the journal, never through a symbolic link put in its place."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags, 0o644)
    except OSError as error:
        _refuse_link(path)  # O_NOFOLLOW's ELOOP, said plainly
        raise InputError(f"{path}: cannot write the journal: {error.strerror}") from None
    with os.fdopen(descriptor, "a", encoding="utf-8") as file:
        file.write(line)


def _write_file(path: Path, text: str) -> None:
    _refuse_link(path)
    write_atomically(path, text)


def _finished(journal: Path) -> dict[str, dict[str, Any]]:
    _refuse_link(journal)
    if not journal.is_file():
        return {}
    finished = {}
    for line in journal.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by an interruption: that object is checked again
        if isinstance(entry, dict) and "key" in entry:
            finished[str(entry["key"])] = entry
    return finished


def open_registries(
    names: Sequence[str], *, store: str | Path | None = None
) -> list[Registry | str]:
    """The registers for `run_batch`, each opened once so that its throttling and concurrency
    limits hold across the batch; `store` is the `local` register's store. A register that
    cannot be opened (its settings incomplete) stays a name: each check reports it as failed,
    with the reason. Close the opened ones (`aclose`) when the batch is done."""
    registries: list[Registry | str] = []
    for name in names:
        settings = {"path": str(store)} if name == "local" and store else {}
        try:
            registries.append(open_registry(name, **settings))
        except ConfigurationError:
            registries.append(name)
    return registries


async def run_batch(
    items: Sequence[BatchItem],
    registries: Sequence[Registry | str],
    out: Path,
    *,
    concurrency: int = 4,
    limit: int = 20,
    timeout: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    sign: Callable[[CheckReport], CheckReport] | None = None,
) -> BatchSummary:
    """Check every object not yet in `out`'s journal; write reports, the journal, the summary.

    `registries` are opened instances, shared by every check (so one register's throttling and
    concurrency limits hold across the batch), or names (opened for each check). `sign` (e.g.
    `lambda r: sign_report(r, key)`) is applied to each report as it is made, before it is
    written: never to a report read back from the folder, which anyone could have edited.
    """
    out.mkdir(parents=True, exist_ok=True)
    with _folder_lock(out):
        return await _run_batch(
            items,
            registries,
            out,
            concurrency=concurrency,
            limit=limit,
            timeout=timeout,
            progress=progress,
            sign=sign,
        )


async def _run_batch(
    items: Sequence[BatchItem],
    registries: Sequence[Registry | str],
    out: Path,
    *,
    concurrency: int,
    limit: int,
    timeout: float | None,
    progress: Callable[[int, int], None] | None,
    sign: Callable[[CheckReport], CheckReport] | None = None,
) -> BatchSummary:
    reports = out / "reports"
    _refuse_link(reports, folder=True)
    reports.mkdir(exist_ok=True)
    journal = out / "journal.jsonl"
    finished = _finished(journal)
    summary = BatchSummary(objects=len(items))
    todo = [item for item in items if item.key not in finished]
    # Every file the run will write, before any object is checked: a link stops it here.
    for path in [out / "summary.csv", out / "summary.html"] + [
        reports / report_name(item.key) for item in todo
    ]:
        _refuse_link(path)
    summary.skipped_finished = len(items) - len(todo)
    slots = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def one(item: BatchItem) -> None:
        nonlocal done
        try:
            async with slots:
                report = await acheck(item.query, list(registries), limit=limit, timeout=timeout)
            if sign is not None:
                report = sign(report)
        except ProvcheckError as error:
            summary.failed[item.key] = str(error)
            return
        except Exception as error:  # a bug: said as one, for this object alone
            summary.failed[item.key] = (
                f"internal error (a bug in provcheck): {type(error).__name__}: {error}"
            )
            return
        target = reports / report_name(item.key)
        _write_file(target, report.to_json() + "\n")
        entry = _journal_entry(item, report, target.relative_to(out))
        # After the report: never a journal line without its report.
        _append_line(journal, json.dumps(entry, ensure_ascii=False) + "\n")
        finished[item.key] = entry
        summary.checked += 1
        done += 1
        if progress is not None:
            progress(done + summary.skipped_finished, len(items))

    await asyncio.gather(*(one(item) for item in todo))
    entries = [finished[item.key] for item in items if item.key in finished]
    for entry in entries:
        summary.by_conclusion[entry["conclusion"]] = (
            summary.by_conclusion.get(entry["conclusion"], 0) + 1
        )
    _write_summary(out, entries)
    return summary


def _journal_entry(item: BatchItem, report: CheckReport, path: Path) -> dict[str, Any]:
    best = report.candidates[0] if report.candidates else None
    return {
        "key": item.key,
        "line": item.line,
        "object": item.query.summary(),
        "conclusion": report.conclusion.value,
        "best": best.record.key if best else None,
        "best_title": best.record.description.summary() if best else None,
        "score": round(best.score, 3) if best else None,
        "registers": {o.registry: o.state.value for o in report.outcomes},
        "report": str(path),
        "digest": report.digest,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _write_summary(out: Path, entries: list[dict[str, Any]]) -> None:
    ordered = sorted(
        entries,
        key=lambda e: (
            _CONCERN.get(Conclusion(e["conclusion"]), 3),
            -(e["score"] or 0.0),
            e["line"],
        ),
    )
    columns = [
        "key",
        "line",
        "object",
        "conclusion",
        "best",
        "best_title",
        "score",
        "registers",
        "report",
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    for entry in ordered:
        registers = "; ".join(f"{k} {v}" for k, v in entry["registers"].items())
        row = [registers if c == "registers" else entry.get(c) for c in columns]
        writer.writerow([inert_cell(value) for value in row])
    _write_file(out / "summary.csv", buffer.getvalue())
    _write_file(out / "summary.html", render_batch_summary(ordered))
