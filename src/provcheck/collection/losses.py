"""Reporting a loss: an object of one's own marked stolen and reported, in one step, to every
register that takes reports -- and each register's answer kept in the record's history.

When an object is stolen its owner tells the police and the registers at once, so that it cannot
be sold: `report_loss` sets the record's status, date and place of the loss; asks each register's
plugin to take the report (`Registry.report_loss`) -- a register with a service registers it and
answers with its number; a register reached by a person gets the document prepared for them to
send (the police's report, a referral for INTERPOL through the police) -- and keeps every answer
and document in the record's case. A register that fails is said to have failed, with why; a
second run sends nothing twice to a register that takes an idempotency key (the ALR's).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import JsonValue

from provcheck.collection.records import OwnRecords, date_of_loss, record_case_id
from provcheck.engine import run_blocking
from provcheck.errors import ConfigurationError, InputError, PluginLoadError, ProvcheckError
from provcheck.model.case import Attachment, CaseEntry
from provcheck.model.description import ImageRef
from provcheck.model.loss import LossReport, LossSubmission, SubmissionState
from provcheck.model.record import Record, RecordStatus
from provcheck.registers.discovery import installed_registries, open_registry, registry_class
from provcheck.registers.registry import Registry
from provcheck.reports.signing import SigningKey
from provcheck.store.interface import Store
from provcheck.store.kept_images import kept_image
from provcheck.userfiles import read_bounded

__all__ = [
    "LossOutcome",
    "areport_loss",
    "loss_registries",
    "record_loss_answer",
    "report_loss",
]

_MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_LINES = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class LossOutcome:
    """What a loss report did: the record as it now is, its case, and each register's answer."""

    record: Record
    case_id: str
    submissions: tuple[LossSubmission, ...]

    @property
    def failed(self) -> tuple[LossSubmission, ...]:
        """The registers that did not take the report (failed or refused)."""
        return tuple(
            s
            for s in self.submissions
            if s.state in (SubmissionState.FAILED, SubmissionState.REFUSED)
        )


def loss_registries() -> list[str]:
    """The installed registers whose plugins take loss reports, by name (a plugin that cannot
    be loaded is left out: a check reports it)."""
    names = []
    for name in installed_registries():
        try:
            if registry_class(name).takes_loss_reports():
                names.append(name)
        except PluginLoadError:
            continue
    return names


def report_loss(
    store: Store,
    record: str,
    *,
    registries: Sequence[str | Registry] | None = None,
    date: str | None = None,
    place: str | None = None,
    police_reference: str | None = None,
    police_force: str | None = None,
    circumstances: str | None = None,
    reported_by: str | None = None,
    contact: str | None = None,
    key: SigningKey | None = None,
    by: str | None = None,
    only: bool = False,
) -> LossOutcome:
    """`areport_loss`, for code that is not async."""
    return run_blocking(
        areport_loss(
            store,
            record,
            registries=registries,
            date=date,
            place=place,
            police_reference=police_reference,
            police_force=police_force,
            circumstances=circumstances,
            reported_by=reported_by,
            contact=contact,
            key=key,
            by=by,
            only=only,
        )
    )


async def areport_loss(
    store: Store,
    record: str,
    *,
    registries: Sequence[str | Registry] | None = None,
    date: str | None = None,
    place: str | None = None,
    police_reference: str | None = None,
    police_force: str | None = None,
    circumstances: str | None = None,
    reported_by: str | None = None,
    contact: str | None = None,
    key: SigningKey | None = None,
    by: str | None = None,
    only: bool = False,
) -> LossOutcome:
    """Mark the record (`REGISTER:ID`, or one's own register's `ID`) stolen on `date` at
    `place` (or as it says already), and report it to `registries` (names or opened registers;
    None: every installed register that takes loss reports). The documents a person sends --
    the police's report, the referrals -- are prepared too, whichever registers are named,
    unless `only`. Everything given is checked before anything is written or sent."""
    own = OwnRecords(store, key=key, by=by)
    listed = own.get(record)
    if listed.removed_at is not None:
        raise InputError(
            f"{listed.record.key} was removed at {listed.removed_at}; edit it to restore it first"
        )
    if listed.record.registry != "local" and listed.record.registry in installed_registries():
        raise InputError(
            f"{listed.record.key} is the {listed.record.registry} register's record, not one of "
            "one's own: a loss is reported for one's own objects (the `local` register's)"
        )
    chosen = _chosen(registries, only=only)
    stolen = _stolen(listed.record, date=date, place=place)
    # Every register is opened (its settings checked) before anything is sent or written.
    opened = [_opened(registry) for registry in chosen]
    report = LossReport(
        record=_with_readable_images(store, stolen),
        police_reference=_line(police_reference),
        police_force=_line(police_force),
        circumstances=_text(circumstances),
        reported_by=_line(reported_by),  # the owner: not the person at the keyboard
        contact=_line(contact),
        reported_at=datetime.now(UTC),
    )
    try:
        submissions = await asyncio.gather(*(_submit(registry, report) for registry in opened))
    finally:
        for registry, given in zip(opened, chosen, strict=True):
            if isinstance(registry, Registry) and registry is not given:
                await registry.aclose()
    # Kept once the registers have answered: the record stolen, then each answer.
    if stolen != listed.record:
        stolen = own.edit(
            stolen.key,
            {
                "status": stolen.status.value,
                "date_of_loss": stolen.date_of_loss.text if stolen.date_of_loss else None,
                "place_of_loss": stolen.place_of_loss,
            },
            reason=report.circumstances or "reported stolen",
        )
    for submission in submissions:
        _keep(own, stolen, submission)
    return LossOutcome(stolen, record_case_id(stolen), tuple(submissions))


def record_loss_answer(
    store: Store,
    record: str,
    registry: str,
    *,
    result: str,
    reference: str | None = None,
    attach: Path | None = None,
    key: SigningKey | None = None,
    by: str | None = None,
) -> CaseEntry:
    """What a register (or the police) answered a loss report sent by a person -- "registered
    as ...", the crime reference -- kept in the record's history, with a file if given."""
    if not result.strip() and not reference:
        raise InputError("loss answer: give the answer (--result) or its number (--reference)")
    own = OwnRecords(store, key=key, by=by)
    found = own.get(record).record
    attachment = _attachment(own, attach) if attach is not None else None
    data: dict[str, JsonValue] = {
        "loss_answer": {"registry": registry, "result": result.strip(), "reference": reference}
    }
    text = f"{registry} answered the loss report: " + (result.strip() or f"number {reference}")
    if reference and result.strip():
        text += f" (number {reference})"
    return own.note(found, text, data, attachment=attachment)


# -- helpers ---------------------------------------------------------------------------------


def _chosen(registries: Sequence[str | Registry] | None, *, only: bool) -> list[str | Registry]:
    """The registers to report to, each known to take loss reports (checked before anything),
    then, unless `only`, every other that only prepares a document for a person."""
    takers = loss_registries()
    if registries is None:
        if not takers:
            raise InputError("no installed register takes loss reports")
        return list(takers)
    named: set[str] = set()
    for registry in registries:
        name = registry.name if isinstance(registry, Registry) else registry
        taken = (
            type(registry).takes_loss_reports()
            if isinstance(registry, Registry)
            else name in takers
        )
        if not isinstance(registry, Registry) and name not in installed_registries():
            raise InputError(
                f"--registry {name}: no such register installed; those that take loss "
                f"reports: {', '.join(takers) or 'none'}"
            )
        if not taken:
            raise InputError(
                f"--registry {name}: the {name} register takes no loss reports; those that do: "
                f"{', '.join(takers) or 'none'}"
            )
        named.add(name)
    documents = [
        name
        for name in takers
        if name not in named and not only and registry_class(name).loss_report_prepared_only
    ]
    unique = list({(r.name if isinstance(r, Registry) else r): r for r in registries}.values())
    return [*unique, *documents]


def _stolen(record: Record, *, date: str | None, place: str | None) -> Record:
    changes: dict[str, object] = {"status": RecordStatus.STOLEN}
    if date:
        changes["date_of_loss"] = date_of_loss(date, "--date")
    if place and place.strip():
        changes["place_of_loss"] = place.strip()
    stolen = Record.model_validate({**record.model_dump(), **changes})
    if stolen.date_of_loss is None or not stolen.place_of_loss:
        missing = [
            option
            for option, value in (
                ("--date", stolen.date_of_loss),
                ("--place", stolen.place_of_loss),
            )
            if not value
        ]
        raise InputError(
            f"loss report {record.key}: give the {' and '.join(missing)} of the theft: every "
            "register asks when and where it was taken"
        )
    return stolen


def _with_readable_images(store: Store, record: Record) -> Record:
    """The record with each photograph a register can be sent: its file while it is still the
    record's photograph, else the store's bounded copy; one with neither is left out."""
    images: list[ImageRef] = []
    for image in record.description.images:
        if image.url is not None:
            images.append(image)
            continue
        data, original = kept_image(store, image)
        if original:
            images.append(image)
        elif data is not None:
            images.append(ImageRef(data=data, caption=image.caption))
    description = record.description.model_copy(update={"images": tuple(images)})
    return record.model_copy(update={"description": description})


def _opened(registry: str | Registry) -> Registry | LossSubmission:
    """The register, opened; or, if its settings are incomplete or wrong, its failure."""
    if isinstance(registry, Registry):
        return registry
    try:
        return open_registry(registry)
    except ConfigurationError as error:
        return LossSubmission(
            registry=registry,
            state=SubmissionState.FAILED,
            message=f"{registry}: not set up: {error}",
        )


async def _submit(registry: Registry | LossSubmission, report: LossReport) -> LossSubmission:
    """One register's answer; a register that fails is a failed submission, with why."""
    if isinstance(registry, LossSubmission):
        return registry
    try:
        return await registry.report_loss(report)
    except ProvcheckError as error:
        return LossSubmission(
            registry=registry.name,
            state=SubmissionState.FAILED,
            message=registry.settings.redact(str(error)),
        )


def _line(text: str | None) -> str | None:
    """A one-line value as given, its control characters and runs of spaces made one space."""
    return " ".join(_CONTROLS.sub(" ", text).split()) or None if text else None


def _text(text: str | None) -> str | None:
    """A text as given, its line ends kept, other control characters left out."""
    return _CONTROLS_BUT_LINES.sub("", text).strip() or None if text else None


def _keep(own: OwnRecords, record: Record, submission: LossSubmission) -> None:
    """The submission in the record's history: its answer as data, its document as a file."""
    attachment = None
    if submission.document is not None:
        name = f"loss-report-{submission.registry}.txt"
        attachment = own.cases.keep_file(name, submission.document.text().encode("utf-8"))
    data: dict[str, JsonValue] = {
        "loss_report": submission.model_dump(mode="json", exclude_none=True)
    }
    if submission.state == SubmissionState.REGISTERED and submission.reference:
        # The register's record of the object is the same object's: a check that finds both
        # shows them as one candidate.
        same = f"{submission.registry}:{submission.reference}"
        current = own.get(record.key).record
        if same not in current.same_as:
            linked = current.model_copy(update={"same_as": (*current.same_as, same)})
            data["fields"] = {"same_as": {"from": None, "to": same}}
            own.write(linked, submission.message, data, attachment=attachment)
            return
    if _recorded_before(own, record, data["loss_report"]):
        return  # the same answer to the same report, run again: kept once
    own.note(record, submission.message, data, attachment=attachment)


def _recorded_before(own: OwnRecords, record: Record, submission: JsonValue) -> bool:
    """Whether the record's history ends its entries of that register with this answer."""
    registry = submission.get("registry") if isinstance(submission, dict) else None
    for entry in reversed(own.history(record.key)):
        earlier = entry.data.get("loss_report")
        if isinstance(earlier, dict) and earlier.get("registry") == registry:
            return earlier == submission
    return False


def _attachment(own: OwnRecords, path: Path) -> Attachment:
    return own.cases.keep_file(
        path.name, read_bounded(path, _MAX_ATTACHMENT_BYTES, what="attachment")
    )
