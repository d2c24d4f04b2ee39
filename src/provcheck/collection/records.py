"""One's own records: listed, searched, edited and removed, each change kept in the record's history.

A museum's or a dealer's own objects -- its losses, its collection documented to Object ID --
are records of a register in the store (`local`, unless imported under another name). People
correct them, add the photograph of the back, mark one stolen, and find one again; a record's
history says who changed what, when and why.

The history is the record's own case (`provcheck.cases`): hash-chained, signed when a signing key
is set, exported as a dossier like any case. Its first entry keeps the record as it was before
the first change; each later entry names the fields changed, from what to what, and why. A
record is never deleted: removing it withdraws it (kept, no longer found by checks) with the
reason in its history, and editing it again brings it back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import JsonValue, ValidationError

from provcheck.cases import CaseFile
from provcheck.errors import InputError, first_problem
from provcheck.model.case import Attachment, CaseEntry
from provcheck.model.description import TEXT_FIELDS, ImageRef, ObjectDescription
from provcheck.model.record import Record, RecordStatus, split_record_key
from provcheck.reports.signing import SigningKey
from provcheck.store.importing import (
    BeforeWrite,
    ImportSummary,
    import_file,
    keep_image,
    without_controls,
)
from provcheck.store.interface import Store
from provcheck.text.normalise import normalise_text
from provcheck.text.periods import parse_period

__all__ = ["EDITABLE_FIELDS", "ListedRecord", "OwnRecords", "date_of_loss", "record_case_id"]

# What a person may change: the Object ID fields as written, and what the record says of the loss.
_DESCRIPTION_FIELDS = TEXT_FIELDS
_RECORD_FIELDS = ("status", "date_of_loss", "place_of_loss", "url")
EDITABLE_FIELDS = _DESCRIPTION_FIELDS + _RECORD_FIELDS
# The parsed parts of a field written as text, replaced when the text is.
_PARSED = {
    "maker": ("maker_text", "makers"),
    "measurements": ("measurements_text", "measurements"),
}


def record_case_id(record: Record) -> str:
    """The id of a record's own case: the same record always has the same one."""
    return "R-" + hashlib.sha256(record.key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ListedRecord:
    """A record as listed: the record, and when it was removed (None: it is found by checks)."""

    record: Record
    removed_at: str | None = None


class OwnRecords:
    """The records of a store as their owner keeps them. `by` names who makes the changes (kept
    in each history entry); `key` signs the history, as it signs cases."""

    def __init__(
        self, store: Store, *, key: SigningKey | None = None, by: str | None = None
    ) -> None:
        self.store = store
        self.cases = CaseFile(store, key=key)
        named = by or (key.signer if key is not None else None)
        self.by = " ".join(named.split()) or None if named else None  # one line, in every entry

    # Reading -------------------------------------------------------------------------------

    def get(self, record: str) -> ListedRecord:
        """The record named `REGISTER:ID` or `ID` (one's own register's), removed or not."""
        registry, record_id = _named(record)
        found = self.store.get(registry, record_id)
        if found is None:
            raise InputError(
                f"record {registry}:{record_id}: not in {self.store.location}; "
                "`provcheck local list` shows the records"
            )
        removed = {r.record_id: at for r, at in self.store.removed_records(registry)}.get(record_id)
        return ListedRecord(found, removed)

    def records(
        self,
        *,
        registry: str = "local",
        status: RecordStatus | None = None,
        text: str | None = None,
        removed: bool = False,
    ) -> list[ListedRecord]:
        """The register's records, in the order they were first added (with `removed`, the
        removed ones after them), those of `status` and holding every word of `text`."""
        listed = [ListedRecord(r) for r in self.store.iter_records(registry)]
        if removed:
            listed += [ListedRecord(r, at) for r, at in self.store.removed_records(registry)]
        words = normalise_text(text or "").split()
        return [
            item
            for item in listed
            if (status is None or item.record.status == status)
            and all(word in _words_of(item.record) for word in words)
        ]

    def search(self, text: str, *, registry: str | None = "local", limit: int = 20) -> list[Record]:
        """The records whose words are nearest `text` (misspellings, other languages), best
        first: the store's own text search, as a check makes it."""
        if not text.strip():
            raise InputError("search: give some words to look for")
        query = ObjectDescription(title=text)
        return self.store.search_text(
            query, limit=limit, registries=[registry] if registry else None
        )

    def history(self, record: str) -> list[CaseEntry]:
        """What was done to the record, oldest first; empty for a record never changed here."""
        found = self.get(record).record
        case_id = record_case_id(found)
        return self.cases.entries(case_id) if self.store.has_case(case_id) else []

    # Changing ------------------------------------------------------------------------------

    def edit(
        self,
        record: str,
        changes: Mapping[str, str | None],
        *,
        add_images: Sequence[tuple[Path, str | None]] = (),
        reason: str | None = None,
    ) -> Record:
        """Change the record's fields (`EDITABLE_FIELDS`, as written: `"measurements": "50 x 40
        cm"`; None or "" clears one) and add photographs (path, caption); kept with what changed
        in its history. A removed record edited is found again."""
        listed = self.get(record)
        old = listed.record
        self._refuse_mirrored(old)
        unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
        if unknown:
            raise InputError(
                f"edit {old.key}: no field {unknown[0]!r}; fields: {', '.join(EDITABLE_FIELDS)}"
            )
        images = [self._kept_image(path, caption) for path, caption in add_images]
        # Control characters (an escape sequence pasted in) are no one's text.
        new = _changed(old, without_controls(dict(changes)), images)
        changed = _differences(old, new)
        if not changed and listed.removed_at is None:
            raise InputError(f"edit {old.key}: nothing to change (the values given are its own)")
        data: dict[str, JsonValue] = {"change": "edited", "fields": changed}
        if listed.removed_at is not None:
            data["restored"] = True
        text = "edited " + ", ".join(changed) if changed else "restored"
        if changed and listed.removed_at is not None:
            text += "; restored"
        self._write(new, text, data, reason)
        return new

    def remove(self, record: str, *, reason: str, status: RecordStatus | None = None) -> Record:
        """Withdraw the record (kept, no longer found by checks), with the reason -- "recovered
        by the police on ...", "entered twice" -- and, if given, its new status (`recovered`)."""
        if not reason.strip():
            raise InputError("remove: give the reason (--reason): the history keeps why it went")
        listed = self.get(record)
        old = listed.record
        self._refuse_mirrored(old)
        if listed.removed_at is not None:
            raise InputError(f"remove {old.key}: removed already, at {listed.removed_at}")
        new = old if status is None else old.model_copy(update={"status": status})
        data: dict[str, JsonValue] = {"change": "removed", "fields": _differences(old, new)}
        with self.store.transaction():
            self._append(new, "removed", data, reason, old=old)
            self.store.put_record(new)
            self.store.withdraw_record(new.registry, new.record_id)
        return new

    def add(self, record: Record, *, source: str, reason: str | None = None) -> Record:
        """A new record of one's own (a theft alert read, say), its source kept in its history.
        A record of that id already in the store is refused: edit it instead."""
        if self.store.get(record.registry, record.record_id) is not None:
            raise InputError(
                f"record {record.key} is in {self.store.location} already; "
                "`provcheck local edit` changes it"
            )
        data: dict[str, JsonValue] = {"change": "added", "source": source}
        with self.store.transaction():
            self._append(record, f"added from {source}", data, reason, old=None)
            self.store.put_record(record)
        return record

    def import_file(
        self, path: Path, *, source: str | None = None, **options: Any
    ) -> ImportSummary:
        """`provcheck.store.importing.import_file`, each record the file changes that has a
        history here getting an entry of what the import changed, in the import's transaction.
        A record its owner removed stays removed (a list imported again does not bring back an
        object found again); editing it brings it back. `source`: how the history names the file
        (default: its path)."""
        named = source or str(path)
        return import_file(self.store, path, before_write=self._imported(named), **options)

    def _imported(self, source: str) -> BeforeWrite:
        with_history = {case.id for case in self.store.cases() if case.id.startswith("R-")}
        removed: dict[str, set[str]] = {}

        def note(records: Sequence[Record]) -> list[tuple[str, str]]:
            withdrawn = []
            for new in records:
                if record_case_id(new) not in with_history:
                    continue
                old = self.store.get(new.registry, new.record_id)
                if old is None:
                    continue
                if new.registry not in removed:
                    removed[new.registry] = {
                        r.record_id for r, _ in self.store.removed_records(new.registry)
                    }
                changed = _differences(old, new)
                if new.record_id in removed[new.registry]:
                    withdrawn.append((new.registry, new.record_id))
                elif not changed:
                    continue
                data: dict[str, JsonValue] = {
                    "change": "imported",
                    "source": source,
                    "fields": changed,
                }
                text = f"replaced by the import of {Path(source).name}" + (
                    "" if changed else " (unchanged)"
                )
                if new.record_id in removed[new.registry]:
                    text += "; kept removed"
                self._append(new, text, data, None, old=old)
            return withdrawn

        return note

    def note(
        self,
        record: Record,
        text: str,
        data: dict[str, JsonValue],
        *,
        attachment: Attachment | None = None,
    ) -> CaseEntry:
        """An entry in the record's history that changes no field (a register's answer, a
        document prepared for it), written in a transaction of its own."""
        with self.store.transaction():
            return self._append(record, text, data, None, old=record, attachment=attachment)

    def write(
        self,
        record: Record,
        text: str,
        data: dict[str, JsonValue],
        *,
        attachment: Attachment | None = None,
    ) -> None:
        """Keep a changed record with an entry of what changed (`data`), together."""
        self._write(record, text, data, None, attachment=attachment)

    # -- helpers -----------------------------------------------------------------------------

    def _write(
        self,
        new: Record,
        text: str,
        data: dict[str, JsonValue],
        reason: str | None,
        *,
        attachment: Attachment | None = None,
    ) -> None:
        old = self.store.get(new.registry, new.record_id)
        with self.store.transaction():
            self._append(new, text, data, reason, old=old, attachment=attachment)
            self.store.put_record(new)

    def _append(
        self,
        record: Record,
        text: str,
        data: dict[str, JsonValue],
        reason: str | None,
        *,
        old: Record | None,
        attachment: Attachment | None = None,
    ) -> CaseEntry:
        """The entry, in the record's case -- opened first, with the record as it was, if this
        is its first change. Inside the caller's transaction."""
        case_id = record_case_id(record)
        if not self.store.has_case(case_id):
            before: JsonValue = None if old is None else old.model_dump(mode="json")
            opened: dict[str, JsonValue] = {"record": record.key, "record_before": before}
            if self.by:
                opened["by"] = self.by
            first = old if old is not None else record
            self.cases.open_within(case_id, f"{record.key}: {first.description.summary()}", opened)
        entry = {"record": record.key, **data}
        if reason:
            entry["reason"] = reason.strip()
        if self.by:
            entry["by"] = self.by
        shown = f"{text}: {reason.strip()}" if reason and reason.strip() else text
        return self.cases.append_within(case_id, shown, entry, attachment=attachment)

    def _refuse_mirrored(self, record: Record) -> None:
        if record.record_id in self.store.record_ids(record.registry, mirrored=True):
            raise InputError(
                f"{record.key} is a copy from the register {record.registry}, kept by its mirror: "
                "change it at the register; the next sync would undo a change here"
            )

    def _kept_image(self, path: Path, caption: str | None) -> ImageRef:
        ref = ImageRef(path=str(path.resolve()), caption=(caption or "").strip() or None)
        digest, fingerprints = keep_image(self.store, ref.read(), source=str(path))
        return ref.model_copy(update={"sha256": digest, "fingerprints": fingerprints})


_NUMERIC_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*")


def date_of_loss(text: str, option: str = "date_of_loss") -> str:
    """`text` if it is a date or period of a loss provcheck can read, not after today; else an
    `InputError` naming `option` and the value."""
    period = parse_period(text)
    numeric = _NUMERIC_DATE.fullmatch(text)
    today = datetime.now(UTC).date()
    try:
        day = date(*map(int, numeric.groups())) if numeric else None
    except ValueError:
        day, period = None, None
    if period is None or period.earliest is None:
        raise InputError(
            f"{option} {text[:60]!r}: not a date provcheck can read; give it as 2026-11-28, "
            "28 November 2026, November 2026 or 2026"
        )
    if (day is not None and day > today) or period.earliest > today.year:
        raise InputError(f"{option} {text[:60]!r}: after today; a loss is in the past")
    return text.strip()


def _named(record: str) -> tuple[str, str]:
    try:
        return split_record_key(record)
    except ValueError as error:
        raise InputError(str(error)) from None


def _words_of(record: Record) -> str:
    fields = record.description.text_fields()
    return normalise_text(
        " ".join([record.record_id, *fields.values(), record.place_of_loss or ""])
    )


def _changed(old: Record, changes: Mapping[str, str | None], images: Iterable[ImageRef]) -> Record:
    """The record with `changes` made, each read as a person's text is read on import."""
    description: dict[str, Any] = old.description.model_dump(mode="json")
    record: dict[str, Any] = old.model_dump(mode="json", exclude={"description"})
    for name, value in changes.items():
        text = (value or "").strip() or None
        if name in _RECORD_FIELDS:
            if name == "date_of_loss" and text is not None:
                text = date_of_loss(text)
            record[name] = text if name != "status" else (text or RecordStatus.UNKNOWN.value)
            continue
        for parsed in _PARSED.get(name, ()):
            description.pop(parsed, None)
        if name == "keywords":
            description["keywords"] = text or ()
        elif text is None and name in _PARSED:
            continue
        else:
            description[name] = text
    description["images"] = [*description["images"], *(i.model_dump(mode="json") for i in images)]
    try:
        return Record.model_validate({**record, "description": description})
    except ValidationError as error:
        where, problem = first_problem(error)
        raise InputError(f"edit {old.key}: {where}: {problem}") from None


def _differences(old: Record, new: Record) -> dict[str, JsonValue]:
    """Each field that differs, as {"from": text, "to": text} (None: empty)."""
    before, after = _as_text(old), _as_text(new)
    return {
        name: {"from": before.get(name), "to": after.get(name)}
        for name in dict.fromkeys([*before, *after])
        if before.get(name) != after.get(name)
    }


def _as_text(record: Record) -> dict[str, str]:
    fields = dict(record.description.text_fields())
    fields["status"] = record.status.value
    if record.date_of_loss:
        fields["date_of_loss"] = record.date_of_loss.text
    for name in ("place_of_loss", "url"):
        if value := getattr(record, name):
            fields[name] = value
    photographs = [i.caption or i.location.rsplit("/", 1)[-1] for i in record.description.images]
    if photographs:
        fields["photographs"] = "; ".join(photographs)
    return fields
