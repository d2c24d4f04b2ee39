"""A register of the submit-and-poll kind written on `SubmitAndPollRegistry` in a few lines, checked
through `provcheck.check` against a tiny mock of its service built on `SubmitAndPollService`
(in-process, no network): answered after polling, pending at the deadline and resumed without a
second submission, and a handle that is not one refused."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
from pydantic import BaseModel, Field, JsonValue, SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provcheck import (
    Access,
    Capabilities,
    ObjectDescription,
    OutcomeState,
    Record,
    RecordStatus,
    RejectedQueryError,
    SearchResult,
    check,
    resume,
)
from provcheck.mocks import (
    IdempotencyKeys,
    PollPacing,
    SeedRecords,
    SubmitAndPollService,
    error_response,
    in_process,
)
from provcheck.registers import SubmitAndPollRegistry, SubmitAndPollSettings

# -- the plugin: a register whose desk answers a ticket some time after it is opened ---------------

TICKET = re.compile(r"^T-[0-9]{1,6}$")


class DeskSettings(SubmitAndPollSettings):
    api_key: SecretStr = Field(description="the account's key (sent as X-Desk-Key)")


class Ticket(BaseModel):
    id: str = Field(pattern=TICKET.pattern)
    status: Literal["open", "answered"]
    matches: list[dict[str, JsonValue]] = []


class DeskRegistry(SubmitAndPollRegistry[Ticket]):
    name: ClassVar[str] = "desk"
    title: ClassVar[str] = "Desk register"
    access: ClassVar[Access] = Access.API
    capabilities: ClassVar[Capabilities] = Capabilities(fields=frozenset({"title", "makers"}))
    Settings = DeskSettings
    settings: DeskSettings

    submit_path: ClassVar[str] = "/tickets"
    handle_key: ClassVar[str] = "ticket"
    handle_pattern: ClassVar[re.Pattern[str]] = TICKET
    final_states: ClassVar[frozenset[str]] = frozenset({"answered"})
    noun: ClassVar[str] = "ticket"
    answered_by: ClassVar[str] = "the desk"
    status_model = Ticket

    def headers(self) -> Mapping[str, str]:
        return {"X-Desk-Key": self.settings.api_key.get_secret_value()}

    def account_key(self) -> str:
        return hashlib.sha256(self.settings.api_key.get_secret_value().encode()).hexdigest()

    def request_body(self, query: ObjectDescription) -> dict[str, Any]:
        return {"object": query.text_fields()}

    def search_id(self, status: Ticket) -> str:
        return status.id

    def state(self, status: Ticket) -> str:
        return status.status

    def outcome(self, search_id: str, status: Ticket, *, limit: int) -> SearchResult:
        documents: dict[str, JsonValue] = {"ticket": search_id}
        return self.records(status.matches, limit=limit, label=search_id, documents=documents)


# -- its mock: the desk answers after a number of polls --------------------------------------------

KEY = "desk-key-1234"


@dataclass
class OpenTicket:
    id: str
    description: ObjectDescription
    polls: int = 0


class Opening(BaseModel):
    object: dict[str, str]


def read_opening(body: bytes) -> ObjectDescription:
    return ObjectDescription.model_validate(Opening.model_validate_json(body).object)


@dataclass
class DeskService(SubmitAndPollService[OpenTicket]):
    seed: SeedRecords
    polls_before_answer: int
    keys: IdempotencyKeys = field(default_factory=IdempotencyKeys)
    pacing: PollPacing = field(default_factory=lambda: PollPacing(0.0))
    clock: Callable[[], float] = time.monotonic
    tickets: dict[str, OpenTicket] = field(default_factory=dict)
    requests: int = 0  # every request that reached the desk
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    entry_parameter = "ticket"

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/tickets", self.submit, methods=["POST"]),
                Route("/tickets/{ticket}", self.status, methods=["GET"]),
            ]
        )

    def unauthorised(self, request: Request) -> Response | None:
        self.requests += 1
        if request.headers.get("X-Desk-Key") != KEY:
            return error_response(401, "invalid_key", "the key is missing or not valid")
        return None

    def entry(self, name: str) -> OpenTicket | None:
        return self.tickets.get(name)

    def repeated(self, name: str) -> dict[str, Any]:
        return {"id": name, "status": "open"}

    async def progress(self, ticket: OpenTicket, now: float) -> dict[str, Any]:
        ticket.polls += 1
        if ticket.polls <= self.polls_before_answer:
            return {"id": ticket.id, "status": "open"}
        found = self.seed.compare(ticket.description)
        matches = [self.record_json(c.record, images="/images") for c in found]
        return {"id": ticket.id, "status": "answered", "matches": matches}

    async def submit(self, request: Request) -> Response:
        opened = await self.open_submission(request, read_opening)
        if isinstance(opened, Response):
            return opened
        ticket = OpenTicket(f"T-{next(self._numbers)}", opened.content)
        self.tickets[ticket.id] = ticket
        self.keys.remember(opened.key, opened.body, ticket.id)
        return JSONResponse({"id": ticket.id, "status": "open"}, status_code=201)


# -- the tests -----------------------------------------------------------------------------------

ACORN = {"title": "Acorn table lamp", "maker": "Tiffany Studios"}
SEED = SeedRecords(
    (
        Record(
            registry="desk",
            record_id="D-1",
            status=RecordStatus.STOLEN,
            description=ObjectDescription.model_validate(ACORN),
            place_of_loss="Boston",
        ),
    ),
    Path("."),
)


@pytest.fixture
def service() -> DeskService:
    return DeskService(SEED, polls_before_answer=2)


@pytest.fixture
def open_desk(service: DeskService) -> Iterator[Callable[..., DeskRegistry]]:
    opened: list[DeskRegistry] = []

    def open_desk(**settings: Any) -> DeskRegistry:
        given = {"base_url": "http://desk.mock", "api_key": KEY, "poll_interval": 0.01, **settings}
        opened.append(DeskRegistry(transport=in_process(service.app()), **given))
        return opened[-1]

    yield open_desk
    for registry in opened:
        asyncio.run(registry.aclose())


def test_a_search_is_answered_after_polling(
    service: DeskService, open_desk: Callable[..., DeskRegistry]
) -> None:
    report = check(ACORN, [open_desk()])
    outcome = report.outcome("desk")
    assert outcome.state is OutcomeState.SEARCHED, outcome.error
    assert [c.record.record_id for c in outcome.candidates] == ["D-1"]
    assert outcome.candidates[0].record.place_of_loss == "Boston"
    assert outcome.documents == {"ticket": "T-1"}
    assert service.tickets["T-1"].polls == 3  # open, open, answered


def test_a_search_past_its_deadline_is_pending_then_resumed_without_a_second_ticket(
    service: DeskService, open_desk: Callable[..., DeskRegistry]
) -> None:
    service.polls_before_answer = 10**6
    first = check(ACORN, [open_desk(deadline=0.05)])
    outcome = first.outcome("desk")
    assert outcome.state is OutcomeState.PENDING, outcome.error
    assert outcome.pending is not None
    assert outcome.pending.handle == {"ticket": "T-1"}
    assert "desk: ticket T-1 is open with the desk after 0.05 s" in outcome.pending.message
    service.polls_before_answer = 0
    second = resume(first, [open_desk()])
    resumed = second.outcome("desk")
    assert resumed.state is OutcomeState.SEARCHED, resumed.error
    assert [c.record.record_id for c in resumed.candidates] == ["D-1"]
    assert list(service.tickets) == ["T-1"], "resuming opened a second ticket"


@pytest.mark.parametrize("handle", [{"ticket": "../admin"}, {"ticket": 7}, {}])
def test_a_handle_that_is_not_one_is_refused_before_any_request(
    service: DeskService, open_desk: Callable[..., DeskRegistry], handle: dict[str, JsonValue]
) -> None:
    with pytest.raises(RejectedQueryError, match="desk: the pending ticket's handle"):
        asyncio.run(open_desk().resume(handle, limit=5))
    assert service.requests == 0
