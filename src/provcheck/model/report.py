"""The due-diligence record of one check, sealed with a SHA-256 digest over its canonical JSON."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from provcheck.model.candidate import Candidate
from provcheck.model.canonical import sha256_digest
from provcheck.model.description import ObjectDescription
from provcheck.model.display import as_html
from provcheck.model.duplicates import merge_same_objects
from provcheck.model.outcome import Outcome, OutcomeState, RegistryOutcome, as_outcome
from provcheck.model.signature import Signature

__all__ = [
    "CAVEAT",
    "HEADLINES",
    "CheckReport",
    "Conclusion",
    "Limitation",
    "conclude",
    "report_digest",
]

CAVEAT = (
    "Absence from the registers searched shows that a search was made; it does not prove that an "
    "object is free of claims or that its title is good."
)


class Conclusion(StrEnum):
    POSSIBLE_MATCH = "possible-match"
    NO_MATCH_FOUND = "no-match-found"
    INCOMPLETE = "incomplete"


# The conclusion as a sentence for people, first thing in every view of a report.
HEADLINES = {
    Conclusion.POSSIBLE_MATCH: "POSSIBLE MATCH: a register holds a record that may be this object.",
    Conclusion.NO_MATCH_FOUND: "NO MATCH FOUND in any register searched.",
    Conclusion.INCOMPLETE: "INCOMPLETE: not every register could be searched; no conclusion.",
}


class Limitation(BaseModel):
    """Something given for the check that was not compared, or a query too thin to rule anything
    out: the check cannot support "no match found" while it stands.

    `kind` is a short word (`photograph-not-compared`, `query-too-thin`), `subject` what it is
    about (a photograph's location, the query), `message` what happened and what to do.
    """

    model_config = ConfigDict(frozen=True)

    kind: str
    subject: str
    message: str


def conclude(
    outcomes: tuple[RegistryOutcome, ...],
    match_threshold: float,
    limitations: tuple[Limitation, ...] = (),
) -> Conclusion:
    """The conclusion rule: a match anywhere wins; "no match found" only when every register
    was searched and everything given was compared."""
    if any(c.score >= match_threshold for o in outcomes for c in o.candidates):
        return Conclusion.POSSIBLE_MATCH
    if outcomes and not limitations and all(o.state is OutcomeState.SEARCHED for o in outcomes):
        return Conclusion.NO_MATCH_FOUND
    return Conclusion.INCOMPLETE


class CheckReport(BaseModel):
    """What was asked, of which registers, when, what each answered, and what follows from it."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal["1"] = "1"
    report_id: str
    created_at: datetime
    query: ObjectDescription
    conclusion: Conclusion
    match_threshold: float
    # Each of the class its state names (`FailedOutcome`, ...): `error` is there when it failed.
    outcomes: tuple[Outcome, ...]
    # What was given and not compared, or why the query cannot rule anything out.
    limitations: tuple[Limitation, ...] = ()
    versions: dict[str, str]
    caveat: str = CAVEAT
    # The digest of the report this one resumed (its pending searches answered since), and the
    # reply sent then to a register's question.
    resumes: str | None = None
    reply: str | None = None
    # Who asked for the check (`check(requested_by=...)`; through the service, the holder of the
    # API key it used); inside the digest, and absent when no one is named, as reports were.
    requested_by: str | None = Field(default=None, exclude_if=lambda value: value is None)
    digest: str = ""
    # Who vouches for the digest (`provcheck.reports.signing.sign_report`); outside what the digest covers,
    # and absent from an unsigned report's JSON, which stays as it was before signatures.
    signature: Signature | None = Field(default=None, exclude_if=lambda value: value is None)

    @field_validator("outcomes", mode="before")
    @classmethod
    def _outcomes_of_their_state(cls, outcomes: object) -> object:
        if isinstance(outcomes, list | tuple):
            return tuple(as_outcome(outcome) for outcome in outcomes)
        return outcomes

    def sealed(self) -> CheckReport:
        """This report with its digest computed."""
        return self.model_copy(update={"digest": report_digest(self.model_dump(mode="json"))})

    @property
    def candidates(self) -> list[Candidate]:
        """Every register's candidates, best first; one object that two registers (or a register
        and its mirror in the local store) both hold is one candidate, naming the other
        (`also_recorded_as`). Each outcome keeps its own candidates as its register answered."""
        found = [c for o in self.outcomes for c in o.candidates]
        return merge_same_objects(sorted(found, key=lambda c: c.score, reverse=True))

    @property
    def headline(self) -> str:
        """The conclusion as a sentence for people; an incomplete check says why in general
        terms (every register searched, yet something given not compared or the query too thin)."""
        searched = all(o.state is OutcomeState.SEARCHED for o in self.outcomes)
        if self.conclusion is Conclusion.INCOMPLETE and self.limitations and searched:
            return (
                "INCOMPLETE: the registers were searched, but this check cannot rule the "
                "object out (see why below); no conclusion."
            )
        return HEADLINES[self.conclusion]

    def outcome(self, registry: str) -> RegistryOutcome:
        for outcome in self.outcomes:
            if outcome.registry == registry:
                return outcome
        raise KeyError(registry)

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    def to_html(self) -> str:
        """The report as a standalone web page (`provcheck.reports.html.render_report`)."""
        return as_html(self, fragment=False)

    def _repr_html_(self) -> str:
        return as_html(self, fragment=True)


def report_digest(data: Mapping[str, Any]) -> str:
    # The signature is made over the digest, so it cannot be inside it; an unsigned report
    # written before signatures existed has the same digest as ever.
    return sha256_digest(
        {key: value for key, value in data.items() if key not in ("digest", "signature")}
    )
