"""`provcheck card`: Object ID record cards of records in the store, as a PDF or a web page to
print -- what a registrar files, and hands to the police when an object is lost.

The cards show the photographs the records were imported with where their files are still there
(the store's bounded copy otherwise), and name, without fetching, a photograph a register holds
only at an address. `record_photos` gathers them; the views layer (`provcheck.reports.card`)
lays the cards out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from provcheck.cli.common import STORE_HELP, Commands, add_command, existing_store
from provcheck.errors import InputError
from provcheck.images.loading import load_image, thumbnail_jpeg
from provcheck.model.description import ImageRef
from provcheck.model.record import Record, RecordStatus, split_record_key
from provcheck.reports.card import PHOTO_SIDE, CardPhoto, render_card_html, render_card_pdf
from provcheck.store.interface import Store
from provcheck.store.kept_images import original_image
from provcheck.store.opening import open_store
from provcheck.userfiles import writable_file, write_atomically, write_bytes_atomically

__all__ = ["add_commands", "record_photos"]

_FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html"}


def add_commands(commands: Commands) -> None:
    """`card`."""
    card = add_command(
        commands,
        "card",
        "print Object ID record cards of records in the store (PDF or HTML)",
        "provcheck card LOSS-2001 --out LOSS-2001.pdf",
        "provcheck card fbi:acorn LOSS-2002 --out cards.html",
        "provcheck card --all --status stolen --out stolen.pdf",
        description=(
            "Make an Object ID record card of each record -- every category of the standard, the "
            "photographs, what is missing for identification -- one card a page, in one PDF or "
            "web page. Photographs by address are named, not fetched."
        ),
    )
    card.add_argument(
        "records",
        nargs="*",
        metavar="RECORD",
        help="a record as REGISTER:ID, or the ID of one of --registry's records",
    )
    card.add_argument("--all", action="store_true", help="a card of every record of --registry")
    card.add_argument(
        "--registry",
        metavar="NAME",
        default="local",
        help="the register of --all, and of RECORDs given by ID alone (default: local)",
    )
    card.add_argument(
        "--status",
        choices=[status.value for status in RecordStatus],
        metavar="STATUS",
        help="with --all: only the records of this status (stolen, missing, looted, ...)",
    )
    card.add_argument("--out", metavar="FILE", required=True, help="the PDF or page to write")
    card.add_argument(
        "--format", choices=["pdf", "html"], help="pdf or html (default: from --out's suffix)"
    )
    card.add_argument("--store", metavar="STORE", help=STORE_HELP)
    card.set_defaults(run=_command_card)


def _command_card(args: argparse.Namespace) -> int:
    _check_choice(args)
    out = Path(args.out)
    writable_file(out, "--out", example="cards.pdf")  # before any work
    form = _format(out, args.format)
    with open_store(existing_store(args)) as store:
        records = _chosen_records(store, args)
        cards = [(record, record_photos(store, record)) for record in records]
    title = _title(records, args)
    if form == "pdf":
        write_bytes_atomically(out, render_card_pdf(cards, title=title))
    else:
        write_atomically(out, render_card_html(cards, title=title))
    print(f"{len(cards):,} Object ID card{'' if len(cards) == 1 else 's'} written to {out}")
    return 0


def _check_choice(args: argparse.Namespace) -> None:
    if args.all and args.records:
        raise InputError("give RECORDs or --all, not both")
    if not args.all and not args.records:
        raise InputError("name the records (REGISTER:ID, or ID), or give --all for every one")
    if args.status and not args.all:
        raise InputError("--status chooses among the records of --all; name records, or add --all")


def _format(out: Path, given: str | None) -> str:
    if given:
        return given
    form = _FORMATS.get(out.suffix.lower())
    if form is None:
        raise InputError(
            f"--out {out}: name a .pdf or .html file, or say which with --format pdf|html"
        )
    return form


def _chosen_records(store: Store, args: argparse.Namespace) -> list[Record]:
    """The records named (each must be in the store), or every record of --registry (of
    --status); one `InputError` before anything is made when one is missing or none is left."""
    if args.all:
        status = RecordStatus(args.status) if args.status else None
        records = [
            record
            for record in store.iter_records(args.registry)
            if status is None or record.status is status
        ]
        if not records:
            which = f"{status.value} " if status else ""
            raise InputError(
                f"no {which}records of register {args.registry} in the store {store.location}"
            )
        return records
    records = []
    for text in dict.fromkeys(args.records):  # a record named twice gets one card
        try:
            registry, record_id = split_record_key(text, registry=args.registry)
        except ValueError as error:
            raise InputError(str(error)) from None
        record = store.get(registry, record_id)
        if record is None:
            raise InputError(
                f"{text}: no record {registry}:{record_id} in the store {store.location}"
            )
        records.append(record)
    return records


def _title(records: list[Record], args: argparse.Namespace) -> str:
    if len(records) == 1:
        record = records[0]
        return f"Object ID record: {record.description.title or record.key}"
    if args.all:
        which = f" {args.status}" if args.status else ""
        return f"Object ID records: the{which} records of {args.registry} ({len(records):,})"
    return f"Object ID records ({len(records):,})"


def record_photos(store: Store, record: Record) -> list[CardPhoto]:
    """The record's photographs for its card, in its order: the file it was imported with (or its
    inline bytes), if that can still be read and is still the same photograph; else the store's
    bounded copy; else no bytes -- a photograph at an address is named, never fetched (a card is
    made offline, and a register's address is not to be trusted)."""
    photos = []
    for image in record.description.images:
        data, readable = _original(image)
        if not readable and image.sha256:
            data = store.thumbnail(image.sha256) or data
        source = Path(image.path).name if image.path is not None else image.url
        photos.append(CardPhoto(data, caption=image.caption, source=source))
    return photos


def _original(image: ImageRef) -> tuple[bytes | None, bool]:
    """The photograph's own bytes and whether they could be read: reduced to what a card prints
    (`PHOTO_SIDE`), or as they are when they cannot be decoded (the card then says so, unless the
    store has a copy). None when there are none to read, or when the file is no longer the
    photograph the record was made with (`original_image`)."""
    data = original_image(image)
    if data is None:
        return None, False
    try:
        decoded = load_image(data, source=image.location, max_side=PHOTO_SIDE)
    except InputError:
        return data, False
    return thumbnail_jpeg(decoded, max_side=PHOTO_SIDE, quality=90), True
