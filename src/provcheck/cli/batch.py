"""`provcheck batch`: every object of a catalogue checked, resumably, with a progress bar."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from provcheck.batch import BatchSummary, open_registries, read_catalogue, run_batch
from provcheck.cli.common import (
    Commands,
    add_command,
    count,
    progress,
    seconds,
    signing_key,
)
from provcheck.cli.exit_codes import exit_code
from provcheck.engine import DEFAULT_LIMIT
from provcheck.errors import InputError
from provcheck.registers.discovery import installed_registries
from provcheck.registers.registry import Registry
from provcheck.reports.signing import sign_report
from provcheck.reports.terminal import printable
from provcheck.userfiles import writable_folder

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    """`batch`."""
    batch = add_command(
        commands,
        "batch",
        "check every object of a catalogue (.csv or .jsonl), resumably",
        "provcheck batch fixtures/catalogue/catalogue.csv --registry local --out checks/",
        description=(
            "Check each object of a catalogue: CSV columns named after Object ID fields (title,"
            " maker or artist, period or date, measurements or dimensions, materials or medium,"
            " images or photo (paths or URLs, ';' between), id or lot, ...), or one JSON object a"
            " line. Writes a report per object, a journal, and a summary (CSV, HTML) by concern."
            " Run again, it checks only what is not finished."
        ),
    )
    batch.add_argument("catalogue", metavar="CATALOGUE")
    batch.add_argument("--out", default="provcheck-batch", metavar="DIR", help="where to write")
    batch.add_argument(
        "--registry", action="append", metavar="NAME", help="a register (default: all installed)"
    )
    batch.add_argument("--concurrency", type=count, default=4, help="objects checked at once")
    batch.add_argument("--skip-bad", action="store_true", help="check the good rows, list the bad")
    batch.add_argument(
        "--limit", type=count, default=DEFAULT_LIMIT, help="records asked of each register"
    )
    batch.add_argument("--timeout", type=seconds, help="seconds each register may take")
    batch.add_argument(
        "--store", metavar="PATH", help="the local store the `local` register searches"
    )
    batch.set_defaults(run=_command_batch)


def _command_batch(args: argparse.Namespace) -> int:
    out = Path(args.out)
    path = Path(args.catalogue)
    writable_folder(out, "--out")
    key = signing_key(args)
    items, problems = read_catalogue(path)
    if problems and not args.skip_bad:
        more = f" (and {len(problems) - 1} more bad rows)" if len(problems) > 1 else ""
        raise InputError(
            f"{problems[0]}{more}; nothing was checked: fix the file, or use --skip-bad"
        )
    for problem in problems:
        print(printable(f"skipped {problem}"), file=sys.stderr)
    if not items:  # nothing checked must never read as "no match found"
        raise InputError(f"{path}: every row was bad ({len(problems)}); nothing to check")
    registries = open_registries(args.registry or list(installed_registries()), store=args.store)
    opened = [r for r in registries if isinstance(r, Registry)]

    async def run() -> BatchSummary:
        with progress() as bar:
            task = bar.add_task(f"Checking {path.name}", total=len(items), note="")
            try:
                return await run_batch(
                    items,
                    registries,
                    out,
                    concurrency=args.concurrency,
                    limit=args.limit,
                    timeout=args.timeout,
                    progress=lambda done, total: bar.update(task, completed=done),
                    # In-process, as each report is made: a file read back from disk is never
                    # signed (anyone can edit one and recompute its digest).
                    sign=None if key is None else lambda report: sign_report(report, key),
                )
            finally:
                await asyncio.gather(*(r.aclose() for r in opened), return_exceptions=True)

    summary = asyncio.run(run())
    counts = ", ".join(f"{n} {c}" for c, n in sorted(summary.by_conclusion.items()))
    print(
        f"Checked {summary.checked} of {summary.objects} objects ({summary.skipped_finished} "
        f"already finished, not checked again): {counts or 'none'}. Reports in "
        f"{out / 'reports'}; summary {out / 'summary.csv'} and {out / 'summary.html'}"
    )
    for lot, why in summary.failed.items():
        print(printable(f"not checked: {lot}: {why}"), file=sys.stderr)
    if summary.failed:
        print(
            f"{len(summary.failed)} objects could not be checked; run the same command again "
            "to retry them (the finished ones are not checked again)",
            file=sys.stderr,
        )
    return exit_code(summary.conclusion)
