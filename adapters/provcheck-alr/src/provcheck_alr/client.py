"""The `alr` register: a client for an Art Loss Register-style search service.

A search is a paid request that the register's staff answer later. The client submits the object's
description, photographs and provenance once -- with an idempotency key derived from the request,
so that a retry, a second run of the same check or a resumed report never pays twice -- then polls
with growing waits up to `deadline` seconds. The answer becomes the outcome:

- possible matches: records, which provcheck scores like any register's;
- a search certificate: no records, and the certificate kept verbatim in the report;
- a refusal: a failed outcome, with the register's reason;
- still in review at the deadline (or the service unreachable while polling): `pending`, with the
  search id, so that `provcheck resume` takes it up later without paying again.

An owner's loss is registered the same way (`report_loss`): submitted once, with a key derived
from the record and its loss, then polled until staff have put it on the register and given its
registration number; without a service, the registration is prepared for a person to send.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

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
    MalformedResponseError,
    ObjectDescription,
    PaymentRequiredError,
    PreparedDocument,
    Record,
    ReferralRequired,
    RegistrySettings,
    RejectedQueryError,
    SearchResult,
    SubmissionState,
)
from provcheck.http import photograph_json, poll
from provcheck.registers import ServiceRecord, SubmitAndPollRegistry, SubmitAndPollSettings

__all__ = ["AlrRegistry", "AlrSettings"]

FINAL = frozenset({"completed", "certified", "refused"})
# A search id as it may appear in a URL path: no slashes, no dot segments, nothing to escape.
_SEARCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


class AlrSettings(SubmitAndPollSettings):
    # No service address: the register is searched by a person, and a check prepares the request.
    base_url: str = Field(
        default="",
        description="the search service; none: a check prepares the request for a person to send",
    )
    api_key: SecretStr = Field(
        default=SecretStr(""),
        validate_default=True,
        description="the account's API key (sent as X-API-Key); required with base_url",
    )
    current_owner: str | None = Field(
        default=None, description="who owns the object now (required by the register)"
    )
    collection_type: str | None = Field(
        default=None,
        description="the type of collection: private, dealer stock, museum, ... (required)",
    )

    @field_validator("api_key")
    @classmethod
    def _key_for_the_service(cls, api_key: SecretStr, info: ValidationInfo) -> SecretStr:
        if info.data.get("base_url") and not api_key.get_secret_value():
            raise ValueError("required with base_url (the service's address)")
        return api_key


# The request's fields, as `ObjectDescription.text_fields` names them -> how the request says them.
_ALR_FORM = {
    "maker": "Artist / maker",
    "title": "Title",
    "object_type": "Type of object",
    "materials": "Medium / materials",
    "measurements": "Dimensions",
    "period": "Date",
    "inscriptions": "Inscriptions, signatures, labels",
    "distinguishing_features": "Distinguishing features",
    "subject": "Subject",
    "description": "Description",
    "inventory_number": "Reference",
    "provenance": "Provenance",
}


class _Fee(BaseModel):
    amount: str
    currency: str


class _Search(BaseModel):
    """A search as the service reports it. Unknown fields are ignored (services add fields);
    missing or renamed ones the client relies on are a malformed answer."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=_SEARCH_ID.pattern)  # it goes into the URL of every poll
    status: Literal["queued", "in_review", "completed", "certified", "refused"]
    fee: _Fee | None = None
    submitted_at: str | None = None
    matches: list[dict[str, JsonValue]] = []
    certificate: dict[str, JsonValue] | None = None
    refusal: dict[str, JsonValue] | None = None


class _Registration(BaseModel):
    """A loss registration as the service reports it."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=_SEARCH_ID.pattern)
    status: Literal["received", "registered", "refused"]
    fee: _Fee | None = None
    registration: dict[str, JsonValue] | None = None
    refusal: dict[str, JsonValue] | None = None


class AlrRegistry(SubmitAndPollRegistry[_Search]):
    """The Art Loss Register, through its search service (paid per search)."""

    name: ClassVar[str] = "alr"
    title: ClassVar[str] = "Art Loss Register"
    homepage: ClassVar[str | None] = "https://www.artloss.com"
    access: ClassVar[Access] = Access.API
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
                "subject",
                "distinguishing_features",
                "description",
                "inventory_number",
            }
        ),
        images=True,
    )
    Settings: ClassVar[type[RegistrySettings]] = AlrSettings
    settings: AlrSettings

    submit_path: ClassVar[str] = "/v1/searches"
    handle_pattern: ClassVar[re.Pattern[str]] = _SEARCH_ID
    final_states: ClassVar[frozenset[str]] = FINAL
    status_model = _Search

    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        if not self.settings.base_url:
            raise self.referral(query)
        return await super().search(query, limit=limit)

    def referral(self, query: ObjectDescription) -> ReferralRequired:
        """The paid search prepared for a person to submit, when no service is configured."""
        given = query.text_fields()
        fields = {label: given[key] for key, label in _ALR_FORM.items() if key in given} | {
            "Current owner": self.settings.current_owner or "[to fill in: required]",
            "Type of collection": self.settings.collection_type or "[to fill in: required]",
        }
        photographs = [image.attachment_name for image in query.images]
        request = "\n".join(
            [
                "Search request to the Art Loss Register",
                *(f"{label}: {value}" for label, value in fields.items()),
                "Photographs: " + (", ".join(photographs) or "none given: attach at least one"),
                "Please search the register for this object and issue a search certificate if it "
                "is not registered.",
            ]
        )
        return ReferralRequired(
            "alr: no search service configured (PROVCHECK_ALR_BASE_URL); the paid search is "
            "prepared for a person to submit",
            instructions=(
                "Submit this search to the Art Loss Register (https://www.artloss.com): its staff "
                "compare it with the register and answer with possible matches or a search "
                "certificate. A fee is charged per search, whatever the result, as the ALR "
                "publishes it; check the fee and the form on its site before sending. Record the "
                "answer with `provcheck case record CASE --referral alr --result TEXT`; or set "
                "PROVCHECK_ALR_BASE_URL and PROVCHECK_ALR_API_KEY to search through a service."
            ),
            request=request,
            fields=fields,
            attachments=photographs,
            send_to="the Art Loss Register, https://www.artloss.com (a search request)",
            fee="a fee per search, as published by the Art Loss Register; check before sending",
        )

    async def report_loss(self, loss: LossReport) -> LossSubmission:
        """Register the loss: submitted once (a repeat with the same key is the same
        registration, unpaid), then polled until staff give its registration number or the
        deadline passes (`submitted`, with the registration's id)."""
        if not self.settings.base_url:
            return LossSubmission(
                registry=self.name,
                state=SubmissionState.PREPARED,
                message="alr: no service configured; the registration is prepared to send",
                document=self._registration_form(loss),
            )
        record = loss.record
        owner = loss.reported_by or self.settings.current_owner
        if not owner:
            return LossSubmission(
                registry=self.name,
                state=SubmissionState.FAILED,
                message=(
                    "alr: the register registers a loss in its owner's name: say who owns the "
                    "object (--owner, or PROVCHECK_ALR_CURRENT_OWNER)"
                ),
            )
        body = {
            "object": record.description.text_fields(),
            "photographs": [photograph_json(image) for image in record.description.images],
            "loss": {
                "date": record.date_of_loss.text if record.date_of_loss else None,
                "place": record.place_of_loss,
                "police_reference": loss.police_reference,
                "police_force": loss.police_force,
                "circumstances": loss.circumstances,
            },
            "owner": {"name": owner, "contact": loss.contact},
            "reference": record.description.inventory_number or record.record_id,
        }
        key = self.idempotency_key("loss", record.key, str(body["loss"]))
        try:
            response = await self.request(
                "POST",
                "/v1/registrations",
                json=body,
                headers={"Idempotency-Key": key},
                idempotent=True,
            )
        except RejectedQueryError as error:
            return LossSubmission(
                registry=self.name, state=SubmissionState.REFUSED, message=str(error)
            )
        except PaymentRequiredError as error:
            return LossSubmission(
                registry=self.name,
                state=SubmissionState.REFUSED,
                message=f"{error}: the account has no credit for the registration fee",
            )
        accepted = self.http.parse_model(_Registration, response)

        async def fetch() -> _Registration:
            answer = await self.request("GET", f"/v1/registrations/{accepted.id}")
            return self.http.parse_model(_Registration, answer)

        status = await poll(
            fetch,
            lambda r: r.status != "received",
            interval=self.settings.poll_interval,
            deadline=self.settings.deadline,
        )
        fee = f"{status.fee.currency} {status.fee.amount}" if status.fee else None
        answer: dict[str, JsonValue] = status.model_dump(mode="json")
        if status.status == "registered":
            number = (status.registration or {}).get("number")
            if not isinstance(number, str) or not number:
                raise MalformedResponseError(
                    f"alr: registration {status.id} is registered but carries no number"
                )
            return LossSubmission(
                registry=self.name,
                state=SubmissionState.REGISTERED,
                message=f"alr: registration number {number}",
                reference=number,
                fee=fee,
                answer=answer,
            )
        if status.status == "refused":
            reason = str((status.refusal or {}).get("message") or "no reason given")
            return LossSubmission(
                registry=self.name,
                state=SubmissionState.REFUSED,
                message=f"alr: registration {status.id} refused: {reason}",
                fee=fee,
                answer=answer,
            )
        return LossSubmission(
            registry=self.name,
            state=SubmissionState.SUBMITTED,
            message=(
                f"alr: registration {status.id} received, not yet confirmed after "
                f"{self.settings.deadline:g} s; the register confirms it later"
            ),
            reference=status.id,
            fee=fee,
            answer=answer,
        )

    def _registration_form(self, loss: LossReport) -> PreparedDocument:
        record = loss.record
        given = record.description.text_fields()
        fields = {label: given[key] for key, label in _ALR_FORM.items() if key in given} | {
            "Date of loss": record.date_of_loss.text if record.date_of_loss else "[to fill in]",
            "Place of loss": record.place_of_loss or "[to fill in]",
            "Police crime reference": loss.police_reference or "[to fill in: required]",
            "Police force": loss.police_force or "[to fill in]",
            "Circumstances": loss.circumstances or "[to fill in]",
            "Owner": loss.reported_by or "[to fill in]",
            "Contact": loss.contact or "[to fill in]",
        }
        return PreparedDocument(
            title="Loss registration with the Art Loss Register",
            send_to="the Art Loss Register, https://www.artloss.com (register an item)",
            instructions=(
                "Register the stolen item with the Art Loss Register as soon as the police have "
                "its crime reference: registered items are compared with every search made by "
                "the trade and the police. A registration fee may be charged, as the ALR "
                "publishes it; check the form on its site before sending."
            ),
            fields=fields,
            attachments=tuple(image.attachment_name for image in record.description.images),
        )

    def headers(self) -> Mapping[str, str]:
        return {"X-API-Key": self.settings.api_key.get_secret_value()}

    def account_key(self) -> str:
        return hashlib.sha256(self.settings.api_key.get_secret_value().encode()).hexdigest()

    def submission_key(self, query: ObjectDescription) -> str:
        # The same object from the same account and owner is the same search: paid once.
        owner, collection = self.settings.current_owner, self.settings.collection_type
        return self.idempotency_key(query.digest(), owner or "", collection or "")

    async def submit(self, query: ObjectDescription) -> str:
        try:
            return await super().submit(query)
        except AuthenticationError as error:
            error.args = (f"{error}: the API key was refused; check PROVCHECK_ALR_API_KEY",)
            raise
        except PaymentRequiredError as error:
            error.args = (f"{error}: the account has no search credit left; top it up",)
            raise

    def search_id(self, status: _Search) -> str:
        return status.id

    def state(self, status: _Search) -> str:
        return status.status

    def request_body(self, query: ObjectDescription) -> dict[str, Any]:
        return {
            "object": query.text_fields(),
            "photographs": [photograph_json(image) for image in query.images],
            "provenance": {
                "current_owner": self.settings.current_owner,
                "collection_type": self.settings.collection_type,
                "history": query.provenance,
            },
            "reference": query.inventory_number,
        }

    def outcome(self, search_id: str, search: _Search, *, limit: int) -> SearchResult:
        documents: dict[str, JsonValue] = {
            "search": {
                "id": search.id,
                "status": search.status,
                "submitted_at": search.submitted_at,
                "fee": f"{search.fee.currency} {search.fee.amount}" if search.fee else None,
            }
        }
        if search.status == "refused":
            refusal = search.refusal or {}
            fee = f" (fee {search.fee.currency} {search.fee.amount} charged)" if search.fee else ""
            hint = (
                "; give current_owner and collection_type (PROVCHECK_ALR_CURRENT_OWNER, "
                "PROVCHECK_ALR_COLLECTION_TYPE) and search again"
                if refusal.get("reason") == "insufficient_provenance"
                else ""
            )
            reason = str(refusal.get("message") or refusal.get("reason") or "no reason given")
            raise RejectedQueryError(
                f"alr: the register refused search {search.id}{fee}: {reason.rstrip('.')}{hint}"
            )
        if search.status == "certified":
            if not search.certificate:
                raise MalformedResponseError(
                    f"alr: search {search.id} is certified but carries no certificate"
                )
            documents["certificate"] = search.certificate
            return SearchResult(documents=documents)
        return self.records(
            search.matches, limit=limit, label=f"search {search.id}", documents=documents
        )

    def record(self, match: Mapping[str, JsonValue]) -> Record:
        # A match is the register's record and the reviewer's note on it.
        return self.service_record(ServiceRecord.model_validate(match.get("record")), match)
