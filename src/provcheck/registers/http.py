"""HTTP for plugins, written once: client defaults, retries, rate limits, bounded bodies, errors.

A plugin that talks to a service builds one `HttpSession` and calls `request` or `get_json`. The
session sends `User-Agent: provcheck/<version>`, keeps to the register's concurrency and rate
limits, retries what is worth retrying (connect errors, timeouts, 429 honouring `Retry-After`,
502/503/504) within a bounded number of attempts and total wait, refuses bodies larger than a
limit, and turns every failure into the `provcheck.errors` tree -- with no query strings or secrets
in the messages.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import json
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, JsonValue, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from provcheck._version import __version__
from provcheck.errors import (
    AuthenticationError,
    MalformedResponseError,
    PaymentRequiredError,
    RateLimitedError,
    RegistryError,
    RegistryTimeoutError,
    RegistryUnavailableError,
    RejectedQueryError,
    SearchPending,
    first_problem,
)
from provcheck.model.description import ImageRef
from provcheck.registers.registry import redact_url

__all__ = [
    "MAX_REDIRECTS",
    "USER_AGENT",
    "HttpSession",
    "RetryPolicy",
    "Throttle",
    "create_client",
    "error_for_status",
    "parse_retry_after",
    "pending_if_unreachable",
    "photograph_json",
    "poll",
    "search_budget_end",
    "shown_url",
    "wire_host",
]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

USER_AGENT = f"provcheck/{__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 5
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
# Methods that may be sent twice without harm; others are retried only when the request surely
# never reached the service, or when the caller says it is idempotent (an idempotency key).
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: at most `attempts` tries and `max_wait` seconds of waiting in all.

    Waits double from `backoff` up to `max_backoff`, with jitter, unless the service said how long
    to wait (`Retry-After`); a service that asks for longer than is left is not waited for.
    """

    attempts: int = 4
    max_wait: float = 60.0
    backoff: float = 0.5
    max_backoff: float = 10.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)

    def wait_before(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, RegistryError) and error.retry_after is not None:
            return max(0.0, error.retry_after)
        exponential: float = self.backoff * 2.0 ** (retry_state.attempt_number - 1)
        return min(self.max_backoff, exponential) * random.uniform(0.5, 1.0)

    def should_stop(self, retry_state: RetryCallState) -> bool:
        if retry_state.attempt_number >= self.attempts:
            return True
        return retry_state.idle_for + retry_state.upcoming_sleep > self.max_wait


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP date; None if unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port, the default port made explicit: where credentials may go."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, wire_host(url), url.port or default


def wire_host(url: httpx.URL) -> str:
    """The host as it goes on the wire (IDNA-encoded, lower case). `url.host` would decode it,
    and fails on a malformed label such as `xn--`."""
    return url.raw_host.decode("ascii", "replace").lower()


def shown_url(url: str | httpx.URL, *, width: int = 120) -> str:
    """An address for messages: scheme, host, port and path; no query string (it can carry a
    key or the user's query), no credentials."""
    try:
        parsed = httpx.URL(str(url))
    except (httpx.InvalidURL, TypeError, ValueError):
        text = str(url).split("?", 1)[0]
    else:
        port = f":{parsed.port}" if parsed.port is not None else ""
        raw = wire_host(parsed)
        host = f"[{raw}]" if ":" in raw else raw
        text = f"{parsed.scheme}://{host}{port}{parsed.path}" if raw else str(url)
        text = text.split("?", 1)[0]
    return text if len(text) <= width else text[: width - 3] + "..."


def _where(request: httpx.Request) -> str:
    return f"{request.method} {shown_url(request.url, width=500)}"


def error_for_status(
    response: httpx.Response, *, registry: str | None = None, body: bytes = b""
) -> RegistryError | None:
    """The error an HTTP status means, or None for success. A refusal (4xx) whose `body` says
    why in JSON (`message`, `detail`) says it too: what the service wants changed."""
    status = response.status_code
    if status < 400:
        return None
    where = _where(response.request)
    label = f"{registry}: " if registry else ""
    message = f"{label}HTTP {status} {response.reason_phrase} from {where}".rstrip()
    if 400 <= status < 500 and (reason := _stated_reason(body)):
        message += f": {reason}"
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    error_class: type[RegistryError] = RegistryError
    if status == 429:
        error_class = RateLimitedError
    elif status in (401, 403):
        error_class = AuthenticationError
    elif status == 402:
        error_class = PaymentRequiredError
    elif status >= 500:
        error_class = RegistryUnavailableError
    elif status in (400, 404, 405, 409, 410, 413, 414, 422):
        error_class = RejectedQueryError
    else:
        message += " (unexpected status)"
    return error_class(message, registry=registry, status=status, retry_after=retry_after)


def _stated_reason(body: bytes) -> str | None:
    """The reason a service's JSON error body states, on one line and bounded; None if none."""
    if not body or len(body) > 65_536 or body[:1] not in (b"{", b" ", b"\n"):
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    reason = data.get("message") or data.get("detail") if isinstance(data, dict) else None
    if not isinstance(reason, str):
        return None
    reason = " ".join("".join(c for c in reason if c.isprintable() or c.isspace()).split())
    return reason[:300] or None


def _error_for_transport(
    error: httpx.HTTPError, request: httpx.Request, registry: str
) -> RegistryError:
    where = _where(request)
    if isinstance(error, httpx.TimeoutException):
        return RegistryTimeoutError(
            f"{registry}: timed out ({type(error).__name__}) on {where}", registry=registry
        )
    if isinstance(error, httpx.TooManyRedirects):
        return MalformedResponseError(
            f"{registry}: too many redirects from {where}", registry=registry
        )
    reason = type(error).__name__
    detail = str(error).strip()
    if detail and "://" not in detail and "?" not in detail:  # never an address with its query
        reason += f": {detail[:120]}"
    return RegistryUnavailableError(
        f"{registry}: could not reach {where} ({reason})", registry=registry
    )


class Throttle:
    """At most `max_concurrency` requests at once, each started at least `min_interval` s after the last."""

    def __init__(
        self,
        max_concurrency: int = 4,
        min_interval: float = 0.0,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._slots = asyncio.Semaphore(max_concurrency)
        self._min_interval = min_interval
        self._sleep = sleep
        self._clock = clock
        self._lock = asyncio.Lock()
        self._next_start = 0.0

    async def __aenter__(self) -> None:
        await self._slots.acquire()
        try:
            async with self._lock:
                now = self._clock()
                if self._next_start > now:
                    await self._sleep(self._next_start - now)
                self._next_start = max(now, self._next_start) + self._min_interval
        except BaseException:
            self._slots.release()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._slots.release()


def create_client(
    *,
    base_url: str = "",
    headers: Mapping[str, str] | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` with provcheck's defaults: timeouts, User-Agent, and redirects
    not followed -- httpx would send every header but `Authorization` to wherever a redirect
    points; `HttpSession` follows them itself, within the origin."""
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        timeout=timeout,
        transport=transport,
        follow_redirects=False,
    )


# When the search running in this task must have returned (time.monotonic()), set by the engine
# from the register's timeout: a service that answers later is polled only until shortly before,
# so that a submitted -- perhaps paid -- search comes back pending, with its handle, instead of
# being cancelled with nothing to show for it.
search_budget_end: ContextVar[float | None] = ContextVar("search_budget_end", default=None)


def _budget_left(clock: Callable[[], float]) -> float:
    """Seconds left of this search's time budget, less a margin to answer in; inf if none."""
    end = search_budget_end.get()
    if end is None:
        return math.inf
    left = end - clock()
    return max(0.0, left - min(5.0, 0.1 * max(0.0, left)))


async def poll(
    fetch: Callable[[], Awaitable[T]],
    finished: Callable[[T], bool],
    *,
    interval: float,
    deadline: float,
    max_interval: float = 30.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Ask a service for an answer it gives later: call `fetch` until `finished(answer)` or until
    `deadline` seconds have passed, and return the last answer either way. Waits grow by half
    each time, from `interval` up to `max_interval`, and never run past the deadline -- nor past
    the time the check gives this search (`search_budget_end`)."""
    end = clock() + min(deadline, _budget_left(clock))
    wait = interval
    while True:
        answer = await fetch()
        left = end - clock()
        if finished(answer) or left <= 0:
            return answer
        await sleep(min(wait, left))
        wait = min(max_interval, wait * 1.5)


@contextlib.contextmanager
def pending_if_unreachable(accepted: str, handle: dict[str, JsonValue]) -> Iterator[None]:
    """Around the wait for a request the service has already accepted (perhaps paid for):
    failing to reach the service then is not a failed search but a pending one, with the handle
    that takes it up again. `accepted` says what was accepted ("alr: search S-1 was submitted")."""
    try:
        yield
    except (RegistryUnavailableError, RateLimitedError) as error:
        raise SearchPending(
            f"{accepted}, but its answer could not be fetched ({error}); resume it later",
            handle=handle,
        ) from error


def photograph_json(image: ImageRef) -> dict[str, str]:
    """A photograph as JSON services take it: its address, or its bytes in base64."""
    if image.url is not None:
        return {"url": image.url}
    return {"data": base64.b64encode(image.read()).decode("ascii")}


class HttpSession:
    """One register's HTTP: a client, its retry policy, its throttle, its error mapping, and
    its redirects (`redirects`: followed within the origin, or `"none"`)."""

    def __init__(
        self,
        *,
        registry: str,
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        throttle: Throttle | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
        secrets: Sequence[str] = (),
        redirects: Literal["same-origin", "none"] = "same-origin",
    ) -> None:
        self.registry = registry
        # A redirect is followed only within the request's origin (scheme, host, port), or not
        # at all; one elsewhere is a `RegistryError`. Never anywhere: see `_send_following`.
        self.redirects = redirects
        self.retry = retry or RetryPolicy()
        self.throttle = throttle or Throttle()
        self.max_response_bytes = max_response_bytes
        self._secrets = [s for s in secrets if s]
        self._client = create_client(
            base_url=base_url, headers=headers, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        return f"<HttpSession {self.registry!r} {redact_url(str(self._client.base_url))}>"

    async def request(
        self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send a request with retries; return the response (body read) or raise a `RegistryError`.

        `idempotent=True` lets a POST be retried after a timeout (it carries an idempotency key).
        """
        request = self._client.build_request(method, url, **kwargs)
        repeatable = request.method in _SAFE_METHODS if idempotent is None else idempotent

        def worth_retrying(error: BaseException) -> bool:
            if not isinstance(error, RegistryError):
                return False
            if error.status is not None:
                # 429 and 503 say the request was not acted on, so even a POST may be repeated.
                return error.status in RETRYABLE_STATUS and (
                    repeatable or error.status in (429, 503)
                )
            if isinstance(
                error, RegistryUnavailableError
            ):  # timeouts, refused or dropped connections
                never_sent = isinstance(error.__cause__, httpx.ConnectError | httpx.ConnectTimeout)
                return repeatable or never_sent
            return False

        retrying = AsyncRetrying(
            retry=retry_if_exception(worth_retrying),
            wait=self.retry.wait_before,
            stop=self.retry.should_stop,
            sleep=self.retry.sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send_once(request)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def get_json(self, url: str, **kwargs: Any) -> Any:
        """GET `url` and return its JSON body; a body that is not JSON is a `MalformedResponseError`."""
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        response = await self.request("GET", url, headers=headers, **kwargs)
        return self.parse_json(response)

    def parse_model(self, model: type[M], response: httpx.Response) -> M:
        """The response's JSON body read as `model` (a pydantic model of the service's answer);
        a body that is not JSON, or not of that form, is a `MalformedResponseError` that says
        where."""
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            where, problem = first_problem(error)
            raise MalformedResponseError(
                f"{self.registry}: the answer from {_where(response.request)} is not in the "
                f"expected form ({where or 'body'}: {problem})",
                registry=self.registry,
            ) from None

    def resolve(self, url: str) -> str | None:
        """An address a service gave (a record's image): its own paths made absolute, other web
        addresses kept as they are, anything else (`javascript:`, `file:`) None."""
        if url.startswith("/") and not url.startswith("//"):
            return str(self._client.base_url.join(url))
        return url if url.startswith(("https://", "http://")) else None

    def owns(self, url: str) -> bool:
        """Whether `url` is on this session's service: only there may its credentials go."""
        return _origin(httpx.URL(url)) == _origin(self._client.base_url)

    def parse_json(self, response: httpx.Response) -> Any:
        try:
            return json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise MalformedResponseError(
                f"{self.registry}: the answer from {_where(response.request)} is not JSON "
                f"({type(error).__name__}: {error})",
                registry=self.registry,
            ) from None

    async def _send_once(self, request: httpx.Request) -> httpx.Response:
        async with self.throttle:
            response = await self._send_following(request)
            try:
                body = await self._read_bounded(response)
            except httpx.HTTPError as error:
                raise self._scrubbed(_error_for_transport(error, request, self.registry)) from error
            finally:
                await response.aclose()
            request = response.request
        status_error = error_for_status(response, registry=self.registry, body=body)
        if status_error is not None:
            raise self._scrubbed(status_error)
        kept = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(response.status_code, headers=kept, content=body, request=request)

    async def _send_following(self, request: httpx.Request) -> httpx.Response:
        """Send, following redirects as this register allows: within the request's own origin
        (scheme, host, port), where its credentials may go, or not at all. httpx would follow a
        redirect anywhere, taking every header but `Authorization` (an `X-API-Key`) and a 307's
        body (a `client_secret`) with it."""
        origin = _origin(request.url)
        for hop in range(MAX_REDIRECTS + 1):
            try:
                response = await self._client.send(request, stream=True)
            except httpx.HTTPError as error:
                raise self._scrubbed(_error_for_transport(error, request, self.registry)) from error
            except UnicodeError as error:  # a redirect to a host name that is not a name
                raise self._scrubbed(
                    MalformedResponseError(
                        f"{self.registry}: {_where(request)} redirected to an address that "
                        f"cannot be read ({error})",
                        registry=self.registry,
                    )
                ) from error
            following = response.next_request
            if following is None:
                return response
            await response.aclose()
            status = response.status_code
            if self.redirects == "none" or _origin(following.url) != origin:
                elsewhere = "" if self.redirects == "none" else " to another origin"
                raise self._scrubbed(
                    RegistryError(
                        f"{self.registry}: {_where(request)} answered HTTP {status} with a "
                        f"redirect{elsewhere} ({_where(following).split(' ', 1)[1]}); not "
                        "followed, so that the register's credentials go nowhere else. Check "
                        "the register's base_url setting",
                        registry=self.registry,
                        status=status,
                    )
                )
            if hop == MAX_REDIRECTS:
                break
            request = following
        raise MalformedResponseError(
            f"{self.registry}: too many redirects from {_where(request)}", registry=self.registry
        )

    async def _read_bounded(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        limit = self.max_response_bytes
        too_large = MalformedResponseError(
            f"{self.registry}: the answer from {_where(response.request)} is larger than "
            f"{limit:,} bytes; refused",
            registry=self.registry,
        )
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise too_large
        return bytes(body)

    def _scrubbed(self, error: RegistryError) -> RegistryError:
        message = str(error)
        for secret in self._secrets:
            message = message.replace(secret, "**********")
        if message != str(error):
            error.args = (message,)
        return error

    async def aclose(self) -> None:
        await self._client.aclose()
