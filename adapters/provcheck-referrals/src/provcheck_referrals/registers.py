"""The registers searched by a person, and the request each one asks for.

Each register's class says how the register is reached (`instructions`), where the request goes
(`send_to`), the fee as the organisation publishes it (`fee`), and its form's labels for the
Object ID categories (`labels`). The base fills the form in from the object's description, names
the photographs to attach, and raises `ReferralRequired` with all of it: the check's outcome is
a `referral` ready to print or send, never "searched".

The organisations' facts (who may search, where, at what cost) are as they publish them on
their own sites, named by their home pages; each request tells the person to check them there
before sending, since they change.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import ClassVar

from pydantic import Field

from provcheck import (
    Access,
    Capabilities,
    ImageRef,
    LossReport,
    LossSubmission,
    ObjectDescription,
    PreparedDocument,
    Record,
    ReferralRequired,
    Registry,
    RegistrySettings,
    SubmissionState,
)

__all__ = [
    "ArtiveRegistry",
    "ArtiveSettings",
    "CarabinieriRegistry",
    "InterpolRegistry",
    "PersonSearchedRegistry",
    "ReferralSettings",
]

# The Object ID categories, as `ObjectDescription.text_fields` names them, in the standard's
# order; then what else identifies an object.
OBJECT_ID = (
    "object_type",
    "materials",
    "measurements",
    "inscriptions",
    "distinguishing_features",
    "title",
    "subject",
    "period",
    "maker",
)
# The Object ID categories' own names, for a register whose form follows the standard.
OBJECT_ID_LABELS = {
    "object_type": "Type of object",
    "materials": "Materials and techniques",
    "measurements": "Measurements",
    "inscriptions": "Inscriptions and markings",
    "distinguishing_features": "Distinguishing features",
    "title": "Title",
    "subject": "Subject",
    "period": "Date or period",
    "maker": "Maker",
    "description": "Description",
    "inventory_number": "Inventory number",
}

# A person fills these in; the request says so rather than leave a form's line out.
TO_FILL_IN = "[to fill in]"


class ReferralSettings(RegistrySettings):
    """Who asks: written into the request (a person fills in what is not given)."""

    requester_name: str | None = Field(default=None, description="who asks, for the request")
    requester_email: str | None = Field(default=None, description="where the answer goes")
    requester_organisation: str | None = Field(default=None, description="on whose behalf")


class PersonSearchedRegistry(Registry):
    """A register a person searches: `search` prepares the request and raises `ReferralRequired`.

    A subclass declares `name`, `title`, `homepage`, `send_to`, `fee` and `labels` (its form's
    label for each Object ID category it asks for), and writes `instructions`.
    """

    access: ClassVar[Access] = Access.REFERRAL
    loss_report_prepared_only: ClassVar[bool] = True  # prepared for a person to send
    # A person can search by any Object ID category, the description and the inventory number.
    capabilities: ClassVar[Capabilities] = Capabilities(
        fields=frozenset(OBJECT_ID) - {"maker"} | {"makers", "description", "inventory_number"},
        images=True,
    )
    Settings: ClassVar[type[RegistrySettings]] = ReferralSettings
    settings: ReferralSettings

    send_to: ClassVar[str]
    fee: ClassVar[str]
    # `ObjectDescription.text_fields` name -> the register's label for it, in the form's order.
    labels: ClassVar[Mapping[str, str]]

    # Where a loss is reported so that it goes on this register, and how (a person sends it).
    loss_send_to: ClassVar[str]
    loss_instructions: ClassVar[str]

    @abc.abstractmethod
    def instructions(self) -> str:
        """How the register is searched, and by whom: what the person does with the request."""

    async def report_loss(self, loss: LossReport) -> LossSubmission:
        """The loss prepared as a referral document: the form's fields, the loss, whom to send
        it to. A person sends it; the register's answer is recorded in the record's history."""
        record = loss.record
        query = record.description
        fields = {
            "Register": self.title,
            "Police crime reference": loss.police_reference or TO_FILL_IN,
            "Police force": loss.police_force or TO_FILL_IN,
            "Date of loss": record.date_of_loss.text if record.date_of_loss else TO_FILL_IN,
            "Place of loss": record.place_of_loss or TO_FILL_IN,
            "Circumstances": loss.circumstances or TO_FILL_IN,
            "Owner": loss.reported_by or TO_FILL_IN,
            "Contact": loss.contact or TO_FILL_IN,
            "Owner's reference": query.inventory_number or record.record_id,
            **self.form_fields(query),
        }
        document = PreparedDocument(
            title=f"Report of a stolen object for {self.title}",
            send_to=self.loss_send_to,
            instructions=self.loss_instructions,
            fields=fields,
            attachments=tuple(photograph_name(image, n) for n, image in enumerate(query.images, 1)),
        )
        return LossSubmission(
            registry=self.name,
            state=SubmissionState.PREPARED,
            message=f"{self.name}: the report is prepared for a person to send",
            document=document,
        )

    def register_fields(self, query: ObjectDescription) -> dict[str, str]:
        """What the register's form asks for beyond the object's description (provenance, ...)."""
        return {}

    def form_fields(self, query: ObjectDescription) -> dict[str, str]:
        """The form filled in: each label the object's description gives a value for."""
        given = query.text_fields()
        fields = {label: given[key] for key, label in self.labels.items() if key in given}
        return fields | self.register_fields(query)

    def missing(self, query: ObjectDescription) -> list[str]:
        """The Object ID categories the register asks for that the description leaves empty."""
        given = query.text_fields()
        return [
            label for key, label in self.labels.items() if key in OBJECT_ID and key not in given
        ]

    async def search(self, query: ObjectDescription, *, limit: int) -> list[Record]:
        fields = self.form_fields(query)
        attachments = [photograph_name(image, n) for n, image in enumerate(query.images, 1)]
        raise ReferralRequired(
            f"{self.name}: searched by a person; the request is prepared",
            instructions=self.instructions(),
            request=self.request_text(query, fields, attachments),
            fields=fields,
            attachments=attachments,
            send_to=self.send_to,
            fee=self.fee,
        )

    def request_text(
        self, query: ObjectDescription, fields: Mapping[str, str], attachments: list[str]
    ) -> str:
        """The request as a person prints or sends it."""
        settings = self.settings
        requester = ", ".join(
            part
            for part in (
                settings.requester_name,
                settings.requester_organisation,
                settings.requester_email,
            )
            if part
        )
        width = max((len(label) for label in fields), default=0)
        lines = [
            f"Request for a search of {self.title}",
            f"From: {requester or TO_FILL_IN + ' (name, organisation, address for the answer)'}",
            f"Send to: {self.send_to}",
            f"Fee: {self.fee}",
            f"Reference: {query.digest().removeprefix('sha256:')[:16]}",
            "",
            "The object:",
            *(f"  {label + ':':<{width + 1}} {value}" for label, value in fields.items()),
        ]
        missing = self.missing(query)
        if missing:
            lines.append(f"  Not known (fill in if you can): {', '.join(missing)}")
        lines += [
            "",
            "Photographs to attach:",
            *(f"  {name}" for name in attachments or ["none given: attach at least one"]),
            "",
            "Please search for this object and say whether it is recorded as stolen or missing, "
            "quoting the reference above.",
            "",
            f"What the register asks for, and where, is as published on {self.homepage}; "
            "check it there before sending.",
        ]
        return "\n".join(lines)


def photograph_name(image: ImageRef, number: int) -> str:
    """A photograph as the person finds it to attach: its file name, its address, or (given as
    bytes) its number and digest."""
    if image.data is not None:
        return f"photograph {number} ({image.location})"
    return image.attachment_name


class InterpolRegistry(PersonSearchedRegistry):
    """INTERPOL's Stolen Works of Art Database: searched with an account INTERPOL grants, in its
    ID-Art app, or by the police for you."""

    name: ClassVar[str] = "interpol"
    title: ClassVar[str] = "INTERPOL Stolen Works of Art Database"
    homepage: ClassVar[str | None] = "https://www.interpol.int/"
    send_to: ClassVar[str] = (
        "INTERPOL's Stolen Works of Art Database, searched yourself in the ID-Art app or with "
        "an account (apply to INTERPOL's Cultural heritage unit: https://www.interpol.int/, "
        "Crimes > Cultural heritage crime); or your local police, who ask through the "
        "INTERPOL National Central Bureau"
    )
    fee: ClassVar[str] = (
        "none published by INTERPOL (the ID-Art app is free to download); check before sending"
    )
    labels: ClassVar[Mapping[str, str]] = OBJECT_ID_LABELS
    loss_send_to: ClassVar[str] = (
        "the police force that holds the crime report, asking them to send it to INTERPOL "
        "through the country's National Central Bureau (INTERPOL takes reports from police only)"
    )
    loss_instructions: ClassVar[str] = (
        "INTERPOL's Stolen Works of Art Database is fed by the police of its member countries, "
        "through their National Central Bureaus: an owner cannot enter a theft there. Give this "
        "report to the police force that holds the crime report, and ask them to send it to "
        "INTERPOL. As published by INTERPOL (https://www.interpol.int/); check before sending. "
        "Record the answer with `provcheck loss answer RECORD --registry interpol --result TEXT`."
    )

    def instructions(self) -> str:
        return (
            "Search INTERPOL's Stolen Works of Art Database with these details and photographs: "
            "in the ID-Art app (free; by the fields below or by a photograph), or with a "
            "database account (applied for from INTERPOL's Cultural heritage unit; vetted "
            "through the National Central Bureau, not at once). A result must be confirmed with "
            "the police: a private person or company asks the local police or the INTERPOL "
            "General Secretariat, who may also search for you with this request. Absence from "
            "the database does not show that an object is not stolen. As published by INTERPOL "
            "(https://www.interpol.int/); check before sending. Record the answer with "
            "`provcheck case record CASE --referral interpol --result TEXT`."
        )


class CarabinieriRegistry(PersonSearchedRegistry):
    """The Carabinieri TPC's database of illegally removed cultural property ("Leonardo"): its
    public part searched on carabinieri.it or in the iTPC app; the whole by the Carabinieri."""

    name: ClassVar[str] = "carabinieri"
    title: ClassVar[str] = "Carabinieri TPC (Leonardo database)"
    homepage: ClassVar[str | None] = "https://www.carabinieri.it/"
    send_to: ClassVar[str] = (
        "the public search of the Banca dati dei beni culturali illecitamente sottratti on "
        "https://www.carabinieri.it/, or the iTPC app (search by the fields or by a photograph); "
        "for a search of the whole database or a possible match, the nearest Carabinieri TPC "
        "unit (Nucleo Tutela Patrimonio Culturale)"
    )
    fee: ClassVar[str] = (
        "none published for the public search or the iTPC app; check before sending"
    )
    labels: ClassVar[Mapping[str, str]] = {
        "object_type": "Tipologia (type of object)",
        "materials": "Materia e tecnica (materials and technique)",
        "measurements": "Misure (measurements)",
        "inscriptions": "Iscrizioni e marchi (inscriptions and marks)",
        "distinguishing_features": "Segni particolari (distinguishing features)",
        "title": "Titolo (title)",
        "subject": "Soggetto (subject)",
        "period": "Epoca (date or period)",
        "maker": "Autore (maker)",
        "description": "Descrizione (description)",
    }
    loss_send_to: ClassVar[str] = (
        "the Carabinieri (in Italy, any station, or the Nucleo Tutela Patrimonio Culturale); "
        "from abroad, through the police force that holds the crime report"
    )
    loss_instructions: ClassVar[str] = (
        "Thefts of cultural property are entered in the Carabinieri TPC's database by the "
        "Carabinieri from the report of the theft: in Italy report it to them; from abroad, give "
        "this report to the police force that holds the crime report, to send on. As published "
        "by the Carabinieri (https://www.carabinieri.it/); check before sending. Record the "
        "answer with `provcheck loss answer RECORD --registry carabinieri --result TEXT`."
    )

    def instructions(self) -> str:
        return (
            "Search the Carabinieri TPC's database of illegally removed cultural property "
            "(Leonardo): its public part on https://www.carabinieri.it/ or in the iTPC app, with "
            "these details and photographs. The public part holds a selection of the most "
            "important objects; for a search of the whole database, or to report a possible "
            "match, send this request to the nearest Carabinieri TPC unit. The form's labels "
            "are given in Italian and English as the Object ID categories; the form's own may "
            "differ. As published by the Carabinieri; check before sending. Record the answer "
            "with `provcheck case record CASE --referral carabinieri --result TEXT`."
        )


class ArtiveSettings(ReferralSettings):
    """Artive asks, with every search, at least the type of ownership, the country of the
    collection and when the object was acquired."""

    ownership_type: str | None = Field(
        default=None, description="private, corporate, museum/state collection, art trade, ..."
    )
    collection_country: str | None = Field(default=None, description="where the collection is")
    acquired: str | None = Field(default=None, description="when the owner acquired the object")


class ArtiveRegistry(PersonSearchedRegistry):
    """Artive's database of art and cultural property at risk (it began as ArtClaim): a search
    request submitted from an account, answered by Artive's staff with a due-diligence report."""

    name: ClassVar[str] = "artive"
    title: ClassVar[str] = "Artive / ArtClaim"
    homepage: ClassVar[str | None] = "https://artive.org/"
    Settings: ClassVar[type[RegistrySettings]] = ArtiveSettings
    settings: ArtiveSettings
    send_to: ClassVar[str] = (
        "Artive: log in to an account (free to open; see https://artive.org/), choose "
        "'search request' on the dashboard, 'new', and fill in the form below"
    )
    fee: ClassVar[str] = (
        "as published by Artive for a search request (see https://artive.org/); check before "
        "sending"
    )
    loss_send_to: ClassVar[str] = (
        "Artive: log in to an account (see https://artive.org/) and register the object as "
        "stolen, with the form below and the photographs"
    )
    loss_instructions: ClassVar[str] = (
        "Register the stolen object with Artive from an account, with the police's crime "
        "reference, so that searches of its database find it. As published by Artive "
        "(https://artive.org/); check before sending. Record the answer with `provcheck loss "
        "answer RECORD --registry artive --result TEXT`."
    )
    labels: ClassVar[Mapping[str, str]] = OBJECT_ID_LABELS | {
        "object_type": "Object type",
        "materials": "Medium / materials",
        "measurements": "Dimensions",
        "inscriptions": "Inscriptions / marks",
        "period": "Date",
        "maker": "Artist / maker",
    }

    def register_fields(self, query: ObjectDescription) -> dict[str, str]:
        settings = self.settings
        fields = {
            "Type of ownership": settings.ownership_type or TO_FILL_IN,
            "Country of the collection": settings.collection_country or TO_FILL_IN,
            "Date acquired": settings.acquired or TO_FILL_IN,
        }
        if query.provenance:
            fields["Provenance"] = query.provenance
        return fields

    def instructions(self) -> str:
        return (
            "Submit a search request to Artive from an account: the form's fields below, the "
            "photographs (and any documents) attached. Artive asks, at the least, the type of "
            "ownership, the country of the collection and when the object was acquired "
            "(PROVCHECK_ARTIVE_OWNERSHIP_TYPE, _COLLECTION_COUNTRY, _ACQUIRED fill them in); "
            "each search gets a reference number. As published by Artive "
            "(https://artive.org/); check before sending. Record the answer with "
            "`provcheck case record CASE --referral artive --result TEXT`."
        )
