"""What register plugins need to ship a mock of their register's service.

A plugin for a register that runs a service ships a mock of it (DESIGN.md): an ASGI app with the
real service's workflow, seeded with sample records, that runs in-process for tests and the demo
(`in_process`) and as a real HTTP server for people integrating provcheck (`provcheck mock serve
NAME`, through the `provcheck.mocks` entry-point group). This module holds what every such mock
has in common, so that each plugin writes only its own service:

- `Faults` and `FaultInjection`: switchable faults (latency, 429 storms, 500/503, malformed JSON,
  schema drift, dropped connections, expired tokens) in front of any ASGI app;
- `SeedRecords`: the mock's register -- records read from a JSON Lines file (`find_seed`) -- and
  the staff who compare a request with it;
- what services that answer later share: `IdempotencyKeys` (a request sent twice is acted on
  once), `PollPacing` (429 for polling too fast), `decode_photographs` (uploads), and
  `parse_options` (the mock's own settings, `--set NAME=VALUE`);
- `SubmitAndPollService`: the base of a mock of a service that takes a request and answers it
  later (the mock side of `provcheck.registers.SubmitAndPollRegistry`): authentication, the
  opening of submission and status, the image route, and `error_response`, `read_body`.

Mocks are Starlette apps; provcheck does not depend on Starlette (a plugin that ships a mock
does), so this module imports it only where a mock service runs.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import binascii
import functools
import hashlib
import importlib.metadata
import importlib.resources
import json
import math
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from provcheck.errors import InputError, PluginLoadError, first_problem, message_of
from provcheck.images.fingerprints import fingerprinted
from provcheck.images.verification import (
    GeometricMatch,
    LocalFeatures,
    features_of_bytes,
    matches_at_each_scale,
    query_features,
)
from provcheck.matching.matcher import Matcher
from provcheck.model.candidate import Candidate
from provcheck.model.description import ObjectDescription
from provcheck.model.record import Record
from provcheck.text.normalise import tokens
from provcheck.userfiles import read_text

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response

__all__ = [
    "MOCK_ENTRY_POINT_GROUP",
    "ConnectionDropped",
    "FaultInjection",
    "Faults",
    "IdempotencyConflict",
    "IdempotencyKeys",
    "MockFactory",
    "MockService",
    "PollPacing",
    "Refusal",
    "SeedRecords",
    "Submission",
    "SubmitAndPollMockOptions",
    "SubmitAndPollService",
    "decode_photographs",
    "error_response",
    "find_seed",
    "in_process",
    "installed_mocks",
    "load_mock",
    "parse_options",
    "read_body",
    "serve",
]

MOCK_ENTRY_POINT_GROUP = "provcheck.mocks"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

Options = TypeVar("Options", bound=BaseModel)
T = TypeVar("T")
Entry = TypeVar("Entry")
Drift = Literal["unknown-field", "renamed-field", "missing-field"]


class Faults(BaseModel):
    """Faults a mock service injects. Counts apply to the next N requests (of `method`, if set);
    a storm of 429s is `rate_limited=20`."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency: float = Field(default=0.0, ge=0, description="seconds added to every answer")
    rate_limited: int = Field(default=0, ge=0, description="answer 429 with Retry-After")
    unavailable: int = Field(default=0, ge=0, description="answer 503 with Retry-After")
    server_error: int = Field(default=0, ge=0, description="answer 500")
    malformed: int = Field(default=0, ge=0, description="answer with a body cut off mid-JSON")
    drift: Drift | None = Field(default=None, description="change the shape of every answer")
    dropped: int = Field(
        default=0, ge=0, description="drop the connection after acting, mid-answer"
    )
    token_expiry: int = Field(
        default=0, ge=0, description="access tokens expire after this many uses (0: never)"
    )
    method: str | None = Field(default=None, description="count faults only on this method")
    retry_after: int = Field(default=1, ge=0, description="Retry-After of 429s and 503s")

    @classmethod
    def parse(cls, items: Iterable[str]) -> Faults:
        """Faults from `name=value` items (the CLI's `--fault rate_limited=5`)."""
        values: dict[str, str] = {}
        for item in items:
            name, sep, value = item.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in cls.model_fields:
                raise InputError(
                    f"--fault {item!r}: expected NAME=VALUE with NAME one of "
                    f"{', '.join(cls.model_fields)}"
                )
            values[name] = value.strip()
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            where, problem = first_problem(error)
            raise InputError(f"--fault {where}: {problem}") from None

    def take(self, name: str, method: str) -> bool:
        """Whether the request (by `method`) gets fault `name`; counts it down if so."""
        if self.method and self.method.upper() != method.upper():
            return False
        left: int = getattr(self, name)
        if left <= 0:
            return False
        setattr(self, name, left - 1)
        return True


@dataclass(frozen=True)
class MockService:
    """A plugin's mock of its register's service, ready to run in-process or to serve."""

    app: ASGIApp  # the service, with its faults in front
    # The settings the register's client needs to use this mock (its keys and accounts), with
    # `base_url` as the in-process address; `provcheck mock serve` gives the real one.
    client_settings: dict[str, Any]
    about: str  # one line for people: what it holds, how it is set up
    state: object = None  # the service's own state, for tests (what it charged, ...)


# A plugin's mock, announced in the `provcheck.mocks` entry-point group: `create(faults,
# options)`, where `options` are the mock's own settings as text (`--set review_seconds=5`),
# which it validates.
MockFactory = Callable[["Faults", Mapping[str, str]], MockService]


class ConnectionDropped(Exception):
    """Raised by `FaultInjection` to drop a connection mid-answer."""


class FaultInjection:
    """ASGI middleware that puts `faults` in front of `app`.

    Refusals (429, 503, 500) are answered at the door: the app never sees the request. A dropped
    connection and a malformed body happen after the app has acted -- the worst case for a client,
    which must then retry without acting twice. Schema drift changes the JSON answers: an unknown
    field added, the field `drift_field` renamed, or removed.
    """

    def __init__(self, app: ASGIApp, faults: Faults, *, drift_field: str = "status") -> None:
        self.app = app
        self.faults = faults
        self.drift_field = drift_field

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        faults, method = self.faults, scope["method"]
        if faults.latency:
            await asyncio.sleep(faults.latency)
        for name, status in (("rate_limited", 429), ("unavailable", 503), ("server_error", 500)):
            if faults.take(name, method):
                await _answer(send, status, {"error": f"injected fault: {name}"}, faults)
                return
        if not (faults.malformed or faults.drift or faults.dropped):
            await self.app(scope, receive, send)
            return
        start: Message = {}
        body = bytearray()

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(scope, receive, keep)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        json_answer = any(k.lower() == b"content-type" and b"json" in v for k, v in headers)
        content = bytes(body)
        if json_answer and faults.drift:
            content = self._drifted(content, faults.drift)
        if json_answer and faults.take("malformed", method):
            content = content[: max(1, len(content) // 2)]
        dropped = faults.take("dropped", method)
        headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        if dropped:
            await send(
                {
                    "type": "http.response.body",
                    "body": content[: len(content) // 2],
                    "more_body": True,
                }
            )
            raise ConnectionDropped("injected fault: connection dropped mid-answer")
        await send({"type": "http.response.body", "body": content})

    def _drifted(self, content: bytes, drift: Drift) -> bytes:
        try:
            data = json.loads(content)
        except ValueError:
            return content
        if not isinstance(data, dict):
            return content
        if drift == "unknown-field":
            data["x_introduced_in_v2"] = {"note": "a field this client has never seen"}
        elif self.drift_field in data:
            value = data.pop(self.drift_field)
            if drift == "renamed-field":
                data[f"{self.drift_field}_v2"] = value
        return json.dumps(data).encode()


async def _answer(send: Send, status: int, body: Mapping[str, Any], faults: Faults) -> None:
    content = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(content))]
    if status in (429, 503):
        headers.append((b"retry-after", str(faults.retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


class _InProcessTransport(httpx.ASGITransport):
    """httpx's ASGI transport, with a dropped connection seen as one (not as the app's error)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped as error:
            raise httpx.RemoteProtocolError(str(error), request=request) from error


def in_process(app: ASGIApp) -> httpx.AsyncBaseTransport:
    """An httpx transport that sends requests to `app` in this process (no socket): give it to a
    plugin's `HttpSession(transport=...)`."""
    return _InProcessTransport(app=app)


@dataclass(frozen=True)
class SeedRecords:
    """A mock register's records, and the comparison its staff make with a request.

    The records are `Record`s, one per line of a JSON Lines file, images relative to it. The staff
    are provcheck's own `Matcher`: a request's possible matches are the records it scores at or
    above the match threshold, best first.
    """

    records: tuple[Record, ...]
    folder: Path

    @classmethod
    def load(cls, path: Path) -> SeedRecords:
        records = []
        for number, line in enumerate(read_text(path, what="seed file").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = Record.model_validate_json(line)
            except ValidationError as error:
                where, problem = first_problem(error)
                raise InputError(f"{path}:{number}: {where}: {problem}") from None
            images = tuple(
                fingerprinted(image, base=path.parent) if image.path else image
                for image in record.description.images
            )
            description = record.description.model_copy(update={"images": images})
            records.append(record.model_copy(update={"description": description}))
        return cls(tuple(records), path.parent)

    def by_id(self, record_id: str) -> Record | None:
        return next((r for r in self.records if r.record_id == record_id), None)

    def image(self, record_id: str, index: int) -> bytes | None:
        """The `index`-th picture of a record, as the service serves it; None if there is none."""
        record = self.by_id(record_id)
        file = self.image_file(record, index) if record is not None else None
        return file.read_bytes() if file is not None and file.is_file() else None

    def image_file(self, record: Record, index: int) -> Path | None:
        """The file of a record's `index`-th image, if it is one of the seed's files."""
        images = record.description.images
        if not 0 <= index < len(images) or images[index].path is None:
            return None
        return self.folder / str(images[index].path)

    def compare(self, request: ObjectDescription, *, limit: int = 10) -> list[Candidate]:
        """What the register's staff find for a request: possible matches, best first.

        Staff look at the photographs as a person would -- a new photograph of a registered
        object, turned, cropped, in other light, is the same object -- so every uploaded
        photograph (inline bytes) is mapped onto every record's by local features, as provcheck
        verifies its own candidates.
        """
        photographs = [
            fingerprinted(image, variants=True) for image in request.images if image.data
        ]
        query = request.model_copy(update={"images": tuple(photographs)})
        geometry: dict[str, list[GeometricMatch]] = {}
        for number, photograph in enumerate(photographs):
            for record, theirs in self._features():
                scales = query_features(photograph)  # as taken, and halved when large
                for match in matches_at_each_scale(scales, theirs):
                    found = replace(match, photograph=number)
                    geometry.setdefault(record.key, []).append(found)
        # Staff look up what shares a word with the request, and whatever a photograph recalls;
        # the rest of the register they do not read through.
        words = _words(query)
        looked_at = [
            r for r in self.records if r.key in geometry or words & self._record_words[r.key]
        ]
        matcher = Matcher()
        ranked = matcher.rank(query, looked_at, geometry)
        return [c for c in ranked if c.score >= matcher.match_threshold][:limit]

    @functools.cached_property
    def _record_words(self) -> dict[str, frozenset[str]]:
        return {record.key: _words(record.description) for record in self.records}

    def _features(self) -> list[tuple[Record, LocalFeatures]]:
        """Every seed image's local features, computed once per process and seed file."""
        key = (str(self.folder), len(self.records))
        if key not in _SEED_FEATURES:
            _SEED_FEATURES[key] = [
                (record, features_of_bytes(path.read_bytes(), source=str(path)))
                for record in self.records
                for index in range(len(record.description.images))
                if (path := self.image_file(record, index)) is not None and path.is_file()
            ]
        return _SEED_FEATURES[key]


def _words(description: ObjectDescription) -> frozenset[str]:
    text = " ".join(
        part or ""
        for part in (
            description.title,
            description.maker_text,
            description.inscriptions,
            description.description,
            description.materials,
            description.inventory_number,
        )
    )
    return frozenset(word for word in tokens(text) if len(word) > 2)


_SEED_FEATURES: dict[tuple[str, int], list[tuple[Record, LocalFeatures]]] = {}


class IdempotencyConflict(Exception):
    """An idempotency key sent again with a different request (HTTP 409)."""


@dataclass
class IdempotencyKeys:
    """A service's memory of idempotency keys: a key sent again with the same request body names
    what it named the first time (a search, a request), which is answered again, not acted on
    twice; with another body it is a conflict."""

    _seen: dict[str, tuple[str, str]] = field(default_factory=dict)

    def known(self, key: str, body: bytes) -> str | None:
        """What `key` named, or None for a new key; `IdempotencyConflict` for another body."""
        seen = self._seen.get(key)
        if seen is None:
            return None
        if seen[0] != hashlib.sha256(body).hexdigest():
            raise IdempotencyConflict(key)
        return seen[1]

    def remember(self, key: str, body: bytes, named: str) -> None:
        self._seen[key] = (hashlib.sha256(body).hexdigest(), named)

    def submission(
        self, key: str, body: bytes, *, max_bytes: int, what: str
    ) -> str | Refusal | None:
        """What every keyed submission is checked for first: a refusal (no key, a body too large,
        the key reused for another body), or what the key named before (answer it again), or
        None for a new submission."""
        key = key.strip()
        if not key or len(key) > 200:
            return Refusal(400, "idempotency_key_required", "send an Idempotency-Key header")
        if len(body) > max_bytes:
            return Refusal(413, "too_large", f"a {what} may be {max_bytes:,} bytes")
        try:
            return self.known(key, body)
        except IdempotencyConflict:
            return Refusal(409, "idempotency_key_reused", f"that key sent a different {what}")


@dataclass(frozen=True)
class Refusal:
    """An answer a mock service gives instead of acting: its HTTP status, code and message."""

    status: int
    code: str
    message: str


@dataclass
class PollPacing:
    """How often a client may ask after one thing; asking sooner is answered 429."""

    min_interval: float
    _last: dict[str, float] = field(default_factory=dict)

    def too_soon(self, name: str, now: float) -> int | None:
        """The seconds to wait (`Retry-After`) if `name` was asked after less than
        `min_interval` ago; else None, and this time is remembered."""
        since = now - self._last.get(name, -math.inf)
        if since < self.min_interval:
            return max(1, math.ceil(self.min_interval - since))
        self._last[name] = now
        return None


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """An error as a mock service answers it: `{"error": code, "message": message}`."""
    from starlette.responses import JSONResponse

    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def read_body(read: Callable[[bytes], T], body: bytes) -> T | Response:
    """`read(body)` -- a request's body as the service reads it -- or the 422 a service answers
    a body that is not of its form (a `ValueError`, pydantic's `ValidationError` among them)."""
    try:
        return read(body)
    except ValidationError as error:
        where, problem = first_problem(error)
        return error_response(422, "invalid_request", f"{where}: {problem}")
    except ValueError as error:
        return error_response(422, "invalid_request", str(error))


class SubmitAndPollMockOptions(BaseModel):
    """The settings every mock of a service that answers later has; a plugin's mock adds its own
    (`provcheck mock serve NAME --set review_seconds=30`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review_seconds: float = Field(
        default=1.0, ge=0, description="time the register takes to answer"
    )
    min_poll_interval: float = Field(default=0.2, ge=0, description="faster polling gets 429")
    seed: Path | None = None  # the seed records' file, instead of the plugin's own


@dataclass(frozen=True)
class Submission(Generic[T]):
    """A new submission, past the checks every one gets first (`open_submission`)."""

    key: str  # its Idempotency-Key: remember it (`keys.remember`) once the submission is acted on
    body: bytes
    content: T  # the body as the service read it


class SubmitAndPollService(abc.ABC, Generic[Entry]):
    """The base of a mock service that takes a request (a search) and answers it later.

    A subclass -- usually a dataclass -- holds `seed`, `keys`, `pacing` and `clock`, sets the class
    attributes, implements `unauthorised`, `entry`, `repeated` and `progress`, and routes its own
    paths to `status`, `image` and its own submit endpoint, which starts with `open_submission`.
    """

    seed: SeedRecords
    keys: IdempotencyKeys
    pacing: PollPacing
    clock: Callable[[], float]

    noun: ClassVar[str] = "search"  # what the service calls what is submitted
    entry_parameter: ClassVar[str] = "search_id"  # the status route's path parameter
    not_found: ClassVar[str] = "no search with that id"
    max_body_bytes: ClassVar[int] = 40 * 1024 * 1024

    @abc.abstractmethod
    def unauthorised(self, request: Request) -> Response | None:
        """The refusal of a request without valid credentials; None if they are valid."""

    @abc.abstractmethod
    def entry(self, name: str) -> Entry | None:
        """The submission (a search, a request) of that id, if there is one."""

    @abc.abstractmethod
    def repeated(self, name: str) -> dict[str, Any]:
        """The answer to a submission sent again with its key: the one named `name`."""

    @abc.abstractmethod
    async def progress(self, entry: Entry, now: float) -> dict[str, Any]:
        """The status answer: where the submission is at the service's time `now`."""

    async def open_submission(
        self, request: Request, read: Callable[[bytes], T]
    ) -> Submission[T] | Response:
        """What every submission is checked for first, in order: credentials, its idempotency
        key (a key sent before is answered again, 200), its size, and its body (`read`, 422)."""
        from starlette.responses import JSONResponse, Response

        if (refused := self.unauthorised(request)) is not None:
            return refused
        key = request.headers.get("Idempotency-Key", "").strip()
        body = await request.body()
        known = self.keys.submission(key, body, max_bytes=self.max_body_bytes, what=self.noun)
        if isinstance(known, Refusal):
            return error_response(known.status, known.code, known.message)
        if known is not None:
            return JSONResponse(self.repeated(known), status_code=200)
        content = read_body(read, body)
        if isinstance(content, Response):
            return content
        return Submission(key, body, content)

    def find(self, request: Request) -> Entry | Response:
        """The submission a request's path names, or why not: no credentials (401), none (404)."""
        if (refused := self.unauthorised(request)) is not None:
            return refused
        entry = self.entry(request.path_params[self.entry_parameter])
        if entry is None:
            return error_response(404, "not_found", self.not_found)
        return entry

    async def status(self, request: Request) -> Response:
        """Where a submission is; 429 for asking after it too soon."""
        from starlette.responses import JSONResponse, Response

        entry = self.find(request)
        if isinstance(entry, Response):
            return entry
        now = self.clock()
        name = request.path_params[self.entry_parameter]
        if (wait := self.pacing.too_soon(name, now)) is not None:
            return error_response(
                429, "polling_too_fast", "poll less often", {"Retry-After": str(wait)}
            )
        return JSONResponse(await self.progress(entry, now))

    def record_json(
        self, record: Record, *, images: str, loss: str = "loss", copied: Iterable[str] = ()
    ) -> dict[str, Any]:
        """A seed record as such services give it (what `provcheck.registers.ServiceRecord`
        reads): its photographs at `{images}/{record_id}/{n}.jpg` (routed to `image`), its loss
        under the key `loss`, and the `copied` fields of its raw payload (whom to contact)."""
        raw = record.raw if isinstance(record.raw, dict) else {}
        return {
            "id": record.record_id,
            "status": record.status.value,
            "object": record.description.text_fields(),
            "images": [
                {"url": f"{images}/{record.record_id}/{n}.jpg"}
                for n, _ in enumerate(record.description.images)
            ],
            loss: {
                "date": record.date_of_loss.text if record.date_of_loss else None,
                "place": record.place_of_loss,
                "circumstances": raw.get("circumstances"),
            },
            **{name: raw.get(name) for name in copied},
        }

    async def image(self, request: Request) -> Response:
        """A record's photograph (`{record_id}/{index:int}` in the route), as the service serves it."""
        from starlette.responses import Response

        if (refused := self.unauthorised(request)) is not None:
            return refused
        data = self.seed.image(request.path_params["record_id"], request.path_params["index"])
        if data is None:
            return error_response(404, "not_found", "no such image")
        return Response(data, media_type="image/jpeg")


def find_seed(package: str, name: str, file: str = "records.jsonl") -> Path:
    """A mock's seed data: `seed/<file>` inside its plugin's `package`, which carries it in its
    distribution (a checkout's source folder and an installed wheel alike)."""
    seed = Path(str(importlib.resources.files(package))) / "seed" / file
    if seed.is_file():
        return seed
    raise InputError(f"the {name} mock's seed data ({file}) is missing; reinstall its plugin")


def parse_options(
    model: type[Options], options: Mapping[str, str] | Options | None, register: str
) -> Options:
    """A mock's own settings (`--set NAME=VALUE` as text), validated by `model`; one clear
    error if wrong."""
    if isinstance(options, model):
        return options
    try:
        return model.model_validate(dict(options or {}))
    except ValidationError as error:
        where, problem = first_problem(error)
        raise InputError(f"{register} mock: {where}: {problem}") from None


def decode_photographs(photographs: Iterable[Mapping[str, Any]]) -> list[bytes]:
    """The photographs a request uploaded (`{"data": base64}`); those given by `url` are not
    fetched -- a mock has no network. A `ValueError` names the one that is not base64."""
    found = []
    for number, photograph in enumerate(photographs, start=1):
        data = photograph.get("data")
        if data is None:
            continue
        try:
            found.append(base64.b64decode(str(data), validate=True))
        except binascii.Error:
            raise ValueError(f"photographs[{number}]: data is not base64") from None
    return found


def installed_mocks() -> dict[str, str]:
    """Mock services installed plugins ship, by register name -> "module:factory"."""
    found: dict[str, str] = {}
    for entry_point in importlib.metadata.entry_points(group=MOCK_ENTRY_POINT_GROUP):
        found.setdefault(entry_point.name, entry_point.value)
    return dict(sorted(found.items()))


def load_mock(name: str) -> MockFactory:
    """The factory of the mock service a plugin ships for register `name`."""
    for entry_point in importlib.metadata.entry_points(group=MOCK_ENTRY_POINT_GROUP):
        if entry_point.name == name:
            try:
                factory: MockFactory = entry_point.load()
            except Exception as error:  # a plugin's bug: said in one line, never a crash
                raise PluginLoadError(
                    f"the {name} mock ({entry_point.value}) failed to import: "
                    f"{type(error).__name__}: {message_of(error)}; reinstall its plugin"
                ) from None
            return factory
    names = ", ".join(installed_mocks()) or "none"
    raise InputError(f"no mock service named {name!r} is installed (installed: {names})")


def serve(app: ASGIApp, *, host: str = "127.0.0.1", port: int = 8081) -> None:
    """Run `app` as a real HTTP server until interrupted (uvicorn)."""
    try:
        import uvicorn
    except ImportError:
        raise InputError(
            "serving a mock needs uvicorn, which the register plugins depend on: "
            "`uv sync --all-packages`"
        ) from None
    # Say plainly that the port is taken before uvicorn starts and logs it its own way.
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise InputError(
            f"cannot serve on {host}:{port}: {error.strerror or error}; choose another --port"
        ) from None
    uvicorn.run(app, host=host, port=port, log_level="info", ws="none")
