"""`provcheck registries`: the installed registers, whether their settings are complete, how each
is reached and how fresh its data is."""

from __future__ import annotations

import argparse
import json
import sys

from provcheck.cli.common import STORE_HELP, Commands, add_command, store_location
from provcheck.errors import InputError
from provcheck.registers.discovery import MirrorInfo, registry_statuses
from provcheck.reports.terminal import printable
from provcheck.store.mirroring import mirrors_in
from provcheck.store.opening import open_store, store_exists

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    """`registries`."""
    registries = add_command(
        commands,
        "registries",
        "list installed registers, whether their settings are complete, how each is reached",
        "provcheck registries --json",
    )
    registries.add_argument("--json", action="store_true", help="print as JSON")
    registries.add_argument("--store", metavar="STORE", help=STORE_HELP)
    registries.set_defaults(run=_command_registries)


def _command_registries(args: argparse.Namespace) -> int:
    statuses = registry_statuses(_mirrors(args))
    if args.json:
        print(json.dumps([status.as_json() for status in statuses], indent=2))
        return 0
    if not statuses:
        print("No registers installed. Install a plugin, e.g. `uv add provcheck-fbi`.")
        return 0
    width = max(10, *(len(status.name) for status in statuses))
    print(f"{'NAME':<{width}} {'ACCESS':<9} {'SETTINGS':<11} {'VERSION':<9} TITLE")
    for status in statuses:
        access = status.access.value if status.access is not None else "-"
        print(
            f"{status.name:<{width}} {access:<9} {status.settings:<11} "
            f"{status.version or '-':<9} {status.title or ''}"
        )
        if status.reached is not None:
            print(f"{'':{width}} reached: {status.reached}; data: {status.freshness}")
        if status.detail:
            print(f"{'':{width}} {status.detail}")
    return 0


def _mirrors(args: argparse.Namespace) -> dict[str, MirrorInfo]:
    """The local store's mirror of each installed register that has one; none without a store
    (listing registers never makes one)."""
    location = store_location(args)
    if not store_exists(location):
        return {}
    try:
        with open_store(location) as store:
            return mirrors_in(store)
    except InputError as error:
        # Listing what is installed goes on; the store's trouble is said, and its mirrors are
        # not listed (a check of `local` reports it as failed, with the same reason).
        print(
            printable(f"provcheck: warning: {error}; its mirrors are not listed"), file=sys.stderr
        )
        return {}
