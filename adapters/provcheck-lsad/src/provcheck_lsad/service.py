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
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provcheck import ImageRef, ObjectDescription, Record
from provcheck.errors import first_problem
from provcheck.mocks import (
    FaultInjection,
    Faults,
    IdempotencyConflict,
    IdempotencyKeys,
    MockService,
    PollPacing,
    Refusal,
    SeedRecords,
    decode_photographs,
    find_seed,
    parse_options,
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
MAX_BODY_BYTES = 40 * 1024 * 1024
OFFICERS = ("DC A. Morgan", "DC R. Patel", "DS J. Whitfield")


class LsadMockOptions(BaseModel):
    """The mock's own settings (`provcheck mock serve lsad --set review_seconds=30`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = "lsad-demo-client"
    client_secret: str = "lsad-demo-secret"
    token_lifetime: float = Field(default=3600, gt=0, description="seconds a token is valid")
    review_seconds: float = Field(default=1.0, ge=0, description="time the unit takes to answer")
    min_poll_interval: float = Field(default=0.2, ge=0, description="faster polling gets 429")
    seed: Path | None = None


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
class LsadService:
    """The unit's state: tokens issued, requests received, and the database they are searched in."""

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
            return _error(400, "unsupported_grant_type", "use grant_type=client_credentials")
        if (form.get("client_id"), form.get("client_secret")) != (
            self.options.client_id,
            self.options.client_secret,
        ):
            return _error(401, "invalid_client", "the client id or secret is not valid")
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
        if (refused := self._unauthorised(request)) is not None:
            return refused
        key = request.headers.get("Idempotency-Key", "").strip()
        body = await request.body()
        known = self.keys.submission(key, body, max_bytes=MAX_BODY_BYTES, what="request")
        if isinstance(known, Refusal):
            return _error(known.status, known.code, known.message)
        if known is not None:
            return JSONResponse(self._view(self.requests[known]), status_code=200)
        try:
            submitted = _SearchRequest.model_validate_json(body)
            photographs = decode_photographs(submitted.photographs)
            description = ObjectDescription.model_validate(submitted.object)
        except ValidationError as error:
            where, problem = first_problem(error)
            return _error(422, "invalid_request", f"{where}: {problem}")
        except ValueError as error:
            return _error(422, "invalid_request", str(error))
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
        self.keys.remember(key, body, entry.reference)
        self.received += 1
        return JSONResponse(self._view(entry), status_code=201)

    async def status(self, request: Request) -> Response:
        if (refused := self._unauthorised(request)) is not None:
            return refused
        entry = self.requests.get(request.path_params["reference"])
        if entry is None:
            return _error(404, "not_found", "no request with that reference")
        now = self.clock()
        if (wait := self.pacing.too_soon(entry.reference, now)) is not None:
            return _error(429, "polling_too_fast", "poll less often", {"Retry-After": str(wait)})
        review_over = now - entry.started >= self.options.review_seconds
        if entry.answer is None and entry.question is None and review_over:
            await asyncio.to_thread(self._search, entry)
        return JSONResponse(self._view(entry))

    async def supplement(self, request: Request) -> Response:
        if (refused := self._unauthorised(request)) is not None:
            return refused
        entry = self.requests.get(request.path_params["reference"])
        if entry is None:
            return _error(404, "not_found", "no request with that reference")
        key = request.headers.get("Idempotency-Key", "").strip()
        body = await request.body()
        try:
            if key and self.supplement_keys.known(key, body) == entry.reference:
                return JSONResponse(self._view(entry), status_code=202)  # the same answer again
        except IdempotencyConflict:
            return _error(409, "idempotency_key_reused", "that key sent a different answer")
        if entry.question is None:
            return _error(409, "no_question", "the officer has not asked for more information")
        try:
            given = _Supplement.model_validate_json(body)
            photographs = decode_photographs(given.photographs)
        except ValidationError as error:
            where, problem = first_problem(error)
            return _error(422, "invalid_request", f"{where}: {problem}")
        except ValueError as error:
            return _error(422, "invalid_request", str(error))
        entry.supplements.append(given.text)
        entry.photographs += photographs
        extra = " ".join(part for part in (entry.description.description, given.text) if part)
        entry.description = entry.description.model_copy(update={"description": extra})
        entry.question = None
        entry.started = self.clock()
        if key:
            self.supplement_keys.remember(key, body, entry.reference)
        return JSONResponse(self._view(entry), status_code=202)

    async def image(self, request: Request) -> Response:
        if (refused := self._unauthorised(request)) is not None:
            return refused
        data = self.seed.image(request.path_params["record_id"], request.path_params["index"])
        if data is None:
            return _error(404, "not_found", "no such image")
        return Response(data, media_type="image/jpeg")

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
        raw = record.raw if isinstance(record.raw, dict) else {}
        return {
            "id": record.record_id,
            "crime_reference": raw.get("crime_reference"),
            "status": record.status.value,
            "object": record.description.text_fields(),
            "images": [
                {"url": f"/images/{record.record_id}/{n}.jpg"}
                for n, _ in enumerate(record.description.images)
            ],
            "stolen": {
                "date": record.date_of_loss.text if record.date_of_loss else None,
                "place": record.place_of_loss,
                "circumstances": raw.get("circumstances"),
            },
            "contact": raw.get("contact"),
        }

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

    def _unauthorised(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        known = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if known is not None and known.uses_left is not None:
            known.uses_left -= 1
        if known is None or known.expires <= self.clock() or (known.uses_left or 0) < 0:
            return _error(
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


class _Supplement(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(min_length=1)
    photographs: list[dict[str, str]] = []


def _error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


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
