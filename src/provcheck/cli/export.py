"""`provcheck export`: one's records, with their photographs, in the forms registers and partners
take -- Object ID records (JSON Lines), CSV with its mapping, or LIDO (`provcheck.store.exporting`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from provcheck.cli.common import STORE_HELP, Commands, add_command, existing_store, progress
from provcheck.errors import InputError
from provcheck.model.record import Record, RecordStatus, split_record_key
from provcheck.reports.terminal import printable
from provcheck.store.exporting import EXPORT_FORMATS, ExportSummary, export_records
from provcheck.store.interface import Store
from provcheck.store.opening import open_store

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    """`export`."""
    exporter = add_command(
        commands,
        "export",
        "export records and their photographs as Object ID JSON Lines, CSV or LIDO",
        "provcheck export --format lido --out for-the-register/",
        "provcheck export --format csv --out stolen-2024/ --status stolen --status missing",
        "provcheck export --format objectid --out one/ --record LOSS-2001 --record LOSS-2002",
        description=(
            "Write a register's records (default: one's own, `local`) into a folder: records.jsonl"
            " (objectid), records.csv with records.mapping.json (csv) or records.lido.xml (lido);"
            " the photographs in images/ with SHA256SUMS; and manifest.json. Each can be imported"
            " again with `provcheck local import`."
        ),
    )
    exporter.add_argument("--format", required=True, choices=EXPORT_FORMATS, help="what to write")
    exporter.add_argument("--out", required=True, metavar="FOLDER", help="the folder to write")
    exporter.add_argument(
        "--registry",
        default="local",
        metavar="NAME",
        help="export this register's records (default: local, one's own)",
    )
    exporter.add_argument(
        "--record",
        action="append",
        default=[],
        metavar="KEY",
        help="only this record: ID (of --registry) or REGISTER:ID (repeatable)",
    )
    exporter.add_argument(
        "--status",
        action="append",
        default=[],
        choices=[status.value for status in RecordStatus],
        help="only records of this status (repeatable)",
    )
    exporter.add_argument(
        "--overwrite", action="store_true", help="write over a previous export in the folder"
    )
    exporter.add_argument("--store", metavar="STORE", help=STORE_HELP)
    exporter.set_defaults(run=_command_export)


def _command_export(args: argparse.Namespace) -> int:
    out = Path(args.out)
    with open_store(existing_store(args)) as store, progress() as bar:
        records = _chosen(store, args)
        store_removed = [] if args.record else store.removed_records(args.registry)
        task = bar.add_task(f"Exporting to {out}", total=len(records), note="")
        summary = export_records(
            store,
            records,
            out,
            format=args.format,
            registry=args.registry,
            overwrite=args.overwrite,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    said = _said(summary)
    if not args.record:
        removed = len(store_removed)
        if removed:
            said += (
                f"; {removed:,} removed record{'s' if removed != 1 else ''} of {args.registry} "
                "left out (not found by checks either; name one with --record to export it)"
            )
    print(printable(said))
    return 0


def _chosen(store: Store, args: argparse.Namespace) -> list[Record]:
    """The records to export: those named, else the register's; of the statuses given."""
    if args.record:
        records = []
        for key in args.record:
            try:
                registry, record_id = split_record_key(key, registry=args.registry)
            except ValueError as error:
                raise InputError(f"--record {key}: {error}") from None
            record = store.get(registry, record_id)
            if record is None:
                raise InputError(
                    f"--record {key}: no record {registry}:{record_id} in the store "
                    f"({store.location}); `provcheck local stats` lists what it holds"
                )
            records.append(record)
    else:
        records = list(store.iter_records(args.registry))
    statuses = set(args.status)
    return [r for r in records if not statuses or r.status.value in statuses]


def _said(summary: ExportSummary) -> str:
    """One line: what was written, and where."""
    images = f"{summary.images:,} photograph{'s' if summary.images != 1 else ''}"
    notes = []
    if summary.bounded_copies:
        notes.append(
            f"{summary.bounded_copies:,} of them the store's bounded copies, as the original "
            "files are gone or changed"
        )
    if summary.missing_images:
        notes.append(
            f"{summary.missing_images:,} left out, with neither a file nor a copy in the store"
        )
    noted = f" ({'; '.join(notes)})" if notes else ""
    records = f"{summary.records:,} record{'s' if summary.records != 1 else ''}"
    return f"Exported {records} and {images}{noted} as {summary.format} to {summary.out}"
