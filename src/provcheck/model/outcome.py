"""What happened at one register during a check: searched, failed, skipped, pending or referral."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from provcheck.model.candidate import Candidate
from provcheck.registers.registry import Access, DataSource

__all__ = ["OutcomeError", "OutcomeState", "PendingSearch", "Referral", "RegistryOutcome"]


class OutcomeState(StrEnum):
    SEARCHED = "searched"  # the register answered; its candidates (maybe none) are below
    FAILED = "failed"  # it could not be searched: `error` says why
    SKIPPED = "skipped"  # it cannot answer this query: `reason` says why
    REFERRAL = "referral"  # no programmatic access: a person must send `referral.request`
    PENDING = "pending"  # submitted; the register answers later: `pending.handle` resumes it


class OutcomeError(BaseModel):
    """Why a register failed: a short `kind` (timeout, unavailable, ...) and a message."""

    model_config = ConfigDict(frozen=True)

    kind: str
    message: str
    retry_after: float | None = None


class Referral(BaseModel):
    """A request a person must send, because the register has no programmatic access."""

    model_config = ConfigDict(frozen=True)

    instructions: str
    request: str


class PendingSearch(BaseModel):
    """A search the register accepted and will answer later; `handle` resumes it without
    resubmitting. `question` is what the register asks of the requester before it goes on."""

    model_config = ConfigDict(frozen=True)

    message: str
    handle: dict[str, JsonValue]
    question: str | None = None


class RegistryOutcome(BaseModel):
    """One selected register's part in a check. Only `searched` can support "no match found"."""

    model_config = ConfigDict(frozen=True)

    registry: str
    title: str
    access: Access
    state: OutcomeState
    candidates: tuple[Candidate, ...] = ()
    error: OutcomeError | None = None
    reason: str | None = None
    referral: Referral | None = None
    pending: PendingSearch | None = None
    records_returned: int = 0
    warnings: tuple[str, ...] = ()
    documents: dict[str, JsonValue] = {}
    source: DataSource | None = None
    data_as_of: datetime | None = None
    started_at: datetime
    duration_s: float
    plugin_version: str | None = None
    # With photographs in the query: whether the register was searched for them (False: it
    # searched by words, and the photographs met only the records the words found). Left out
    # of the JSON when no photograph was given, so that earlier reports keep their digests.
    photographs_searched: bool | None = Field(default=None, exclude_if=lambda value: value is None)
