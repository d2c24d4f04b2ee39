"""Case files: everything about one object under consideration, in an append-only, hash-chained log.

A case keeps its history in the local store as entries -- the case opened, checks run (the whole
sealed report), notes, outcomes a person recorded (a certificate received, a referral answered,
with an attached file) -- each entry carrying the hash of the one before it. Entries are only ever
added; `verify_case` recomputes the chain from the stored bytes, so any later change to any entry
(or its attachment) is found, and named.

The chain alone is proof against accident, not against a determined editor: anyone can rewrite an
entry and recompute every hash after it, or delete the last entry. With a signing key
(`provcheck.reports.signing`), each entry is signed, and so is the case's head (how many entries it has,
and the last one's hash) after every entry: a rewritten and re-chained entry no longer matches its
signature, an unsigned entry after signed ones is found, and a deleted last entry leaves the
signed head counting one more entry than the store holds. What no signature can show is a whole
store put back to an earlier copy: compare the head with an exported dossier for that.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from provcheck.errors import InputError
from provcheck.model.canonical import sha256_digest
from provcheck.model.report import CheckReport
from provcheck.reports.signing import KEY_ENV, Signature, SigningKey, trusted_key_ids
from provcheck.store.sqlite import LocalStore
from provcheck.userfiles import (
    read_bounded,
    refuse_links,
    writable_folder,
    write_atomically,
    write_bytes_atomically,
)

__all__ = [
    "Attachment",
    "CaseEntry",
    "CaseExport",
    "CaseFile",
    "CaseHead",
    "CaseVerification",
    "EntryKind",
    "verify_case",
]

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
CREATE TABLE IF NOT EXISTS case_heads (case_id TEXT PRIMARY KEY, head_json TEXT NOT NULL);
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
    """One entry of a case's history; `hash` covers every other field, `previous` included, but
    the signature (made over the hash, it cannot be inside it)."""

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
    signature: Signature | None = Field(default=None, exclude_if=lambda value: value is None)

    def computed_hash(self) -> str:
        return sha256_digest(self.model_dump(mode="json", exclude={"hash", "signature"}))

    def statement(self) -> dict[str, JsonValue]:
        """What the entry's signature vouches for: the entry, and the case's head once it was
        written (this entry the last of `sequence` entries)."""
        return {
            "purpose": "provcheck-case-entry",
            "case_id": self.case_id,
            "sequence": self.sequence,
            "entry_hash": self.hash,
            "head": {"entries": self.sequence, "last_hash": self.hash},
        }


class CaseHead(BaseModel):
    """A signed case's latest state: how many entries, the last one's hash. Re-signed after each
    entry, it is what shows that entries were deleted from the end."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entries: int
    last_hash: str
    signature: Signature

    @staticmethod
    def statement(case_id: str, entries: int, last_hash: str) -> dict[str, JsonValue]:
        # A purpose of its own: an entry's signature cannot stand in for the head's.
        return {
            "purpose": "provcheck-case-head",
            "case_id": case_id,
            "entries": entries,
            "last_hash": last_hash,
        }


class CaseVerification(BaseModel):
    """Whether a case's history is as written: `broken_at` names the first entry that is not."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    entries: int
    ok: bool
    broken_at: int | None = None
    problem: str | None = None
    last_hash: str | None = None
    # Who signed the entries, as "Name (key ed25519:...)", in the order they first signed.
    signers: tuple[str, ...] = ()
    signed_entries: int = 0
    # Who signed each entry verified, in order (None: unsigned), up to the first that failed.
    signed_by: tuple[str | None, ...] = ()
    # False when what failed shows no change (an unsigned or untrusted entry under `trust`).
    changed: bool = True

    def __bool__(self) -> bool:
        return self.ok

    @property
    def signing(self) -> str:
        """Who signed which entries: "signed by X", "unsigned", or, when that is not all of
        them, "entries 5-6 signed by X; 1-4 unsigned"."""
        if not self.signers:
            return "unsigned"
        if len(self.signers) == 1 and None not in self.signed_by:
            return f"signed by {self.signers[0]}"
        parts = [
            f"{_numbers(self.signed_by, signer, noun=True)} signed by {signer}"
            for signer in self.signers
        ]
        if None in self.signed_by:
            parts.append(f"{_numbers(self.signed_by, None)} unsigned")
        return "; ".join(parts)

    @property
    def line(self) -> str:
        """The verification in one line, as `provcheck case verify` prints it."""
        if self.ok:
            return (
                f"case {self.case_id}: {self.entries} entries, history intact "
                f"({self.last_hash}); {self.signing}"
            )
        if not self.changed:  # "entry 1 is unsigned, and --trust requires ..."
            return f"case {self.case_id}: entry {self.broken_at} {(self.problem or '').removeprefix('it ')}"
        return (
            f"case {self.case_id}: entry {self.broken_at} was CHANGED after it was written: "
            f"{self.problem}"
        )


def _numbers(signed_by: tuple[str | None, ...], signer: str | None, *, noun: bool = False) -> str:
    """The entries `signer` signed, as ranges: "entries 1-4, 6" (or "1-4, 6" without the noun)."""
    numbers = [n for n, who in enumerate(signed_by, start=1) if who == signer]
    ranges: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], 0]:
        if number != previous + 1:
            ranges.append(str(start) if start == previous else f"{start}-{previous}")
            start = number
        previous = number
    text = ", ".join(ranges)
    if not noun:
        return text
    return f"entry {text}" if len(numbers) == 1 else f"entries {text}"


@dataclass(frozen=True)
class CaseExport:
    """What `CaseFile.export` wrote."""

    html: Path
    json: Path
    attachments: tuple[Path, ...]
    entries: int
    verification: CaseVerification


class CaseFile:
    """The cases kept in a local store; entries are signed with `key` when one is given."""

    def __init__(self, store: LocalStore, *, key: SigningKey | None = None) -> None:
        self.store = store
        self.key = key
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
                self._last(known)  # a case that cannot be added to is refused before its file
                digest = hashlib.sha256(data).hexdigest()
                self._db.execute(
                    "INSERT OR IGNORE INTO case_files (sha256, data) VALUES (?, ?)", (digest, data)
                )
                attachment = Attachment(name=attach.name, sha256=digest, size=len(data))
            return self._append(known, EntryKind.RECORD, _text(text), {}, attachment)

    def writable(self, case_id: str) -> None:
        """An `InputError` now if an entry could not be added to the case (unknown, its last
        entry unreadable, or signed while no key is given): said before a check is run for it."""
        self._last(self._known(case_id))

    def cases(self) -> list[tuple[str, str, str]]:
        """(id, title, opened at) of every case, oldest first."""
        rows = self._db.execute("SELECT id, title, created_at FROM cases ORDER BY created_at, id")
        return [(r[0], r[1], r[2]) for r in rows.fetchall()]

    def entries(self, case_id: str) -> list[CaseEntry]:
        """The case's entries in order; an entry that cannot be read is an `InputError` naming it."""
        rows = self._rows(self._known(case_id))
        return [_entry(case_id, sequence, text) for sequence, text in rows]

    def attachment(self, sha256: str) -> bytes | None:
        row = self._db.execute("SELECT data FROM case_files WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else bytes(row[0])

    def verify(
        self, case_id: str, *, trust: Iterable[str | os.PathLike[str]] | None = None
    ) -> CaseVerification:
        """Recompute the chain from the stored bytes, check every signature and the signed head;
        the first entry that does not hold. `trust` (key ids, public keys or key files) requires
        every entry to be signed by one of those keys."""
        trusted = trusted_key_ids(trust) if trust is not None else None
        rows = self._rows(self._known(case_id))
        previous = ""
        signers: list[str] = []
        signed_by: list[str | None] = []
        signed = 0

        def result(
            ok: bool, at: int | None = None, problem: str | None = None, changed: bool = True
        ) -> CaseVerification:
            return CaseVerification(
                case_id=case_id,
                entries=len(rows),
                ok=ok,
                broken_at=at,
                problem=problem,
                last_hash=previous if ok else None,
                signers=tuple(signers),
                signed_entries=signed,
                signed_by=tuple(signed_by),
                changed=changed,
            )

        for number, (sequence, text) in enumerate(rows, start=1):
            try:
                entry = CaseEntry.model_validate_json(text)
                computed = entry.computed_hash()
            except (ValidationError, ValueError):
                return result(False, sequence, "it is no longer a readable entry")
            if sequence != number or entry.sequence != number or entry.case_id != case_id:
                return result(
                    False, sequence, "entries are missing, reordered or moved between cases"
                )
            if entry.previous != previous:
                return result(False, sequence, "it does not follow the entry before it")
            if computed != entry.hash:
                return result(False, sequence, "its content differs from what was written")
            if entry.attachment is not None:
                data = self.attachment(entry.attachment.sha256)
                if data is None:
                    problem = (
                        f"its attached file {entry.attachment.name!r} is missing from the store"
                    )
                    return result(False, sequence, problem)
                if hashlib.sha256(data).hexdigest() != entry.attachment.sha256:
                    problem = f"its attached file {entry.attachment.name!r} was changed"
                    return result(False, sequence, problem)
            unsigned = _signature_problem(entry.signature, entry.statement(), trusted, signed > 0)
            if unsigned is not None:
                return result(False, sequence, *unsigned)
            signed_by.append(None if entry.signature is None else entry.signature.described)
            if entry.signature is not None:
                signed += 1
                if entry.signature.described not in signers:
                    signers.append(entry.signature.described)
            previous = entry.hash
        head = self._head_problem(case_id, len(rows), previous, trusted, signed > 0)
        if head is not None:
            return result(False, *head)
        return result(True)

    def export(self, case_id: str, out: Path) -> CaseExport:
        """Write the case's dossier into the folder `out`: `case-<id>.html` (one page of
        everything), `case-<id>.json` (the entries as stored, verifiable) and the attached files
        in `attachments/<id>/`.

        Two attachments of the same name are both kept, under unique names the dossier gives.
        Nothing is written if the folder cannot be, an entry or an attached file cannot be read,
        or a link is on the way to any file it writes; each file is written whole or not at all.
        """
        writable_folder(out, "")
        known = self._known(case_id)
        if _file_name(known) != known or known.startswith("."):
            raise InputError(f"case {known!r}: not a name a folder can have; nothing was written")
        title = next((t for c, t, _ in self.cases() if c == known), known)
        entries = self.entries(known)
        verification = self.verify(known)
        exported: dict[tuple[str, str], str] = {}  # (name, sha256) -> file name in its folder
        used: set[str] = set()
        files: list[tuple[CaseEntry, str, bytes]] = []
        for entry in entries:
            if entry.kind is EntryKind.CHECK:
                _report_of(entry)  # the page shows it in full: it must be readable
            if entry.attachment is None:
                continue
            data = self.attachment(entry.attachment.sha256)
            if data is None:
                raise InputError(
                    f"case {known}: entry {entry.sequence}: its attached file "
                    f"{entry.attachment.name!r} is missing from the store; nothing was written"
                )
            same = (entry.attachment.name, entry.attachment.sha256)
            if same not in exported:
                exported[same] = _unique(_file_name(entry.attachment.name), used)
            files.append((entry, exported[same], data))
        # Each case's files in a folder of its own: two cases exported into one folder never
        # replace each other's attachments (each page links its own).
        folder = f"attachments/{known}"
        from provcheck.reports.html import (  # the page's module needs this one
            local_copies,
            render_case,
        )

        page = render_case(
            known,
            title,
            entries,
            verification,
            images=local_copies(self.store.path),
            attachments={e.sequence: f"{folder}/{name}" for e, name, _ in files},
        )
        dossier = {
            "case_id": known,
            "title": title,
            "verification": verification.model_dump(mode="json"),
            "entries": [entry.model_dump(mode="json") for entry in entries],
            "attachments": [
                {
                    "entry": e.sequence,
                    "name": e.attachment.name,
                    "sha256": e.attachment.sha256,
                    "size": e.attachment.size,
                    "file": f"{folder}/{name}",
                }
                for e, name, _ in files
                if e.attachment is not None
            ],
        }
        stem = out / f"case-{known}"
        targets = {out / folder / name: data for _, name, data in files}
        refuse_links(
            out,
            [*targets, Path(f"{stem}.json"), Path(f"{stem}.html")],
            writer="a dossier",
            instead="give another folder",
        )
        for target, data in targets.items():  # each file whole or not at all
            write_bytes_atomically(target, data)
        write_atomically(
            Path(f"{stem}.json"), json.dumps(dossier, indent=2, ensure_ascii=False) + "\n"
        )
        write_atomically(Path(f"{stem}.html"), page)
        return CaseExport(
            html=Path(f"{stem}.html"),
            json=Path(f"{stem}.json"),
            attachments=tuple(targets),
            entries=len(entries),
            verification=verification,
        )

    def _head(self, case_id: str) -> str | None:
        row = self._db.execute(
            "SELECT head_json FROM case_heads WHERE case_id = ?", (case_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def _head_problem(
        self,
        case_id: str,
        entries: int,
        last_hash: str,
        trusted: frozenset[str] | None,
        signed: bool,
    ) -> tuple[int, str] | None:
        """(entry, problem) when the signed head does not hold, or is missing from a signed case."""
        text = self._head(case_id)
        if text is None:
            if signed:
                return entries, "the case's signed head is missing: entries may have been deleted"
            return None
        try:
            head = CaseHead.model_validate_json(text)
        except ValidationError:
            return entries, "the case's signed head is no longer readable"
        statement = CaseHead.statement(case_id, head.entries, head.last_hash)
        problem = _signature_problem(head.signature, statement, trusted, False)
        if problem is not None:
            return entries, f"the case's head: {problem[0]}"
        if head.entries > entries:
            return entries + 1, (
                f"it is missing: the case's signed head counts {head.entries} entries, the store "
                f"holds {entries} (entries were deleted from its end)"
            )
        if head.entries < entries:
            return head.entries + 1, (
                f"it was added after the case's signed head (which counts {head.entries} entries)"
            )
        if head.last_hash != last_hash:
            return entries, "it is not the last entry the case's signed head names"
        return None

    def _rows(self, case_id: str) -> list[tuple[int, str]]:
        rows = self._db.execute(
            "SELECT sequence, entry_json FROM case_entries WHERE case_id = ? ORDER BY sequence",
            (case_id,),
        ).fetchall()
        found = []
        for sequence, text in rows:
            if not isinstance(sequence, int):
                raise InputError(
                    f"case {case_id}: an entry numbered {str(sequence)[:20]!r} is not an entry as "
                    "provcheck writes them: the store was changed outside provcheck"
                )
            found.append((sequence, text if isinstance(text, str) else repr(text)))
        return found

    def _known(self, case_id: str) -> str:
        if self._db.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is None:
            known = ", ".join(c[0] for c in self.cases()[-5:]) or "none yet"
            raise InputError(
                f"no case {case_id!r} in {self.store.path}: there is no such case (latest: "
                f"{known}); `provcheck case list` shows them, `provcheck case new TITLE` opens one"
            )
        return case_id

    def _last(self, case_id: str) -> CaseEntry | None:
        """The case's last entry; an `InputError` if it cannot be read or (signed) added to."""
        last = self._db.execute(
            "SELECT sequence, entry_json FROM case_entries WHERE case_id = ?"
            " ORDER BY sequence DESC LIMIT 1",
            (case_id,),
        ).fetchone()
        entry = None if last is None else _entry(case_id, last[0], last[1])
        signed = self._head(case_id) is not None or (
            entry is not None and entry.signature is not None
        )
        if self.key is None and signed:
            raise InputError(
                f"case {case_id} is signed: an unsigned entry would break its history; set "
                f"{KEY_ENV} to the organisation's signing key file to add to it"
            )
        return entry

    def _append(
        self,
        case_id: str,
        kind: EntryKind,
        text: str | None,
        data: dict[str, JsonValue],
        attachment: Attachment | None = None,
    ) -> CaseEntry:
        last = self._last(case_id)
        entry = CaseEntry(
            case_id=case_id,
            sequence=last.sequence + 1 if last else 1,
            kind=kind,
            at=datetime.now(UTC),
            text=text,
            data=data,
            attachment=attachment,
            previous=last.hash if last else "",
        )
        entry = entry.model_copy(update={"hash": entry.computed_hash()})
        if self.key is not None:
            entry = entry.model_copy(update={"signature": self.key.sign(entry.statement())})
            statement = CaseHead.statement(case_id, entry.sequence, entry.hash)
            head = CaseHead(
                entries=entry.sequence, last_hash=entry.hash, signature=self.key.sign(statement)
            )
            self._db.execute(
                "INSERT OR REPLACE INTO case_heads (case_id, head_json) VALUES (?, ?)",
                (case_id, head.model_dump_json()),
            )
        self._db.execute(
            "INSERT INTO case_entries (case_id, sequence, entry_json) VALUES (?, ?, ?)",
            (case_id, entry.sequence, entry.model_dump_json()),
        )
        return entry


def verify_case(
    store: LocalStore, case_id: str, *, trust: Iterable[str | os.PathLike[str]] | None = None
) -> CaseVerification:
    return CaseFile(store).verify(case_id, trust=trust)


def _entry(case_id: str, sequence: object, text: object) -> CaseEntry:
    try:
        return CaseEntry.model_validate_json(text if isinstance(text, str | bytes) else "")
    except ValidationError:
        raise InputError(
            f"case {case_id}: entry {sequence} cannot be read (it is not an entry as provcheck "
            f"writes them: the store was changed outside provcheck); `provcheck case verify "
            f"{case_id}` checks the whole history"
        ) from None


def _report_of(entry: CaseEntry) -> CheckReport | None:
    report = entry.data.get("report")
    if not isinstance(report, dict):
        return None
    try:
        return CheckReport.model_validate(report)
    except ValidationError:
        raise InputError(
            f"case {entry.case_id}: entry {entry.sequence}: its report cannot be read "
            "(the store was changed outside provcheck)"
        ) from None


def _signature_problem(
    signature: Signature | None,
    statement: dict[str, JsonValue],
    trusted: frozenset[str] | None,
    earlier_signed: bool,
) -> tuple[str, bool] | None:
    """(problem, whether it shows a change) when the signature does not hold. Unsigned entries
    made before any key existed, or a key not among `trusted`, show no change: only that the
    entry is not vouched for as required ("it is ...", so that a line can say "entry 1 is ...")."""
    if signature is None:
        if earlier_signed:
            return (
                "it is unsigned, though the entries before it are signed: it was rewritten or "
                "added without the signing key"
            ), True
        if trusted is not None:
            return "it is unsigned, and --trust requires every entry signed by a trusted key", False
        return None
    if not signature.verifies(statement):
        return (
            f"its signature (by {signature.described}) does not match: it was changed after it "
            "was signed"
        ), True
    if trusted is not None and signature.key_id not in trusted:
        problem = f"it is signed by an unknown key: {signature.described} is not a trusted key"
        return problem, False
    return None


def _file_name(name: str) -> str:
    """The last part of a stored attachment name, or "attachment" when that is no file name."""
    base = Path(name.replace("\\", "/")).name
    return base if base not in ("", ".", "..") and "\x00" not in base else "attachment"


def _unique(name: str, used: set[str]) -> str:
    """`name`, or `stem-2.ext`, `stem-3.ext`...: unique even on a folder that ignores case."""
    stem, suffix = os.path.splitext(name)
    candidate, number = name, 2
    while candidate.casefold() in used:
        candidate, number = f"{stem}-{number}{suffix}", number + 1
    used.add(candidate.casefold())
    return candidate


def _text(text: str) -> str:
    if not text.strip():
        raise InputError("the entry says nothing: give its text")
    return text.strip()


def _read_attachment(path: Path) -> bytes:
    # Bounded by what is read, not by what stat says (/dev/zero says 0); not a regular file
    # (a device, a FIFO) is refused before a byte is read.
    try:
        return read_bounded(path, MAX_ATTACHMENT_BYTES, what="attachment")
    except InputError as error:
        raise InputError(f"--attach {error}") from None
