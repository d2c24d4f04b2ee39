"""`provcheck mirror`: a register with bulk access copied into the local store, kept up to date."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from provcheck.cli.common import (
    STORE_HELP,
    Commands,
    add_command,
    progress,
    said_what_is_kept,
    store_location,
)
from provcheck.cli.exit_codes import EXIT_INCOMPLETE
from provcheck.errors import RegistryError
from provcheck.registers.discovery import open_registry
from provcheck.reports.terminal import printable
from provcheck.store.mirroring import MirrorSummary, mirror
from provcheck.store.opening import open_store

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    """`mirror`."""
    mirror_parser = add_command(
        commands,
        "mirror",
        "copy a register into the local store, to search it by photograph and by any words",
        "provcheck mirror fbi",
        "provcheck mirror fbi --full --image-size thumb",
        description=(
            "Store every record of a register with bulk access in the local store, fetch and"
            " fingerprint its images, and keep it up to date: a second run fetches only what"
            " changed, and marks what the register no longer holds. Interrupted, run it again:"
            " nothing kept is fetched twice."
        ),
    )
    mirror_parser.add_argument("name", metavar="NAME", help="the register (e.g. fbi)")
    mirror_parser.add_argument(
        "--full", action="store_true", help="list every record again, not only what changed"
    )
    mirror_parser.add_argument(
        "--image-size", default="large", metavar="SIZE", help="image variant to keep (large)"
    )
    mirror_parser.add_argument("--store", metavar="STORE", help=STORE_HELP)
    mirror_parser.set_defaults(run=_command_mirror)


def _command_mirror(args: argparse.Namespace) -> int:
    registry = open_registry(args.name)
    with open_store(store_location(args)) as store, progress() as bar:
        task = bar.add_task(f"Mirroring {args.name}", total=None, note="")

        started = time.monotonic()
        written = [0]  # records in batches written: kept whatever stops the rest

        def show(summary: MirrorSummary) -> None:
            written[0] = summary.added + summary.updated
            rate = summary.fetched / max(1e-6, time.monotonic() - started)
            note = (
                f"{rate:,.0f} records/s; images: {summary.images_fetched:,} fetched, "
                f"{summary.images_kept:,} kept"
            )
            bar.update(task, completed=summary.fetched, total=summary.expected, note=note)

        async def run() -> MirrorSummary:
            async with registry:
                return await mirror(
                    registry, store, image_size=args.image_size, full=args.full, progress=show
                )

        try:
            with said_what_is_kept(written, "records written"):
                summary = asyncio.run(run())
        except RegistryError as error:
            kept = store.count(args.name)
            print(
                printable(
                    f"provcheck: mirror of {args.name} incomplete: {error}; {kept:,} records "
                    "kept. Run it again to continue: nothing kept is fetched twice."
                ),
                file=sys.stderr,
            )
            return EXIT_INCOMPLETE
        location = store.location
    kind = "full" if summary.full else "incremental"
    print(
        f"Mirrored {args.name} into {location} ({kind}, synced at {summary.synced_at}): "
        f"{summary.fetched:,} records fetched ({summary.added:,} added, {summary.updated:,} "
        f"updated), {summary.removed:,} marked removed; images: {summary.images_fetched:,} "
        f"fetched, {summary.images_kept:,} already kept, {summary.images_failed:,} failed"
    )
    return 0
