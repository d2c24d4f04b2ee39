"""What a register holds about one object: its common fields, and its own payload kept whole."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from provcheck.model.description import ObjectDescription
from provcheck.model.display import as_html
from provcheck.text.periods import DatePeriod, parse_period

__all__ = ["Record", "RecordStatus", "split_record_key"]

# What a register's name may be (`Registry.name`, and every record's `registry`).
REGISTER_NAME = re.compile(r"[a-z][a-z0-9_-]*")


# What a register says of the object. The values are what reports serialise (and sign): a new
# status is a new value, an old one never changes; `label` is the status as a registrar reads it.
# (A comment, not a docstring: a docstring would change the JSON schema.)
class RecordStatus(StrEnum):
    STOLEN = "stolen"
    MISSING = "missing"
    LOOTED = "looted"  # taken in war or under persecution
    ILLEGALLY_EXPORTED = "illegally-exported"
    RECOVERED = "recovered"
    SOUGHT = "sought"  # a loss report: the object is sought (Lost Art's Suchmeldung)
    FOUND = "found"  # a find report: held by someone, earlier owners may claim it (Fundmeldung)
    RESTITUTED = "restituted"  # returned to its owners or their heirs
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, text: str | None) -> RecordStatus:
        """A register's status word as one of these (English or German: `Suchmeldung`,
        `restituiert`); `unknown` for a word provcheck does not know (a register's vocabulary
        grows; a record is not refused for it)."""
        try:
            return cls(_status_value(text or ""))
        except ValueError:
            return cls.UNKNOWN

    @property
    def label(self) -> str:
        """The status in a registrar's words, as reports show it."""
        return _LABELS[self]


# Registers' words for a status, besides its value (lower case, single spaces).
_WORDS: dict[str, RecordStatus] = {
    "gestohlen": RecordStatus.STOLEN,
    "vermisst": RecordStatus.MISSING,
    "verschollen": RecordStatus.MISSING,
    "geraubt": RecordStatus.LOOTED,
    "illegally exported": RecordStatus.ILLEGALLY_EXPORTED,
    "suchmeldung": RecordStatus.SOUGHT,
    "gesucht": RecordStatus.SOUGHT,
    "loss report": RecordStatus.SOUGHT,
    "fundmeldung": RecordStatus.FOUND,
    "gefunden": RecordStatus.FOUND,
    "find report": RecordStatus.FOUND,
    "restitution": RecordStatus.RESTITUTED,
    "restituiert": RecordStatus.RESTITUTED,
}

_LABELS: dict[RecordStatus, str] = {
    RecordStatus.STOLEN: "stolen",
    RecordStatus.MISSING: "missing",
    RecordStatus.LOOTED: "looted (war or persecution)",
    RecordStatus.ILLEGALLY_EXPORTED: "illegally exported",
    RecordStatus.RECOVERED: "recovered",
    RecordStatus.SOUGHT: "sought (loss report)",
    RecordStatus.FOUND: "found; earlier owners may claim it (find report)",
    RecordStatus.RESTITUTED: "restituted to its owners",
    RecordStatus.UNKNOWN: "status unknown",
}


def _status_value(word: str) -> str:
    """A status word as the value of its status, if provcheck knows the word; else as written."""
    word = " ".join(word.split()).lower()
    found = _WORDS.get(word)
    return found.value if found else word


class Record(BaseModel):
    """One register's record of one object.

    `registry` names the register that holds it and `record_id` is that register's own identifier
    (stable, unique within the register). `raw` is the register's payload exactly as received, so
    nothing the common model leaves out is lost.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    registry: str
    record_id: str
    status: RecordStatus = RecordStatus.UNKNOWN
    description: ObjectDescription = ObjectDescription()
    date_of_loss: DatePeriod | None = None
    place_of_loss: str | None = None
    url: str | None = None
    modified: datetime | None = None  # when the register last changed this record, if it says
    raw: JsonValue = None
    # Other registers' records of the same object, as the register itself says (Wikidata's Lost
    # Art ID: "lostart:1234567890"), `registry:record_id` keys; a check shows records that name
    # each other as one candidate. Left out of the JSON when empty, so that a report written
    # before the field existed keeps its digest.
    same_as: tuple[str, ...] = Field(default=(), exclude_if=lambda keys: not keys)

    @field_validator("registry")
    @classmethod
    def _a_register_name(cls, registry: str) -> str:
        # A key is `registry:record_id`: a name with a colon would let one record pass for
        # another (`local` + `x:1` and `local:x` + `1`), and hide it.
        if not REGISTER_NAME.fullmatch(registry):
            raise ValueError(
                f"register name {registry[:40]!r}: a lower-case letter, then letters, digits, - and _ only"
            )
        return registry

    @field_validator("same_as")
    @classmethod
    def _register_keys(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        for key in keys:
            registry, colon, record_id = key.partition(":")
            if not colon or not REGISTER_NAME.fullmatch(registry) or not record_id.strip():
                raise ValueError(f"same_as {key[:60]!r}: expected `registry:record_id`")
        return tuple(dict.fromkeys(keys))

    @field_validator("status", mode="before")
    @classmethod
    def _a_status_word(cls, value: Any) -> Any:
        # A register's word for a known status is that status (`Fundmeldung` is `found`); an
        # unknown word is refused, as before.
        return _status_value(value) if isinstance(value, str) else value

    @field_validator("date_of_loss", mode="before")
    @classmethod
    def _read_date_of_loss(cls, value: Any) -> Any:
        return parse_period(value) if isinstance(value, str) else value

    def _repr_html_(self) -> str:
        return as_html(self, fragment=True)

    @property
    def key(self) -> str:
        """`registry:record_id`, unique across registers."""
        return f"{self.registry}:{self.record_id}"


def split_record_key(text: str, *, registry: str = "local") -> tuple[str, str]:
    """A record named by a person, as (register, record id): `fbi:acorn` is the `fbi` register's
    record `acorn`; a bare id (`LOSS-2001`) is `registry`'s (one's own register, by default).
    `ValueError` for an empty id or a register name provcheck would refuse."""
    name, colon, record_id = text.strip().partition(":")
    if not colon:
        name, record_id = registry, text.strip()
    if not record_id.strip():
        raise ValueError(
            f"{text[:80]!r}: give a record as REGISTER:ID or ID (one's own register's)"
        )
    if not REGISTER_NAME.fullmatch(name):
        # A colon inside one's own id (`LOSS:12`) is an id, not a register: take it whole.
        return registry, text.strip()
    return name, record_id.strip()
