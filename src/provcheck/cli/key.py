"""`provcheck key ...`: the organisation's signing key, made and shown."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from provcheck.cli.common import Commands, add_command
from provcheck.errors import InputError
from provcheck.reports.signing import SigningKey, configured_key, default_key_path

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    """`key` and its commands."""
    key = commands.add_parser("key", help="the organisation's signing key")
    key_commands = key.add_subparsers(dest="key_command", required=True, metavar="COMMAND")
    key_new = add_command(
        key_commands,
        "new",
        "make a signing key: reports and case entries are then signed with it",
        'provcheck key new --signer "Musée Exemple, registrar"',
        'provcheck key new --signer "Musée Exemple" --out ~/keys/provcheck.pem',
        description=(
            "Make an Ed25519 key in a new file readable by you only (default: the per-user data"
            " folder, used from then on), and its public key in FILE.pub to give to verifiers."
        ),
    )
    key_new.add_argument("--signer", required=True, metavar="NAME", help="who signs: your name")
    key_new.add_argument("--out", metavar="PATH", help="where to write the key")
    key_new.set_defaults(run=_command_key_new)
    key_show = add_command(
        key_commands, "show", "the signing key's signer, id and public key", "provcheck key show"
    )
    key_show.add_argument("key", nargs="?", metavar="PATH", help="a key file (default: configured)")
    key_show.set_defaults(run=_command_key_show)


def _command_key_new(args: argparse.Namespace) -> int:
    path = Path(args.out) if args.out else default_key_path()
    key = SigningKey.generate(args.signer)
    key.save(path)
    print(f"Signing key of {key.signer} written to {path} (readable by you only: keep it private)")
    print(f"  key id:     {key.key_id}")
    print(f"  public key: {key.public_key.text}")
    print(f"Give {path}.pub to whoever verifies: `provcheck verify REPORT.json --trust FILE`.")
    if args.out:
        print(f"Sign with it: export PROVCHECK_SIGNING_KEY={shlex.quote(str(path))}")
    else:
        print("Reports and case entries written on this account are signed with it from now on.")
    return 0


def _command_key_show(args: argparse.Namespace) -> int:
    key = configured_key(args.key or getattr(args, "signing_key", None))
    if key is None:
        raise InputError(
            "no signing key is configured ($PROVCHECK_SIGNING_KEY, or the default "
            f"{default_key_path()}); `provcheck key new --signer NAME` makes one"
        )
    print(f"Signer:     {key.signer}")
    print(f"Key id:     {key.key_id}")
    print(f"Public key: {key.public_key.text}")
    print(f"Key file:   {key.path}")
    return 0
