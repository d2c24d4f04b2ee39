from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
import respx
from pydantic import BaseModel

from provcheck import (
    AuthenticationError,
    MalformedResponseError,
    PaymentRequiredError,
    RateLimitedError,
    RegistryError,
    RegistryTimeoutError,
    RegistryUnavailableError,
    RejectedQueryError,
)
from provcheck.registers.http import (
    USER_AGENT,
    HttpSession,
    RetryPolicy,
    Throttle,
    parse_retry_after,
    poll,
    search_budget_end,
)

pytestmark = pytest.mark.anyio

BASE = "https://register.example.org"
URL = f"{BASE}/search"
SECRET = "key-abcdef0123456789"


class Sleeps:
    """Records the waits instead of waiting them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def session(sleeps: Sleeps, **policy: float) -> HttpSession:
    retry = RetryPolicy(sleep=sleeps, **policy)  # type: ignore[arg-type]
    return HttpSession(
        registry="test", base_url=BASE, retry=retry, headers={"X-Key": SECRET}, secrets=[SECRET]
    )


@respx.mock
async def test_sends_user_agent_and_returns_json() -> None:
    route = respx.get(URL).respond(200, json={"items": []})
    http = session(Sleeps())
    assert await http.get_json("/search", params={"title": "Acorn"}) == {"items": []}
    request = route.calls.last.request
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["Accept"] == "application/json"
    assert request.url.params["title"] == "Acorn"


@respx.mock
async def test_429_honours_retry_after_seconds() -> None:
    respx.get(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json=[]),
        ]
    )
    sleeps = Sleeps()
    assert await session(sleeps).get_json("/search") == []
    assert sleeps.waits == [7.0]


@respx.mock
async def test_429_honours_retry_after_http_date() -> None:
    when = datetime.now(UTC).replace(microsecond=0).timestamp() + 30
    header = httpx.Headers({"Retry-After": _http_date(when)})
    respx.get(URL).mock(
        side_effect=[httpx.Response(429, headers=header), httpx.Response(200, json=[])]
    )
    sleeps = Sleeps()
    await session(sleeps).get_json("/search")
    assert 25 <= sleeps.waits[0] <= 30


@respx.mock
async def test_retry_after_longer_than_the_wait_allowed_gives_up_at_once() -> None:
    route = respx.get(URL).respond(429, headers={"Retry-After": "3600"})
    sleeps = Sleeps()
    with pytest.raises(RateLimitedError) as raised:
        await session(sleeps, max_wait=60).get_json("/search")
    assert raised.value.retry_after == 3600
    assert route.call_count == 1
    assert sleeps.waits == []


@pytest.mark.parametrize("status", [502, 503, 504])
@respx.mock
async def test_gateway_and_unavailable_errors_are_retried(status: int) -> None:
    respx.get(URL).mock(side_effect=[httpx.Response(status), httpx.Response(200, json={"ok": 1})])
    sleeps = Sleeps()
    assert await session(sleeps).get_json("/search") == {"ok": 1}
    assert len(sleeps.waits) == 1


@respx.mock
async def test_attempts_are_bounded() -> None:
    route = respx.get(URL).respond(503)
    sleeps = Sleeps()
    with pytest.raises(RegistryUnavailableError, match="HTTP 503"):
        await session(sleeps, attempts=3).get_json("/search")
    assert route.call_count == 3
    assert len(sleeps.waits) == 2
    assert sleeps.waits[1] > sleeps.waits[0] / 2  # backoff grows (with jitter)


@respx.mock
async def test_total_wait_is_bounded() -> None:
    route = respx.get(URL).respond(503, headers={"Retry-After": "4"})
    sleeps = Sleeps()
    with pytest.raises(RegistryUnavailableError):
        await session(sleeps, attempts=100, max_wait=10).get_json("/search")
    assert sleeps.waits == [4.0, 4.0]
    assert route.call_count == 3


# status -> (error class, retried?)
STATUS_MAP = [
    (400, RejectedQueryError),
    (401, AuthenticationError),
    (402, PaymentRequiredError),
    (403, AuthenticationError),
    (404, RejectedQueryError),
    (418, RegistryError),
    (422, RejectedQueryError),
    (500, RegistryUnavailableError),
]


@pytest.mark.parametrize(("status", "error"), STATUS_MAP)
@respx.mock
async def test_other_statuses_map_without_retry(status: int, error: type[RegistryError]) -> None:
    route = respx.get(URL).respond(status)
    sleeps = Sleeps()
    with pytest.raises(error) as raised:
        await session(sleeps).get_json("/search")
    assert raised.value.status == status
    assert raised.value.registry == "test"
    assert route.call_count == 1
    assert sleeps.waits == []


@respx.mock
async def test_connect_errors_are_retried_then_reported() -> None:
    route = respx.get(URL).mock(side_effect=httpx.ConnectError("refused"))
    sleeps = Sleeps()
    with pytest.raises(
        RegistryUnavailableError, match=r"could not reach GET https://register\.example\.org/search"
    ):
        await session(sleeps, attempts=3).get_json("/search")
    assert route.call_count == 3


@respx.mock
async def test_read_timeout_is_retried_for_get() -> None:
    respx.get(URL).mock(side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json=1)])
    assert await session(Sleeps()).get_json("/search") == 1


@respx.mock
async def test_read_timeout_ends_as_a_timeout_error() -> None:
    respx.get(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(RegistryTimeoutError) as raised:
        await session(Sleeps(), attempts=2).get_json("/search")
    assert isinstance(raised.value, TimeoutError)


@respx.mock
async def test_dropped_connection_is_retried_for_get() -> None:
    respx.get(URL).mock(
        side_effect=[httpx.RemoteProtocolError("dropped"), httpx.Response(200, json=2)]
    )
    assert await session(Sleeps()).get_json("/search") == 2


@respx.mock
async def test_post_is_not_repeated_after_a_timeout() -> None:
    route = respx.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(RegistryTimeoutError):
        await session(Sleeps()).request("POST", "/search", json={})
    assert route.call_count == 1


@respx.mock
async def test_idempotent_post_is_repeated_after_a_timeout() -> None:
    route = respx.post(URL).mock(side_effect=[httpx.ReadTimeout("slow"), httpx.Response(202)])
    response = await session(Sleeps()).request("POST", "/search", json={}, idempotent=True)
    assert response.status_code == 202
    assert route.call_count == 2


@respx.mock
async def test_post_is_repeated_after_a_refused_connection_and_429() -> None:
    route = respx.post(URL).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(429), httpx.Response(202)]
    )
    response = await session(Sleeps()).request("POST", "/search", json={})
    assert response.status_code == 202
    assert route.call_count == 3


@respx.mock
async def test_malformed_json_is_a_malformed_response() -> None:
    respx.get(URL).respond(200, text="<html><script>alert(1)</script>")
    with pytest.raises(MalformedResponseError, match="not JSON"):
        await session(Sleeps()).get_json("/search")


@respx.mock
async def test_oversized_response_is_refused() -> None:
    respx.get(URL).respond(200, content=b"x" * 2048)
    http = HttpSession(registry="test", base_url=BASE, max_response_bytes=1024)
    with pytest.raises(MalformedResponseError, match="larger than 1,024 bytes"):
        await http.request("GET", "/search")


async def test_oversized_chunked_response_is_refused_without_reading_it_all() -> None:
    sent: list[int] = []

    async def endless() -> object:
        for _ in range(10_000):
            sent.append(1)
            yield b"x" * 1024

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=endless()))
    http = HttpSession(registry="test", base_url=BASE, max_response_bytes=4096, transport=transport)
    with pytest.raises(MalformedResponseError):
        await http.request("GET", "/search")
    assert len(sent) < 10


@respx.mock
async def test_messages_carry_no_query_string_or_secret() -> None:
    respx.get(URL).respond(403)
    with pytest.raises(AuthenticationError) as raised:
        await session(Sleeps()).get_json(f"/search?api_key={SECRET}&title=Secret+Title")
    assert SECRET not in str(raised.value)
    assert "Secret" not in str(raised.value)
    assert "HTTP 403" in str(raised.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("120", 120.0), ("0", 0.0), ("", None), (None, None), ("soon", None), ("-5", None)],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 25 Nov 2026 12:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Wed, 25 Nov 2026 11:00:00 GMT", now=now) == 0.0


async def test_throttle_spaces_request_starts() -> None:
    now = [100.0]
    sleeps = Sleeps()

    async def sleep(seconds: float) -> None:
        await sleeps(seconds)
        now[0] += seconds

    throttle = Throttle(max_concurrency=4, min_interval=0.5, sleep=sleep, clock=lambda: now[0])
    for _ in range(3):
        async with throttle:
            now[0] += 0.1  # the request itself takes a tenth of a second
    assert sleeps.waits == pytest.approx([0.4, 0.4])


async def test_throttle_limits_concurrency() -> None:
    throttle = Throttle(max_concurrency=2)
    running = peak = 0

    async def job() -> None:
        nonlocal running, peak
        async with throttle:
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(job() for _ in range(6)))
    assert peak == 2


def _http_date(timestamp: float) -> str:
    from email.utils import formatdate

    return formatdate(timestamp, usegmt=True)


class FakeTime:
    """A clock that the recorded waits move forward."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))
        self.now += seconds


async def test_poll_waits_longer_each_time_until_the_answer() -> None:
    time = FakeTime()
    answers = iter(["queued", "in_review", "in_review", "done"])

    async def fetch() -> str:
        return next(answers)

    last = await poll(
        fetch, lambda a: a == "done", interval=1.0, deadline=60, sleep=time.sleep, clock=time
    )
    assert last == "done"
    assert time.waits == [1.0, 1.5, 2.25]


async def test_poll_gives_up_at_the_deadline_with_the_last_answer() -> None:
    time = FakeTime()

    async def fetch() -> str:
        return "in_review"

    last = await poll(
        fetch, lambda a: a == "done", interval=1.0, deadline=3, sleep=time.sleep, clock=time
    )
    assert last == "in_review"
    assert sum(time.waits) == pytest.approx(3.0)


async def test_poll_keeps_within_the_time_the_check_gives_the_search() -> None:
    time = FakeTime()

    async def fetch() -> str:
        return "in_review"

    token = search_budget_end.set(time.now + 10)
    try:
        await poll(
            fetch, lambda a: a == "done", interval=1.0, deadline=60, sleep=time.sleep, clock=time
        )
    finally:
        search_budget_end.reset(token)
    assert sum(time.waits) == pytest.approx(9.0)  # 10 s less a tenth to answer in


def test_addresses_a_service_gives_are_resolved_and_only_its_own_are_trusted() -> None:
    http = HttpSession(registry="reg", base_url=BASE, secrets=[SECRET])
    assert http.resolve("/images/1.jpg") == f"{BASE}/images/1.jpg"
    assert http.resolve("https://cdn.example.net/1.jpg") == "https://cdn.example.net/1.jpg"
    for hostile in ("javascript:alert(1)", "//evil.example/1.jpg", "file:///etc/passwd", "1.jpg"):
        assert http.resolve(hostile) is None
    assert http.owns(f"{BASE}/images/1.jpg")
    assert not http.owns("https://register.example.org.evil.example/1.jpg")
    assert not http.owns("http://register.example.org/images/1.jpg")  # not over https


class Answer(BaseModel):
    id: str
    status: str


async def test_an_answer_of_another_shape_is_malformed_and_says_where() -> None:
    http = HttpSession(registry="reg", base_url=BASE)
    request = httpx.Request("GET", f"{BASE}/searches/1?key={SECRET}")
    good = httpx.Response(200, json={"id": "1", "status": "queued", "new": 1}, request=request)
    assert http.parse_model(Answer, good).status == "queued"
    for body in (b'{"id": "1"}', b"<html>502 Bad Gateway</html>"):
        with pytest.raises(MalformedResponseError) as raised:
            http.parse_model(Answer, httpx.Response(200, content=body, request=request))
        assert "reg: the answer from GET https://register.example.org/searches/1" in str(
            raised.value
        )
        assert SECRET not in str(raised.value)


@respx.mock
async def test_a_redirect_to_a_host_that_is_no_name_is_the_registers_failure() -> None:
    respx.get(URL).respond(302, headers={"Location": "http://xn--/elsewhere"})
    with pytest.raises(RegistryError) as raised:
        await session(Sleeps()).get_json("/search")
    assert "cannot be read" in str(raised.value) and SECRET not in str(raised.value)
