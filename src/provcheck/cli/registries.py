"""`provcheck registries`: the installed registers, and whether their settings are complete."""

from __future__ import annotations

import argparse
import json
from typing import Any

from provcheck.cli.common import Commands, add_command
from provcheck.errors import ProvcheckError
from provcheck.registers.discovery import installed_registries
from provcheck.registers.registry import env_var_name

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
    rows: list[dict[str, Any]] = []
    for name, entry in installed_registries().items():
        row: dict[str, Any] = {"name": name, "distribution": entry.distribution}
        row["version"] = entry.version
        try:
            cls = entry.load()
        except ProvcheckError as error:
            row |= {"access": None, "title": None, "settings": "broken", "detail": str(error)}
            rows.append(row)
            continue
        row |= {"access": cls.access.value, "title": cls.title, "homepage": cls.homepage}
        row["environment"] = [env_var_name(name, option) for option in cls.Settings.model_fields]
        try:
            cls.Settings.load(name)
            row |= {"settings": "complete", "detail": None}
        except ProvcheckError as error:
            row |= {"settings": "incomplete", "detail": str(error)}
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No registers installed. Install a plugin, e.g. `uv add provcheck-fbi`.")
        return 0
    print(f"{'NAME':<10} {'ACCESS':<9} {'SETTINGS':<11} {'VERSION':<9} TITLE")
    for row in rows:
        print(
            f"{row['name']:<10} {row['access'] or '-':<9} {row['settings']:<11} "
            f"{row['version'] or '-':<9} {row['title'] or ''}"
        )
        if row["detail"]:
            print(f"{'':10} {row['detail']}")
    return 0
