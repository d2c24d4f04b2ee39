"""What the commands share: how a command is declared, option types, the signing key,
the local store's path, progress on the terminal."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO, TypeAlias

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from provcheck.engine import MAX_LIMIT, MAX_TIMEOUT_S
from provcheck.errors import InputError
from provcheck.reports.signing import SigningKey, configured_key
from provcheck.reports.terminal import PrintableStream
from provcheck.store.local_register import LocalSettings
from provcheck.store.opening import a_folder_for_a_store, store_exists

__all__ = [
    "STORE_HELP",
    "TRUST_HELP",
    "Commands",
    "add_command",
    "count",
    "existing_store",
    "progress",
    "raw_stderr",
    "searching",
    "seconds",
    "signing_key",
    "store_location",
]

STORE_HELP = (
    "the store: a file, or postgresql://user@host/database (default: $PROVCHECK_STORE_URL,"
    " else $PROVCHECK_LOCAL_PATH, else the per-user data folder)"
)
TRUST_HELP = (
    "a key that must have signed (repeatable): a key file, a .pub file, a public key or a key id"
)

# What `add_subparsers` returns: where each command group adds its commands.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_command(
    commands: Commands,
    name: str,
    summary: str,
    *examples: str,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """A command whose --help ends with how to use it: every command has an example."""
    heading = "example:" if len(examples) == 1 else "examples:"
    command = commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog="\n  ".join([heading, *examples]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.set_defaults(command_parser=command)  # whose usage an unknown option shows
    return command


def count(text: str) -> int:
    """A whole number from 1 to `MAX_LIMIT` (argparse names the option when this refuses)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"{text}: give a whole number from 1 to {MAX_LIMIT}")
    return value


def seconds(text: str) -> float:
    """Seconds: a finite number above 0, at most `MAX_TIMEOUT_S` (a day)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= MAX_TIMEOUT_S:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text}: give seconds above 0, at most {MAX_TIMEOUT_S}")
    return value


def signing_key(args: argparse.Namespace) -> SigningKey | None:
    """The key reports and case entries are signed with: --signing-key, else
    $PROVCHECK_SIGNING_KEY, else the key `provcheck key new` made; None: unsigned."""
    return configured_key(getattr(args, "signing_key", None))


def store_location(args: argparse.Namespace) -> str | Path:
    """The store `--store` names (a file's path or a database's URL), else $PROVCHECK_STORE_URL,
    else $PROVCHECK_LOCAL_PATH, else the per-user default file."""
    given = {"path": args.store} if args.store else {}
    return LocalSettings.load("local", **given).store_location()


def existing_store(args: argparse.Namespace) -> str | Path:
    """`store_location`, for a command that only reads or changes what a store holds: one that is
    not there is an `InputError` (a mistyped path would otherwise become a new, empty store)."""
    location = store_location(args)
    if not store_exists(location):
        raise InputError(
            a_folder_for_a_store(location)
            or f"{location}: no store there; `provcheck local import FILE` makes one"
        )
    return location


def raw_stderr() -> TextIO:
    """Standard error itself, for the progress bars' own control sequences (everything else
    goes through `PrintableStream`)."""
    return sys.stderr.raw if isinstance(sys.stderr, PrintableStream) else sys.stderr


def progress() -> Progress:
    """A progress bar on stderr for long work (counts, a note, time left); none off a terminal."""
    console = Console(file=raw_stderr())
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@contextlib.contextmanager
def said_what_is_kept(done: list[int], what: str) -> Iterator[None]:
    """Long work that keeps each batch as it goes, stopped by an `InputError` (the store busy,
    or gone) once `done[0]` of `what` are written: the error says they are kept, and to run the
    command again, as an interruption does."""
    try:
        yield
    except InputError as error:
        if not done[0]:
            raise
        raise InputError(
            f"{error}; the {done[0]:,} {what} before it are kept: run the same command again "
            "to continue"
        ) from None


@contextlib.contextmanager
def searching(what: str) -> Iterator[None]:
    """A spinner on a terminal while registers are searched: a register whose staff answer
    later may keep the check waiting for up to its deadline."""
    console = Console(file=raw_stderr())
    if not console.is_terminal:
        yield
        return
    with console.status(f"{what} (registers that answer later may take up to a minute)"):
        yield
