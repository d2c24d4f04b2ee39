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
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, JsonValue, SecretStr

from provcheck import (
    Access,
    AuthenticationError,
    Capabilities,
    ImageRef,
    ObjectDescription,
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

__all__ = ["LsadRegistry", "LsadSettings"]

# A reference number as it may appear in a URL path ("AAU/2026/000123"): segments of letters,
# digits, - and _, none of them a dot segment, nothing to escape.
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(/[A-Za-z0-9][A-Za-z0-9_-]*){0,5}$")
# Renew a token this long before the service says it expires.
TOKEN_MARGIN_S = 30.0


class LsadSettings(RegistrySettings):
    base_url: str = Field(description="the request service, e.g. https://lsad.example.org")
    client_id: str = Field(description="the OAuth2 client id the unit issued")
    client_secret: SecretStr = Field(description="the OAuth2 client secret")
    requester_name: str = Field(description="who asks: the unit answers a named person")
    requester_email: str = Field(description="where the unit writes back")
    requester_organisation: str | None = None
    purpose: str = "due diligence before acquiring or handling the object"
    poll_interval: float = Field(default=2.0, gt=0, description="first wait between polls, s")
    deadline: float = Field(
        default=45.0, ge=0, description="seconds to wait for the unit before the request is pending"
    )
    timeout: float = Field(default=90.0, gt=0)


class _Image(BaseModel):
    url: str


class _Stolen(BaseModel):
    date: str | None = None
    place: str | None = None


class _DatabaseRecord(BaseModel):
    """One possible match, as the unit gives it."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    status: str = "unknown"
    object: dict[str, str]
    images: list[_Image] = []
    stolen: _Stolen = _Stolen()


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


class LsadRegistry(Registry):
    """The London Stolen Arts Database, through the Art & Antiques Unit's request service."""

    name: ClassVar[str] = "lsad"
    title: ClassVar[str] = "London Stolen Arts Database (Metropolitan Police)"
    homepage: ClassVar[str | None] = "https://www.met.police.uk/"
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
                "distinguishing_features",
                "description",
            }
        ),
        images=True,
    )
    Settings: ClassVar[type[RegistrySettings]] = LsadSettings
    settings: LsadSettings

    def __init__(self, settings: LsadSettings | None = None, /, **options: Any) -> None:
        super().__init__(settings, **options)
        self._http = HttpSession(
            registry=self.name,
            base_url=self.settings.base_url,
            headers={"Accept": "application/json"},
            retry=RetryPolicy(attempts=5, max_wait=30.0),
            transport=self.transport,
            secrets=[self.settings.client_secret.get_secret_value()],
        )
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        body = await asyncio.to_thread(self._request_body, query)
        response = await self._authorised(
            "POST",
            "/requests",
            json=body,
            headers={"Idempotency-Key": self._idempotency_key("request", query.digest())},
            idempotent=True,  # the key makes a repeated request the same request
        )
        opened = self._http.parse_model(_Request, response)
        return await self._wait_for(opened.reference, limit=limit)

    async def resume(
        self, handle: Mapping[str, JsonValue], *, limit: int, reply: str | None = None
    ) -> Sequence[Record]:
        reference = handle.get("reference")
        if not isinstance(reference, str) or not _REFERENCE.fullmatch(reference):
            raise RejectedQueryError(
                f"lsad: the pending request's handle has no valid reference ({reference!r})"
            )
        if reply:
            await self._authorised(
                "POST",
                f"/requests/{reference}/supplements",
                json={"text": reply},
                headers={"Idempotency-Key": self._idempotency_key(reference, reply)},
                idempotent=True,
            )
        return await self._wait_for(reference, limit=limit)

    async def image_bytes(self, image: ImageRef) -> bytes | None:
        # Only the service's own images: the token must never go to another host.
        if image.url is None or not self._http.owns(image.url):
            return image.data
        response = await self._authorised("GET", image.url)
        return response.content

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the workflow ---------------------------------------------------------------------

    async def _wait_for(self, reference: str, *, limit: int) -> SearchResult:
        async def fetch() -> _Request:
            response = await self._authorised("GET", f"/requests/{reference}")
            return self._http.parse_model(_Request, response)

        received = f"lsad: request {reference} was received"
        with pending_if_unreachable(received, handle={"reference": reference}):
            request = await poll(
                fetch,
                lambda r: r.status in ("answered", "information_requested"),
                interval=self.settings.poll_interval,
                deadline=self.settings.deadline,
            )
        if request.status == "information_requested":
            question = request.question or "more information about the object"
            raise SearchPending(
                f"lsad: {request.officer or 'the officer'} asks for more information about "
                f"request {reference} before searching; answer with provcheck resume --reply",
                handle={"reference": reference},
                question=question,
            )
        if request.answer is None:
            raise SearchPending(
                f"lsad: request {reference} is {request.status} with the Art & Antiques Unit "
                f"after {self.settings.deadline:g} s; resume it later",
                handle={"reference": reference},
            )
        return self._result(request, request.answer, limit=limit)

    def _result(self, request: _Request, answer: _Answer, *, limit: int) -> SearchResult:
        documents: dict[str, JsonValue] = {
            "request": {"reference": request.reference, "officer": request.officer},
            "answer": {
                "result": answer.result,
                "statement": answer.statement,
                "answered_at": answer.answered_at,
            },
        }
        records, warnings = collect_records(
            answer.matches[:limit],
            self._record,
            label=lambda n: f"match {n} of {request.reference}",
        )
        return SearchResult(tuple(records), warnings=tuple(warnings), documents=documents)

    def _record(self, match: Mapping[str, JsonValue]) -> Record:
        """A possible match as a `Record`, the unit's payload kept whole in `raw`."""
        found = _DatabaseRecord.model_validate(match)
        images = [
            ImageRef(url=url) for image in found.images if (url := self._http.resolve(image.url))
        ]
        return Record(
            registry=self.name,
            record_id=found.id,
            status=RecordStatus.parse(found.status),
            description=ObjectDescription.model_validate({**found.object, "images": images}),
            date_of_loss=found.stolen.date,  # parsed by the model
            place_of_loss=found.stolen.place,
            raw=dict(match),
        )

    # -- authorisation --------------------------------------------------------------------

    async def _authorised(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """A request with a valid bearer token; a token the service refuses (expired or revoked
        early) is renewed once and the request sent again."""
        headers = dict(kwargs.pop("headers", {}))
        for attempt in (1, 2):
            token = await self._access_token(renew=attempt == 2)
            try:
                return await self._http.request(
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
                token = self._http.parse_model(_Token, response)
                self._token = token.access_token
                self._token_expires = time.monotonic() + token.expires_in - TOKEN_MARGIN_S
            return self._token

    async def _token_request(self) -> httpx.Response:
        try:
            return await self._http.request(
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

    # -- the request ----------------------------------------------------------------------

    def _request_body(self, query: ObjectDescription) -> dict[str, Any]:
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

    def _idempotency_key(self, *parts: str) -> str:
        # The same request from the same client is the same request: a retry after a dropped
        # answer, a second run of the check, a batch run twice.
        joined = "\n".join([self.settings.client_id, *parts])
        return "provcheck-" + hashlib.sha256(joined.encode()).hexdigest()[:40]


class _Token(BaseModel):
    model_config = ConfigDict(extra="ignore")

    access_token: str = Field(min_length=1)
    token_type: str = "Bearer"
    expires_in: float = 3600.0
