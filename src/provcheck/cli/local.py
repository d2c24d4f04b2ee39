"""`provcheck local ...`: the local store -- records imported into it, and what it holds."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from provcheck.cli.common import (
    STORE_HELP,
    Commands,
    add_command,
    existing_store,
    progress,
    said_what_is_kept,
    signing_key,
    store_location,
)
from provcheck.collection.alerts import read_alert_file
from provcheck.collection.records import (
    EDITABLE_FIELDS,
    ListedRecord,
    OwnRecords,
    record_case_id,
)
from provcheck.errors import InputError
from provcheck.model.case import CaseEntry, EntryKind
from provcheck.model.record import Record, RecordStatus
from provcheck.reports.terminal import printable
from provcheck.store.importing import load_mapping
from provcheck.store.interface import Store
from provcheck.store.opening import open_store
from provcheck.store.refreshing import refresh_features

_STATUSES = ", ".join(status.value for status in RecordStatus)

__all__ = ["add_commands", "own_records"]


def add_commands(commands: Commands) -> None:
    """`local` and its commands."""
    local = commands.add_parser("local", help="the local store: import records, show what it holds")
    local_commands = local.add_subparsers(dest="local_command", required=True, metavar="COMMAND")
    importer = add_command(
        local_commands,
        "import",
        "import records from JSON Lines, CSV or LIDO XML",
        "provcheck local import adapters/provcheck-fbi/src/provcheck_fbi/seed/nsaf_data.csv --mapping nsaf",
        "provcheck local import our-losses.jsonl --registry local",
        description=(
            "Import a .jsonl file (one Record per line; image paths relative to the file), a .csv"
            " file with --mapping, or a LIDO .xml file (`provcheck export --format lido` writes"
            " one). All or nothing per file, unless --skip-bad; re-importing a record updates it."
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
    importer.add_argument("--store", metavar="STORE", help=STORE_HELP)
    importer.set_defaults(run=_command_local_import)
    stats = add_command(
        local_commands,
        "stats",
        "records per register, images, last import, store size",
        "provcheck local stats --json",
    )
    stats.add_argument("--store", metavar="STORE", help=STORE_HELP)
    stats.add_argument("--json", action="store_true", help="print as JSON")
    stats.set_defaults(run=_command_local_stats)
    refresh = add_command(
        local_commands,
        "refresh-features",
        "describe images stored by an earlier version again, as an import today would",
        "provcheck local refresh-features",
        description=(
            "Images keep the local features they were imported with; those stored before a"
            " register's picture kept its filling find close photographs of details less well."
            " This describes them again from the store's own copies, in place. Interrupted, run"
            " it again: it goes on where it stopped."
        ),
    )
    refresh.add_argument("--store", metavar="STORE", help=STORE_HELP)
    refresh.set_defaults(run=_command_local_refresh_features)
    _add_record_commands(local_commands)


def _add_record_commands(local_commands: Commands) -> None:
    """list, show, search, edit, remove, history, alert: one's own records, kept with their
    history."""
    listing = add_command(
        local_commands,
        "list",
        "the records of a register in the store (default: one's own, `local`)",
        "provcheck local list",
        "provcheck local list --status stolen --text erasmus --removed",
    )
    listing.add_argument("--registry", default="local", metavar="NAME", help="default: local")
    listing.add_argument("--status", metavar="STATUS", help=f"only these: {_STATUSES}")
    listing.add_argument("--text", metavar="WORDS", help="only records holding every word")
    listing.add_argument("--removed", action="store_true", help="the removed ones too")
    listing.add_argument("--json", action="store_true", help="one Record per line (JSON Lines)")
    listing.add_argument("--store", metavar="STORE", help=STORE_HELP)
    listing.set_defaults(run=_command_local_list)

    show = add_command(
        local_commands,
        "show",
        "one record, field by field, with its history",
        "provcheck local show LOSS-2001",
        "provcheck local show fbi:acorn --json",
    )
    show.add_argument("record", metavar="RECORD", help="REGISTER:ID, or ID of `local`")
    show.add_argument("--json", action="store_true", help="the record as JSON")
    show.add_argument("--store", metavar="STORE", help=STORE_HELP)
    show.set_defaults(run=_command_local_show)

    search = add_command(
        local_commands,
        "search",
        "records by their words, best first (misspellings and other languages found)",
        'provcheck local search "portret erasmus"',
    )
    search.add_argument("words", metavar="WORDS")
    search.add_argument("--registry", default="local", metavar="NAME", help="default: local")
    search.add_argument("--all-registries", action="store_true", help="every register's")
    search.add_argument("--limit", type=int, default=20, metavar="N")
    search.add_argument("--store", metavar="STORE", help=STORE_HELP)
    search.set_defaults(run=_command_local_search)

    edit = add_command(
        local_commands,
        "edit",
        "change a record's fields or add photographs; kept in its history",
        'provcheck local edit LOSS-2001 --set measurements="42 x 31 cm" --reason "measured again"',
        "provcheck local edit LOSS-2001 --add-image back.jpg --caption back",
        description=(
            "Fields: " + ", ".join(EDITABLE_FIELDS) + ". FIELD= (empty) clears one. A removed "
            "record edited is found again."
        ),
    )
    edit.add_argument("record", metavar="RECORD", help="REGISTER:ID, or ID of `local`")
    edit.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="repeatable"
    )
    edit.add_argument("--add-image", action="append", default=[], metavar="PATH", help="repeatable")
    edit.add_argument(
        "--caption",
        action="append",
        default=[],
        metavar="TEXT",
        help="the view each added image shows, in order: front, back, signature, detail ...",
    )
    edit.add_argument("--reason", metavar="TEXT", help="why, for the history")
    _add_by(edit)
    edit.set_defaults(run=_command_local_edit)

    remove = add_command(
        local_commands,
        "remove",
        "withdraw a record (kept, no longer found by checks), with the reason",
        'provcheck local remove LOSS-2001 --reason "recovered by the police" --status recovered',
    )
    remove.add_argument("record", metavar="RECORD", help="REGISTER:ID, or ID of `local`")
    remove.add_argument("--reason", required=True, metavar="TEXT", help="why it goes")
    remove.add_argument("--status", metavar="STATUS", help=f"its status now: {_STATUSES}")
    _add_by(remove)
    remove.set_defaults(run=_command_local_remove)

    history = add_command(
        local_commands,
        "history",
        "who changed a record, what and when, and whether the history is intact",
        "provcheck local history LOSS-2001",
    )
    history.add_argument("record", metavar="RECORD", help="REGISTER:ID, or ID of `local`")
    history.add_argument("--store", metavar="STORE", help=STORE_HELP)
    history.set_defaults(run=_command_local_history)

    alert = add_command(
        local_commands,
        "alert",
        "a theft alert (an e-mail or a bulletin, as text) into a record of one's own register",
        "provcheck local alert alert.eml",
        "provcheck local alert bulletin.txt --source 'Art Loss Bulletin 2026-11' --id AL-77",
    )
    alert.add_argument("file", metavar="FILE", help="the alert: .eml, or UTF-8 text")
    alert.add_argument("--registry", default="local", metavar="NAME", help="default: local")
    alert.add_argument(
        "--id",
        metavar="ID",
        help="the record's id (default: ALERT- and the digest of the alert, the same each time)",
    )
    alert.add_argument("--source", metavar="TEXT", help="where it came from (default: the file)")
    _add_by(alert)
    alert.set_defaults(run=_command_local_alert)


def _add_by(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--by",
        metavar="NAME",
        help="who makes the change (default: the signing key's signer, else the login name)",
    )
    command.add_argument("--store", metavar="STORE", help=STORE_HELP)


def own_records(args: argparse.Namespace, store: Store) -> OwnRecords:
    """The records, changed in the name of --by, else the signing key's signer, else the login."""
    key = signing_key(args)
    by = getattr(args, "by", None) or (key.signer if key is not None else None) or _login()
    return OwnRecords(store, key=key, by=by)


def _login() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name where there is no user database
        return None


def _status(text: str | None, option: str) -> RecordStatus | None:
    if text is None:
        return None
    status = RecordStatus.parse(text)
    if status == RecordStatus.UNKNOWN and text.strip().lower() != "unknown":
        raise InputError(f"{option} {text!r}: not a status; one of {_STATUSES}")
    return status


def _command_local_list(args: argparse.Namespace) -> int:
    status = _status(args.status, "--status")
    with open_store(existing_store(args)) as store:
        listed = OwnRecords(store).records(
            registry=args.registry, status=status, text=args.text, removed=args.removed
        )
    if args.json:
        for item in listed:
            print(item.record.model_dump_json())
        return 0
    for item in listed:
        print(printable(_line(item)))
    removed = sum(1 for item in listed if item.removed_at)
    print(
        f"{len(listed):,} record{'s' if len(listed) != 1 else ''} of {args.registry}"
        + (f", {removed:,} removed" if removed else ""),
        file=sys.stderr,
    )
    return 0


def _line(item: ListedRecord) -> str:
    record = item.record
    loss = ", ".join(
        part
        for part in (
            record.date_of_loss.text if record.date_of_loss else None,
            record.place_of_loss,
        )
        if part
    )
    removed = f"  [removed {item.removed_at[:10]}]" if item.removed_at else ""
    # One line a record, whatever its fields hold: a line end in a title would start another.
    return _one_line(
        f"{record.key:<28} {record.status.value:<10} {record.description.summary()}"
        + (f" ({loss})" if loss else "")
        + removed
    )


def _one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text or "\r" in text else text


def _command_local_show(args: argparse.Namespace) -> int:
    with open_store(existing_store(args)) as store:
        own = OwnRecords(store)
        listed = own.get(args.record)
        history = own.history(args.record)
    if args.json:
        print(listed.record.model_dump_json(indent=2))
        return 0
    print(printable("\n".join(_record_lines(listed))))
    if history:
        print(f"History ({len(history)} entries; `provcheck local history {listed.record.key}`):")
        for entry in history[-5:]:
            print(printable(_entry_line(entry)))
    return 0


def _record_lines(listed: ListedRecord) -> list[str]:
    record = listed.record
    lines = [record.key, f"  {'status':<24} {record.status.label}"]
    if listed.removed_at:
        lines.append(f"  {'removed':<24} {listed.removed_at} (not found by checks)")
    if record.date_of_loss:
        lines.append(f"  {'date of loss':<24} {record.date_of_loss.text}")
    if record.place_of_loss:
        lines.append(f"  {'place of loss':<24} {record.place_of_loss}")
    for name, value in record.description.text_fields().items():
        first, *more = value.splitlines() or [""]
        lines.append(f"  {name.replace('_', ' '):<24} {first}")
        lines += [f"  {'':<22} | {line}" for line in more]
    for number, image in enumerate(record.description.images, start=1):
        caption = f" ({image.caption})" if image.caption else ""
        lines.append(f"  {'photograph ' + str(number):<24} {image.location}{caption}")
    if record.url:
        lines.append(f"  {'address':<24} {record.url}")
    if record.same_as:
        lines.append(f"  {'the same object at':<24} {', '.join(record.same_as)}")
    alert = record.raw.get("alert") if isinstance(record.raw, dict) else None
    if isinstance(alert, dict):  # a record read from a theft alert: where it came from
        for field in ("source", "received", "from", "reference", "contact"):
            if isinstance(said := alert.get(field), str) and said:
                lines.append(f"  {'alert ' + field:<24} {' '.join(said.split())}")
    return lines


def _entry_line(entry: CaseEntry) -> str:
    by = entry.data.get("by")
    who = f" by {_one_line(by)}" if isinstance(by, str) else ""
    attached = f" [attached: {entry.attachment.name}]" if entry.attachment else ""
    first, *more = (entry.text or "").splitlines() or [""]
    if entry.kind == EntryKind.OPENED:
        first = "history begins, with the record as it was"
    lines = [f"{entry.sequence:>3}. {entry.at:%Y-%m-%d %H:%M}{who}: {first}{attached}"]
    fields = entry.data.get("fields")
    if isinstance(fields, dict):
        for name, change in fields.items():
            if isinstance(change, dict):
                lines.append(f"       {name}: {change.get('from')!r} -> {change.get('to')!r}")
    lines += [f"     | {line}" for line in more]
    return "\n".join(lines)


def _command_local_search(args: argparse.Namespace) -> int:
    with open_store(existing_store(args)) as store:
        found = OwnRecords(store).search(
            args.words,
            registry=None if args.all_registries else args.registry,
            limit=args.limit,
        )
    for record in found:
        print(printable(_line(ListedRecord(record))))
    print(f"{len(found):,} found", file=sys.stderr)
    return 0


def _command_local_edit(args: argparse.Namespace) -> int:
    changes: dict[str, str | None] = {}
    for assignment in args.set:
        name, equals, value = assignment.partition("=")
        if not equals:
            raise InputError(f"--set {assignment!r}: expected FIELD=VALUE (FIELD= clears it)")
        changes[name.strip()] = value
    if len(args.caption) > len(args.add_image):
        raise InputError("--caption: one per --add-image, in the same order")
    captions = [*args.caption, *[None] * (len(args.add_image) - len(args.caption))]
    images = [(Path(path), caption) for path, caption in zip(args.add_image, captions, strict=True)]
    if not changes and not images:
        raise InputError("edit: nothing to change: give --set FIELD=VALUE or --add-image PATH")
    with open_store(existing_store(args)) as store:
        record = own_records(args, store).edit(
            args.record, changes, add_images=images, reason=args.reason
        )
    print(f"Edited {record.key}: `provcheck local history {record.key}` shows the change")
    return 0


def _command_local_remove(args: argparse.Namespace) -> int:
    status = _status(args.status, "--status")
    with open_store(existing_store(args)) as store:
        record = own_records(args, store).remove(args.record, reason=args.reason, status=status)
    print(
        f"Removed {record.key} ({record.status.label}): kept, no longer found by checks; "
        f"`provcheck local edit {record.key}` brings it back"
    )
    return 0


def _command_local_history(args: argparse.Namespace) -> int:
    with open_store(existing_store(args)) as store:
        own = OwnRecords(store)
        listed = own.get(args.record)
        history = own.history(args.record)
        verification = own.cases.verify(record_case_id(listed.record)) if history else None
    if not history:
        print(f"{listed.record.key}: no change recorded here since it was imported")
        return 0
    for entry in history:
        print(printable(_entry_line(entry)))
    assert verification is not None
    print(verification.line)
    return 0 if verification.ok else 1


def _command_local_alert(args: argparse.Namespace) -> int:
    with open_store(store_location(args)) as store:
        read = read_alert_file(
            store, Path(args.file), registry=args.registry, record_id=args.id, source=args.source
        )
        record: Record = own_records(args, store).add(read.record, source=read.source)
    for problem in read.photographs_left_out:
        print(printable(f"photograph left out: {problem}"), file=sys.stderr)
    print(printable(f"Added {record.key}: {record.description.summary()}"))
    return 0


def _command_local_import(args: argparse.Namespace) -> int:
    mapping = load_mapping(args.mapping) if args.mapping else None
    with open_store(store_location(args)) as store, progress() as bar:
        task = bar.add_task(f"Reading {Path(args.file).name}", total=None, note="")
        summary = own_records(args, store).import_file(
            Path(args.file),
            mapping=mapping,
            registry=args.registry,
            skip_bad=args.skip_bad,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
        location = store.location
    for problem in summary.skipped:
        print(printable(f"skipped {problem}"), file=sys.stderr)
    for problem in summary.renumbered[:10]:  # the first few: a file repeated may have thousands
        print(printable(f"numbered {problem}"), file=sys.stderr)
    if summary.kept_withdrawn:
        print(
            f"kept {summary.kept_withdrawn:,} removed record"
            f"{'s' if summary.kept_withdrawn != 1 else ''} removed (`provcheck local edit` "
            "brings one back); the changes are in their histories",
            file=sys.stderr,
        )
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


def _command_local_stats(args: argparse.Namespace) -> int:
    with open_store(existing_store(args)) as store:
        stats = store.stats()
        mirrors = {r: store.mirror_state(r) for r in stats.records_by_registry}
    last = stats.last_import
    if args.json:
        print(json.dumps(stats.as_json(), indent=2))
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


def _command_local_refresh_features(args: argparse.Namespace) -> int:
    with open_store(existing_store(args)) as store, progress() as bar:
        task = bar.add_task("Describing stored images", total=None, note="")
        kept = [0]  # images gone through, their batches written: kept whatever stops the rest

        def shown(done: int, total: int) -> None:
            kept[0] = done
            bar.update(task, completed=done, total=total)

        with said_what_is_kept(kept, "images gone through"):
            summary = refresh_features(store, progress=shown)
        location = store.location
    for problem in summary.unreadable[:10]:  # the first few: a damaged store may have many
        print(printable(f"not described again: {problem}"), file=sys.stderr)
    if len(summary.unreadable) > 10:
        print(f"not described again: {len(summary.unreadable) - 10:,} more", file=sys.stderr)
    print(
        f"Described {summary.refreshed:,} of {summary.images:,} stored images again in {location}:"
        f" {summary.current:,} were current, {summary.without_copy:,} have no stored copy,"
        f" {len(summary.unreadable):,} could not be read"
    )
    # A script must know that some images are still described the old way.
    return 1 if summary.unreadable else 0
