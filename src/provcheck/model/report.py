"""The due-diligence record of one check, sealed with a SHA-256 digest over its canonical JSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from provcheck.errors import InputError
from provcheck.model.candidate import Candidate
from provcheck.model.canonical import sha256_digest
from provcheck.model.description import ObjectDescription
from provcheck.model.duplicates import merge_same_objects
from provcheck.model.outcome import OutcomeState, RegistryOutcome
from provcheck.reports.signing import Signature, report_statement, trusted_key_ids
from provcheck.userfiles import load_json, read_text

__all__ = [
    "CAVEAT",
    "HEADLINES",
    "CheckReport",
    "Conclusion",
    "Limitation",
    "ReportVerification",
    "conclude",
    "verify_report",
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
    outcomes: tuple[RegistryOutcome, ...]
    # What was given and not compared, or why the query cannot rule anything out.
    limitations: tuple[Limitation, ...] = ()
    versions: dict[str, str]
    caveat: str = CAVEAT
    # The digest of the report this one resumed (its pending searches answered since), and the
    # reply sent then to a register's question.
    resumes: str | None = None
    reply: str | None = None
    digest: str = ""
    # Who vouches for the digest (`provcheck.reports.signing.sign_report`); outside what the digest covers,
    # and absent from an unsigned report's JSON, which stays as it was before signatures.
    signature: Signature | None = Field(default=None, exclude_if=lambda value: value is None)

    def sealed(self) -> CheckReport:
        """This report with its digest computed."""
        return self.model_copy(update={"digest": _digest(self.model_dump(mode="json"))})

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
        from provcheck.reports.html import render_report  # the page's module needs this one first

        return render_report(self)

    def _repr_html_(self) -> str:
        from provcheck.reports.html import render_report

        return render_report(self, fragment=True)


def _digest(data: Mapping[str, Any]) -> str:
    # The signature is made over the digest, so it cannot be inside it; an unsigned report
    # written before signatures existed has the same digest as ever.
    return sha256_digest(
        {key: value for key, value in data.items() if key not in ("digest", "signature")}
    )


class ReportVerification(BaseModel):
    """The result of checking a report's digest: `ok`, and both digests when they differ."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    recorded: str
    computed: str
    # The signature: None when the report is unsigned (its digest then shows only that it was not
    # changed by accident or by someone who did not recompute it, not who wrote it).
    signature_ok: bool | None = None
    signed_by: str | None = None
    key_id: str | None = None
    signed_at: str | None = None
    # Whether the key is one the verifier trusts: None when no trusted keys were given.
    trusted: bool | None = None
    problem: str | None = None

    def __bool__(self) -> bool:
        return self.ok


def verify_report(
    report: CheckReport | Mapping[str, Any] | str | PathLike[str],
    *,
    trust: Iterable[str | PathLike[str]] | None = None,
) -> ReportVerification:
    """Recompute a report's digest from its JSON and compare it with the one it records; check
    its signature, if it has one, and name who signed.

    A path or JSON text is checked as written, field by field, so that any change to the file --
    even a field provcheck does not know -- is detected. `trust` (key ids, public keys or key
    files: `provcheck.reports.signing.trusted_key_ids`) requires a signature by one of those keys.
    """
    trusted = trusted_key_ids(trust) if trust is not None else None
    if isinstance(report, CheckReport):
        data: Any = report.model_dump(mode="json")
    elif isinstance(report, Mapping):
        data = report
    else:
        if isinstance(report, str) and report.lstrip().startswith("{"):
            data = load_json(report, source="report")
        else:
            path = Path(report)
            data = load_json(read_text(path, what="report"), source=str(path))
    if not isinstance(data, Mapping) or not isinstance(data.get("digest"), str):
        raise InputError("not a provcheck report: it has no 'digest' field")
    computed = _digest(data)
    digest_ok = computed == data["digest"]
    result = ReportVerification(ok=digest_ok, recorded=data["digest"], computed=computed)
    if not digest_ok:
        result = result.model_copy(
            update={"problem": "its digest does not match: it was changed after it was written"}
        )
    return _check_signature(result, data, trusted)


def _check_signature(
    result: ReportVerification, data: Mapping[str, Any], trusted: frozenset[str] | None
) -> ReportVerification:
    if data.get("signature") is None:
        if trusted is None:
            return result
        problem = result.problem or "it is unsigned, and a signature by a trusted key was required"
        return result.model_copy(update={"ok": False, "trusted": False, "problem": problem})
    try:
        signature = Signature.model_validate(data["signature"])
    except ValidationError:
        return result.model_copy(
            update={"ok": False, "signature_ok": False, "problem": "its signature is not readable"}
        )
    statement = report_statement(str(data.get("report_id")), result.recorded)
    signed = signature.verifies(statement)
    known = None if trusted is None else signature.key_id in trusted
    update: dict[str, Any] = {
        "ok": result.ok and signed and known is not False,
        "signature_ok": signed,
        "signed_by": signature.signer,
        "key_id": signature.key_id,
        "signed_at": signature.signed_at,
        "trusted": known,
    }
    if not signed:
        update["problem"] = result.problem or (
            f"its signature (by {signature.described}) does not match: the report was changed "
            "after it was signed"
        )
    elif known is False:
        update["problem"] = (
            f"signed by an unknown key: {signature.described} is not among the trusted keys"
        )
    return result.model_copy(update=update)
