"""Case files: everything about one object under consideration, in an append-only, hash-chained log.

A case keeps its history in the local store as entries -- the case opened, checks run (the whole
sealed report), notes, outcomes a person recorded (a certificate received, a referral answered,
with an attached file) -- each entry carrying the hash of the one before it. Entries are only ever
added; `verify_case` recomputes the chain from the stored bytes, so any later change to any entry
(or its attachment) is found, and named.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from provcheck.canonical import sha256_digest
from provcheck.errors import InputError
from provcheck.report import CheckReport
from provcheck.store import LocalStore

__all__ = ["Attachment", "CaseEntry", "CaseFile", "CaseVerification", "EntryKind", "verify_case"]

MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS case_entries (
    case_id TEXT NOT NULL REFERENCES cases(id),
    sequence INTEGER NOT NULL,
    entry_json TEXT NOT NULL,
    PRIMARY KEY (case_id, sequence)
);
CREATE TABLE IF NOT EXISTS case_files (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL);
"""


class EntryKind(StrEnum):
    OPENED = "opened"
    CHECK = "check"  # a check run: the sealed report, whole
    NOTE = "note"
    RECORD = "record"  # an outcome a person records: a certificate received, a referral answered


class Attachment(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    sha256: str
    size: int


class CaseEntry(BaseModel):
    """One entry of a case's history; `hash` covers every other field, `previous` included."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    sequence: int
    kind: EntryKind
    at: datetime
    text: str | None = None
    data: dict[str, JsonValue] = {}
    attachment: Attachment | None = None
    previous: str
    hash: str = ""

    def computed_hash(self) -> str:
        return sha256_digest(self.model_dump(mode="json", exclude={"hash"}))


class CaseVerification(BaseModel):
    """Whether a case's history is as written: `broken_at` names the first entry that is not."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    entries: int
    ok: bool
    broken_at: int | None = None
    problem: str | None = None
    last_hash: str | None = None

    def __bool__(self) -> bool:
        return self.ok


class CaseFile:
    """The cases kept in a local store."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self._db: sqlite3.Connection = store.connection
        self._db.executescript(_SCHEMA)

    def new(self, title: str, *, description: str | None = None) -> CaseEntry:
        """Open a case about one object; its first entry."""
        if not title.strip():
            raise InputError("a case needs a title: what object it is about")
        now = datetime.now(UTC)
        case_id = f"C-{now:%Y%m%d}-{uuid.uuid4().hex[:6]}"
        with self.store.transaction():
            self._db.execute(
                "INSERT INTO cases (id, title, created_at) VALUES (?, ?, ?)",
                (case_id, title.strip(), now.isoformat()),
            )
            return self._append(
                case_id, EntryKind.OPENED, title.strip(), {"description": description}
            )

    def add_check(self, case_id: str, report: CheckReport) -> CaseEntry:
        summary = f"check {report.report_id}: {report.conclusion.value}"
        data: dict[str, JsonValue] = {"report": report.model_dump(mode="json")}
        with self.store.transaction():
            return self._append(self._known(case_id), EntryKind.CHECK, summary, data)

    def add_note(self, case_id: str, text: str) -> CaseEntry:
        with self.store.transaction():
            return self._append(self._known(case_id), EntryKind.NOTE, _text(text), {})

    def add_record(self, case_id: str, text: str, *, attach: Path | None = None) -> CaseEntry:
        """What a person records: "certificate S00123 received 2026-12-01", a file attached."""
        attachment = None
        with self.store.transaction():
            known = self._known(case_id)
            if attach is not None:
                data = _read_attachment(attach)
                digest = hashlib.sha256(data).hexdigest()
                self._db.execute(
                    "INSERT OR IGNORE INTO case_files (sha256, data) VALUES (?, ?)", (digest, data)
                )
                attachment = Attachment(name=attach.name, sha256=digest, size=len(data))
            return self._append(known, EntryKind.RECORD, _text(text), {}, attachment)

    def cases(self) -> list[tuple[str, str, str]]:
        """(id, title, opened at) of every case, oldest first."""
        rows = self._db.execute("SELECT id, title, created_at FROM cases ORDER BY created_at, id")
        return [(r[0], r[1], r[2]) for r in rows.fetchall()]

    def entries(self, case_id: str) -> list[CaseEntry]:
        rows = self._rows(self._known(case_id))
        return [CaseEntry.model_validate_json(text) for _, text in rows]

    def attachment(self, sha256: str) -> bytes | None:
        row = self._db.execute("SELECT data FROM case_files WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else bytes(row[0])

    def verify(self, case_id: str) -> CaseVerification:
        """Recompute the chain from the stored bytes; the first entry that does not hold."""
        rows = self._rows(self._known(case_id))
        previous = ""
        for number, (sequence, text) in enumerate(rows, start=1):

            def broken(problem: str, at: int = sequence) -> CaseVerification:
                return CaseVerification(
                    case_id=case_id, entries=len(rows), ok=False, broken_at=at, problem=problem
                )

            try:
                entry = CaseEntry.model_validate_json(text)
            except ValidationError:
                return broken("it is no longer a readable entry")
            if sequence != number or entry.sequence != number or entry.case_id != case_id:
                return broken("entries are missing, reordered or moved between cases")
            if entry.previous != previous:
                return broken("it does not follow the entry before it")
            if entry.computed_hash() != entry.hash:
                return broken("its content differs from what was written")
            if entry.attachment is not None:
                data = self.attachment(entry.attachment.sha256)
                if data is None or hashlib.sha256(data).hexdigest() != entry.attachment.sha256:
                    return broken(f"its attached file {entry.attachment.name!r} was changed")
            previous = entry.hash
        return CaseVerification(case_id=case_id, entries=len(rows), ok=True, last_hash=previous)

    def _rows(self, case_id: str) -> list[tuple[int, str]]:
        rows = self._db.execute(
            "SELECT sequence, entry_json FROM case_entries WHERE case_id = ? ORDER BY sequence",
            (case_id,),
        ).fetchall()
        return [(int(r[0]), str(r[1])) for r in rows]

    def _known(self, case_id: str) -> str:
        if self._db.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is None:
            known = ", ".join(c[0] for c in self.cases()[-5:]) or "none yet"
            raise InputError(
                f"no case {case_id!r} in {self.store.path} (latest: {known}); "
                "open one with `provcheck case new TITLE`"
            )
        return case_id

    def _append(
        self,
        case_id: str,
        kind: EntryKind,
        text: str | None,
        data: dict[str, JsonValue],
        attachment: Attachment | None = None,
    ) -> CaseEntry:
        last = self._db.execute(
            "SELECT sequence, entry_json FROM case_entries WHERE case_id = ?"
            " ORDER BY sequence DESC LIMIT 1",
            (case_id,),
        ).fetchone()
        previous = json.loads(last[1])["hash"] if last else ""
        entry = CaseEntry(
            case_id=case_id,
            sequence=(int(last[0]) + 1) if last else 1,
            kind=kind,
            at=datetime.now(UTC),
            text=text,
            data=data,
            attachment=attachment,
            previous=previous,
        )
        entry = entry.model_copy(update={"hash": entry.computed_hash()})
        self._db.execute(
            "INSERT INTO case_entries (case_id, sequence, entry_json) VALUES (?, ?, ?)",
            (case_id, entry.sequence, entry.model_dump_json()),
        )
        return entry


def verify_case(store: LocalStore, case_id: str) -> CaseVerification:
    return CaseFile(store).verify(case_id)


def _text(text: str) -> str:
    if not text.strip():
        raise InputError("the entry says nothing: give its text")
    return text.strip()


def _read_attachment(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            raise InputError(
                f"{path}: {size:,} bytes; an attachment may be {MAX_ATTACHMENT_BYTES:,}"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"--attach {path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"--attach {path}: is a folder, not a file") from None
    except OSError as error:
        raise InputError(f"--attach {path}: cannot read it ({error.strerror})") from None
