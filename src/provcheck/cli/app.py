"""The `provcheck` command: a thin layer over the library.

Exit codes (DESIGN.md): 0 no match found, 1 possible match, 3 incomplete, 2 usage or input error;
70 an internal error (a bug in provcheck).
An expected error prints one line -- what was wrong, where, what to do -- and no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import json
import os
import shlex
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from provcheck._version import __version__
from provcheck.batch import BatchSummary, read_catalogue, run_batch
from provcheck.cases import CaseFile, CaseVerification
from provcheck.cli.demo import run_demo
from provcheck.engine import DEFAULT_LIMIT, MAX_LIMIT, MAX_TIMEOUT_S, check, resume
from provcheck.errors import (
    ConfigurationError,
    InputError,
    ProvcheckError,
    RegistryError,
    first_problem,
)
from provcheck.model.description import ObjectDescription
from provcheck.model.record import Record
from provcheck.model.report import CheckReport, Conclusion, verify_report
from provcheck.registers.discovery import installed_registries, open_registry
from provcheck.registers.registry import Registry, env_var_name
from provcheck.reports.signing import SigningKey, configured_key, default_key_path, sign_report
from provcheck.reports.terminal import PrintableStream, printable, render_report
from provcheck.store.importing import import_file, load_mapping
from provcheck.store.local import LocalSettings
from provcheck.store.mirroring import MirrorSummary, mirror
from provcheck.store.sqlite import LocalStore
from provcheck.testing.mocks import Faults, installed_mocks, load_mock, serve
from provcheck.userfiles import writable_folder, write_atomically

__all__ = ["main"]

EXIT_NO_MATCH = 0
EXIT_POSSIBLE_MATCH = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERNAL_ERROR = 70  # sysexits' EX_SOFTWARE: a bug in provcheck, whatever the input
_EXIT_FOR = {
    Conclusion.NO_MATCH_FOUND: EXIT_NO_MATCH,
    Conclusion.POSSIBLE_MATCH: EXIT_POSSIBLE_MATCH,
    Conclusion.INCOMPLETE: EXIT_INCOMPLETE,
}

# Object ID fields as `check` options: option name -> ObjectDescription field.
_QUERY_OPTIONS = {
    "title": "title",
    "maker": "maker",
    "object_type": "object_type",
    "materials": "materials",
    "measurements": "measurements",
    "period": "period",
    "inscriptions": "inscriptions",
    "subject": "subject",
    "features": "distinguishing_features",
    "description": "description",
    "inventory_number": "inventory_number",
    "place_of_origin": "place_of_origin",
}
_SCHEMAS: dict[str, type[BaseModel]] = {
    "report": CheckReport,
    "query": ObjectDescription,
    "record": Record,
}


def _load_query(args: argparse.Namespace) -> ObjectDescription:
    data: dict[str, Any] = {}
    if args.query:
        data = ObjectDescription.from_file(args.query).model_dump(exclude_defaults=True)
    for option, name in _QUERY_OPTIONS.items():
        value = getattr(args, option)
        if value is not None:
            if name == "maker":  # the option replaces whatever maker the file gave
                data.pop("makers", None)
                data.pop("maker_text", None)
            data[name] = value
    for image in args.image or []:
        if image.startswith(("http://", "https://")):
            continue
        if not Path(image).exists():
            raise InputError(f"--image {image}: no such file")
        if not Path(image).is_file():
            raise InputError(
                f"--image {image}: not a regular file (a folder, device or FIFO); give a photograph"
            )
    if args.image:
        data["images"] = [*data.get("images", []), *args.image]
    try:
        query = ObjectDescription.model_validate(data)
    except ValidationError as error:
        where, problem = first_problem(error)
        raise InputError(f"--{(where or 'query').replace('_', '-')}: {problem}") from None
    if query.is_empty:
        raise InputError("nothing to check: give --title, --maker, ... or --query FILE.json")
    return query


@contextlib.contextmanager
def _searching(what: str) -> Iterator[None]:
    """A spinner on a terminal while registers are searched: a register whose staff answer
    later may keep the check waiting for up to its deadline."""
    console = Console(file=_raw_stderr())
    if not console.is_terminal:
        yield
        return
    with console.status(f"{what} (registers that answer later may take up to a minute)"):
        yield


def _writable_file(path: Path, option: str) -> Path:
    """`path` if a file can be written there, checked before any register is asked: a paid or
    submitted search whose report cannot then be written is lost."""
    if path.is_dir():
        raise InputError(
            f"{option} {path}: is a folder; give a file name in it, e.g. {path / 'report.json'}"
        )
    if path.exists() or path.is_symlink():
        # A report is a record -- maybe signed, maybe cited by a later one -- and whatever else
        # is there is someone's: nothing is written over.
        kind = "a file" if path.is_file() else "something that is not a regular file"
        raise InputError(
            f"{option} {path}: {kind} is already there, and a report is never written over "
            "anything; give another name (or move that one away)"
        )
    writable_folder(path.parent, option, path)
    return path


def _report_paths(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """Where `check --out` writes the JSON report and, with `--format html`, the page beside it:
    the page never without the JSON that `provcheck verify` checks."""
    if not args.out:
        return None, None
    out = _writable_file(Path(args.out), "--out")
    if args.format != "html":
        return out, None
    json_path = out.with_suffix(".json")
    if json_path == out:
        return out, _writable_file(out.with_suffix(".html"), "--out")
    return _writable_file(json_path, "--out"), out


def _command_check(args: argparse.Namespace) -> int:
    query = _load_query(args)
    json_path, html_path = _report_paths(args)
    key = _signing_key(args)  # a key that cannot be read is said before any register is asked
    if args.case:  # the case is there and can be added to: said before any register is asked
        store, cases = _cases(args, key=key)
        with store:
            cases.writable(args.case)
    names: list[str] = args.registry or list(installed_registries())
    local = open_registry("local", path=args.store) if args.store and "local" in names else None
    chosen = [local if name == "local" and local is not None else name for name in names]
    try:
        with _searching("Searching the registers"):
            report = check(query, chosen, limit=args.limit, timeout=args.timeout)
    finally:
        if local is not None:
            asyncio.run(local.aclose())
    if key is not None:
        report = sign_report(report, key)
    if args.case:
        store, cases = _cases(args, key=key)
        with store:
            entry = cases.add_check(args.case, report)
        print(f"Case {entry.case_id}: entry {entry.sequence} (check) added", file=sys.stderr)
    if args.format == "html" and not args.out:
        print(report.to_html())
        return _EXIT_FOR[report.conclusion]
    if json_path is not None:
        write_atomically(json_path, report.to_json() + "\n")
    if html_path is not None:
        write_atomically(html_path, report.to_html())
    saved = [str(p) for p in (json_path, html_path) if p is not None]
    if args.json:
        print(report.to_json())
    else:
        print(render_report(report, saved_as=str(json_path) if json_path else None))
        if saved:
            print(f"Report written to {' and '.join(saved)}")
    return _EXIT_FOR[report.conclusion]


def _resumed_path(report: Path) -> Path:
    """Where a resumed report goes by default: beside the one it resumes, never over it (the new
    report cites the old one's digest; both are the record)."""
    for number in range(1, 1000):
        suffix = "" if number == 1 else f"-{number}"
        candidate = report.with_name(f"{report.stem}.resumed{suffix}{report.suffix or '.json'}")
        if not candidate.exists():
            return candidate
    raise InputError(f"{report}: too many resumed reports beside it; give --out FILE")


def _command_resume(args: argparse.Namespace) -> int:
    given = Path(args.report)
    out = Path(args.out) if args.out else _resumed_path(given)
    if out.exists() and given.exists() and out.resolve() == given.resolve():
        raise InputError(
            f"--out {args.out}: is the report being resumed; the new report cites it, so both "
            "are kept: give another file"
        )
    _writable_file(out, "--out")
    key = _signing_key(args)
    earlier = verify_report(given, trust=[key.key_id]) if key is not None else None
    # The new report is signed whole, the earlier one's outcomes included: the key vouches only
    # for what it signed before, never for a file someone else may have written. (A changed
    # report is refused by `resume` itself, in its own words.)
    unsigned = earlier is not None and not earlier.ok and earlier.recorded == earlier.computed
    if key is not None and unsigned:
        raise InputError(
            f"{given} is not signed by this key ({key.key_id}); a signed report can only "
            "resume one you signed"
        )
    with _searching("Asking the registers for their answers"):
        report = resume(given, reply=args.reply, limit=args.limit, timeout=args.timeout)
    if key is not None:
        report = sign_report(report, key)
    write_atomically(out, report.to_json() + "\n")
    if args.json:
        print(report.to_json())
    else:
        print(render_report(report, saved_as=str(out)))
        print(f"Report written to {out} (the report it resumes, {given}, is kept as it was)")
    return _EXIT_FOR[report.conclusion]


def _mock_values(items: Sequence[str] | None, option: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"{option} {item!r}: expected NAME=VALUE")
        values[name.strip()] = value.strip()
    return values


def _command_mock_serve(args: argparse.Namespace) -> int:
    faults = Faults.parse(args.fault or [])
    mock = load_mock(args.name)(faults, _mock_values(args.set, "--set"))
    address = f"http://{args.host}:{args.port}"
    print(mock.about)
    if faults != Faults():
        print(f"Faults: {faults.model_dump(exclude_defaults=True)}")
    print("Point provcheck (or your collections software) at it:")
    for option, value in {**mock.client_settings, "base_url": address}.items():
        print(f"  export {env_var_name(args.name, option)}={shlex.quote(str(value))}")
    print(f"  provcheck check --title ... --registry {args.name}\n")
    serve(mock.app, host=args.host, port=args.port)
    return 0


def _command_mock_list(args: argparse.Namespace) -> int:
    mocks = installed_mocks()
    if not mocks:
        print("No mock services installed: the register plugins that ship one provide them.")
    for name, target in mocks.items():
        print(f"{name:<10} {target}")
    return 0


def _command_batch(args: argparse.Namespace) -> int:
    out = Path(args.out)
    path = Path(args.catalogue)
    writable_folder(Path(args.out), "--out")
    key = _signing_key(args)
    items, problems = read_catalogue(path)
    if problems and not args.skip_bad:
        more = f" (and {len(problems) - 1} more bad rows)" if len(problems) > 1 else ""
        raise InputError(
            f"{problems[0]}{more}; nothing was checked: fix the file, or use --skip-bad"
        )
    for problem in problems:
        print(printable(f"skipped {problem}"), file=sys.stderr)
    if not items:  # nothing checked must never read as "no match found"
        raise InputError(f"{path}: every row was bad ({len(problems)}); nothing to check")
    registries: list[Registry | str] = []
    for name in args.registry or list(installed_registries()):
        settings = {"path": args.store} if name == "local" and args.store else {}
        try:
            registries.append(open_registry(name, **settings))
        except ConfigurationError:
            registries.append(name)  # each check reports it as failed, with the reason
    opened = [r for r in registries if isinstance(r, Registry)]

    async def run() -> BatchSummary:
        with _progress() as progress:
            task = progress.add_task(f"Checking {path.name}", total=len(items), note="")
            try:
                return await run_batch(
                    items,
                    registries,
                    Path(args.out),
                    concurrency=args.concurrency,
                    limit=args.limit,
                    timeout=args.timeout,
                    progress=lambda done, total: progress.update(task, completed=done),
                    # In-process, as each report is made: a file read back from disk is never
                    # signed (anyone can edit one and recompute its digest).
                    sign=None if key is None else lambda report: sign_report(report, key),
                )
            finally:
                await asyncio.gather(*(r.aclose() for r in opened), return_exceptions=True)

    summary = asyncio.run(run())
    counts = ", ".join(f"{n} {c}" for c, n in sorted(summary.by_conclusion.items()))
    print(
        f"Checked {summary.checked} of {summary.objects} objects ({summary.skipped_finished} "
        f"already finished, not checked again): {counts or 'none'}. Reports in "
        f"{out / 'reports'}; summary {out / 'summary.csv'} and {out / 'summary.html'}"
    )
    for lot, why in summary.failed.items():
        print(printable(f"not checked: {lot}: {why}"), file=sys.stderr)
    if summary.failed:
        print(
            f"{len(summary.failed)} objects could not be checked; run the same command again "
            "to retry them (the finished ones are not checked again)",
            file=sys.stderr,
        )
    if summary.by_conclusion.get(Conclusion.POSSIBLE_MATCH.value):
        return EXIT_POSSIBLE_MATCH
    incomplete = summary.failed or summary.by_conclusion.get(Conclusion.INCOMPLETE.value)
    return EXIT_INCOMPLETE if incomplete else 0


_TRUST_HELP = (
    "a key that must have signed (repeatable): a key file, a .pub file, a public key or a key id"
)


def _signing_key(args: argparse.Namespace) -> SigningKey | None:
    """The key reports and case entries are signed with: --signing-key, else
    $PROVCHECK_SIGNING_KEY, else the key `provcheck key new` made; None: unsigned."""
    return configured_key(getattr(args, "signing_key", None))


def _cases(
    args: argparse.Namespace, *, create: bool = False, key: SigningKey | None = None
) -> tuple[LocalStore, CaseFile]:
    """The store's case files; a command that only reads them makes no store where none is;
    one that adds to them signs with `key`."""
    path = _store_path(args)
    if not create and not path.is_file():
        raise InputError(
            f"there is no local store at {path}, so no cases yet; open one with "
            "`provcheck case new TITLE` (or give --store PATH)"
        )
    store = LocalStore(path)
    return store, CaseFile(store, key=key)


def _command_case_new(args: argparse.Namespace) -> int:
    store, cases = _cases(args, create=True, key=_signing_key(args))
    with store:
        entry = cases.new(args.title, description=args.description)
    print(f"Opened case {entry.case_id}: {args.title}")
    print(f"  provcheck check ... --case {entry.case_id}   # its checks go into its history")
    return 0


def _command_case_list(args: argparse.Namespace) -> int:
    found: list[tuple[str, str, str]] = []
    if _store_path(args).is_file():
        store, cases = _cases(args)
        with store:
            found = cases.cases()
    if not found:
        print("No cases yet: `provcheck case new TITLE` opens one.")
    for case_id, title, opened in found:
        print(f"{case_id}  {opened[:19]}  {title}")
    return 0


def _command_case_show(args: argparse.Namespace) -> int:
    store, cases = _cases(args)
    with store:
        entries = cases.entries(args.case)
        verification = cases.verify(args.case)
    for entry in entries:
        attached = f" [attached: {entry.attachment.name}]" if entry.attachment else ""
        signed = f" [signed: {entry.signature.signer}]" if entry.signature else ""
        print(
            f"{entry.sequence:>3}. {entry.at:%Y-%m-%d %H:%M} {entry.kind.value:<7} {entry.text}"
            f"{attached}{signed}"
        )
    print(_verification_line(verification))
    return 0 if verification.ok else 1


def _command_case_note(args: argparse.Namespace) -> int:
    store, cases = _cases(args, key=_signing_key(args))
    with store:
        entry = cases.add_note(args.case, args.text)
    print(f"Case {entry.case_id}: entry {entry.sequence} (note) added")
    return 0


def _command_case_record(args: argparse.Namespace) -> int:
    store, cases = _cases(args, key=_signing_key(args))
    attach = Path(args.attach) if args.attach else None
    with store:
        entry = cases.add_record(args.case, args.text, attach=attach)
    print(f"Case {entry.case_id}: entry {entry.sequence} (record) added")
    return 0


def _command_case_verify(args: argparse.Namespace) -> int:
    store, cases = _cases(args)
    with store:
        verification = cases.verify(args.case, trust=args.trust)
    line = _verification_line(verification)
    print(line, file=sys.stdout if verification.ok else sys.stderr)
    return 0 if verification.ok else 1


def _command_case_export(args: argparse.Namespace) -> int:
    store, cases = _cases(args)
    with store:
        export = cases.export(args.case, Path(args.out))
    attached = f", {len(export.attachments)} attached files" if export.attachments else ""
    print(
        f"Dossier of case {args.case}: {export.html} and {export.json} "
        f"({export.entries} entries{attached})"
    )
    print(_verification_line(export.verification))
    return 0 if export.verification.ok else 1


def _verification_line(verification: CaseVerification) -> str:
    return verification.line


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


def _command_schema(args: argparse.Namespace) -> int:
    print(json.dumps(_SCHEMAS[args.model].model_json_schema(mode="serialization"), indent=2))
    return 0


def _command_demo(args: argparse.Namespace) -> int:
    run_demo(writable_folder(Path(args.out), "--out"))
    return 0


def _store_path(args: argparse.Namespace) -> Path:
    """The store `--store` names, else PROVCHECK_LOCAL_PATH, else the per-user default."""
    given = {"path": args.store} if args.store else {}
    return LocalSettings.load("local", **given).store_path()


def _raw_stderr() -> TextIO:
    """Standard error itself, for the progress bars' own control sequences (everything else
    goes through `PrintableStream`)."""
    return sys.stderr.raw if isinstance(sys.stderr, PrintableStream) else sys.stderr


def _progress() -> Progress:
    """A progress bar on stderr for long work (counts, a note, time left); none off a terminal."""
    console = Console(file=_raw_stderr())
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


def _command_local_import(args: argparse.Namespace) -> int:
    mapping = load_mapping(args.mapping) if args.mapping else None
    with LocalStore(_store_path(args)) as store, _progress() as progress:
        task = progress.add_task(f"Reading {Path(args.file).name}", total=None, note="")
        summary = import_file(
            store,
            args.file,
            mapping=mapping,
            registry=args.registry,
            skip_bad=args.skip_bad,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
        location = store.path
    for problem in summary.skipped:
        print(printable(f"skipped {problem}"), file=sys.stderr)
    for problem in summary.renumbered[:10]:  # the first few: a file repeated may have thousands
        print(printable(f"numbered {problem}"), file=sys.stderr)
    if len(summary.renumbered) > 10:
        print(f"numbered {len(summary.renumbered) - 10:,} more repeated ids", file=sys.stderr)
    per_register = ", ".join(f"{name}: {count:,}" for name, count in summary.registries.items())
    numbered = len(summary.renumbered)
    print(
        f"Imported {summary.added + summary.updated:,} records from {args.file} into {location}: "
        f"{summary.added:,} added, {summary.updated:,} updated, {len(summary.skipped):,} skipped"
        + (f" ({per_register})" if per_register else "")
        + f"; {summary.rows:,} rows read"
        + (f", {numbered:,} repeated id{'s' if numbered != 1 else ''} numbered" if numbered else "")
    )
    return 0


def _command_mirror(args: argparse.Namespace) -> int:
    registry = open_registry(args.name)
    with LocalStore(_store_path(args)) as store, _progress() as progress:
        task = progress.add_task(f"Mirroring {args.name}", total=None, note="")

        started = time.monotonic()

        def show(summary: MirrorSummary) -> None:
            rate = summary.fetched / max(1e-6, time.monotonic() - started)
            note = (
                f"{rate:,.0f} records/s; images: {summary.images_fetched:,} fetched, "
                f"{summary.images_kept:,} kept"
            )
            progress.update(task, completed=summary.fetched, total=summary.expected, note=note)

        async def run() -> MirrorSummary:
            async with registry:
                return await mirror(
                    registry, store, image_size=args.image_size, full=args.full, progress=show
                )

        try:
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
        location = store.path
    kind = "full" if summary.full else "incremental"
    print(
        f"Mirrored {args.name} into {location} ({kind}, synced at {summary.synced_at}): "
        f"{summary.fetched:,} records fetched ({summary.added:,} added, {summary.updated:,} "
        f"updated), {summary.removed:,} marked removed; images: {summary.images_fetched:,} "
        f"fetched, {summary.images_kept:,} already kept, {summary.images_failed:,} failed"
    )
    return 0


def _command_local_stats(args: argparse.Namespace) -> int:
    with LocalStore(_store_path(args)) as store:
        stats = store.stats()
        mirrors = {r: store.mirror_state(r) for r in stats.records_by_registry}
    last = stats.last_import
    if args.json:
        print(
            json.dumps(
                {
                    "path": str(stats.path),
                    "size_bytes": stats.size_bytes,
                    "records": stats.records_by_registry,
                    "images": stats.images,
                    "last_import": None if last is None else vars(last),
                },
                indent=2,
            )
        )
        return 0
    print(f"Store: {stats.path} ({stats.size_bytes / 1e6:.1f} MB)")
    if not stats.records_by_registry:
        print("No records yet: `provcheck local import FILE` adds some.")
    for registry, count in stats.records_by_registry.items():
        print(f"  {registry:<12} {count:>8,} records")
    print(f"  {'images':<12} {stats.images:>8,}")
    for registry in stats.records_by_registry:
        state = mirrors.get(registry)
        if state is not None:
            print(f"Mirror of {registry}: synced at {state.synced_at}")
    if last is not None:
        print(
            f"Last import: {last.source} at {last.finished_at} "
            f"({last.added:,} added, {last.updated:,} updated, {last.skipped:,} skipped)"
        )
    return 0


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
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


def _count(text: str) -> int:
    """A whole number from 1 to `MAX_LIMIT` (argparse names the option when this refuses)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"{text}: give a whole number from 1 to {MAX_LIMIT}")
    return value


def _seconds(text: str) -> float:
    """Seconds: a finite number above 0, at most `MAX_TIMEOUT_S` (a day)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= MAX_TIMEOUT_S:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text}: give seconds above 0, at most {MAX_TIMEOUT_S}")
    return value


def _search_options(parser: argparse.ArgumentParser) -> None:
    """What every command that searches registers takes."""
    parser.add_argument(
        "--limit", type=_count, default=DEFAULT_LIMIT, help="records asked of each register"
    )
    parser.add_argument("--timeout", type=_seconds, help="seconds each register may take")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="provcheck",
        description="Check an object against registers of stolen and missing cultural property.",
        epilog="Exit codes: 0 no match found, 1 possible match, 3 incomplete, 2 usage or input error.",
    )
    parser.add_argument("--version", action="version", version=f"provcheck {__version__}")
    parser.add_argument(
        "--signing-key",
        metavar="PATH",
        help="sign reports and case entries with this key (default: $PROVCHECK_SIGNING_KEY, "
        "else the key `provcheck key new` made, if any)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = _command(
        commands,
        "demo",
        "run sample checks on bundled data (no network, no set-up)",
        "provcheck demo --out /tmp/provcheck-demo",
        description="Build a sample register in a temporary store and run three sample checks.",
    )
    demo.add_argument(
        "--out", default="provcheck-demo", metavar="DIR", help="where to write the reports"
    )
    demo.set_defaults(run=_command_demo)

    local = commands.add_parser("local", help="the local store: import records, show what it holds")
    local_commands = local.add_subparsers(dest="local_command", required=True, metavar="COMMAND")
    store_help = "the store file (default: $PROVCHECK_LOCAL_PATH, else the per-user data folder)"
    importer = _command(
        local_commands,
        "import",
        "import records from JSON Lines or CSV",
        "provcheck local import fixtures/nsaf/nsaf_data.csv --mapping nsaf",
        "provcheck local import our-losses.jsonl --registry local",
        description=(
            "Import a .jsonl file (one Record per line; image paths relative to the file) or a .csv"
            " file with --mapping. All or nothing per file, unless --skip-bad; re-importing a record"
            " updates it."
        ),
    )
    importer.add_argument("file", metavar="FILE")
    importer.add_argument(
        "--mapping", metavar="NAME|FILE.json", help="CSV columns to Object ID fields"
    )
    importer.add_argument(
        "--registry", metavar="NAME", help="store every record under this register"
    )
    importer.add_argument(
        "--skip-bad", action="store_true", help="import the good rows, list the bad"
    )
    importer.add_argument("--store", metavar="PATH", help=store_help)
    importer.set_defaults(run=_command_local_import)
    stats = _command(
        local_commands,
        "stats",
        "records per register, images, last import, store size",
        "provcheck local stats --json",
    )
    stats.add_argument("--store", metavar="PATH", help=store_help)
    stats.add_argument("--json", action="store_true", help="print as JSON")
    stats.set_defaults(run=_command_local_stats)

    check_parser = _command(
        commands,
        "check",
        "check one object against the registers",
        "provcheck check --title Acorn --maker Tiffany --period 1906 --registry local"
        " --out report.json",
        description="Check one object, described by Object ID fields and photographs.",
    )
    fields = check_parser.add_argument_group("the object (Object ID)")
    for option in _QUERY_OPTIONS:
        fields.add_argument(f"--{option.replace('_', '-')}", dest=option, metavar="TEXT")
    fields.add_argument(
        "--image", action="append", metavar="PATH", help="a photograph (repeatable)"
    )
    fields.add_argument("--query", metavar="FILE.json", help="Object ID fields as a JSON object")
    check_parser.add_argument(
        "--registry",
        action="append",
        metavar="NAME",
        help="a register to search (repeatable; default: all installed)",
    )
    _search_options(check_parser)
    check_parser.add_argument(
        "--case", metavar="ID", help="add this check to a case's history (provcheck case new)"
    )
    check_parser.add_argument(
        "--store",
        metavar="PATH",
        help="the local store: the `local` register's records, and the case (default:"
        " $PROVCHECK_LOCAL_PATH, else the per-user data folder)",
    )
    check_parser.add_argument(
        "--format",
        choices=("json", "html"),
        default="json",
        help="what --out writes: json (the verifiable record) or html (a page to read and print)",
    )
    check_parser.add_argument(
        "--out",
        metavar="FILE",
        help="write the JSON report to FILE (with --format html: the page, and the JSON beside it)",
    )
    check_parser.set_defaults(run=_command_check)

    resume_parser = _command(
        commands,
        "resume",
        "take up a report's pending searches (without paying or submitting again)",
        "provcheck resume report.json",
        'provcheck resume report.json --reply "66 x 45 cm; a dealer\'s label on the back"',
        description=(
            "Ask each register the report left pending for its answer, and write the new report"
            " (it names the earlier one's digest). --reply answers a register's question."
        ),
    )
    resume_parser.add_argument("report", metavar="REPORT.json")
    resume_parser.add_argument(
        "--reply", metavar="TEXT", help="the answer to a register's question"
    )
    _search_options(resume_parser)
    resume_parser.add_argument(
        "--out",
        metavar="FILE",
        help="write the new report here (default: REPORT.resumed.json beside it; never over it)",
    )
    resume_parser.set_defaults(run=_command_resume)

    mock = commands.add_parser("mock", help="mock register services, for testing an integration")
    mock_commands = mock.add_subparsers(dest="mock_command", required=True, metavar="COMMAND")
    serve_parser = _command(
        mock_commands,
        "serve",
        "run a register's mock service as a real HTTP server",
        "provcheck mock serve alr --port 8081",
        "provcheck mock serve lsad --port 8082 --set review_seconds=30 --fault rate_limited=3",
        description=(
            "Serve the mock of a register's service, with its seed records, on HOST:PORT until"
            " interrupted; print the settings that point provcheck at it."
        ),
    )
    serve_parser.add_argument("name", metavar="NAME", help="the register (see `mock list`)")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8081)
    serve_parser.add_argument(
        "--fault",
        action="append",
        metavar="NAME=VALUE",
        help=f"inject a fault (repeatable): {', '.join(Faults.model_fields)}",
    )
    serve_parser.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="a mock setting (repeatable)"
    )
    serve_parser.set_defaults(run=_command_mock_serve)
    mock_list = _command(
        mock_commands, "list", "list the installed mock services", "provcheck mock list"
    )
    mock_list.set_defaults(run=_command_mock_list)

    batch = _command(
        commands,
        "batch",
        "check every object of a catalogue (.csv or .jsonl), resumably",
        "provcheck batch fixtures/catalogue/catalogue.csv --registry local --out checks/",
        description=(
            "Check each object of a catalogue: CSV columns named after Object ID fields (title,"
            " maker or artist, period or date, measurements or dimensions, materials or medium,"
            " images or photo (paths or URLs, ';' between), id or lot, ...), or one JSON object a"
            " line. Writes a report per object, a journal, and a summary (CSV, HTML) by concern."
            " Run again, it checks only what is not finished."
        ),
    )
    batch.add_argument("catalogue", metavar="CATALOGUE")
    batch.add_argument("--out", default="provcheck-batch", metavar="DIR", help="where to write")
    batch.add_argument(
        "--registry", action="append", metavar="NAME", help="a register (default: all installed)"
    )
    batch.add_argument("--concurrency", type=_count, default=4, help="objects checked at once")
    batch.add_argument("--skip-bad", action="store_true", help="check the good rows, list the bad")
    batch.add_argument(
        "--limit", type=_count, default=DEFAULT_LIMIT, help="records asked of each register"
    )
    batch.add_argument("--timeout", type=_seconds, help="seconds each register may take")
    batch.add_argument(
        "--store", metavar="PATH", help="the local store the `local` register searches"
    )
    batch.set_defaults(run=_command_batch)

    case = commands.add_parser("case", help="case files: one object's checks, notes and records")
    case_commands = case.add_subparsers(dest="case_command", required=True, metavar="COMMAND")
    case_new = _command(
        case_commands,
        "new",
        "open a case about one object",
        'provcheck case new "Bryullov, The Horsewoman, offered by X Gallery"',
    )
    case_new.add_argument("title", metavar="TITLE")
    case_new.add_argument("--description", metavar="TEXT")
    case_new.set_defaults(run=_command_case_new)
    case_list = _command(case_commands, "list", "the cases in the store", "provcheck case list")
    case_list.set_defaults(run=_command_case_list)
    case_show = _command(
        case_commands,
        "show",
        "a case's history, and whether it is intact",
        "provcheck case show C-…",
    )
    case_show.add_argument("case", metavar="ID")
    case_show.set_defaults(run=_command_case_show)
    case_note = _command(
        case_commands, "note", "add a note", 'provcheck case note C-… "seller confirms provenance"'
    )
    case_note.add_argument("case", metavar="ID")
    case_note.add_argument("text", metavar="TEXT")
    case_note.set_defaults(run=_command_case_note)
    case_record = _command(
        case_commands,
        "record",
        "record an outcome a person received, with a file",
        'provcheck case record C-… "certificate S00123 received 2026-12-01" --attach cert.pdf',
    )
    case_record.add_argument("case", metavar="ID")
    case_record.add_argument("text", metavar="TEXT")
    case_record.add_argument("--attach", metavar="FILE", help="a file to keep with the entry")
    case_record.set_defaults(run=_command_case_record)
    case_verify = _command(
        case_commands,
        "verify",
        "check that no entry of a case was changed (exit 0 intact, 1 changed)",
        "provcheck case verify C-…",
    )
    case_verify.add_argument("case", metavar="ID")
    case_verify.add_argument("--trust", action="append", metavar="KEY", help=_TRUST_HELP)
    case_verify.set_defaults(run=_command_case_verify)
    case_export = _command(
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
        parser_.add_argument("--store", metavar="PATH", help=store_help)

    key = commands.add_parser("key", help="the organisation's signing key")
    key_commands = key.add_subparsers(dest="key_command", required=True, metavar="COMMAND")
    key_new = _command(
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
    key_show = _command(
        key_commands, "show", "the signing key's signer, id and public key", "provcheck key show"
    )
    key_show.add_argument("key", nargs="?", metavar="PATH", help="a key file (default: configured)")
    key_show.set_defaults(run=_command_key_show)

    mirror_parser = _command(
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
    mirror_parser.add_argument("--store", metavar="PATH", help=store_help)
    mirror_parser.set_defaults(run=_command_mirror)

    registries = _command(
        commands,
        "registries",
        "list installed registers and whether their settings are complete",
        "provcheck registries --json",
    )
    registries.add_argument("--json", action="store_true", help="print as JSON")
    registries.set_defaults(run=_command_registries)

    verify = _command(
        commands,
        "verify",
        "check that a saved report has not been changed",
        "provcheck verify report.json   (exit 0 verified, 1 changed, 2 unreadable)",
    )
    verify.add_argument("report", metavar="REPORT.json")
    verify.add_argument("--trust", action="append", metavar="KEY", help=_TRUST_HELP)
    verify.set_defaults(run=_command_verify)

    schema = _command(
        commands,
        "schema",
        "print the JSON Schema of the report (or of a query or record)",
        "provcheck schema report > report.schema.json",
    )
    schema.add_argument("model", nargs="?", choices=sorted(_SCHEMAS), default="report")
    schema.set_defaults(run=_command_schema)
    return parser


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The arguments; an option the command does not know is the command's own error, with its
    usage and the option it was probably meant to be."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command: argparse.ArgumentParser = getattr(args, "command_parser", parser)
        options = [o for action in command._actions for o in action.option_strings]
        close = difflib.get_close_matches(unknown[0].partition("=")[0], options, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        command.error(f"unrecognized arguments: {' '.join(unknown)}{hint}")
    return args


def _internal_error(error: Exception) -> int:
    """A bug, not the user's mistake: say so, keep the details for the report, exit with a code
    of its own (never one a script would read as a conclusion)."""
    details = "".join(traceback.format_exception(error))
    log = None
    with contextlib.suppress(OSError):
        handle, name = tempfile.mkstemp(prefix="provcheck-error-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as file:
            file.write(f"provcheck {__version__}, Python {sys.version}\n{' '.join(sys.argv)}\n\n")
            file.write(details)
        log = name
    where = f"; the details are in {log}" if log else ""
    print(
        printable(
            f"provcheck: internal error: {type(error).__name__}: {error}. This is a bug in "
            f"provcheck, not a problem with your input{where}. Please report it to the "
            f"provcheck maintainers (the command you ran, this message and that file)."
        ),
        file=sys.stderr,
    )
    return EXIT_INTERNAL_ERROR


def _not_text(argv: Sequence[str]) -> str | None:
    """Why an argument cannot be taken (bytes that are not UTF-8 reach Python as surrogates,
    which no report, store or terminal can hold), or None."""
    for position, value in enumerate(argv, start=1):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            shown = value.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            return (
                f"argument {position} ({shown[:80]}) is not UTF-8 text (byte {error.start}); "
                "give it in UTF-8, as the terminal's locale should"
            )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    problem = _not_text(given)
    if problem is not None:
        print(f"provcheck: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    # Whatever a report, a register or a file says reaches the terminal as text, never as
    # control sequences (the progress bars write to the real standard error, not through this);
    # argparse's own usage errors quote the arguments too.
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PrintableStream(stdout), PrintableStream(stderr)
    args: argparse.Namespace | None = None
    try:
        args = _parse(given)
        code: int = args.run(args)
    except ProvcheckError as error:
        # One line, whatever the message quotes from a file (a header cell may hold a newline).
        message = str(error).replace("\r", "\\r").replace("\n", "\\n")
        print(printable(f"provcheck: error: {message}"), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        again = (
            ": what is finished is kept; run the same command again to continue"
            if args is not None and args.command in ("batch", "mirror")
            else ""
        )
        print(f"provcheck: interrupted{again}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`provcheck ... | head`): nothing is wrong with provcheck.
        sys.stdout = stdout
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as error:
        return _internal_error(error)
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        sys.stdout, sys.stderr = stdout, stderr
    return code


if __name__ == "__main__":
    sys.exit(main())
