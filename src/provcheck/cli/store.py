"""`provcheck store ...`: the store itself -- bringing it up to this program's schema."""

from __future__ import annotations

import argparse

from provcheck.cli.common import STORE_HELP, Commands, add_command, store_location
from provcheck.store.opening import upgrade_store
from provcheck.store.postgres_schema import shown_url

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    """`store` and its commands."""
    store = commands.add_parser("store", help="the store itself: upgrade its schema")
    store_commands = store.add_subparsers(dest="store_command", required=True, metavar="COMMAND")
    upgrade = add_command(
        store_commands,
        "upgrade",
        "bring a store made by an earlier provcheck up to this one's schema",
        "provcheck store upgrade",
        "provcheck store upgrade --store postgresql://provcheck@db.example.org/provcheck",
        description=(
            "Apply the schema's migrations to the store, in one transaction: all of them, or none."
            " Run it once, for everyone who uses the store, after installing a newer provcheck"
            " (back the store up first). A store already up to date is left as it is."
        ),
    )
    upgrade.add_argument("--store", metavar="STORE", help=STORE_HELP)
    upgrade.set_defaults(run=_command_upgrade)


def _command_upgrade(args: argparse.Namespace) -> int:
    location = store_location(args)
    found, now = upgrade_store(location)
    where = shown_url(str(location))
    if found == 0:
        print(f"{where}: there was no store; a new one was made, at schema {now}")
    elif found == now:
        print(f"{where}: store schema {now}, up to date")
    else:
        print(f"{where}: store schema {found} upgraded to {now}")
    return 0
