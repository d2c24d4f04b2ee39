"""The LSAD workflow end to end, through provcheck's check, against the mock service in-process:
every fault of the matrix gives the right outcome, never a false "no match found", and never a
second request opened with the unit."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from provcheck_lsad import LsadRegistry
from provcheck_lsad.service import MORE_INFORMATION, NO_TRACE, LsadService, create_mock

from provcheck import CheckReport, Conclusion, ObjectDescription, OutcomeState, acheck, aresume
from provcheck.mocks import Faults, in_process
from provcheck.testing import ManualClock

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
SECRET = "lsad-secret-5e1b77"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Setup:
    faults: dict[str, Any] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


def open_lsad(setup: Setup, clock: ManualClock | None = None) -> tuple[LsadRegistry, LsadService]:
    options = {
        "review_seconds": "0",
        "min_poll_interval": "0",
        "client_secret": SECRET,
        **setup.options,
    }
    mock = create_mock(Faults(**setup.faults), options, clock=clock or ManualClock())
    settings = {**mock.client_settings, "poll_interval": 0.01, "deadline": 2.0, **setup.settings}
    assert isinstance(mock.state, LsadService)
    return LsadRegistry(transport=in_process(mock.app), **settings), mock.state


def recorded_lsad() -> LsadRegistry:
    """The client against https://lsad.example.org, where respx answers."""
    return LsadRegistry(
        base_url="https://lsad.example.org",
        client_id="client-1",
        client_secret=SECRET,
        requester_name="A. Registrar",
        requester_email="registrar@museum.example",
        poll_interval=0.01,
    )


def not_registered() -> ObjectDescription:
    return ObjectDescription.from_file(FIXTURES / "queries" / "not-registered.json")


async def run(
    setup: Setup, query: ObjectDescription | None = None
) -> tuple[CheckReport, LsadService]:
    registry, service = open_lsad(setup)
    async with registry:
        report = await acheck(query or not_registered(), [registry])
    return report, service


# Each fault, and what the check must say. The object is not on the database: searched means the
# unit answered "no trace"; anything else must never read "no match found".
MATRIX = [
    ("no fault", Setup(), OutcomeState.SEARCHED, None, 1),
    ("latency", Setup(faults={"latency": 0.05}), OutcomeState.SEARCHED, None, 1),
    ("a few 429s", Setup(faults={"rate_limited": 3, "retry_after": 0}), OutcomeState.SEARCHED, None, 1),
    ("a 429 storm", Setup(faults={"rate_limited": 50, "retry_after": 0}), OutcomeState.FAILED, "rate-limited", 0),
    ("a few 503s", Setup(faults={"unavailable": 2, "retry_after": 0}), OutcomeState.SEARCHED, None, 1),
    ("503 throughout", Setup(faults={"unavailable": 50, "retry_after": 0}), OutcomeState.FAILED, "unavailable", 0),
    ("500 at the door", Setup(faults={"server_error": 1}), OutcomeState.FAILED, "unavailable", 0),
    ("500s while polling", Setup(faults={"server_error": 50, "method": "GET"}), OutcomeState.PENDING, None, 1),
    ("malformed JSON", Setup(faults={"malformed": 1}), OutcomeState.FAILED, "malformed-response", 0),
    ("malformed JSON while polling", Setup(faults={"malformed": 1, "method": "GET"}), OutcomeState.FAILED, "malformed-response", 1),
    ("an unknown field", Setup(faults={"drift": "unknown-field"}), OutcomeState.SEARCHED, None, 1),
    ("a renamed field", Setup(faults={"drift": "renamed-field"}), OutcomeState.FAILED, "malformed-response", 1),
    ("a missing field", Setup(faults={"drift": "missing-field"}), OutcomeState.FAILED, "malformed-response", 1),
    ("token expires mid-polling", Setup(faults={"token_expiry": 2}), OutcomeState.SEARCHED, None, 1),
    ("token expires at every use", Setup(faults={"token_expiry": 1}), OutcomeState.SEARCHED, None, 1),
    ("connection dropped after the request", Setup(faults={"dropped": 2, "method": "POST"}), OutcomeState.SEARCHED, None, 1),
    ("connection dropped while polling", Setup(faults={"dropped": 1, "method": "GET"}), OutcomeState.SEARCHED, None, 1),
    ("polled too fast", Setup(options={"min_poll_interval": "0.2"}), OutcomeState.SEARCHED, None, 1),
    ("a wrong client secret", Setup(settings={"client_secret": "not-the-secret-42"}), OutcomeState.FAILED, "authentication", 0),
    ("the unit still working at the deadline", Setup(options={"review_seconds": "3600"}, settings={"deadline": 0.05}), OutcomeState.PENDING, None, 1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("setup", "state", "kind", "opened"),
    [pytest.param(*row[1:], id=row[0]) for row in MATRIX],
)
async def test_fault_matrix(
    setup: Setup, state: OutcomeState, kind: str | None, opened: int
) -> None:
    report, service = await run(setup)
    outcome = report.outcome("lsad")
    assert outcome.state is state, outcome.error
    assert (outcome.error.kind if outcome.error else None) == kind
    assert service.received == opened, "a retry opened a second request"
    if state is OutcomeState.SEARCHED:
        assert report.conclusion is Conclusion.NO_MATCH_FOUND
        answer = outcome.documents["answer"]
        assert isinstance(answer, dict) and answer["statement"] == NO_TRACE
    else:
        assert report.conclusion is Conclusion.INCOMPLETE
    if state is OutcomeState.PENDING:
        assert outcome.pending is not None
        assert str(outcome.pending.handle["reference"]).startswith("AAU/")


async def test_a_possible_match_from_a_dealers_photograph() -> None:
    query = ObjectDescription.from_file(FIXTURES / "queries" / "dealer-photo.json")
    report, _ = await run(Setup(), query)
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    best = report.outcome("lsad").candidates[0]
    assert best.record.description.title == "The Horsewoman"
    assert best.record.status.value == "stolen"
    assert isinstance(best.record.raw, dict) and best.record.raw["crime_reference"]


async def test_the_officers_question_is_surfaced_and_a_reply_continues_the_request() -> None:
    thin = ObjectDescription(title="Girl in White", maker="Vincent van Gogh")
    registry, service = open_lsad(Setup())
    async with registry:
        asked = await acheck(thin, [registry])
        outcome = asked.outcome("lsad")
        assert outcome.state is OutcomeState.PENDING
        assert outcome.pending is not None and outcome.pending.question == MORE_INFORMATION
        assert asked.conclusion is Conclusion.INCOMPLETE
        # Resumed without a reply, the officer is still waiting for one.
        waiting = await aresume(asked, [registry])
        assert waiting.outcome("lsad").state is OutcomeState.PENDING
        answered = await aresume(
            asked, [registry], reply="Oil on canvas, 66 x 45 cm; a Paris dealer's label on the back"
        )
    assert answered.outcome("lsad").state is OutcomeState.SEARCHED
    # Searched everywhere; yet the query itself (a title of generic words and a maker) is still
    # too thin to rule a record out, whatever the officer was told.
    assert answered.conclusion is Conclusion.INCOMPLETE
    assert [limitation.kind for limitation in answered.limitations] == ["query-too-thin"]
    assert answered.resumes == asked.digest
    assert service.received == 1
    request = next(iter(service.requests.values()))
    assert request.supplements == ["Oil on canvas, 66 x 45 cm; a Paris dealer's label on the back"]


async def test_a_pending_request_is_resumed_without_opening_another() -> None:
    clock = ManualClock()
    registry, service = open_lsad(
        Setup(options={"review_seconds": "600"}, settings={"deadline": 0.05}), clock
    )
    async with registry:
        first = await acheck(not_registered(), [registry])
        assert first.outcome("lsad").state is OutcomeState.PENDING
        clock.now = 601
        second = await aresume(first, [registry])
    assert second.outcome("lsad").state is OutcomeState.SEARCHED
    assert service.received == 1


async def test_a_wrong_secret_appears_nowhere() -> None:
    report, _ = await run(Setup(settings={"client_secret": "not-the-secret-42"}))
    assert "not-the-secret-42" not in report.to_json()


@respx.mock(base_url="https://lsad.example.org", assert_all_called=True)
async def test_recorded_answers_over_http(respx_mock: respx.MockRouter) -> None:
    """The client against plain recorded responses (respx): token, request, assigned, answered;
    a token refused mid-polling is renewed."""
    tokens = respx_mock.post("/oauth/token").mock(
        side_effect=[
            httpx.Response(
                200, json={"access_token": "t1", "token_type": "Bearer", "expires_in": 3600}
            ),
            httpx.Response(
                200, json={"access_token": "t2", "token_type": "Bearer", "expires_in": 3600}
            ),
        ]
    )
    opened = respx_mock.post("/requests").respond(
        201, json={"reference": "AAU/2026/000321", "status": "received"}
    )
    answer = {"result": "no_trace", "statement": "No trace.", "answered_at": "2026-11-25T10:00:00Z"}
    polls = respx_mock.get("/requests/AAU/2026/000321").mock(
        side_effect=[
            httpx.Response(200, json={"reference": "AAU/2026/000321", "status": "assigned", "officer": "DC A. Morgan"}),
            httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}),
            httpx.Response(200, json={"reference": "AAU/2026/000321", "status": "answered", "answer": answer}),
        ]
    )  # fmt: skip
    registry = recorded_lsad()
    async with registry:
        report = await acheck(not_registered(), [registry])
    outcome = report.outcome("lsad")
    assert outcome.state is OutcomeState.SEARCHED, outcome.error
    assert outcome.documents["answer"]["statement"] == "No trace."  # type: ignore[index,call-overload]
    assert tokens.call_count == 2
    assert polls.calls.last.request.headers["Authorization"] == "Bearer t2"
    body = json.loads(opened.calls.last.request.content)
    assert body["requester"]["email"] == "registrar@museum.example"
    assert body["object"]["title"] == "River boatmen dancing on a flatboat"
    assert SECRET in tokens.calls[0].request.content.decode()  # sent only to the token endpoint
    assert SECRET not in str(opened.calls.last.request.headers)


TOKEN = httpx.Response(200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600})
OPENED = httpx.Response(201, json={"reference": "AAU/2026/000001", "status": "received"})
NO_TRACE_ANSWER = httpx.Response(
    200,
    json={"reference": "AAU/2026/000001", "status": "answered", "answer": {"result": "no_trace"}},
)
HTML = httpx.Response(200, html="<html><body>Service unavailable</body></html>")

# Transport-level faults, recorded with respx: (token answers, request answers, poll answers, state, kind).
RECORDED = [
    ("token endpoint refused, then a token", [httpx.ConnectError("refused"), TOKEN], [OPENED], [NO_TRACE_ANSWER], OutcomeState.SEARCHED, None),
    ("the client refused", [httpx.Response(401, json={"error": "invalid_client"})] * 2, [], [], OutcomeState.FAILED, "authentication"),
    ("an HTML page for a token", [HTML], [], [], OutcomeState.FAILED, "malformed-response"),
    ("dropped on the request, then opened", [TOKEN], [httpx.RemoteProtocolError("dropped"), OPENED], [NO_TRACE_ANSWER], OutcomeState.SEARCHED, None),
    ("a reference that is not one", [TOKEN], [httpx.Response(201, json={"reference": "../admin", "status": "received"})], [], OutcomeState.FAILED, "malformed-response"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("tokens", "requests", "polls", "state", "kind"),
    [pytest.param(*row[1:], id=row[0]) for row in RECORDED],
)
async def test_recorded_transport_faults(
    tokens: list[Any], requests: list[Any], polls: list[Any], state: OutcomeState, kind: str | None
) -> None:
    with respx.mock(base_url="https://lsad.example.org", assert_all_called=False) as mock:
        mock.post("/oauth/token").mock(side_effect=tokens)
        opened = mock.post("/requests").mock(side_effect=requests)
        mock.get("/requests/AAU/2026/000001").mock(side_effect=polls)
        registry = recorded_lsad()
        async with registry:
            report = await acheck(not_registered(), [registry])
    outcome = report.outcome("lsad")
    assert outcome.state is state, outcome.error
    assert (outcome.error.kind if outcome.error else None) == kind
    assert SECRET not in report.to_json()
    keys = {call.request.headers["Idempotency-Key"] for call in opened.calls}
    assert len(keys) <= 1, "a retried request must carry the same idempotency key"
