"""A mock of a London Stolen Arts Database-style request service, faithful to how it works.

The London Stolen Arts Database (Metropolitan Police Art & Antiques Unit) is not searchable by the
public: you apply with your details and the object's description, and the unit answers later. This
mock follows that workflow:

- OAuth2 client credentials: `POST /oauth/token` (form: grant_type=client_credentials, client_id,
  client_secret) gives a bearer token that expires (`expires_in`); an expired or revoked token is
  answered 401 with `WWW-Authenticate: Bearer error="invalid_token"`;
- `POST /requests` (requester, purpose, Object ID description, photographs; an
  `Idempotency-Key`) answers 201 with a reference number;
- `GET /requests/{reference}` moves from `received` to `assigned` (an officer), then to
  `answered` -- possible matches, or "no trace" -- or, when the request gives too little to search
  on, to `information_requested` with the officer's question;
- `POST /requests/{reference}/supplements` (text, photographs) answers the question; the request
  goes back to the officer and continues;
- polling faster than `min_poll_interval` answers 429 with `Retry-After`;
- `GET /images/{record_id}/{n}` serves a record's photographs.

The officer's search is provcheck's own matcher over the seed records (`provcheck.mocks`).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provcheck import ImageRef, ObjectDescription, Record
from provcheck.mocks import (
    FaultInjection,
    Faults,
    IdempotencyConflict,
    IdempotencyKeys,
    MockService,
    PollPacing,
    SeedRecords,
    SubmitAndPollMockOptions,
    SubmitAndPollService,
    decode_photographs,
    error_response,
    find_seed,
    parse_options,
    read_body,
)

__all__ = ["LsadMockOptions", "LsadService", "create_mock"]

NO_TRACE = (
    "A search of the London Stolen Arts Database has been made for the object described in this "
    "request. No trace of it was found on the database at the time of the search. This does not "
    "mean that the object has not been stolen, only that it is not recorded as stolen with the "
    "Metropolitan Police."
)
MORE_INFORMATION = (
    "I need more to go on before I can search the database: please send photographs of the "
    "object (front, back and any marks), or its measurements and any inscriptions, labels or "
    "damage that would identify it."
)
OFFICERS = ("DC A. Morgan", "DC R. Patel", "DS J. Whitfield")


class LsadMockOptions(SubmitAndPollMockOptions):
    """The mock's own settings (`provcheck mock serve lsad --set review_seconds=30`)."""

    client_id: str = "lsad-demo-client"
    client_secret: str = "lsad-demo-secret"
    token_lifetime: float = Field(default=3600, gt=0, description="seconds a token is valid")


@dataclass
class _Token:
    expires: float
    uses_left: int | None


@dataclass
class _Request:
    reference: str
    received_at: datetime
    officer: str
    description: ObjectDescription
    photographs: list[bytes]
    started: float  # when the officer's clock last started: submission, or the last supplement
    answer: dict[str, Any] | None = None  # decided when the review time is over
    question: str | None = None
    supplements: list[str] = field(default_factory=list)


@dataclass
class LsadService(SubmitAndPollService[_Request]):
    """The unit's state: tokens issued, requests received, and the database they are searched in."""

    noun = "request"
    entry_parameter = "reference"
    not_found = "no request with that reference"

    seed: SeedRecords
    options: LsadMockOptions
    faults: Faults
    clock: Callable[[], float] = time.monotonic
    tokens: dict[str, _Token] = field(default_factory=dict)
    requests: dict[str, _Request] = field(default_factory=dict)
    keys: IdempotencyKeys = field(default_factory=IdempotencyKeys)
    supplement_keys: IdempotencyKeys = field(default_factory=IdempotencyKeys)
    received: int = 0  # requests opened, for tests: a retry must never open a second
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.pacing = PollPacing(self.options.min_poll_interval)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth/token", self.token, methods=["POST"]),
                Route("/requests", self.submit, methods=["POST"]),
                Route("/requests/{reference:path}/supplements", self.supplement, methods=["POST"]),
                Route("/requests/{reference:path}", self.status, methods=["GET"]),
                Route("/images/{record_id}/{index:int}.jpg", self.image, methods=["GET"]),
            ]
        )

    # -- endpoints --------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        form = {
            k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()
        }
        if form.get("grant_type") != "client_credentials":
            return error_response(
                400, "unsupported_grant_type", "use grant_type=client_credentials"
            )
        if (form.get("client_id"), form.get("client_secret")) != (
            self.options.client_id,
            self.options.client_secret,
        ):
            return error_response(401, "invalid_client", "the client id or secret is not valid")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = _Token(
            expires=self.clock() + self.options.token_lifetime,
            uses_left=self.faults.token_expiry or None,
        )
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": int(self.options.token_lifetime),
                "scope": "requests",
            }
        )

    async def submit(self, request: Request) -> Response:
        opened = await self.open_submission(request, _SearchRequest.read)
        if isinstance(opened, Response):
            return opened
        description, photographs = opened.content
        now = datetime.now(UTC)
        number = next(self._numbers)
        entry = _Request(
            reference=f"AAU/{now:%Y}/{number:06d}",
            received_at=now,
            officer=OFFICERS[number % len(OFFICERS)],
            description=description,
            photographs=photographs,
            started=self.clock(),
        )
        self.requests[entry.reference] = entry
        self.keys.remember(opened.key, opened.body, entry.reference)
        self.received += 1
        return JSONResponse(self._view(entry), status_code=201)

    async def progress(self, entry: _Request, now: float) -> dict[str, Any]:
        review_over = now - entry.started >= self.options.review_seconds
        if entry.answer is None and entry.question is None and review_over:
            await asyncio.to_thread(self._search, entry)
        return self._view(entry)

    async def supplement(self, request: Request) -> Response:
        entry = self.find(request)
        if isinstance(entry, Response):
            return entry
        key = request.headers.get("Idempotency-Key", "").strip()
        body = await request.body()
        try:
            if key and self.supplement_keys.known(key, body) == entry.reference:
                return JSONResponse(self._view(entry), status_code=202)  # the same answer again
        except IdempotencyConflict:
            return error_response(409, "idempotency_key_reused", "that key sent a different answer")
        if entry.question is None:
            return error_response(
                409, "no_question", "the officer has not asked for more information"
            )
        read = read_body(_Supplement.read, body)
        if isinstance(read, Response):
            return read
        given, photographs = read
        entry.supplements.append(given.text)
        entry.photographs += photographs
        extra = " ".join(part for part in (entry.description.description, given.text) if part)
        entry.description = entry.description.model_copy(update={"description": extra})
        entry.question = None
        entry.started = self.clock()
        if key:
            self.supplement_keys.remember(key, body, entry.reference)
        return JSONResponse(self._view(entry), status_code=202)

    # -- the unit's work ----------------------------------------------------------------------

    def _search(self, entry: _Request) -> None:
        """The officer's search: a question if the request is too thin, else the answer."""
        described = entry.description
        identifying = (
            described.measurements
            or described.inscriptions
            or described.distinguishing_features
            or described.description
        )
        if not entry.photographs and not identifying:
            entry.question = MORE_INFORMATION
            return
        query = described.model_copy(
            update={"images": tuple(ImageRef(data=data) for data in entry.photographs)}
        )
        found = self.seed.compare(query)
        answered_at = datetime.now(UTC).isoformat()
        if not found:
            entry.answer = {"result": "no_trace", "statement": NO_TRACE, "answered_at": answered_at}
            return
        entry.answer = {
            "result": "possible_matches",
            "answered_at": answered_at,
            "statement": (
                f"{len(found)} record(s) on the database may describe this object. Do not part "
                "with the object; contact the officer named in this answer."
            ),
            "matches": [self._record(c.record) for c in found],
        }

    def _record(self, record: Record) -> dict[str, Any]:
        copied = ("crime_reference", "contact")
        return self.record_json(record, images="/images", loss="stolen", copied=copied)

    def _view(self, entry: _Request) -> dict[str, Any]:
        elapsed = self.clock() - entry.started
        view: dict[str, Any] = {
            "reference": entry.reference,
            "received_at": entry.received_at.isoformat(),
            "status": "received",
            "supplements": len(entry.supplements),
        }
        if entry.answer is not None:
            view |= {"status": "answered", "officer": entry.officer, "answer": entry.answer}
        elif entry.question is not None:
            view |= {
                "status": "information_requested",
                "officer": entry.officer,
                "question": entry.question,
            }
        elif elapsed >= self.options.review_seconds * 0.25 or entry.supplements:
            view |= {"status": "assigned", "officer": entry.officer}
        return view

    def entry(self, name: str) -> _Request | None:
        return self.requests.get(name)

    def repeated(self, name: str) -> dict[str, Any]:
        return self._view(self.requests[name])

    def unauthorised(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        known = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if known is not None and known.uses_left is not None:
            known.uses_left -= 1
        if known is None or known.expires <= self.clock() or (known.uses_left or 0) < 0:
            return error_response(
                401,
                "invalid_token",
                "the access token is missing, expired or revoked",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return None


class _Requester(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1)
    email: str = Field(min_length=3)
    organisation: str | None = None


class _SearchRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    requester: _Requester
    purpose: str = Field(min_length=1)
    object: dict[str, str]
    photographs: list[dict[str, str]] = []

    @classmethod
    def read(cls, body: bytes) -> tuple[ObjectDescription, list[bytes]]:
        """The object as described, and the photographs uploaded (not those by URL)."""
        submitted = cls.model_validate_json(body)
        photographs = decode_photographs(submitted.photographs)
        return ObjectDescription.model_validate(submitted.object), photographs


class _Supplement(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(min_length=1)
    photographs: list[dict[str, str]] = []

    @classmethod
    def read(cls, body: bytes) -> tuple[_Supplement, list[bytes]]:
        given = cls.model_validate_json(body)
        return given, decode_photographs(given.photographs)


def create_mock(
    faults: Faults | None = None,
    options: Mapping[str, str] | LsadMockOptions | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> MockService:
    """The mock service with its seed register, `options` and `faults` (the `provcheck.mocks`
    entry point)."""
    options = parse_options(LsadMockOptions, options, "lsad")
    faults = faults or Faults()
    seed = SeedRecords.load(options.seed or find_seed("provcheck_lsad", "lsad"))
    service = LsadService(seed, options, faults, clock)
    return MockService(
        app=FaultInjection(service.app(), faults),
        client_settings={
            "base_url": "http://lsad.mock",
            "client_id": options.client_id,
            "client_secret": options.client_secret,
            "requester_name": "Demo Requester",
            "requester_email": "requester@example.org",
            "poll_interval": 0.5,
        },
        about=(
            f"LSAD mock: {len(seed.records)} records; client id {options.client_id!r}, secret "
            f"{options.client_secret!r}; the unit answers after {options.review_seconds:g} s"
        ),
        state=service,
    )
