"""`provcheck check` (one object against the registers) and `provcheck resume` (a report's
pending searches taken up): the report written, printed, signed, added to a case."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from provcheck.cases import CaseFile
from provcheck.cli.common import (
    Commands,
    add_command,
    count,
    searching,
    seconds,
    signing_key,
    store_location,
)
from provcheck.cli.exit_codes import exit_code
from provcheck.cli.query import add_query_options, load_query
from provcheck.engine import DEFAULT_LIMIT, check, resume
from provcheck.errors import InputError
from provcheck.registers.discovery import installed_registries, open_registry
from provcheck.reports.signing import check_resume_signer, sign_report
from provcheck.reports.terminal import render_report
from provcheck.userfiles import writable_new_file, write_atomically

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    """`check` and `resume`."""
    check_parser = add_command(
        commands,
        "check",
        "check one object against the registers",
        "provcheck check --title Acorn --maker Tiffany --period 1906 --registry local"
        " --out report.json",
        description="Check one object, described by Object ID fields and photographs.",
    )
    add_query_options(check_parser)
    check_parser.add_argument(
        "--registry",
        action="append",
        metavar="NAME",
        help="a register to search (repeatable; default: all installed)",
    )
    _search_options(check_parser)
    check_parser.add_argument(
        "--case", metavar="ID", help="add this check to a case's history (provcheck case new)"
    )
    check_parser.add_argument(
        "--store",
        metavar="PATH",
        help="the local store: the `local` register's records, and the case (default:"
        " $PROVCHECK_LOCAL_PATH, else the per-user data folder)",
    )
    check_parser.add_argument(
        "--format",
        choices=("json", "html"),
        default="json",
        help="what --out writes: json (the verifiable record) or html (a page to read and print)",
    )
    check_parser.add_argument(
        "--out",
        metavar="FILE",
        help="write the JSON report to FILE (with --format html: the page, and the JSON beside it)",
    )
    check_parser.set_defaults(run=_command_check)

    resume_parser = add_command(
        commands,
        "resume",
        "take up a report's pending searches (without paying or submitting again)",
        "provcheck resume report.json",
        'provcheck resume report.json --reply "66 x 45 cm; a dealer\'s label on the back"',
        description=(
            "Ask each register the report left pending for its answer, and write the new report"
            " (it names the earlier one's digest). --reply answers a register's question."
        ),
    )
    resume_parser.add_argument("report", metavar="REPORT.json")
    resume_parser.add_argument(
        "--reply", metavar="TEXT", help="the answer to a register's question"
    )
    _search_options(resume_parser)
    resume_parser.add_argument(
        "--out",
        metavar="FILE",
        help="write the new report here (default: REPORT.resumed.json beside it; never over it)",
    )
    resume_parser.set_defaults(run=_command_resume)


def _search_options(parser: argparse.ArgumentParser) -> None:
    """What every command that searches registers takes."""
    parser.add_argument(
        "--limit", type=count, default=DEFAULT_LIMIT, help="records asked of each register"
    )
    parser.add_argument("--timeout", type=seconds, help="seconds each register may take")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _writable_file(path: Path, option: str) -> Path:
    """`path` if a report can be written there, checked before any register is asked: a paid or
    submitted search whose report cannot then be written is lost. A report is a record -- maybe
    signed, maybe cited by a later one -- so nothing is written over."""
    return writable_new_file(path, option, what="a report", example="report.json")


def _report_paths(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """Where `check --out` writes the JSON report and, with `--format html`, the page beside it:
    the page never without the JSON that `provcheck verify` checks."""
    if not args.out:
        return None, None
    out = _writable_file(Path(args.out), "--out")
    if args.format != "html":
        return out, None
    json_path = out.with_suffix(".json")
    if json_path == out:
        return out, _writable_file(out.with_suffix(".html"), "--out")
    return _writable_file(json_path, "--out"), out


def _command_check(args: argparse.Namespace) -> int:
    query = load_query(args)
    json_path, html_path = _report_paths(args)
    key = signing_key(args)  # a key that cannot be read is said before any register is asked
    if args.case:  # the case is there and can be added to: said before any register is asked
        with CaseFile.open(store_location(args), key=key) as cases:
            cases.writable(args.case)
    names: list[str] = args.registry or list(installed_registries())
    local = open_registry("local", path=args.store) if args.store and "local" in names else None
    chosen = [local if name == "local" and local is not None else name for name in names]
    try:
        with searching("Searching the registers"):
            report = check(query, chosen, limit=args.limit, timeout=args.timeout)
    finally:
        if local is not None:
            asyncio.run(local.aclose())
    if key is not None:
        report = sign_report(report, key)
    if args.case:
        with CaseFile.open(store_location(args), key=key) as cases:
            entry = cases.add_check(args.case, report)
        print(f"Case {entry.case_id}: entry {entry.sequence} (check) added", file=sys.stderr)
    if args.format == "html" and not args.out:
        print(report.to_html())
        return exit_code(report.conclusion)
    if json_path is not None:
        write_atomically(json_path, report.to_json() + "\n")
    if html_path is not None:
        write_atomically(html_path, report.to_html())
    saved = [str(p) for p in (json_path, html_path) if p is not None]
    if args.json:
        print(report.to_json())
    else:
        print(render_report(report, saved_as=str(json_path) if json_path else None))
        if saved:
            print(f"Report written to {' and '.join(saved)}")
    return exit_code(report.conclusion)


def _resumed_path(report: Path) -> Path:
    """Where a resumed report goes by default: beside the one it resumes, never over it (the new
    report cites the old one's digest; both are the record)."""
    for number in range(1, 1000):
        suffix = "" if number == 1 else f"-{number}"
        candidate = report.with_name(f"{report.stem}.resumed{suffix}{report.suffix or '.json'}")
        if not candidate.exists():
            return candidate
    raise InputError(f"{report}: too many resumed reports beside it; give --out FILE")


def _command_resume(args: argparse.Namespace) -> int:
    given = Path(args.report)
    out = Path(args.out) if args.out else _resumed_path(given)
    if out.exists() and given.exists() and out.resolve() == given.resolve():
        raise InputError(
            f"--out {args.out}: is the report being resumed; the new report cites it, so both "
            "are kept: give another file"
        )
    _writable_file(out, "--out")
    key = signing_key(args)
    if key is not None:
        check_resume_signer(given, key)
    with searching("Asking the registers for their answers"):
        report = resume(given, reply=args.reply, limit=args.limit, timeout=args.timeout)
    if key is not None:
        report = sign_report(report, key)
    write_atomically(out, report.to_json() + "\n")
    if args.json:
        print(report.to_json())
    else:
        print(render_report(report, saved_as=str(out)))
        print(f"Report written to {out} (the report it resumes, {given}, is kept as it was)")
    return exit_code(report.conclusion)
