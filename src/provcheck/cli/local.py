"""`provcheck local ...`: the local store -- records imported into it, and what it holds."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from provcheck.cli.common import STORE_HELP, Commands, add_command, progress, store_location
from provcheck.reports.terminal import printable
from provcheck.store.importing import import_file, load_mapping
from provcheck.store.opening import open_store

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    """`local` and its commands."""
    local = commands.add_parser("local", help="the local store: import records, show what it holds")
    local_commands = local.add_subparsers(dest="local_command", required=True, metavar="COMMAND")
    importer = add_command(
        local_commands,
        "import",
        "import records from JSON Lines or CSV",
        "provcheck local import adapters/provcheck-fbi/src/provcheck_fbi/seed/nsaf_data.csv --mapping nsaf",
        "provcheck local import our-losses.jsonl --registry local",
        description=(
            "Import a .jsonl file (one Record per line; image paths relative to the file) or a .csv"
            " file with --mapping. All or nothing per file, unless --skip-bad; re-importing a record"
            " updates it."
        ),
    )
    importer.add_argument("file", metavar="FILE")
    importer.add_argument(
        "--mapping", metavar="NAME|FILE.json", help="CSV columns to Object ID fields"
    )
    importer.add_argument(
        "--registry", metavar="NAME", help="store every record under this register"
    )
    importer.add_argument(
        "--skip-bad", action="store_true", help="import the good rows, list the bad"
    )
    importer.add_argument("--store", metavar="STORE", help=STORE_HELP)
    importer.set_defaults(run=_command_local_import)
    stats = add_command(
        local_commands,
        "stats",
        "records per register, images, last import, store size",
        "provcheck local stats --json",
    )
    stats.add_argument("--store", metavar="STORE", help=STORE_HELP)
    stats.add_argument("--json", action="store_true", help="print as JSON")
    stats.set_defaults(run=_command_local_stats)


def _command_local_import(args: argparse.Namespace) -> int:
    mapping = load_mapping(args.mapping) if args.mapping else None
    with open_store(store_location(args)) as store, progress() as bar:
        task = bar.add_task(f"Reading {Path(args.file).name}", total=None, note="")
        summary = import_file(
            store,
            args.file,
            mapping=mapping,
            registry=args.registry,
            skip_bad=args.skip_bad,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
        location = store.location
    for problem in summary.skipped:
        print(printable(f"skipped {problem}"), file=sys.stderr)
    for problem in summary.renumbered[:10]:  # the first few: a file repeated may have thousands
        print(printable(f"numbered {problem}"), file=sys.stderr)
    if len(summary.renumbered) > 10:
        print(f"numbered {len(summary.renumbered) - 10:,} more repeated ids", file=sys.stderr)
    per_register = ", ".join(f"{name}: {count:,}" for name, count in summary.registries.items())
    numbered = len(summary.renumbered)
    print(
        f"Imported {summary.added + summary.updated:,} records from {args.file} into {location}: "
        f"{summary.added:,} added, {summary.updated:,} updated, {len(summary.skipped):,} skipped"
        + (f" ({per_register})" if per_register else "")
        + f"; {summary.rows:,} rows read"
        + (f", {numbered:,} repeated id{'s' if numbered != 1 else ''} numbered" if numbered else "")
    )
    return 0


def _command_local_stats(args: argparse.Namespace) -> int:
    with open_store(store_location(args)) as store:
        stats = store.stats()
        mirrors = {r: store.mirror_state(r) for r in stats.records_by_registry}
    last = stats.last_import
    if args.json:
        print(json.dumps(stats.as_json(), indent=2))
        return 0
    print(f"Store: {stats.path} ({stats.size_bytes / 1e6:.1f} MB)")
    if not stats.records_by_registry:
        print("No records yet: `provcheck local import FILE` adds some.")
    for registry, count in stats.records_by_registry.items():
        print(f"  {registry:<12} {count:>8,} records")
    print(f"  {'images':<12} {stats.images:>8,}")
    for registry in stats.records_by_registry:
        state = mirrors.get(registry)
        if state is not None:
            print(f"Mirror of {registry}: synced at {state.synced_at}")
    if last is not None:
        print(
            f"Last import: {last.source} at {last.finished_at} "
            f"({last.added:,} added, {last.updated:,} updated, {last.skipped:,} skipped)"
        )
    return 0
