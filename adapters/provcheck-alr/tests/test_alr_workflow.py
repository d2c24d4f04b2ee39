"""The ALR workflow end to end, through provcheck's check, against the mock service in-process:
every fault of the matrix gives the right outcome, never a false "no match found", and never a
second paid search."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from PIL import Image, ImageEnhance
from provcheck_alr import AlrRegistry
from provcheck_alr.service import AlrService, create_mock

from provcheck import (
    CheckReport,
    Conclusion,
    ObjectDescription,
    OutcomeState,
    acheck,
    aresume,
)
from provcheck.mocks import Faults, find_seed, in_process
from provcheck.testing import ManualClock

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
SEED = find_seed("provcheck_alr", "alr")
KEY = "alr-test-key-7f3a9c"
OWNER = {"current_owner": "Example Gallery Ltd", "collection_type": "dealer stock"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Setup:
    faults: dict[str, Any] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


def open_alr(setup: Setup, clock: ManualClock | None = None) -> tuple[AlrRegistry, AlrService]:
    options = {"review_seconds": "0", "min_poll_interval": "0", "api_key": KEY, **setup.options}
    mock = create_mock(Faults(**setup.faults), options, clock=clock or ManualClock())
    settings = {
        **mock.client_settings,
        **OWNER,
        "poll_interval": 0.01,
        "deadline": 2.0,
        **setup.settings,
    }
    registry = AlrRegistry(transport=in_process(mock.app), **settings)
    assert isinstance(mock.state, AlrService)
    return registry, mock.state


def recorded_alr() -> AlrRegistry:
    """The client against https://alr.example.org, where respx answers."""
    return AlrRegistry(base_url="https://alr.example.org", api_key=KEY, poll_interval=0.01, **OWNER)


def not_registered() -> ObjectDescription:
    return ObjectDescription.from_file(FIXTURES / "queries" / "not-registered.json")


async def run(
    setup: Setup, query: ObjectDescription | None = None
) -> tuple[CheckReport, AlrService]:
    registry, service = open_alr(setup)
    async with registry:
        report = await acheck(query or not_registered(), [registry])
    return report, service


# Each fault, and what the check must say. The query is an object the register does not hold:
# searched means a certificate; anything else must never read "no match found".
MATRIX = [
    ("no fault", Setup(), OutcomeState.SEARCHED, None, 1),
    ("latency", Setup(faults={"latency": 0.05}), OutcomeState.SEARCHED, None, 1),
    ("a few 429s", Setup(faults={"rate_limited": 2, "retry_after": 0}), OutcomeState.SEARCHED, None, 1),
    ("a 429 storm", Setup(faults={"rate_limited": 50, "retry_after": 0}), OutcomeState.FAILED, "rate-limited", 0),
    ("a few 503s", Setup(faults={"unavailable": 2, "retry_after": 0}), OutcomeState.SEARCHED, None, 1),
    ("503 throughout", Setup(faults={"unavailable": 50, "retry_after": 0}), OutcomeState.FAILED, "unavailable", 0),
    ("500 on submission", Setup(faults={"server_error": 1}), OutcomeState.FAILED, "unavailable", 0),
    ("500s while polling", Setup(faults={"server_error": 50, "method": "GET"}), OutcomeState.PENDING, None, 1),
    ("429 storm while polling", Setup(faults={"rate_limited": 50, "retry_after": 0, "method": "GET"}), OutcomeState.PENDING, None, 1),
    ("malformed JSON", Setup(faults={"malformed": 1}), OutcomeState.FAILED, "malformed-response", 1),
    ("malformed JSON while polling", Setup(faults={"malformed": 1, "method": "GET"}), OutcomeState.FAILED, "malformed-response", 1),
    ("an unknown field", Setup(faults={"drift": "unknown-field"}), OutcomeState.SEARCHED, None, 1),
    ("a renamed field", Setup(faults={"drift": "renamed-field"}), OutcomeState.FAILED, "malformed-response", 1),
    ("a missing field", Setup(faults={"drift": "missing-field"}), OutcomeState.FAILED, "malformed-response", 1),
    ("connection dropped after submission", Setup(faults={"dropped": 1, "method": "POST"}), OutcomeState.SEARCHED, None, 1),
    ("connections dropped throughout submission", Setup(faults={"dropped": 50, "method": "POST"}), OutcomeState.FAILED, "unavailable", 1),
    ("connection dropped while polling", Setup(faults={"dropped": 1, "method": "GET"}), OutcomeState.SEARCHED, None, 1),
    ("polled too fast", Setup(options={"min_poll_interval": "0.2"}), OutcomeState.SEARCHED, None, 1),
    ("a wrong API key", Setup(settings={"api_key": "wrong-key-123456"}), OutcomeState.FAILED, "authentication", 0),
    ("no credit left", Setup(options={"credit": "0"}), OutcomeState.FAILED, "payment-required", 0),
    ("no current owner", Setup(settings={"current_owner": None}), OutcomeState.FAILED, "rejected-query", 1),
    ("staff still reviewing at the deadline", Setup(options={"review_seconds": "3600"}, settings={"deadline": 0.05}), OutcomeState.PENDING, None, 1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("setup", "state", "kind", "charged"),
    [pytest.param(*row[1:], id=row[0]) for row in MATRIX],
)
async def test_fault_matrix(
    setup: Setup, state: OutcomeState, kind: str | None, charged: int
) -> None:
    report, service = await run(setup)
    outcome = report.outcome("alr")
    assert outcome.state is state, outcome.error
    assert (outcome.error.kind if outcome.error else None) == kind
    assert service.charged == charged, "a retry paid for a second search"
    if state is OutcomeState.SEARCHED:
        assert report.conclusion is Conclusion.NO_MATCH_FOUND
        assert "certificate" in outcome.documents
    else:
        assert report.conclusion is Conclusion.INCOMPLETE
    if state is OutcomeState.PENDING:
        assert outcome.pending is not None
        assert str(outcome.pending.handle["search_id"]).startswith("S-")


async def test_a_certificate_is_kept_verbatim_in_the_report() -> None:
    report, _ = await run(Setup())
    certificate = report.outcome("alr").documents["certificate"]
    assert isinstance(certificate, dict)
    assert str(certificate["number"]).startswith("S")
    assert "is not registered on the database at the time of the search" in str(
        certificate["wording"]
    )
    assert certificate["valid_until"] > certificate["issued_at"]
    # The report's JSON keeps it, and its digest covers it.
    again = CheckReport.model_validate_json(report.to_json())
    assert again.outcome("alr").documents["certificate"] == certificate


async def test_matches_become_candidates_with_the_registers_record() -> None:
    query = ObjectDescription.from_file(FIXTURES / "queries" / "reworded.json")
    report, _ = await run(Setup(), query)
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    best = report.outcome("alr").candidates[0]
    assert best.record.registry == "alr"
    assert best.record.description.title == "Acorn"
    assert isinstance(best.record.raw, dict)
    assert best.record.raw["record"]["contact"]["name"]  # type: ignore[index,call-overload]


async def test_a_new_photograph_is_found_and_verified_against_the_served_image(
    tmp_path: Path,
) -> None:
    seed = json.loads(SEED.read_text().splitlines()[0])
    registered = Image.open(SEED.parent / seed["description"]["images"][0]["path"])
    # A seller's photograph: cropped, turned a little, brighter, recompressed.
    w, h = registered.size
    photo = registered.crop((w // 20, h // 20, w - w // 15, h - h // 25)).rotate(3, expand=True)
    photo = ImageEnhance.Brightness(photo.convert("RGB")).enhance(1.15)
    photo.resize((photo.width * 2, photo.height * 2)).save(tmp_path / "photo.jpg", quality=70)
    registry, _ = open_alr(Setup())
    async with registry:
        query = ObjectDescription(images=[tmp_path / "photo.jpg"], object_type="painting")
        report = await acheck(query, [registry])
    best = report.outcome("alr").candidates[0]
    assert best.record.record_id == seed["record_id"]
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    images = next(e for e in best.evidence if e.field == "images")
    assert "confirmed" in images.reason, "the record's image was not fetched for verification"


async def test_a_refusal_for_a_provenance_gap_names_the_years() -> None:
    query = not_registered().model_copy(
        update={"provenance": "1870 private collection, St Louis; 1968 by descent"}
    )
    report, service = await run(Setup(), query)
    outcome = report.outcome("alr")
    assert outcome.state is OutcomeState.FAILED
    assert outcome.error is not None and "1933-1945" in outcome.error.message
    assert service.charged == 1  # a refused search is paid for too


async def test_a_pending_search_is_resumed_without_paying_again() -> None:
    clock = ManualClock()
    setup = Setup(options={"review_seconds": "600"}, settings={"deadline": 0.05})
    registry, service = open_alr(setup, clock)
    async with registry:
        first = await acheck(not_registered(), [registry])
        assert first.outcome("alr").state is OutcomeState.PENDING
        clock.now = 601  # the staff have answered since
        second = await aresume(first, [registry])
    assert second.outcome("alr").state is OutcomeState.SEARCHED
    assert "certificate" in second.outcome("alr").documents
    assert second.conclusion is Conclusion.NO_MATCH_FOUND
    assert second.resumes == first.digest
    assert service.charged == 1


async def test_the_same_check_twice_pays_once() -> None:
    registry, service = open_alr(Setup())
    async with registry:
        first = await acheck(not_registered(), [registry])
        second = await acheck(not_registered(), [registry])
    assert service.charged == 1
    search = first.outcome("alr").documents["search"]
    assert search == second.outcome("alr").documents["search"]


async def test_a_wrong_key_appears_nowhere() -> None:
    report, _ = await run(Setup(settings={"api_key": "sk-wrong-0123456789"}))
    assert "sk-wrong-0123456789" not in report.to_json()
    assert "sk-wrong-0123456789" not in repr(report)


@respx.mock(base_url="https://alr.example.org", assert_all_called=True)
async def test_recorded_answers_over_http(respx_mock: respx.MockRouter) -> None:
    """The client against plain recorded responses (respx): submit, in review, certified."""
    submitted = respx_mock.post("/v1/searches").respond(
        202,
        json={
            "id": "S-2026-000042",
            "status": "queued",
            "fee": {"amount": "25.00", "currency": "GBP"},
        },
    )
    certificate = {
        "number": "S00777001",
        "issued_at": "2026-11-25T10:00:00+00:00",
        "wording": "not registered",
        "valid_until": "2027-02-23T10:00:00+00:00",
    }
    respx_mock.get("/v1/searches/S-2026-000042").mock(
        side_effect=[
            httpx.Response(200, json={"id": "S-2026-000042", "status": "in_review"}),
            httpx.Response(200, json={"id": "S-2026-000042", "status": "certified", "certificate": certificate}),
        ]
    )  # fmt: skip
    registry = recorded_alr()
    async with registry:
        report = await acheck(not_registered(), [registry])
    assert report.outcome("alr").documents["certificate"] == certificate
    request = submitted.calls.last.request
    assert request.headers["X-API-Key"] == KEY
    assert request.headers["Idempotency-Key"].startswith("provcheck-")
    body = json.loads(request.content)
    assert body["provenance"]["collection_type"] == "dealer stock"
    assert base64.b64decode(body["photographs"][0]["data"])[:2] == b"\xff\xd8"  # a JPEG


@respx.mock(base_url="https://alr.example.org")
async def test_hostile_matches_are_contained(respx_mock: respx.MockRouter) -> None:
    """A match with a script for a title and foreign image addresses is kept as text, its images
    are never fetched with the key; a match that is not a record is left out with a warning."""
    respx_mock.post("/v1/searches").respond(202, json={"id": "S-9", "status": "queued"})
    hostile = {
        "id": "ALR-666",
        "status": "stolen",
        "object": {"title": "<script>alert(1)</script>", "maker": "Tiffany"},
        "images": [{"url": "javascript:alert(1)"}, {"url": "https://evil.example/steal.jpg"}],
    }
    matches = [{"record": hostile}, {"record": {"id": "ALR-7"}}]
    respx_mock.get("/v1/searches/S-9").respond(
        200, json={"id": "S-9", "status": "completed", "matches": matches}
    )
    evil = respx.get("https://evil.example/steal.jpg").respond(200, content=b"x")
    registry = recorded_alr()
    async with registry:
        report = await acheck(not_registered(), [registry])
    outcome = report.outcome("alr")
    assert outcome.state is OutcomeState.SEARCHED
    assert [c.record.record_id for c in outcome.candidates] == ["ALR-666"]
    record = outcome.candidates[0].record
    assert record.description.title == "<script>alert(1)</script>"
    assert [i.url for i in record.description.images] == ["https://evil.example/steal.jpg"]
    assert not evil.called, "a record image on another host was fetched with the API key"
    assert outcome.warnings == ("match 2 of search S-9 left out: object: Field required",)


async def test_a_check_timeout_shorter_than_the_deadline_leaves_the_search_pending() -> None:
    """The check's own timeout (`--timeout`) ends the polling in time: the paid search comes back
    pending, with its id, instead of being cancelled with nothing to show for it."""
    registry, service = open_alr(
        Setup(options={"review_seconds": "3600"}, settings={"deadline": 45})
    )
    async with registry:
        report = await acheck(not_registered(), [registry], timeout=4.0)
    outcome = report.outcome("alr")
    assert outcome.state is OutcomeState.PENDING, outcome.error
    assert outcome.duration_s < 4.0
    assert service.charged == 1


async def test_a_forged_handle_never_reaches_a_url() -> None:
    """A report edited to point its pending search elsewhere (and sealed again) is refused."""
    setup = Setup(options={"review_seconds": "600"}, settings={"deadline": 0.05})
    registry, _ = open_alr(setup)
    async with registry:
        first = await acheck(not_registered(), [registry])
        outcome = first.outcome("alr")
        assert outcome.pending is not None
        forged_pending = outcome.pending.model_copy(update={"handle": {"search_id": "../account"}})
        forged = first.model_copy(
            update={"outcomes": (outcome.model_copy(update={"pending": forged_pending}),)}
        ).sealed()
        resumed = await aresume(forged, [registry])
    failed = resumed.outcome("alr")
    assert failed.state is OutcomeState.FAILED
    assert failed.error is not None and failed.error.kind == "rejected-query"
    assert "no valid search_id ('../account')" in failed.error.message


async def test_matches_are_reported_whatever_the_provenance_but_a_certificate_needs_it() -> None:
    unknown_owner = Setup(settings={"current_owner": None, "collection_type": None})
    lamp = ObjectDescription.from_file(FIXTURES / "queries" / "reworded.json")
    matched, _ = await run(unknown_owner, lamp)
    assert matched.conclusion is Conclusion.POSSIBLE_MATCH
    refused, _ = await run(unknown_owner)
    error = refused.outcome("alr").error
    assert error is not None and error.kind == "rejected-query"
    assert "current ownership and the type of collection are required" in error.message
    assert "PROVCHECK_ALR_CURRENT_OWNER" in error.message and "GBP 25.00 charged" in error.message


ACCEPTED = httpx.Response(202, json={"id": "S-1", "status": "queued"})
CERTIFIED = httpx.Response(
    200, json={"id": "S-1", "status": "certified", "certificate": {"number": "S00000001"}}
)
IN_REVIEW = httpx.Response(200, json={"id": "S-1", "status": "in_review"})
HTML = httpx.Response(200, html="<html><body>502 Bad Gateway <script>x()</script></body></html>")

# Transport-level faults, recorded with respx: (submission answers, poll answers, state, kind).
RECORDED = [
    ("refused connection, then accepted", [httpx.ConnectError("refused"), ACCEPTED], [CERTIFIED], OutcomeState.SEARCHED, None),
    ("timeout on submission, then accepted", [httpx.ReadTimeout("slow"), ACCEPTED], [CERTIFIED], OutcomeState.SEARCHED, None),
    ("dropped on submission, then accepted", [httpx.RemoteProtocolError("dropped"), ACCEPTED], [CERTIFIED], OutcomeState.SEARCHED, None),
    ("an HTML page for JSON", [HTML], [], OutcomeState.FAILED, "malformed-response"),
    ("an HTML page while polling", [ACCEPTED], [HTML], OutcomeState.FAILED, "malformed-response"),
    ("timeouts while polling", [ACCEPTED], [IN_REVIEW] + [httpx.ReadTimeout("slow")] * 10, OutcomeState.PENDING, None),
    ("a search id that is not one", [httpx.Response(202, json={"id": "../account", "status": "queued"})], [], OutcomeState.FAILED, "malformed-response"),
    ("an answer far too large", [ACCEPTED], [httpx.Response(200, content=b"[" * (21 * 2**20))], OutcomeState.FAILED, "malformed-response"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("submissions", "polls", "state", "kind"),
    [pytest.param(*row[1:], id=row[0]) for row in RECORDED],
)
async def test_recorded_transport_faults(
    submissions: list[Any], polls: list[Any], state: OutcomeState, kind: str | None
) -> None:
    with respx.mock(base_url="https://alr.example.org", assert_all_called=False) as mock:
        submit = mock.post("/v1/searches").mock(side_effect=submissions)
        mock.get("/v1/searches/S-1").mock(side_effect=polls)
        registry = recorded_alr()
        async with registry:
            report = await acheck(not_registered(), [registry])
    outcome = report.outcome("alr")
    assert outcome.state is state, outcome.error
    assert (outcome.error.kind if outcome.error else None) == kind
    assert report.conclusion is not Conclusion.NO_MATCH_FOUND or state is OutcomeState.SEARCHED
    keys = {call.request.headers["Idempotency-Key"] for call in submit.calls}
    assert len(keys) == 1, "a retried submission must carry the same idempotency key"
