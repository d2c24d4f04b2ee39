"""A check report as people read it in a terminal: the conclusion first, then each register."""

from __future__ import annotations

import io
import re
from typing import TextIO

from pydantic import JsonValue

from provcheck.model.outcome import (
    FailedOutcome,
    OutcomeState,
    PendingOutcome,
    Referral,
    ReferralOutcome,
    RegistryOutcome,
)
from provcheck.model.report import CheckReport

__all__ = ["PrintableStream", "printable", "render_report"]

# Alike records named under a candidate on the terminal; the JSON and the page name those the
# candidate keeps (the best 20: its sentence gives the count of all).
_ALIKE_NAMED = 3

# Control characters (C0 but for newline and tab, DEL, C1) and the invisible characters that
# reorder or hide text (bidirectional overrides and isolates, zero-width space; the zero-width
# joiners that Persian, Indic scripts and emoji need are kept): register data
# and user files reach the terminal through reports and messages, and must not be able to move
# the cursor, clear the screen, retitle the window or make one text read as another.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)


def _escaped(match: re.Match[str]) -> str:
    # The `\\u001b` form reads plainly on a terminal and is a valid escape inside JSON text.
    return f"\\u{ord(match.group()):04x}"


def printable(text: str) -> str:
    """`text` safe to print on a terminal: every control or invisible formatting character is
    shown as its escape (`\\u001b`), so that what a register or a file says is seen, never run."""
    return _UNSAFE.sub(_escaped, text)


class PrintableStream(io.TextIOBase):
    """A text stream that writes everything through `printable`: the CLI's standard output."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @property
    def raw(self) -> TextIO:
        """The stream written to: for what writes its own control sequences (progress bars)."""
        return self._stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", "utf-8")


def _outcome_line(outcome: RegistryOutcome) -> str:
    head = f"  {outcome.registry:<10} {outcome.state.value:<9}"
    if outcome.state is OutcomeState.SEARCHED and outcome.reason:
        detail = outcome.reason  # searched by a person: whose answer, recorded where
    elif outcome.state is OutcomeState.SEARCHED:
        found = outcome.records_returned
        detail = f"{found} record{'s' if found != 1 else ''} returned"
        if outcome.source is not None and outcome.data_as_of is not None:
            detail += (
                f" ({outcome.source.value} data as of {outcome.data_as_of:%Y-%m-%d %H:%M} UTC)"
            )
    elif isinstance(outcome, FailedOutcome):
        detail = f"{outcome.error.kind}: {outcome.error.message}"
    elif isinstance(outcome, PendingOutcome):
        detail = outcome.pending.message
    elif isinstance(outcome, ReferralOutcome):
        detail = outcome.referral.instructions
    else:
        detail = outcome.reason or ""
    lines = [f"{head} {detail}  [{outcome.duration_s:.2f} s]"]
    if isinstance(outcome, PendingOutcome) and outcome.pending.question:
        lines.append(f"{'':13}question: {outcome.pending.question}")
    if isinstance(outcome, ReferralOutcome):
        lines += _referral_lines(outcome.referral)
    lines += [f"{'':13}warning: {warning}" for warning in outcome.warnings]
    for name, document in outcome.documents.items():
        if name == "referral":  # the request sent, as the earlier report showed it: not again
            continue
        lines += _document_lines(name, document)
    return "\n".join(lines)


def _referral_lines(referral: Referral) -> list[str]:
    """The prepared request: where it goes, the fee, the form's fields, what to attach."""
    lines = []
    if referral.send_to:
        lines.append(f"{'':13}send to: {referral.send_to}")
    if referral.fee:
        lines.append(f"{'':13}fee: {referral.fee}")
    lines += [f"{'':13}form: {label}: {value}" for label, value in referral.fields.items()]
    lines += [f"{'':13}attach: {name}" for name in referral.attachments]
    if not referral.fields:  # a plugin that gives only the text: the text
        lines += [f"{'':15}{line}" for line in referral.request.splitlines()]
    return lines


def _document_lines(name: str, document: JsonValue) -> list[str]:
    """A document a register issued (a certificate, a statement): short fields on one line, long
    text quoted below it, verbatim."""
    if not isinstance(document, dict):
        return [f"{'':13}{name}: {document}"]
    short = [f"{key} {value}" for key, value in document.items() if _short(value)]
    lines = [f"{'':13}{name}: {'; '.join(short)}"]
    lines += [
        f'{"":15}"{value}"'
        for value in document.values()
        if isinstance(value, str) and not _short(value)
    ]
    return lines


def _short(value: JsonValue) -> bool:
    return value is not None and not isinstance(value, dict | list) and len(str(value)) <= 60


def render_report(
    report: CheckReport, *, candidates: int = 3, reasons: int = 3, saved_as: str | None = None
) -> str:
    """The report as plain text: conclusion, registers, then the best candidates with their
    reasons; how to take up pending searches, with `saved_as` the file the report is saved in."""
    lines = [report.headline]
    lines += [f"  - {limitation.message}" for limitation in report.limitations]
    lines += [
        "",
        f"Object: {report.query.summary()}",
        "",
        "Registers:",
    ]
    lines += [_outcome_line(outcome) for outcome in report.outcomes]
    if not report.outcomes:
        lines.append("  none selected: install a register plugin or name one with --registry")
    # Every candidate at or above the threshold, and the best few below it for context.
    above = [c for c in report.candidates if c.score >= report.match_threshold]
    best = (
        above + [c for c in report.candidates if c not in above][: max(0, candidates - len(above))]
    )
    if best:
        shown = f"{len(best)} of {len(report.candidates)}"
        lines += [
            "",
            f"Candidates ({shown}, best first; a match needs {report.match_threshold:.2f}):",
        ]
        for candidate in best:
            record = candidate.record
            lines.append(
                f"  {candidate.score:.2f} {candidate.band.value:<8} {record.key}  "
                f"{record.description.summary()}  [{record.status.label}]"
            )
            if candidate.also_recorded_as:  # the same object, from another source
                lines.append(f"{'':16}also recorded as {', '.join(candidate.also_recorded_as)}")
            if candidate.alike:  # another object of its series, set or theft, or a duplicate
                lines.append(f"{'':16}{candidate.alike_reason}")
                more = len(candidate.alike) - _ALIKE_NAMED
                named = ", ".join(candidate.alike[:_ALIKE_NAMED])
                rest = f" and {more} more in the report" if more > 0 else ""
                lines.append(f"{'':16}alike: {named}{rest}")
            if record.url:
                lines.append(f"{'':16}{record.url}")
            lines += [f"{'':16}{reason}" for reason in candidate.top_reasons(reasons)]
    if any(o.state is OutcomeState.PENDING for o in report.outcomes):
        lines += [
            "",
            f"Pending: provcheck resume {saved_as} (--reply TEXT answers a question)"
            if saved_as
            else "Pending: save the report (--out FILE) to resume it later with `provcheck resume"
            " FILE`; the same check run again also takes up the same searches, unpaid.",
        ]
    lines += [
        "",
        report.caveat,
        f"Report {report.report_id} at {report.created_at:%Y-%m-%d %H:%M:%S} UTC; {report.digest}",
    ]
    if report.requested_by:
        lines.append(f"Asked for by {report.requested_by}.")
    if report.resumes:
        replied = f", with the reply {report.reply!r}" if report.reply else ""
        lines.append(f"It resumes the report {report.resumes}{replied}.")
    return printable("\n".join(lines))
