"""A check report as people read it in a terminal: the conclusion first, then each register."""

from __future__ import annotations

from pydantic import JsonValue

from provcheck.outcome import OutcomeState, RegistryOutcome
from provcheck.report import HEADLINES, CheckReport

__all__ = ["render_report"]


def _outcome_line(outcome: RegistryOutcome) -> str:
    head = f"  {outcome.registry:<10} {outcome.state.value:<9}"
    if outcome.state is OutcomeState.SEARCHED:
        found = outcome.records_returned
        detail = f"{found} record{'s' if found != 1 else ''} returned"
        if outcome.source is not None and outcome.data_as_of is not None:
            detail += (
                f" ({outcome.source.value} data as of {outcome.data_as_of:%Y-%m-%d %H:%M} UTC)"
            )
    elif outcome.state is OutcomeState.FAILED and outcome.error is not None:
        detail = f"{outcome.error.kind}: {outcome.error.message}"
    elif outcome.state is OutcomeState.PENDING and outcome.pending is not None:
        detail = outcome.pending.message
    elif outcome.state is OutcomeState.REFERRAL and outcome.referral is not None:
        detail = outcome.referral.instructions
    else:
        detail = outcome.reason or ""
    lines = [f"{head} {detail}  [{outcome.duration_s:.2f} s]"]
    if outcome.pending is not None and outcome.pending.question:
        lines.append(f"{'':13}question: {outcome.pending.question}")
    lines += [f"{'':13}warning: {warning}" for warning in outcome.warnings]
    for name, document in outcome.documents.items():
        lines += _document_lines(name, document)
    return "\n".join(lines)


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
    lines = [
        HEADLINES[report.conclusion],
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
                f"{record.description.summary()}  [{record.status.value}]"
            )
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
    if report.resumes:
        replied = f", with the reply {report.reply!r}" if report.reply else ""
        lines.append(f"It resumes the report {report.resumes}{replied}.")
    return "\n".join(lines)
