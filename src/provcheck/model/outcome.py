"""What happened at one register during a check: searched, failed, skipped, pending or referral."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from provcheck.model.candidate import Candidate

__all__ = [
    "Access",
    "DataSource",
    "FailedOutcome",
    "Outcome",
    "OutcomeError",
    "OutcomeState",
    "PendingOutcome",
    "PendingSearch",
    "Referral",
    "ReferralOutcome",
    "RegistryOutcome",
    "SearchedOutcome",
    "SkippedOutcome",
    "as_outcome",
    "outcome_of_state",
]


class Access(StrEnum):
    """How a register is reached."""

    API = "api"  # a service provcheck calls
    LOCAL = "local"  # data held on this machine (own losses, imports, mirrors)
    REFERRAL = "referral"  # no programmatic access: a person sends a prepared request


class DataSource(StrEnum):
    """Where a search's answer came from, so a report can say how fresh it is."""

    LIVE = "live"  # asked of the register's service just now
    CACHE = "cache"  # a saved answer to the same question
    MIRROR = "mirror"  # a local copy of the register, synced at `data_as_of`
    LOCAL = "local"  # records held on this machine, last imported at `data_as_of`


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


def _empty(value: object) -> bool:
    return not value


class Referral(BaseModel):
    """A request a person must send, because the register has no programmatic access.

    `instructions` says to whom and how, `request` is the prepared text; a plugin that knows the
    register's form also gives it field by field (`fields`: the form's label -> the value to
    fill in), the photographs to attach (`attachments`, by file name or address), where to send
    it (`send_to`: an address, a URL, an app) and the fee, if any (`fee`, as the register
    publishes it). Those are left out of the JSON when empty, so that earlier reports keep their
    digests.
    """

    model_config = ConfigDict(frozen=True)

    instructions: str
    request: str
    fields: dict[str, str] = Field(default_factory=dict, exclude_if=_empty)
    attachments: tuple[str, ...] = Field(default=(), exclude_if=_empty)
    send_to: str | None = Field(default=None, exclude_if=_empty)
    fee: str | None = Field(default=None, exclude_if=_empty)


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
    # Candidates' record photographs that could not be compared by local features (the
    # register's copy unreadable or not to be had), each "where: why"; compared by their hashes
    # only, they leave the check unable to say "no match found". Left out of the JSON when none.
    photographs_not_compared: tuple[str, ...] = Field(
        default=(), exclude_if=lambda value: not value
    )

    @model_validator(mode="after")
    def _details_match_state(self) -> RegistryOutcome:
        # Each state carries its own details and no other's: a reader that knows the state
        # (or the class: `FailedOutcome`, ...) need not check again.
        carried = {
            "error": OutcomeState.FAILED,
            "pending": OutcomeState.PENDING,
            "referral": OutcomeState.REFERRAL,
        }
        for field, state in carried.items():
            if (getattr(self, field) is not None) != (self.state is state):
                has = "has" if getattr(self, field) is not None else "lacks"
                raise ValueError(f"a {self.state.value} outcome {has} `{field}`")
        if self.state is OutcomeState.SKIPPED and not self.reason:
            raise ValueError("a skipped outcome says why (`reason`)")
        if self.candidates and self.state is not OutcomeState.SEARCHED:
            raise ValueError(f"a {self.state.value} outcome has no candidates")
        return self


class SearchedOutcome(RegistryOutcome):
    """The register answered; its candidates (maybe none) are in `candidates`."""

    state: Literal[OutcomeState.SEARCHED] = OutcomeState.SEARCHED


class FailedOutcome(RegistryOutcome):
    """The register could not be searched: `error` says why."""

    state: Literal[OutcomeState.FAILED] = OutcomeState.FAILED
    error: OutcomeError


class SkippedOutcome(RegistryOutcome):
    """The register cannot answer this query: `reason` says why."""

    state: Literal[OutcomeState.SKIPPED] = OutcomeState.SKIPPED
    reason: str


class ReferralOutcome(RegistryOutcome):
    """No programmatic access: a person must send `referral.request`."""

    state: Literal[OutcomeState.REFERRAL] = OutcomeState.REFERRAL
    referral: Referral


class PendingOutcome(RegistryOutcome):
    """Submitted; the register answers later: `pending.handle` resumes it."""

    state: Literal[OutcomeState.PENDING] = OutcomeState.PENDING
    pending: PendingSearch


# What a report holds: one outcome per register, of the class its state names.
Outcome = Annotated[
    SearchedOutcome | FailedOutcome | SkippedOutcome | ReferralOutcome | PendingOutcome,
    Field(discriminator="state"),
]
_CLASS_OF_STATE: dict[OutcomeState, type[RegistryOutcome]] = {
    OutcomeState.SEARCHED: SearchedOutcome,
    OutcomeState.FAILED: FailedOutcome,
    OutcomeState.SKIPPED: SkippedOutcome,
    OutcomeState.REFERRAL: ReferralOutcome,
    OutcomeState.PENDING: PendingOutcome,
}


def outcome_of_state(**fields: Any) -> RegistryOutcome:
    """An outcome of the class its `state` names (`FailedOutcome` for "failed", ...)."""
    return _CLASS_OF_STATE[OutcomeState(fields["state"])](**fields)


def as_outcome(outcome: object) -> object:
    """Turn an outcome built as the general `RegistryOutcome` into its state's class, for a
    field typed `Outcome`; anything else is left to validation."""
    if type(outcome) is RegistryOutcome:
        return _CLASS_OF_STATE[outcome.state].model_validate(outcome.model_dump())
    return outcome
