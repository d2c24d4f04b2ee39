"""Theft alerts read into records: an e-mail or a bulletin about a stolen object becomes a record of
the local register, so that every later check compares with it.

Alerts arrive as text -- a security network's e-mail, a trade paper's bulletin, a colleague's
message -- mostly as "Label: value" lines in one of a few languages, with free text around them.
`read_alert` reads the labelled lines it knows into Object ID fields (the maker, measurements and
date are then read by the parsers every query and record goes through), keeps the rest as the
description, takes the title from the subject when no line gives one, and keeps the alert itself
-- its source, when it was received, the sender, the text -- with the record. An e-mail's photographs
become the record's.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

from pydantic import ValidationError

from provcheck.errors import InputError, first_problem
from provcheck.model.description import ImageRef
from provcheck.model.record import Record, RecordStatus
from provcheck.store.importing import keep_image
from provcheck.store.interface import Store
from provcheck.text.measurements import parse_measurements
from provcheck.userfiles import read_bounded

__all__ = ["AlertRead", "read_alert", "read_alert_file"]

MAX_ALERT_BYTES = 32 * 1024 * 1024  # an e-mail with a few photographs
_MAX_KEPT_TEXT = 20_000  # of the alert's text, kept with the record
_MAX_FIELD = 2_000  # of one labelled value, or of the subject as a title

# Labels as alerts write them (lower case, without the colon) -> the field they fill.
_LABELS: dict[str, str] = {}
for _field, _words in {
    "title": "title, titel, titre, titolo, name of work, work",
    "maker": "artist, maker, author, artiste, auteur, künstler, kunstler, autore, by, attributed to",
    "period": "date, period, dated, datierung, entstehungszeit, époque, epoque, datation, circa",
    "materials": "medium, materials, material, technique, materials and techniques, technik, "
    "material/technik, matériaux, materiaux, tecnica",
    "measurements": "dimensions, measurements, size, sizes, maße, masse, abmessungen, "
    "format, mesures, misure, height, weight",
    "inscriptions": "inscriptions, inscription, signature, signed, marks, markings, "
    "signatur, beschriftung, marques, iscrizioni, inscriptions and markings",
    "object_type": "object, object type, type, type of object, category, objektart, "
    "gattung, catégorie, categorie, tipologia",
    "subject": "subject, motif, motiv, sujet, soggetto",
    "distinguishing_features": "distinguishing features, features, damage, condition, "
    "besondere merkmale, merkmale, signes particuliers",
    "description": "description, beschreibung, details, descrizione",
    "inventory_number": "inventory number, inventory no, inv no, inv, accession number, "
    "object number, inventarnummer, numéro d'inventaire, numero d'inventaire",
    "place_of_loss": "stolen from, place of theft, location, place, where, tatort, "
    "lieu du vol, luogo del furto, place of loss, address",
    "date_of_loss": "date of theft, date stolen, stolen on, date of loss, tatzeit, "
    "date du vol, data del furto",
    "reference": "reference, ref, crime reference, crime reference number, police reference, "
    "case number, aktenzeichen",
    "contact": "contact, information to, if seen contact, kontakt",
    "provenance": "provenance, herkunft",
}.items():
    for _word in _words.split(","):
        _LABELS[_word.strip()] = _field
_LABELLED = re.compile(r"^\s*([^\W\d_][\w '’/.-]{0,40}?)\s*[:\uff1a]\s*(.*)$")
_SUBJECT_NOISE = re.compile(
    r"^\s*((re|fw|fwd|wg|tr)\s*:\s*|\[[^\]]*\]\s*|(stolen|theft|alert|theft alert|stolen art"
    r"|warning|diebstahl|vol|gestohlen|urgent)\s*[:!-]\s*)+",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_MISSING_WORDS = re.compile(r"\b(missing|vermisst|disparu|disparue|scomparso)\b", re.IGNORECASE)


@dataclass(frozen=True)
class AlertRead:
    """An alert as read: the record it becomes, the photographs left out (and why)."""

    record: Record
    source: str  # where the alert came from, as the record's history names it
    photographs_left_out: list[str] = field(default_factory=list)


def read_alert_file(
    store: Store,
    path: Path,
    *,
    registry: str = "local",
    record_id: str | None = None,
    source: str | None = None,
    received: datetime | None = None,
) -> AlertRead:
    """An alert from a file: an e-mail (`.eml`, or text with headers) or plain text."""
    data = read_bounded(path, MAX_ALERT_BYTES, what="alert")
    return read_alert(
        store,
        data,
        registry=registry,
        record_id=record_id,
        source=source or path.name,
        received=received,
    )


def read_alert(
    store: Store,
    data: bytes | str,
    *,
    registry: str = "local",
    record_id: str | None = None,
    source: str,
    received: datetime | None = None,
) -> AlertRead:
    """The record an alert describes (not yet stored: `OwnRecords.add` keeps it with its
    history). Its photographs are kept in `store`. `InputError` if nothing in it describes an
    object."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    message = _as_email(raw)
    subject = sender = None
    photographs: list[ImageRef] = []
    left_out: list[str] = []
    if message is not None:
        subject = _header(message, "subject")
        sender = _header(message, "from")
        received = received or _date(message)
        text = _body_text(message)
        photographs, left_out = _photographs(store, message, source)
    else:
        text = _decoded(raw, source)
    fields, rest = _fields(text)
    fields = {name: value[:_MAX_FIELD] for name, value in fields.items()}
    if "title" not in fields and subject:
        title = _SUBJECT_NOISE.sub("", subject[:_MAX_FIELD]).strip(" -:")
        if title:
            fields["title"] = title
    free = "\n".join(line for line in rest if line.strip()).strip()
    if free and "description" not in fields:
        fields["description"] = free[:_MAX_KEPT_TEXT]
    labelled = set(fields) - {"reference", "contact", "place_of_loss", "date_of_loss"}
    if labelled <= {"description"} and free:
        # Prose only: an object is described when the text measures it or dates it.
        measured = parse_measurements(free)
        if measured and "measurements" not in fields:
            fields["measurements"] = "; ".join(m.text for m in measured)
        elif not _YEAR.search(free):
            labelled = set()
    if not labelled and not photographs:
        raise InputError(
            f"{source}: no object described: expected lines such as 'Title: ...', "
            "'Artist: ...', 'Dimensions: ...', or a description"
        )
    received_at = (received or datetime.now(UTC)).astimezone(UTC)
    digest = hashlib.sha256(raw).hexdigest()
    kept = {
        "alert": {
            "source": source,
            "received": received_at.isoformat(timespec="seconds"),
            "from": sender,
            "subject": subject,
            "reference": fields.get("reference"),
            "contact": fields.get("contact"),
            "sha256": digest,
            "text": text[:_MAX_KEPT_TEXT],
        }
    }
    status = RecordStatus.MISSING if _MISSING_WORDS.search(text[:2000]) else RecordStatus.STOLEN
    record_data = {
        "registry": registry,
        # The same alert read again has the same id (and is refused as there already).
        "record_id": record_id or f"ALERT-{digest[:12]}",
        "status": status,
        "date_of_loss": fields.pop("date_of_loss", None),
        "place_of_loss": fields.pop("place_of_loss", None),
        "raw": kept,
        "description": {
            **{k: v for k, v in fields.items() if k not in ("reference", "contact")},
            "images": photographs,
        },
    }
    try:
        record = Record.model_validate(record_data)
    except ValidationError as error:
        where, problem = first_problem(error)
        raise InputError(f"{source}: {where}: {problem}") from None
    return AlertRead(record, source, left_out)


# -- reading the text ---------------------------------------------------------------------


def _fields(text: str) -> tuple[dict[str, str], list[str]]:
    """The labelled lines' values by field (a line after a label that is not one continues
    it), and the lines that are no field's."""
    fields: dict[str, str] = {}
    rest: list[str] = []
    current: str | None = None
    for line in text.splitlines():
        labelled = _LABELLED.match(line)
        name = _LABELS.get(labelled.group(1).strip().lower()) if labelled else None
        if labelled and name:
            value = labelled.group(2).strip()
            current = name
            fields[name] = f"{fields[name]}; {value}" if name in fields and value else value
            continue
        if current is not None and line.strip() and line[:1].isspace():
            fields[current] = f"{fields[current]} {line.strip()}".strip()
            continue
        current = None
        rest.append(line)
    return {k: v for k, v in fields.items() if v}, rest


def _decoded(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            f"{source}: not UTF-8 text or an e-mail; save the alert as UTF-8 text or as .eml"
        ) from None


def _as_email(raw: bytes) -> EmailMessage | None:
    """The alert as an e-mail, if it starts with a header block that says so."""
    head = raw[:4096].decode("utf-8", "replace")
    if not re.match(r"(?is)\A(?:[\w-]+:[^\n]*\n(?:[ \t][^\n]*\n)*)*?(from|subject):", head):
        return None
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return message if isinstance(message, EmailMessage) else None


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message.get(name)
    except (ValueError, IndexError):  # a header no parser reads
        return None
    return " ".join(str(value).split()) if value else None


def _date(message: EmailMessage) -> datetime | None:
    value = _header(message, "date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _body_text(message: EmailMessage) -> str:
    """The e-mail's text: its plain part, else its HTML part as text (never as markup)."""
    for preference in (("plain",), ("html",)):
        part = message.get_body(preferencelist=preference)
        if part is None:
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):  # an unknown charset: its bytes read as UTF-8
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        return _html_text(content) if preference == ("html",) else str(content)
    return ""


def _photographs(
    store: Store, message: EmailMessage, source: str
) -> tuple[list[ImageRef], list[str]]:
    """The e-mail's image attachments, kept in the store; those that are not readable images
    are named with why."""
    kept: list[ImageRef] = []
    left_out: list[str] = []
    for number, part in enumerate(message.iter_attachments(), start=1):
        if part.get_content_maintype() != "image":
            continue
        name = part.get_filename() or f"attachment {number}"
        try:
            data = part.get_payload(decode=True)
            if not isinstance(data, bytes) or not data:
                raise InputError(f"{name}: empty or not decodable")
            digest, fingerprints = keep_image(store, data, source=f"{source}: {name}")
        except InputError as error:
            left_out.append(f"{name}: {error}")
            continue
        kept.append(
            ImageRef(data=data, caption=Path(name).stem, sha256=digest, fingerprints=fingerprints)
        )
    return kept, left_out


class _TextOfHtml(HTMLParser):
    """The text of an HTML part: what a person reads, nothing run, no links kept."""

    _SKIPPED = frozenset({"script", "style", "head", "title"})
    _BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED and self._skipping:
            self._skipping -= 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _html_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
