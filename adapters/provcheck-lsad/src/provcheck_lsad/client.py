"""The `lsad` register: a client for a London Stolen Arts Database-style request service.

The database is searched on request by the Metropolitan Police Art & Antiques Unit. The client
takes an OAuth2 client-credentials token (renewed when it expires, even in the middle of
polling), opens a request with the requester's details, its purpose and the object's description
and photographs -- once: an idempotency key derived from the request makes a retry the same
request -- then polls with growing waits up to `deadline` seconds:

- answered with possible matches: records, which provcheck scores like any register's;
- answered "no trace": searched, no records, the unit's statement kept in the report;
- the officer asks for more information: `pending`, with the officer's question; `provcheck
  resume REPORT --reply "..."` sends the answer and the request continues;
- still with the unit at the deadline, or the service out of reach while polling: `pending`, with
  the reference number, to resume later.

A loss (`report_loss`) is reported to the police, not to a service: the report is prepared with
the fields the Art & Antiques Unit asks for when a theft of art or antiques is reported, for the
owner to give the police force that takes the crime report (the unit enters it in the database).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import httpx
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    SecretStr,
    ValidationInfo,
    field_validator,
)

from provcheck import (
    Access,
    AuthenticationError,
    Capabilities,
    LossReport,
    LossSubmission,
    ObjectDescription,
    PreparedDocument,
    Record,
    ReferralRequired,
    RegistrySettings,
    SearchPending,
    SearchResult,
    SubmissionState,
)
from provcheck.http import photograph_json
from provcheck.registers import Loss, ServiceRecord, SubmitAndPollRegistry, SubmitAndPollSettings

__all__ = ["LsadRegistry", "LsadSettings"]

# A reference number as it may appear in a URL path ("AAU/2026/000123"): segments of letters,
# digits, - and _, none of them a dot segment, nothing to escape.
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(/[A-Za-z0-9][A-Za-z0-9_-]*){0,5}$")
# Renew a token this long before the service says it expires.
TOKEN_MARGIN_S = 30.0


# What the Art & Antiques Unit asks of a stolen object, as `ObjectDescription.text_fields` names
# it -> the form's label (the Object ID categories, which the unit promotes).
_POLICE_FORM = {
    "object_type": "Type of object",
    "maker": "Artist / maker",
    "title": "Title",
    "period": "Date or period",
    "materials": "Materials and techniques",
    "measurements": "Measurements",
    "inscriptions": "Inscriptions and markings",
    "distinguishing_features": "Distinguishing features",
    "subject": "Subject",
    "description": "Description",
}


class LsadSettings(SubmitAndPollSettings):
    # No service address: the unit is asked by a person, and a check prepares the request.
    base_url: str = Field(
        default="",
        description="the request service; none: a check prepares the request for a person",
    )
    # Required with base_url; without it, the prepared request leaves what is missing to fill in.
    client_id: str = Field(
        default="", validate_default=True, description="the OAuth2 client id the unit issued"
    )
    client_secret: SecretStr = Field(
        default=SecretStr(""), validate_default=True, description="the OAuth2 client secret"
    )
    requester_name: str = Field(
        default="", validate_default=True, description="who asks: the unit answers a named person"
    )
    requester_email: str = Field(
        default="", validate_default=True, description="where the unit writes back"
    )
    requester_organisation: str | None = None
    purpose: str = "due diligence before acquiring or handling the object"

    @field_validator("client_id", "client_secret", "requester_name", "requester_email")
    @classmethod
    def _needed_by_the_service(
        cls, value: str | SecretStr, info: ValidationInfo
    ) -> str | SecretStr:
        plain = value.get_secret_value() if isinstance(value, SecretStr) else value
        if info.data.get("base_url") and not plain:
            raise ValueError("required with base_url (the service's address)")
        return value


class _DatabaseRecord(ServiceRecord):
    """One possible match, as the unit gives it: the loss is where and when it was stolen."""

    loss: Loss = Field(default=Loss(), alias="stolen")


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    result: Literal["possible_matches", "no_trace"]
    statement: str | None = None
    answered_at: str | None = None
    matches: list[dict[str, JsonValue]] = []


class _Request(BaseModel):
    """A request as the service reports it: unknown fields ignored, the ones relied on required."""

    model_config = ConfigDict(extra="ignore")

    reference: str = Field(pattern=_REFERENCE.pattern)  # it goes into the URL of every poll
    status: Literal["received", "assigned", "information_requested", "answered"]
    officer: str | None = None
    question: str | None = None
    answer: _Answer | None = None


class LsadRegistry(SubmitAndPollRegistry[_Request]):
    """The London Stolen Arts Database, through the Art & Antiques Unit's request service."""

    name: ClassVar[str] = "lsad"
    title: ClassVar[str] = "London Stolen Arts Database (Metropolitan Police)"
    homepage: ClassVar[str | None] = "https://www.met.police.uk/"
    access: ClassVar[Access] = Access.API
    loss_report_prepared_only: ClassVar[bool] = True  # prepared for a person to send
    capabilities: ClassVar[Capabilities] = Capabilities(
        fields=frozenset(
            {
                "title",
                "makers",
                "object_type",
                "materials",
                "measurements",
                "period",
                "inscriptions",
                "distinguishing_features",
                "description",
            }
        ),
        images=True,
    )
    Settings: ClassVar[type[RegistrySettings]] = LsadSettings
    settings: LsadSettings

    submit_path: ClassVar[str] = "/requests"
    handle_key: ClassVar[str] = "reference"
    handle_pattern: ClassVar[re.Pattern[str]] = _REFERENCE
    final_states: ClassVar[frozenset[str]] = frozenset({"answered", "information_requested"})
    noun: ClassVar[str] = "request"
    accepted_as: ClassVar[str] = "received"
    answered_by: ClassVar[str] = "the Art & Antiques Unit"
    status_model = _Request

    def __init__(self, settings: LsadSettings | None = None, /, **options: Any) -> None:
        super().__init__(settings, **options)
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        if not self.settings.base_url:
            raise self.referral(query)
        return await super().search(query, limit=limit)

    def referral(self, query: ObjectDescription) -> ReferralRequired:
        """The request prepared for a person to send to the unit, when no service is configured."""
        settings = self.settings
        fields = {
            "Requester": settings.requester_name or "[to fill in]",
            "Organisation": settings.requester_organisation or "",
            "Reply to": settings.requester_email or "[to fill in]",
            "Purpose": settings.purpose,
        }
        fields = {label: value for label, value in fields.items() if value} | {
            label.replace("_", " ").capitalize(): value
            for label, value in query.text_fields().items()
        }
        photographs = [image.attachment_name for image in query.images]
        letter = [
            "To the Art & Antiques Unit, Metropolitan Police",
            "Please search the London Stolen Arts Database for this object:",
            *(f"  {label}: {value}" for label, value in fields.items()),
            "Photographs attached: " + (", ".join(photographs) or "none"),
        ]
        return ReferralRequired(
            "lsad: no request service configured (PROVCHECK_LSAD_BASE_URL); the request is "
            "prepared for a person to send",
            instructions=(
                "Send this request to the Metropolitan Police Art & Antiques Unit, which keeps "
                "the London Stolen Arts Database and searches it on request; an officer writes "
                "back (no trace, possible matches, or a question). Use the contact details the "
                "Met publishes (https://www.met.police.uk/); check them before sending. Record "
                "the answer with `provcheck case record CASE --referral lsad --result TEXT`; or "
                "set PROVCHECK_LSAD_BASE_URL and the client's settings to use a service."
            ),
            request="\n".join(letter),
            fields=fields,
            attachments=photographs,
            send_to="the Metropolitan Police Art & Antiques Unit, contact as published on "
            "https://www.met.police.uk/",
            fee="none published by the Metropolitan Police; check before sending",
        )

    async def report_loss(self, loss: LossReport) -> LossSubmission:
        """The theft's report for the police, with the unit's fields: prepared, for a person to
        give the force that takes the crime report (the unit has no service for owners)."""
        record = loss.record
        given = record.description.text_fields()
        blank = "[to fill in]"
        fields = {
            "Crime reference number": loss.police_reference or "[to fill in: from the police]",
            "Police force": loss.police_force or blank,
            "Date of theft": record.date_of_loss.text if record.date_of_loss else blank,
            "Place of theft": record.place_of_loss or blank,
            "Circumstances (how it was taken)": loss.circumstances or blank,
            "Owner / victim": loss.reported_by or blank,
            "Contact": loss.contact or blank,
            "Owner's reference": given.get("inventory_number") or record.record_id,
        } | {label: given.get(key) or blank for key, label in _POLICE_FORM.items()}
        document = PreparedDocument(
            title="Report of stolen art or antiques (Metropolitan Police Art & Antiques Unit)",
            send_to=(
                "the police force that takes the crime report (in London, the Metropolitan "
                "Police: 101, or online), for the Art & Antiques Unit, New Scotland Yard"
            ),
            instructions=(
                "Report the theft to the police at once and give them this description with the "
                "photographs: the Art & Antiques Unit enters stolen art and antiques in the "
                "London Stolen Arts Database from crime reports, so that dealers, auction houses "
                "and the police find it. Fields as the unit asks for them; check with the force "
                "before sending. Record the crime reference with `provcheck loss answer RECORD "
                "--registry lsad --reference NUMBER`."
            ),
            fields=fields,
            attachments=tuple(image.attachment_name for image in record.description.images),
        )
        return LossSubmission(
            registry=self.name,
            state=SubmissionState.PREPARED,
            message="lsad: the police report is prepared for a person to give the police",
            document=document,
        )

    def account_key(self) -> str:
        return self.settings.client_id

    def submission_key(self, query: ObjectDescription) -> str:
        return self.idempotency_key("request", query.digest())

    def search_id(self, status: _Request) -> str:
        return status.reference

    def state(self, status: _Request) -> str:
        return status.status

    def request_body(self, query: ObjectDescription) -> dict[str, Any]:
        requester = {
            "name": self.settings.requester_name,
            "email": self.settings.requester_email,
            "organisation": self.settings.requester_organisation,
        }
        return {
            "requester": requester,
            "purpose": self.settings.purpose,
            "object": query.text_fields(),
            "photographs": [photograph_json(image) for image in query.images],
        }

    async def send_reply(self, search_id: str, reply: str) -> None:
        await self.request(
            "POST",
            f"/requests/{search_id}/supplements",
            json={"text": reply},
            headers={"Idempotency-Key": self.idempotency_key(search_id, reply)},
            idempotent=True,
        )

    def outcome(self, reference: str, request: _Request, *, limit: int) -> SearchResult:
        if request.status == "information_requested":
            raise SearchPending(
                f"lsad: {request.officer or 'the officer'} asks for more information about "
                f"request {reference} before searching; answer with provcheck resume --reply",
                handle=self.handle(reference),
                question=request.question or "more information about the object",
            )
        if request.answer is None:
            raise self.still_pending(reference, request.status)
        answer = request.answer
        documents: dict[str, JsonValue] = {
            "request": {"reference": request.reference, "officer": request.officer},
            "answer": {
                "result": answer.result,
                "statement": answer.statement,
                "answered_at": answer.answered_at,
            },
        }
        return self.records(
            answer.matches, limit=limit, label=request.reference, documents=documents
        )

    def record(self, match: Mapping[str, JsonValue]) -> Record:
        return self.service_record(_DatabaseRecord.model_validate(match), match)

    # -- authorisation --------------------------------------------------------------------

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """A request with a valid bearer token; a token the service refuses (expired or revoked
        early) is renewed once and the request sent again."""
        headers = dict(kwargs.pop("headers", {}))
        for attempt in (1, 2):
            token = await self._access_token(renew=attempt == 2)
            try:
                return await self.http.request(
                    method, url, headers={**headers, "Authorization": f"Bearer {token}"}, **kwargs
                )
            except AuthenticationError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _access_token(self, *, renew: bool) -> str:
        async with self._token_lock:
            if renew or self._token is None or time.monotonic() >= self._token_expires:
                response = await self._token_request()
                token = self.http.parse_model(_Token, response)
                self._token = token.access_token
                self._token_expires = time.monotonic() + token.expires_in - TOKEN_MARGIN_S
            return self._token

    async def _token_request(self) -> httpx.Response:
        try:
            return await self.http.request(
                "POST",
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.settings.client_id,
                    "client_secret": self.settings.client_secret.get_secret_value(),
                },
                idempotent=True,  # asking for a token twice does no harm
            )
        except AuthenticationError as error:
            error.args = (
                f"{error}: the client id or secret was refused; check PROVCHECK_LSAD_CLIENT_ID "
                "and PROVCHECK_LSAD_CLIENT_SECRET",
            )
            raise


class _Token(BaseModel):
    model_config = ConfigDict(extra="ignore")

    access_token: str = Field(min_length=1)
    token_type: str = "Bearer"
    expires_in: float = 3600.0
