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
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, SecretStr

from provcheck import (
    Access,
    AuthenticationError,
    Capabilities,
    ImageRef,
    MalformedResponseError,
    ObjectDescription,
    PaymentRequiredError,
    Record,
    RecordStatus,
    Registry,
    RegistrySettings,
    RejectedQueryError,
    SearchPending,
    SearchResult,
    collect_records,
)
from provcheck.http import HttpSession, RetryPolicy, pending_if_unreachable, photograph_json, poll

__all__ = ["AlrRegistry", "AlrSettings"]

FINAL = frozenset({"completed", "certified", "refused"})
# A search id as it may appear in a URL path: no slashes, no dot segments, nothing to escape.
_SEARCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
WAITING = frozenset({"queued", "in_review"})


class AlrSettings(RegistrySettings):
    base_url: str = Field(description="the search service, e.g. https://api.example.org")
    api_key: SecretStr = Field(description="the account's API key (sent as X-API-Key)")
    current_owner: str | None = Field(
        default=None, description="who owns the object now (required by the register)"
    )
    collection_type: str | None = Field(
        default=None,
        description="the type of collection: private, dealer stock, museum, ... (required)",
    )
    poll_interval: float = Field(default=2.0, gt=0, description="first wait between polls, s")
    deadline: float = Field(
        default=45.0, ge=0, description="seconds to wait for staff before the search is pending"
    )
    timeout: float = Field(default=90.0, gt=0)


class _Fee(BaseModel):
    amount: str
    currency: str


class _Image(BaseModel):
    url: str


class _Loss(BaseModel):
    date: str | None = None
    place: str | None = None


class _RegisterRecord(BaseModel):
    """One match's record, as the service gives it."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    status: str = "unknown"
    object: dict[str, str]
    images: list[_Image] = []
    loss: _Loss = _Loss()


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


class AlrRegistry(Registry):
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

    def __init__(self, settings: AlrSettings | None = None, /, **options: Any) -> None:
        super().__init__(settings, **options)
        key = self.settings.api_key.get_secret_value()
        self._http = HttpSession(
            registry=self.name,
            base_url=self.settings.base_url,
            headers={"X-API-Key": key, "Accept": "application/json"},
            retry=RetryPolicy(attempts=5, max_wait=30.0),
            transport=self.transport,
            secrets=[key],
        )

    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        body = await asyncio.to_thread(self._request_body, query)
        try:
            response = await self._http.request(
                "POST",
                "/v1/searches",
                json=body,
                headers={"Idempotency-Key": self._idempotency_key(query)},
                idempotent=True,  # the key makes a repeated submission the same search, unpaid
            )
        except AuthenticationError as error:
            error.args = (f"{error}: the API key was refused; check PROVCHECK_ALR_API_KEY",)
            raise
        except PaymentRequiredError as error:
            error.args = (f"{error}: the account has no search credit left; top it up",)
            raise
        submitted = self._http.parse_model(_Search, response)
        return await self._wait_for(submitted.id, limit=limit)

    async def resume(
        self, handle: Mapping[str, JsonValue], *, limit: int, reply: str | None = None
    ) -> Sequence[Record]:
        search_id = handle.get("search_id")
        if not isinstance(search_id, str) or not _SEARCH_ID.fullmatch(search_id):
            raise RejectedQueryError(
                f"alr: the pending search's handle has no valid search_id ({search_id!r})"
            )
        return await self._wait_for(search_id, limit=limit)

    async def image_bytes(self, image: ImageRef) -> bytes | None:
        # Only the service's own images: the API key must never go to another host.
        if image.url is None or not self._http.owns(image.url):
            return image.data
        response = await self._http.request("GET", image.url)
        return response.content

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the workflow ---------------------------------------------------------------------

    async def _wait_for(self, search_id: str, *, limit: int) -> SearchResult:
        path = f"/v1/searches/{search_id}"

        async def fetch() -> _Search:
            response = await self._http.request("GET", path)
            return self._http.parse_model(_Search, response)

        submitted = f"alr: search {search_id} was submitted"  # and paid for
        with pending_if_unreachable(submitted, handle={"search_id": search_id}):
            search = await poll(
                fetch,
                lambda s: s.status in FINAL,
                interval=self.settings.poll_interval,
                deadline=self.settings.deadline,
            )
        if search.status in WAITING:
            raise SearchPending(
                f"alr: search {search_id} is {search.status.replace('_', ' ')} with the "
                f"register's staff after {self.settings.deadline:g} s; resume it later",
                handle={"search_id": search_id},
            )
        return self._result(search, limit=limit)

    def _result(self, search: _Search, *, limit: int) -> SearchResult:
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
        records, warnings = collect_records(
            search.matches[:limit], self._record, label=lambda n: f"match {n} of search {search.id}"
        )
        return SearchResult(tuple(records), warnings=tuple(warnings), documents=documents)

    def _record(self, match: Mapping[str, JsonValue]) -> Record:
        """A match as a `Record`, the service's payload kept whole in `raw`."""
        found = _RegisterRecord.model_validate(match.get("record"))
        images = [
            ImageRef(url=url) for image in found.images if (url := self._http.resolve(image.url))
        ]
        return Record(
            registry=self.name,
            record_id=found.id,
            status=RecordStatus.parse(found.status),
            description=ObjectDescription.model_validate({**found.object, "images": images}),
            date_of_loss=found.loss.date,  # parsed by the model
            place_of_loss=found.loss.place,
            raw=dict(match),
        )

    def _request_body(self, query: ObjectDescription) -> dict[str, Any]:
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

    def _idempotency_key(self, query: ObjectDescription) -> str:
        # The same object, described the same way, from the same account and owner, is the same
        # search: a retry after a dropped answer, a second run of the check, a batch run twice.
        parts = [
            hashlib.sha256(self.settings.api_key.get_secret_value().encode()).hexdigest(),
            query.digest(),
            self.settings.current_owner or "",
            self.settings.collection_type or "",
        ]
        return "provcheck-" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]
