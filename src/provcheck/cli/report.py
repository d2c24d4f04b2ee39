"""`provcheck verify` (a saved report not changed, and who signed it) and `provcheck schema`
(the JSON Schema of a report, a query or a record)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import BaseModel

from provcheck.cli.common import TRUST_HELP, Commands, add_command
from provcheck.model.description import ObjectDescription
from provcheck.model.record import Record
from provcheck.model.report import CheckReport
from provcheck.reports.signing import verify_report

__all__ = ["add_commands"]

_SCHEMAS: dict[str, type[BaseModel]] = {
    "report": CheckReport,
    "query": ObjectDescription,
    "record": Record,
}


def add_commands(commands: Commands) -> None:
    """`verify` and `schema`."""
    verify = add_command(
        commands,
        "verify",
        "check that a saved report has not been changed",
        "provcheck verify report.json   (exit 0 verified, 1 changed, 2 unreadable)",
    )
    verify.add_argument("report", metavar="REPORT.json")
    verify.add_argument("--trust", action="append", metavar="KEY", help=TRUST_HELP)
    verify.set_defaults(run=_command_verify)

    schema = add_command(
        commands,
        "schema",
        "print the JSON Schema of the report (or of a query or record)",
        "provcheck schema report > report.schema.json",
    )
    schema.add_argument("model", nargs="?", choices=sorted(_SCHEMAS), default="report")
    schema.set_defaults(run=_command_schema)


def _command_verify(args: argparse.Namespace) -> int:
    result = verify_report(Path(args.report), trust=args.trust)
    if result.ok and result.signature_ok and result.trusted:
        print(
            f"{args.report}: digest and signature verified: signed by {result.signed_by} (key "
            f"{result.key_id}), a trusted key, at {result.signed_at}; digest {result.recorded}"
        )
        return 0
    if result.ok and result.signature_ok:
        # Anyone can make a key under any name: without --trust, the name is only a claim.
        print(
            f"{args.report}: digest and signature verified: signed by a key claiming to be "
            f"{result.signed_by} (key {result.key_id}) at {result.signed_at}; not checked "
            f"against a trusted key (--trust KEYFILE); digest {result.recorded}"
        )
        return 0
    if result.ok:
        print(
            f"{args.report}: digest verified ({result.recorded}); unsigned: this shows the file "
            "was not changed by accident, not who wrote it"
        )
        return 0
    if result.recorded != result.computed:
        print(
            f"{args.report}: digest MISMATCH: the report was changed after it was written "
            f"(recorded {result.recorded}, computed {result.computed})",
            file=sys.stderr,
        )
    else:
        print(f"{args.report}: NOT VERIFIED: {result.problem}", file=sys.stderr)
    return 1


def _command_schema(args: argparse.Namespace) -> int:
    print(json.dumps(_SCHEMAS[args.model].model_json_schema(mode="serialization"), indent=2))
    return 0
