"""A mock of an Art Loss Register-style search service, faithful to how the register works.

The ALR has no public API; this mock follows its real workflow so that the client, the tests, the
demo and anyone integrating provcheck meet what they would meet for real:

- every request carries the account's API key (`X-API-Key`);
- `POST /v1/searches` describes the object (Object ID fields, photographs uploaded inline or by
  URL) and its provenance, with an `Idempotency-Key`; it answers 202 with the search's id and the
  fee charged -- a fee is due for every search, whatever its result. The same key with the same
  request answers the same search again, free; with a different request, 409. No credit left: 402;
- staff then compare the request with the database: `GET /v1/searches/{id}` moves from `queued`
  to `in_review`, then to `completed` (possible matches, each with the register's record, its
  images, status, date and place of loss, and whom to contact), `certified` (a search certificate:
  its number, issue time, wording -- the item "is not registered on the database at the time of
  the search" -- and validity) or `refused` (the reason: the current ownership and the type of
  collection are required; a provenance with a gap in 1933-1945 is not certified);
- polling a search faster than `min_poll_interval` answers 429 with `Retry-After`;
- `GET /v1/images/{record_id}/{n}` serves a record's photographs; `GET /v1/account` the credit;
- an owner registers a loss: `POST /v1/registrations` (the object, its photographs, the date and
  place of the theft, the police's crime reference -- required for a theft -- and who reports it,
  with an `Idempotency-Key`) answers 202 with the registration's id and the registration fee
  (402 without credit). Staff then check it: `GET /v1/registrations/{id}` moves from `received`
  to `registered` (the registration number, the date, the item) once `review_seconds` have
  passed, and from then on the object is on the register: a search for it finds it.

The staff's comparison is provcheck's own matcher over the seed records (`provcheck.mocks`).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provcheck import ImageRef, InputError, ObjectDescription, Record, fingerprinted
from provcheck.mocks import (
    FaultInjection,
    Faults,
    IdempotencyKeys,
    MockService,
    PollPacing,
    Refusal,
    SeedRecords,
    SubmitAndPollMockOptions,
    SubmitAndPollService,
    decode_photographs,
    error_response,
    find_seed,
    parse_options,
    read_body,
)

__all__ = ["AlrMockOptions", "AlrService", "create_mock"]

CERTIFICATE_WORDING = (
    "This is to certify that a search of the Art Loss Register's database of stolen, missing and "
    "looted art was made for the item described, and that the item is not registered on the "
    "database at the time of the search. This certificate does not guarantee title, and is valid "
    "only for the item described and at the time of the search."
)
REGISTRATION_WORDING = (
    "The item described is registered on the Art Loss Register's database as stolen. Every "
    "search of the database, by dealers, auction houses, collectors and the police, is compared "
    "with it. Tell the register at once if the item is recovered."
)
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
_RANGE = re.compile(r"\b(1[5-9]\d\d|20\d\d)\s*(?:-|–|to|until)\s*(1[5-9]\d\d|20\d\d)\b")
_WAR_YEARS = (1933, 1945)


class AlrMockOptions(SubmitAndPollMockOptions):
    """The mock's own settings (`provcheck mock serve alr --set credit=3`)."""

    api_key: str = "alr-demo-key"
    credit: int = Field(default=100, ge=0, description="searches the account can pay for")
    fee: str = "25.00"
    currency: str = "GBP"
    certificate_days: int = Field(default=90, ge=1, description="a certificate's validity")
    registration_fee: str = "15.00"


@dataclass
class _Search:
    id: str
    submitted: float  # the service's clock
    submitted_at: datetime
    reference: str | None
    outcome: dict[str, Any]  # decided when submitted, revealed when review is over


@dataclass
class _Registration:
    id: str
    submitted: float  # the service's clock
    submitted_at: datetime
    number: str  # the registration number, given when staff have checked it
    record: Record  # the object as it goes on the register


@dataclass
class AlrService(SubmitAndPollService[_Search]):
    """The service's state: the account, its searches, and the register they are compared with."""

    not_found = "no search with that id on this account"

    seed: SeedRecords
    options: AlrMockOptions
    clock: Callable[[], float] = time.monotonic
    credit: int = 0
    searches: dict[str, _Search] = field(default_factory=dict)
    keys: IdempotencyKeys = field(default_factory=IdempotencyKeys)
    registrations: dict[str, _Registration] = field(default_factory=dict)
    registration_keys: IdempotencyKeys = field(default_factory=IdempotencyKeys)
    charged: int = 0  # searches paid for, for tests: a retry must never add one
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _certificates: itertools.count[int] = field(default_factory=lambda: itertools.count(123001))

    def __post_init__(self) -> None:
        self.credit = self.options.credit
        self.pacing = PollPacing(self.options.min_poll_interval)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/searches", self.submit, methods=["POST"]),
                Route("/v1/searches/{search_id}", self.status, methods=["GET"]),
                Route("/v1/images/{record_id}/{index:int}.jpg", self.image, methods=["GET"]),
                Route("/v1/account", self.account, methods=["GET"]),
                Route("/v1/registrations", self.register_loss, methods=["POST"]),
                Route("/v1/registrations/{registration_id}", self.registration, methods=["GET"]),
            ]
        )

    # -- endpoints --------------------------------------------------------------------------

    async def submit(self, request: Request) -> Response:
        opened = await self.open_submission(request, _SearchRequest.read)
        if isinstance(opened, Response):
            return opened
        submitted, description, photographs = opened.content
        if self.credit <= 0:
            return error_response(
                402, "insufficient_credit", "the account has no search credit left; top it up"
            )
        try:
            outcome = await asyncio.to_thread(self._review, submitted, description, photographs)
        except InputError as error:
            return error_response(422, "unreadable_photograph", str(error))
        self.credit -= 1
        self.charged += 1
        now = datetime.now(UTC)
        search = _Search(
            id=f"S-{now:%Y}-{next(self._numbers):06d}",
            submitted=self.clock(),
            submitted_at=now,
            reference=submitted.reference,
            outcome=outcome,
        )
        self.searches[search.id] = search
        self.keys.remember(opened.key, opened.body, search.id)
        return JSONResponse(
            self._accepted(search),
            status_code=202,
            headers={"Location": f"/v1/searches/{search.id}"},
        )

    async def progress(self, search: _Search, now: float) -> dict[str, Any]:
        elapsed = now - search.submitted
        review = self.options.review_seconds
        body = self._accepted(search)
        if elapsed < review * 0.25:
            body["status"] = "queued"
        elif elapsed < review:
            body["status"] = "in_review"
        else:
            body |= search.outcome
        return body

    async def account(self, request: Request) -> Response:
        if (refused := self.unauthorised(request)) is not None:
            return refused
        return JSONResponse(
            {
                "credit": self.credit,
                "fee": {"amount": self.options.fee, "currency": self.options.currency},
                "searches": len(self.searches),
            }
        )

    async def register_loss(self, request: Request) -> Response:
        """A loss registered by its owner: checked now, on the register after review."""
        if (refused := self.unauthorised(request)) is not None:
            return refused
        body = await request.body()
        key = request.headers.get("Idempotency-Key", "").strip()
        known = self.registration_keys.submission(
            key,
            body,
            max_bytes=self.max_body_bytes,
            what="registration",
        )
        if isinstance(known, Refusal):
            return error_response(known.status, known.code, known.message)
        if known is not None:
            return JSONResponse(self._registration(self.registrations[known], self.clock()))
        read = read_body(_RegistrationRequest.read, body)
        if isinstance(read, Response):
            return read
        record = read[1]
        if self.credit <= 0:
            return error_response(
                402, "insufficient_credit", "the account has no credit left for the fee"
            )
        self.credit -= 1
        now = datetime.now(UTC)
        sequence = next(self._numbers)
        number = f"ALR-R{now:%y}-{sequence:06d}"
        registration = _Registration(
            id=f"L-{now:%Y}-{sequence:06d}",
            submitted=self.clock(),
            submitted_at=now,
            number=number,
            record=record.model_copy(update={"record_id": number}),
        )
        self.registrations[registration.id] = registration
        self.registration_keys.remember(key, body, registration.id)
        return JSONResponse(
            self._registration(registration, self.clock()),
            status_code=202,
            headers={"Location": f"/v1/registrations/{registration.id}"},
        )

    async def registration(self, request: Request) -> Response:
        if (refused := self.unauthorised(request)) is not None:
            return refused
        registration = self.registrations.get(request.path_params["registration_id"])
        if registration is None:
            return error_response(404, "not_found", "no registration with that id on this account")
        return JSONResponse(self._registration(registration, self.clock()))

    def _registration(self, registration: _Registration, now: float) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": registration.id,
            "status": "received",
            "submitted_at": registration.submitted_at.isoformat(),
            "fee": {"amount": self.options.registration_fee, "currency": self.options.currency},
            "item": registration.record.description.summary(),
        }
        if now - registration.submitted >= self.options.review_seconds:
            if self.seed.by_id(registration.number) is None:
                # On the register from now on: every later search is compared with it.
                self.seed = SeedRecords((*self.seed.records, registration.record), self.seed.folder)
            body |= {
                "status": "registered",
                "registration": {
                    "number": registration.number,
                    "registered_at": (
                        registration.submitted_at + timedelta(seconds=self.options.review_seconds)
                    ).isoformat(),
                    "wording": REGISTRATION_WORDING,
                },
            }
        return body

    # -- the register's work ----------------------------------------------------------------

    def _review(
        self, submitted: _SearchRequest, description: ObjectDescription, photographs: list[bytes]
    ) -> dict[str, Any]:
        """What staff will answer: decided now, revealed when the review time is over. Possible
        matches are reported whatever the provenance; a certificate is issued only for an object
        whose current ownership and type of collection are known, and whose provenance does not
        leave 1933-1945 unaccounted for."""
        query = description.model_copy(
            update={"images": tuple(ImageRef(data=data) for data in photographs)}
        )
        found = self.seed.compare(query)
        if found:
            return {
                "status": "completed",
                "completed_at": datetime.now(UTC).isoformat(),
                "matches": [
                    {"record": self._record(c.record), "reviewer_note": _note(c.score)}
                    for c in found
                ],
            }
        owner = submitted.provenance.current_owner
        collection = submitted.provenance.collection_type
        if not (owner and collection):
            return _refusal(
                "insufficient_provenance",
                "The current ownership and the type of collection are required before a search "
                "certificate can be issued.",
            )
        if _war_gap(description, submitted.provenance.history):
            return _refusal(
                "provenance_gap",
                "The provenance has a gap in the years 1933-1945; the register does not certify "
                "items whose ownership in those years is not accounted for.",
            )
        issued = datetime.now(UTC)
        return {
            "status": "certified",
            "certificate": {
                "number": f"S{next(self._certificates):08d}",
                "issued_at": issued.isoformat(),
                "valid_until": (issued + timedelta(days=self.options.certificate_days)).isoformat(),
                "wording": CERTIFICATE_WORDING,
                "item": description.summary(),
                "current_owner": owner,
                "collection_type": collection,
            },
        }

    def _record(self, record: Record) -> dict[str, Any]:
        return self.record_json(record, images="/v1/images", copied=("registered", "contact"))

    def _accepted(self, search: _Search) -> dict[str, Any]:
        return {
            "id": search.id,
            "status": "queued",
            "submitted_at": search.submitted_at.isoformat(),
            "reference": search.reference,
            "fee": {"amount": self.options.fee, "currency": self.options.currency},
        }

    def entry(self, name: str) -> _Search | None:
        return self.searches.get(name)

    def repeated(self, name: str) -> dict[str, Any]:
        return self._accepted(self.searches[name])

    def unauthorised(self, request: Request) -> Response | None:
        given = request.headers.get("X-API-Key", "")
        if given != self.options.api_key:
            return error_response(401, "invalid_api_key", "the API key is missing or not valid")
        return None


class _Provenance(BaseModel):
    model_config = ConfigDict(extra="ignore")

    current_owner: str | None = None
    collection_type: str | None = None
    history: str | None = None


class _SearchRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    object: dict[str, str]
    photographs: list[dict[str, str]] = []
    provenance: _Provenance = _Provenance()
    reference: str | None = None

    @classmethod
    def read(cls, body: bytes) -> tuple[_SearchRequest, ObjectDescription, list[bytes]]:
        """The request, the object as described, and the photographs uploaded (those by URL are
        not fetched: the mock has no network)."""
        submitted = cls.model_validate_json(body)
        photographs = decode_photographs(submitted.photographs)
        description = ObjectDescription.model_validate(submitted.object)
        if description.is_empty and not photographs:
            raise ValueError("object: describe the object, or upload a photograph")
        return submitted, description, photographs


class _Loss(BaseModel):
    model_config = ConfigDict(extra="ignore")

    date: str = Field(min_length=1)
    place: str = Field(min_length=1)
    police_reference: str | None = None
    police_force: str | None = None
    circumstances: str | None = None


class _Owner(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1)
    contact: str | None = None


class _RegistrationRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    object: dict[str, str]
    photographs: list[dict[str, str]] = []
    loss: _Loss
    owner: _Owner
    reference: str | None = None  # the owner's own number for the object

    @classmethod
    def read(cls, body: bytes) -> tuple[_RegistrationRequest, Record]:
        """The registration and the object as it would go on the register. A theft needs the
        police's crime reference: the register takes no theft the police were not told of."""
        submitted = cls.model_validate_json(body)
        if not (submitted.loss.police_reference or "").strip():
            raise ValueError(
                "loss.police_reference: a theft is registered with the police's crime reference; "
                "report it to the police first"
            )
        photographs = decode_photographs(submitted.photographs)
        description = ObjectDescription.model_validate(
            {
                **submitted.object,
                "images": [fingerprinted(ImageRef(data=data)) for data in photographs],
            }
        )
        if description.is_empty:
            raise ValueError("object: describe the object, or upload a photograph")
        record = Record(
            registry="alr",
            record_id="pending",
            status="stolen",
            description=description,
            date_of_loss=submitted.loss.date,
            place_of_loss=submitted.loss.place,
            raw={
                "registered": "registered by its owner",
                "contact": submitted.owner.contact or submitted.owner.name,
                "circumstances": submitted.loss.circumstances,
            },
        )
        return submitted, record


def _war_gap(description: ObjectDescription, history: str | None) -> bool:
    """A provenance that names years but none in 1933-1945, for an object made before 1945."""
    if not history or description.period is None or description.period.earliest is None:
        return False
    if description.period.earliest > _WAR_YEARS[1]:
        return False
    years = [int(y) for y in _YEAR.findall(history)]
    if not years:
        return False
    covered = any(_WAR_YEARS[0] <= y <= _WAR_YEARS[1] for y in years) or any(
        int(a) <= _WAR_YEARS[1] and int(b) >= _WAR_YEARS[0] for a, b in _RANGE.findall(history)
    )
    return not covered


def _refusal(reason: str, message: str) -> dict[str, Any]:
    return {"status": "refused", "refusal": {"reason": reason, "message": message}}


def _note(score: float) -> str:
    return "strong resemblance" if score >= 0.7 else "possible match: compare in person"


def create_mock(
    faults: Faults | None = None,
    options: Mapping[str, str] | AlrMockOptions | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> MockService:
    """The mock service with its seed register, `options` and `faults` (the `provcheck.mocks`
    entry point)."""
    options = parse_options(AlrMockOptions, options, "alr")
    seed = SeedRecords.load(options.seed or find_seed("provcheck_alr", "alr"))
    service = AlrService(seed, options, clock)
    app = FaultInjection(service.app(), faults or Faults())
    return MockService(
        app=app,
        client_settings={
            "base_url": "http://alr.mock",
            "api_key": options.api_key,
            "current_owner": "Demo Gallery Ltd",
            "collection_type": "dealer stock",
            "poll_interval": 0.5,
        },
        about=(
            f"ALR mock: {len(seed.records)} records; API key {options.api_key!r}; credit "
            f"{options.credit} searches at {options.currency} {options.fee}; staff answer after "
            f"{options.review_seconds:g} s"
        ),
        state=service,
    )
