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
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from pydantic import JsonValue, ValidationError

from provcheck.errors import InputError
from provcheck.model.case import Attachment, CaseEntry, CaseHead, CaseVerification, EntryKind
from provcheck.model.outcome import OutcomeState, RegistryOutcome, SearchedOutcome
from provcheck.model.report import CheckReport, Conclusion, Limitation, conclude
from provcheck.reports.html import render_case
from provcheck.reports.signing import (
    KEY_ENV,
    Signature,
    SigningKey,
    sign_report,
    trusted_key_ids,
    verify_report,
)
from provcheck.store.interface import Store
from provcheck.store.local_register import LocalSettings, store_copies
from provcheck.store.opening import a_folder_for_a_store, open_store, store_exists
from provcheck.userfiles import (
    read_bounded,
    refuse_links,
    writable_folder,
    write_atomically,
    write_bytes_atomically,
)

__all__ = [
    "MATCH_NAMED_BY_A_PERSON",
    "Attachment",
    "CaseEntry",
    "CaseExport",
    "CaseFile",
    "CaseHead",
    "CaseVerification",
    "EntryKind",
    "referral_answered",
    "verify_case",
]

MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
# A note, a record or a register's answer as typed; what is longer is a file to attach.
MAX_ENTRY_CHARS = 20_000

# The limitation a referral answered "found" leaves on the check: the register named a possible
# match that no record in the report shows.
MATCH_NAMED_BY_A_PERSON = "match-named-by-a-person"


@dataclass(frozen=True)
class CaseExport:
    """What `CaseFile.export` wrote."""

    html: Path
    json: Path
    attachments: tuple[Path, ...]
    entries: int
    verification: CaseVerification


class CaseFile:
    """The cases kept in a local store; entries are signed with `key` when one is given.

    Used as a context manager (`with CaseFile.open(path) as cases:`), it closes its store on
    leaving.
    """

    def __init__(self, store: Store, *, key: SigningKey | None = None) -> None:
        self.store = store
        self.key = key

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        create: bool = False,
        key: SigningKey | None = None,
    ) -> Self:
        """The cases in the store at `path` (a file's path or a database's URL; default: the
        store the `local` register's settings name). Only `create=True` (opening a case) makes a
        store where there is none: reading cases, or adding to one, needs a store that has them."""
        location = path if path is not None else LocalSettings.load("local").store_location()
        if not create and not store_exists(location):
            raise InputError(
                a_folder_for_a_store(location)
                or f"there is no local store at {location}, so no cases yet; open one with "
                "`provcheck case new TITLE` (or give --store PATH)"
            )
        return cls(open_store(location), key=key)

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def new(
        self, title: str, *, description: str | None = None, by: str | None = None
    ) -> CaseEntry:
        """Open a case about one object; its first entry. `by`, here and below: who wrote the
        entry (the service names the API key's holder), kept in the entry's data."""
        now = datetime.now(UTC)
        with self.store.transaction():
            return self.open_within(
                f"C-{now:%Y%m%d}-{uuid.uuid4().hex[:6]}",
                title,
                _written_by({"description": description}, by),
            )

    def open_within(self, case_id: str, title: str, data: dict[str, JsonValue]) -> CaseEntry:
        """Open a case of a given id (a record's own case, say) inside a transaction the caller
        holds, so that the case and what it records are kept together or not at all."""
        if not title.strip():
            raise InputError("a case needs a title: what object it is about")
        if self.store.has_case(case_id):
            raise InputError(f"case {case_id} is open already in {self.store.location}")
        self.store.add_case(case_id, title.strip(), datetime.now(UTC).isoformat())
        return self._append(case_id, EntryKind.OPENED, title.strip(), data)

    def append_within(
        self,
        case_id: str,
        text: str,
        data: dict[str, JsonValue],
        *,
        attachment: Attachment | None = None,
    ) -> CaseEntry:
        """A record entry (what was done, by whom, with a file kept by `keep_file`), appended
        inside a transaction the caller holds: the entry and the change it records are kept
        together, or neither is."""
        return self._append(self._known(case_id), EntryKind.RECORD, _text(text), data, attachment)

    def keep_file(self, name: str, data: bytes) -> Attachment:
        """Keep a file for an entry (a prepared document, a register's answer) by its digest."""
        digest = hashlib.sha256(data).hexdigest()
        self.store.put_case_file(digest, data)
        return Attachment(name=_file_name(name), sha256=digest, size=len(data))

    def add_check(self, case_id: str, report: CheckReport) -> CaseEntry:
        with self.store.transaction():
            return self._append_check(self._known(case_id), report)

    def add_note(self, case_id: str, text: str, *, by: str | None = None) -> CaseEntry:
        with self.store.transaction():
            return self._append(
                self._known(case_id), EntryKind.NOTE, _text(text), _written_by({}, by)
            )

    def add_record(
        self, case_id: str, text: str, *, attach: Path | None = None, by: str | None = None
    ) -> CaseEntry:
        """What a person records: "certificate S00123 received 2026-12-01", a file attached."""
        with self.store.transaction():
            known = self._known(case_id)
            attachment = self._attach(known, attach)
            return self._append(
                known, EntryKind.RECORD, _text(text), _written_by({}, by), attachment
            )

    def record_referral(
        self,
        case_id: str,
        registry: str,
        result: str,
        *,
        found: bool = False,
        attachment: Path | None = None,
        by: str | None = None,
    ) -> tuple[CaseEntry, CaseEntry]:
        """What a register searched by a person answered to the referral in the case's latest
        check: the answer as a record entry (its file attached), then that check again as a new
        sealed report (naming the earlier one's digest in `resumes`) in which the register was
        searched, the answer kept in its outcome's documents. `found`: the answer names a
        possible match, and the check's conclusion is a possible match (no record of it is
        scored: the answer says what to look at). `by`: who recorded it (default: the signing
        key's signer). The two entries, (record, check)."""
        answer = _text(result)
        with self.store.transaction():
            known = self._known(case_id)
            earlier = self.latest_report(known)
            outcome = _referral_outcome(earlier, registry, known)
            attached = self._attach(known, attachment)
            recorded = self._append(
                known,
                EntryKind.RECORD,
                f"{registry} answered: {answer}" + (" (names a possible match)" if found else ""),
                {"referral": {"registry": registry, "found": found, "report": earlier.digest}},
                attached,
            )
            who = by or (self.key.signer if self.key is not None else None)
            report = referral_answered(
                earlier, outcome, answer, found=found, entry=recorded, by=who
            )
            if self.key is not None:
                report = sign_report(report, self.key)
            return recorded, self._append_check(known, report)

    def _attach(self, case_id: str, path: Path | None) -> Attachment | None:
        """A file kept in the store for an entry of the case; None for none."""
        if path is None:
            return None
        data = _read_attachment(path)
        self._last(case_id)  # a case that cannot be added to is refused before its file
        digest = hashlib.sha256(data).hexdigest()
        self.store.put_case_file(digest, data)
        return Attachment(name=path.name, sha256=digest, size=len(data))

    def _append_check(self, case_id: str, report: CheckReport) -> CaseEntry:
        summary = f"check {report.report_id}: {report.conclusion.value}"
        data: dict[str, JsonValue] = {"report": report.model_dump(mode="json")}
        return self._append(case_id, EntryKind.CHECK, summary, data)

    def latest_report(self, case_id: str) -> CheckReport:
        """The report of the case's latest check, intact."""
        for entry in reversed(self.entries(case_id)):
            report = _report_of(entry) if entry.kind is EntryKind.CHECK else None
            if report is None:
                continue
            if not verify_report(report):
                raise InputError(
                    f"case {case_id}: entry {entry.sequence}: its report was changed after it "
                    f"was written; `provcheck case verify {case_id}` says more"
                )
            return report
        raise InputError(
            f"case {case_id} has no check yet: run one with `provcheck check ... --case "
            f"{case_id}`, then record what the register answered"
        )

    def writable(self, case_id: str) -> None:
        """An `InputError` now if an entry could not be added to the case (unknown, its last
        entry unreadable, or signed while no key is given): said before a check is run for it."""
        self._last(self._known(case_id))

    def cases(self) -> list[tuple[str, str, str]]:
        """(id, title, opened at) of every case, oldest first."""
        return [(case.id, case.title, case.created_at) for case in self.store.cases()]

    def entries(self, case_id: str) -> list[CaseEntry]:
        """The case's entries in order; an entry that cannot be read is an `InputError` naming it."""
        rows = self._rows(self._known(case_id))
        return [_entry(case_id, sequence, text) for sequence, text in rows]

    def attachment(self, sha256: str) -> bytes | None:
        return self.store.case_file(sha256)

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
        page = render_case(
            known,
            title,
            entries,
            verification,
            images=store_copies(self.store),
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

    def _head_problem(
        self,
        case_id: str,
        entries: int,
        last_hash: str,
        trusted: frozenset[str] | None,
        signed: bool,
    ) -> tuple[int, str] | None:
        """(entry, problem) when the signed head does not hold, or is missing from a signed case."""
        text = self.store.case_head(case_id)
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
        found = []
        for sequence, text in self.store.case_entries(case_id):
            if not isinstance(sequence, int):
                raise InputError(
                    f"case {case_id}: an entry numbered {str(sequence)[:20]!r} is not an entry as "
                    "provcheck writes them: the store was changed outside provcheck"
                )
            found.append((sequence, text if isinstance(text, str) else repr(text)))
        return found

    def _known(self, case_id: str) -> str:
        if not self.store.has_case(case_id):
            known = ", ".join(c[0] for c in self.cases()[-5:]) or "none yet"
            raise InputError(
                f"no case {case_id!r} in {self.store.location}: there is no such case (latest: "
                f"{known}); `provcheck case list` shows them, `provcheck case new TITLE` opens one"
            )
        return case_id

    def _last(self, case_id: str) -> CaseEntry | None:
        """The case's last entry; an `InputError` if it cannot be read or (signed) added to."""
        last = self.store.last_case_entry(case_id)
        entry = None if last is None else _entry(case_id, last[0], last[1])
        signed = self.store.case_head(case_id) is not None or (
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
            self.store.set_case_head(case_id, head.model_dump_json())
        self.store.add_case_entry(case_id, entry.sequence, entry.model_dump_json())
        return entry


def referral_answered(
    earlier: CheckReport,
    outcome: RegistryOutcome,
    answer: str,
    *,
    found: bool,
    entry: CaseEntry,
    by: str | None,
) -> CheckReport:
    """`earlier` with the referral `outcome` answered: that register searched (the answer, who
    recorded it and when, the attached file's digest and the referral sent kept in its
    documents), the conclusion drawn again; a new sealed report that names `earlier`'s digest.
    An answer that names a possible match makes the check a possible match, whatever else."""
    attachment = entry.attachment
    documents: dict[str, JsonValue] = {
        "answer": {
            "result": answer,
            "found": found,
            "recorded_by": by,
            "recorded_at": entry.at.isoformat(),
            "case": entry.case_id,
            "entry": entry.sequence,
            "attachment": None if attachment is None else attachment.model_dump(mode="json"),
        },
    }
    if outcome.referral is not None:
        documents["referral"] = outcome.referral.model_dump(mode="json")
    searched = SearchedOutcome(
        registry=outcome.registry,
        title=outcome.title,
        access=outcome.access,
        reason=f"answered to a person: recorded in case {entry.case_id}, entry {entry.sequence}",
        documents=documents,
        started_at=entry.at,
        duration_s=0.0,
        plugin_version=outcome.plugin_version,
    )
    outcomes = tuple(searched if o is outcome else o for o in earlier.outcomes)
    limitations = earlier.limitations
    if found:
        limitations += (
            Limitation(
                kind=MATCH_NAMED_BY_A_PERSON,
                subject=outcome.registry,
                message=(
                    f"{outcome.registry}'s answer names a possible match: {answer!r}; no record "
                    "of it is in this report: look at the answer (attached to the case)"
                ),
            ),
        )
    conclusion = (
        Conclusion.POSSIBLE_MATCH
        if any(limitation.kind == MATCH_NAMED_BY_A_PERSON for limitation in limitations)
        else conclude(outcomes, earlier.match_threshold, limitations)
    )
    return CheckReport(
        report_id=str(uuid.uuid4()),
        created_at=entry.at,
        query=earlier.query,
        conclusion=conclusion,
        match_threshold=earlier.match_threshold,
        outcomes=outcomes,
        limitations=limitations,
        versions=earlier.versions,
        resumes=earlier.digest,
    ).sealed()


def _referral_outcome(report: CheckReport, registry: str, case_id: str) -> RegistryOutcome:
    """The referral to `registry` in the case's latest check; an `InputError` naming those
    waiting for an answer when it is not one of them."""
    waiting = [o.registry for o in report.outcomes if o.state is OutcomeState.REFERRAL]
    for outcome in report.outcomes:
        if outcome.registry == registry and outcome.state is OutcomeState.REFERRAL:
            return outcome
    waiting_text = (
        f"the referrals waiting for an answer: {', '.join(waiting)}" if waiting else "it has none"
    )
    raise InputError(
        f"case {case_id}: its latest check (report {report.report_id}) has no referral to "
        f"{registry!r} to record an answer for ({waiting_text})"
    )


def verify_case(
    store: Store, case_id: str, *, trust: Iterable[str | os.PathLike[str]] | None = None
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


def _written_by(data: dict[str, JsonValue], by: str | None) -> dict[str, JsonValue]:
    """An entry's data, naming who wrote it when that is known (an entry made otherwise stays as
    it always was)."""
    return {**data, "by": by} if by else data


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
    if len(text) > MAX_ENTRY_CHARS:
        raise InputError(
            f"an entry's text is at most {MAX_ENTRY_CHARS:,} characters (this one has "
            f"{len(text):,}); keep a longer answer as a file (--attach FILE)"
        )
    return text.strip()


def _read_attachment(path: Path) -> bytes:
    # Bounded by what is read, not by what stat says (/dev/zero says 0); not a regular file
    # (a device, a FIFO) is refused before a byte is read.
    try:
        return read_bounded(path, MAX_ATTACHMENT_BYTES, what="attachment")
    except InputError as error:
        raise InputError(f"--attach {error}") from None
