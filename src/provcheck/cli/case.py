"""`provcheck case ...`: one object's case file -- its checks, notes and records -- in the local
store: opened, added to, shown, verified, exported as a dossier."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from provcheck.cases import CaseFile
from provcheck.cli.common import (
    STORE_HELP,
    TRUST_HELP,
    Commands,
    add_command,
    signing_key,
    store_location,
)
from provcheck.errors import InputError
from provcheck.store.opening import a_folder_for_a_store, store_exists

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    """`case` and its commands."""
    case = commands.add_parser("case", help="case files: one object's checks, notes and records")
    case_commands = case.add_subparsers(dest="case_command", required=True, metavar="COMMAND")
    case_new = add_command(
        case_commands,
        "new",
        "open a case about one object",
        'provcheck case new "Bryullov, The Horsewoman, offered by X Gallery"',
    )
    case_new.add_argument("title", metavar="TITLE")
    case_new.add_argument("--description", metavar="TEXT")
    case_new.set_defaults(run=_command_case_new)
    case_list = add_command(case_commands, "list", "the cases in the store", "provcheck case list")
    case_list.set_defaults(run=_command_case_list)
    case_show = add_command(
        case_commands,
        "show",
        "a case's history, and whether it is intact",
        "provcheck case show C-…",
    )
    case_show.add_argument("case", metavar="ID")
    case_show.set_defaults(run=_command_case_show)
    case_note = add_command(
        case_commands, "note", "add a note", 'provcheck case note C-… "seller confirms provenance"'
    )
    case_note.add_argument("case", metavar="ID")
    case_note.add_argument("text", metavar="TEXT")
    case_note.set_defaults(run=_command_case_note)
    case_record = add_command(
        case_commands,
        "record",
        "record an outcome a person received, with a file; or a referral's answer",
        'provcheck case record C-… "certificate S00123 received 2026-12-01" --attach cert.pdf',
        'provcheck case record C-… --referral interpol --result "no trace" --attach answer.pdf',
    )
    case_record.add_argument("case", metavar="ID")
    case_record.add_argument(
        "text", metavar="TEXT", nargs="?", help="what was received (with --referral: the result)"
    )
    case_record.add_argument("--attach", metavar="FILE", help="a file to keep with the entry")
    case_record.add_argument(
        "--referral",
        metavar="REGISTER",
        help="the register searched by a person whose answer this is: the case's latest check "
        "is made again with it searched",
    )
    case_record.add_argument(
        "--result", metavar="TEXT", help="the register's answer (with --referral): 'no trace'"
    )
    case_record.add_argument(
        "--found",
        action="store_true",
        help="the answer names a possible match (with --referral): the check is a possible match",
    )
    case_record.add_argument(
        "--by", metavar="NAME", help="who recorded it (default: the signing key's signer)"
    )
    case_record.set_defaults(run=_command_case_record)
    case_verify = add_command(
        case_commands,
        "verify",
        "check that no entry of a case was changed (exit 0 intact, 1 changed)",
        "provcheck case verify C-…",
    )
    case_verify.add_argument("case", metavar="ID")
    case_verify.add_argument("--trust", action="append", metavar="KEY", help=TRUST_HELP)
    case_verify.set_defaults(run=_command_case_verify)
    case_export = add_command(
        case_commands,
        "export",
        "write a case's dossier (HTML and JSON, with attachments)",
        "provcheck case export C-… --out dossier/",
    )
    case_export.add_argument("case", metavar="ID")
    case_export.add_argument("--out", metavar="DIR", default=".", help="where to write it")
    case_export.set_defaults(run=_command_case_export)
    for parser_ in (
        case_new,
        case_list,
        case_show,
        case_note,
        case_record,
        case_verify,
        case_export,
    ):
        parser_.add_argument("--store", metavar="STORE", help=STORE_HELP)


def _command_case_new(args: argparse.Namespace) -> int:
    with CaseFile.open(store_location(args), create=True, key=signing_key(args)) as cases:
        entry = cases.new(args.title, description=args.description)
    print(f"Opened case {entry.case_id}: {args.title}")
    print(f"  provcheck check ... --case {entry.case_id}   # its checks go into its history")
    return 0


def _command_case_list(args: argparse.Namespace) -> int:
    found: list[tuple[str, str, str]] = []
    location = store_location(args)
    if store_exists(location) or a_folder_for_a_store(location):  # a folder: said, not "none"
        with CaseFile.open(location) as cases:
            found = cases.cases()
    if not found:
        print("No cases yet: `provcheck case new TITLE` opens one.")
    for case_id, title, opened in found:
        print(f"{case_id}  {opened[:19]}  {title}")
    return 0


def _command_case_show(args: argparse.Namespace) -> int:
    with CaseFile.open(store_location(args)) as cases:
        entries = cases.entries(args.case)
        verification = cases.verify(args.case)
    for entry in entries:
        attached = f" [attached: {entry.attachment.name}]" if entry.attachment else ""
        signed = f" [signed: {entry.signature.signer}]" if entry.signature else ""
        # A text of several lines continues under a bar: none of its lines reads as an entry.
        first, *more = (entry.text or "").splitlines() or [""]
        print(
            f"{entry.sequence:>3}. {entry.at:%Y-%m-%d %H:%M} {entry.kind.value:<7} {first}"
            f"{attached}{signed}"
        )
        for line in more:
            print(f"{'':22}| {line}")
    print(verification.line)
    return 0 if verification.ok else 1


def _command_case_note(args: argparse.Namespace) -> int:
    with CaseFile.open(store_location(args), key=signing_key(args)) as cases:
        entry = cases.add_note(args.case, args.text)
    print(f"Case {entry.case_id}: entry {entry.sequence} (note) added")
    return 0


def _command_case_record(args: argparse.Namespace) -> int:
    attach = Path(args.attach) if args.attach else None
    if args.referral:
        return _record_referral(args, attach)
    if args.result or args.found or args.by:
        raise InputError("--result, --found and --by go with --referral REGISTER")
    if not args.text:
        raise InputError("say what was received: provcheck case record ID TEXT")
    with CaseFile.open(store_location(args), key=signing_key(args)) as cases:
        entry = cases.add_record(args.case, args.text, attach=attach)
    print(f"Case {entry.case_id}: entry {entry.sequence} (record) added")
    return 0


def _record_referral(args: argparse.Namespace, attach: Path | None) -> int:
    if args.result and args.text:
        raise InputError("give the register's answer once: as TEXT or as --result")
    result = args.result or args.text
    if not result:
        raise InputError(f"say what {args.referral} answered: --result TEXT ('no trace', ...)")
    with CaseFile.open(store_location(args), key=signing_key(args)) as cases:
        recorded, check = cases.record_referral(
            args.case, args.referral, result, found=args.found, attachment=attach, by=args.by
        )
    print(
        f"Case {check.case_id}: entry {recorded.sequence} (record) and entry {check.sequence} "
        f"({check.text}) added; {args.referral} now counts as searched"
    )
    return 0


def _command_case_verify(args: argparse.Namespace) -> int:
    with CaseFile.open(store_location(args)) as cases:
        verification = cases.verify(args.case, trust=args.trust)
    print(verification.line, file=sys.stdout if verification.ok else sys.stderr)
    return 0 if verification.ok else 1


def _command_case_export(args: argparse.Namespace) -> int:
    with CaseFile.open(store_location(args)) as cases:
        export = cases.export(args.case, Path(args.out))
    attached = f", {len(export.attachments)} attached files" if export.attachments else ""
    print(
        f"Dossier of case {args.case}: {export.html} and {export.json} "
        f"({export.entries} entries{attached})"
    )
    print(export.verification.line)
    return 0 if export.verification.ok else 1
