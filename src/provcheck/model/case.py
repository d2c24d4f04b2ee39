"""A case's history, as data: its entries (hash-chained, each maybe signed), its signed head,
and what verifying the chain found. Keeping and checking them is `provcheck.cases`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from provcheck.model.canonical import sha256_digest
from provcheck.model.signature import Signature

__all__ = ["Attachment", "CaseEntry", "CaseHead", "CaseVerification", "EntryKind"]


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
