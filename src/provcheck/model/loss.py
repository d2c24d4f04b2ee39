"""A loss reported to the registers: what an owner tells them when an object is stolen, and what
each register answered.

An owner whose object is stolen reports it at once to the police and to the registers a buyer
would search (Object ID's own advice), so that the object cannot be sold. `LossReport` is what
every register asks for -- the object (a `Record` of one's own register, with the date and place
of the loss), the police's crime reference, who reports it and how to reach them -- and
`LossSubmission` is what one register did with it: registered it (with its registration number),
took it for later, or, for a register reached by a person, the document prepared for them to send.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, JsonValue

from provcheck.model.record import Record

__all__ = ["LossReport", "LossSubmission", "PreparedDocument", "SubmissionState"]


class LossReport(BaseModel):
    """An object's loss, as the registers ask for it. `record` describes the object (its status,
    date and place of loss set); the rest is the circumstances and who reports it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record: Record
    police_reference: str | None = None  # the police's crime reference number, once reported
    police_force: str | None = None  # which force holds the crime report
    circumstances: str | None = None  # how it was taken: a burglary, a theft in transit, ...
    reported_by: str | None = None  # the owner or institution reporting the loss
    contact: str | None = None  # how the register reaches them (e-mail, telephone)
    reported_at: datetime


class PreparedDocument(BaseModel):
    """A submission prepared for a person to send: the form's fields filled in, the whole as
    text, where it goes and what to attach."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    send_to: str
    instructions: str
    fields: dict[str, str]
    attachments: tuple[str, ...] = ()

    def text(self) -> str:
        """The document as plain text, to print, e-mail or file."""
        width = max((len(label) for label in self.fields), default=0)
        lines = [self.title, "=" * len(self.title), "", f"Send to: {self.send_to}", ""]
        lines += [f"{label + ':':<{width + 1}} {value}" for label, value in self.fields.items()]
        if self.attachments:
            lines += ["", "Attach: " + ", ".join(self.attachments)]
        return "\n".join([*lines, "", self.instructions, ""])


# What became of a loss report at one register. The values are kept in case files: a new state
# is a new value, an old one never changes.
class SubmissionState(StrEnum):
    REGISTERED = "registered"  # on the register: `reference` is its registration number
    SUBMITTED = "submitted"  # received, not yet confirmed: `reference` is the submission's id
    PREPARED = "prepared"  # reached by a person: `document` is what to send
    REFUSED = "refused"  # the register would not take it: `message` says why
    FAILED = "failed"  # not sent: the register could not be reached, or was not set up


class LossSubmission(BaseModel):
    """What one register did with a loss report: `state`, its number for it (`reference`), the
    fee it charged, one line for people (`message`), and the register's answer as received."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    registry: str
    state: SubmissionState
    message: str
    reference: str | None = None
    fee: str | None = None
    document: PreparedDocument | None = None
    answer: JsonValue = None
