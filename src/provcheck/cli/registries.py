"""`provcheck registries`: the installed registers, and whether their settings are complete."""

from __future__ import annotations

import argparse
import json

from provcheck.cli.common import Commands, add_command
from provcheck.registers.discovery import registry_statuses

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    """`registries`."""
    registries = add_command(
        commands,
        "registries",
        "list installed registers and whether their settings are complete",
        "provcheck registries --json",
    )
    registries.add_argument("--json", action="store_true", help="print as JSON")
    registries.set_defaults(run=_command_registries)


def _command_registries(args: argparse.Namespace) -> int:
    statuses = registry_statuses()
    if args.json:
        print(json.dumps([status.as_json() for status in statuses], indent=2))
        return 0
    if not statuses:
        print("No registers installed. Install a plugin, e.g. `uv add provcheck-fbi`.")
        return 0
    print(f"{'NAME':<10} {'ACCESS':<9} {'SETTINGS':<11} {'VERSION':<9} TITLE")
    for status in statuses:
        access = status.access.value if status.access is not None else "-"
        print(
            f"{status.name:<10} {access:<9} {status.settings:<11} "
            f"{status.version or '-':<9} {status.title or ''}"
        )
        if status.detail:
            print(f"{'':10} {status.detail}")
    return 0
