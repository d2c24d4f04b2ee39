"""`provcheck loss ...`: an object of one's own stolen -- reported to every register that takes
reports in one step, and their answers kept with the record."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from provcheck.cli.common import STORE_HELP, Commands, add_command, existing_store, searching
from provcheck.cli.local import own_records
from provcheck.collection.losses import loss_registries, record_loss_answer, report_loss
from provcheck.model.loss import SubmissionState
from provcheck.reports.terminal import printable
from provcheck.store.opening import open_store

__all__ = ["add_commands"]

# The exit code when a register did not take the report: the same as an incomplete check's.
_EXIT_NOT_ALL_TAKEN = 3


def add_commands(commands: Commands) -> None:
    """`loss` and its commands."""
    loss = commands.add_parser(
        "loss", help="report an object of one's own stolen, to every register"
    )
    loss_commands = loss.add_subparsers(dest="loss_command", required=True, metavar="COMMAND")
    report = add_command(
        loss_commands,
        "report",
        "mark a record stolen and report it to the registers (a registration, the police's "
        "report, referrals)",
        'provcheck loss report LOSS-2001 --date 2026-11-28 --place "Bologna, Italy" '
        '--police-reference "CR 4521/26" --registry alr',
        "provcheck loss report LOSS-2001 --date 2026-11-28 --place Lyon   # every register",
        description=(
            "Sets the record's status (stolen), date and place of the loss, then reports it to "
            "each register named (default: every installed register that takes loss reports): "
            "a register with a service registers it and gives its number; for the others the "
            "document to send is prepared -- the police's report and the referrals always are, "
            "unless --only. Every answer and document is kept in the record's "
            "history (`provcheck local history RECORD`). Exit 0 when every register took it, "
            "3 when one failed or refused."
        ),
    )
    report.add_argument("record", metavar="RECORD", help="REGISTER:ID, or ID of `local`")
    report.add_argument(
        "--registry",
        action="append",
        metavar="NAME",
        help=f"repeatable (default: {', '.join(loss_registries()) or 'every one that takes them'})",
    )
    report.add_argument(
        "--only",
        action="store_true",
        help="the registers named only (default: the police's report and the referrals are "
        "prepared too: documents, sent by no one but you)",
    )
    report.add_argument("--date", metavar="DATE", help="when it was stolen (default: as recorded)")
    report.add_argument("--place", metavar="TEXT", help="where (default: as recorded)")
    report.add_argument("--police-reference", metavar="TEXT", help="the crime reference number")
    report.add_argument("--police-force", metavar="TEXT", help="the force that holds the report")
    report.add_argument("--circumstances", metavar="TEXT", help="how it was taken")
    report.add_argument(
        "--owner", metavar="TEXT", help="who reports it: the owner, the institution"
    )
    report.add_argument("--contact", metavar="TEXT", help="how the registers reach the owner")
    report.add_argument("--by", metavar="NAME", help="who makes the report, for the history")
    report.add_argument("--store", metavar="STORE", help=STORE_HELP)
    report.set_defaults(run=_command_loss_report)

    answer = add_command(
        loss_commands,
        "answer",
        "keep what a register or the police answered a loss report sent by a person",
        'provcheck loss answer LOSS-2001 --registry lsad --reference "CR 4521/26" '
        '--result "crime report taken by the Metropolitan Police"',
    )
    answer.add_argument("record", metavar="RECORD", help="REGISTER:ID, or ID of `local`")
    answer.add_argument("--registry", required=True, metavar="NAME")
    answer.add_argument("--result", default="", metavar="TEXT", help="what they answered")
    answer.add_argument("--reference", metavar="TEXT", help="their number for it")
    answer.add_argument("--attach", metavar="FILE", help="their letter or e-mail, kept")
    answer.add_argument("--by", metavar="NAME", help="who records it, for the history")
    answer.add_argument("--store", metavar="STORE", help=STORE_HELP)
    answer.set_defaults(run=_command_loss_answer)


def _command_loss_report(args: argparse.Namespace) -> int:
    with open_store(existing_store(args)) as store:
        own = own_records(args, store)
        with searching("Reporting the loss"):
            outcome = report_loss(
                store,
                args.record,
                registries=args.registry,
                date=args.date,
                place=args.place,
                police_reference=args.police_reference,
                police_force=args.police_force,
                circumstances=args.circumstances,
                reported_by=args.owner,
                contact=args.contact,
                key=own.cases.key,
                by=own.by,
                only=args.only,
            )
    record = outcome.record
    loss = ", ".join(
        p
        for p in (record.date_of_loss.text if record.date_of_loss else "", record.place_of_loss)
        if p
    )
    print(printable(f"{record.key}: {record.description.summary()} -- stolen ({loss})"))
    for submission in outcome.submissions:
        number = (
            f" -- number {submission.reference}"
            if submission.reference and submission.reference not in submission.message
            else ""
        )
        fee = f" (fee {submission.fee})" if submission.fee else ""
        message = submission.message.removeprefix(f"{submission.registry}: ")
        print(
            printable(
                f"  {submission.registry:<12} {submission.state.value:<10} {message}{number}{fee}"
            )
        )
        if submission.state == SubmissionState.PREPARED and submission.document is not None:
            print(printable(f"  {'':<12} send to: {submission.document.send_to}"))
    prepared = any(s.document is not None for s in outcome.submissions)
    print(
        f"Kept in the record's history{', with the documents to send' if prepared else ''}: "
        f"`provcheck local history {record.key}`, "
        f"`provcheck case export {outcome.case_id} --out FOLDER`"
    )
    if outcome.failed:
        names = ", ".join(s.registry for s in outcome.failed)
        print(f"Not taken by {names}: see above; report there again or by hand", file=sys.stderr)
        return _EXIT_NOT_ALL_TAKEN
    return 0


def _command_loss_answer(args: argparse.Namespace) -> int:
    with open_store(existing_store(args)) as store:
        own = own_records(args, store)
        entry = record_loss_answer(
            store,
            args.record,
            args.registry,
            result=args.result,
            reference=args.reference,
            attach=Path(args.attach) if args.attach else None,
            key=own.cases.key,
            by=own.by,
        )
    print(f"Kept in the history of {args.record} (case {entry.case_id}, entry {entry.sequence})")
    return 0
