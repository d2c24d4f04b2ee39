"""`provcheck serve`'s application: the check, its reports, the registers and the API keys as a
web service, with an OpenAPI document generated from the library's own pydantic models.

Every route but `/health` and the document needs an API key (`Authorization: Bearer pck_...`)
whose role allows it; every failure is an RFC 9457 problem (`provcheck.service.problems`). A
check's report is kept in the store, named by the key's holder, and given back byte for byte, so
that `provcheck verify` checks what the service returned.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Query, Request, Response, Security
from fastapi import Path as PathParameter
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import MutableHeaders, UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from provcheck._version import __version__
from provcheck.engine import DEFAULT_LIMIT, MAX_LIMIT, acheck
from provcheck.errors import first_problem
from provcheck.model.description import MAX_IMAGE_BYTES, ImageRef, ObjectDescription
from provcheck.model.report import CheckReport
from provcheck.registers.discovery import RegistryStatus, installed_registries, registry_statuses
from provcheck.registers.registry import Registry
from provcheck.reports.signing import SigningKey, configured_key, sign_report
from provcheck.service.keys import Role, authenticate, make_key, revoke_key
from provcheck.service.limits import RateLimiter
from provcheck.service.problems import (
    PROBLEM_TYPE,
    Problem,
    ProblemError,
    install_problem_handlers,
    problem,
)
from provcheck.store.interface import StoredApiKey, StoredReport
from provcheck.store.local_register import LocalRegistry, LocalSettings
from provcheck.store.mirroring import mirrors_in
from provcheck.store.sqlite import LocalStore

__all__ = [
    "MAX_PHOTOGRAPHS",
    "CheckRequest",
    "ServiceSettings",
    "app_from_environment",
    "create_app",
]

_log = logging.getLogger("provcheck.service")
_T = TypeVar("_T")

# The most photographs one check takes, and the longest a request may keep registers waiting
# (longer work belongs to jobs, not to a request held open).
MAX_PHOTOGRAPHS = 12
MAX_REQUEST_TIMEOUT_S = 600.0

# What the service's pages may load: nothing from anywhere, pictures inline, styles inline (as
# the HTML report's own policy says).
_PAGE_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

# The environment `provcheck serve` hands its settings to each worker through.
ENV_STORE = "PROVCHECK_LOCAL_PATH"
ENV_REGISTRIES = "PROVCHECK_SERVICE_REGISTRIES"
ENV_RATE_LIMIT = "PROVCHECK_SERVICE_RATE_LIMIT"
ENV_MAX_BODY = "PROVCHECK_SERVICE_MAX_BODY_BYTES"


@dataclass(frozen=True)
class ServiceSettings:
    """What a service is started with: its store (records of the `local` register, API keys,
    reports), the registers a check asks when it names none (None: every installed one), the
    requests a key may make a minute, the largest request body, and the key reports are signed
    with (None: unsigned)."""

    store: Path
    registries: tuple[str, ...] | None = None
    rate_limit: int = 600
    max_body_bytes: int = 64 * 1024 * 1024
    signing_key: SigningKey | None = field(default=None, repr=False)


class CheckRequest(BaseModel):
    """A check asked of the service: the object, and optionally which registers, how many
    records of each and how long each may take. Photographs go in `query.images` by `url` or as
    base64 `data`, or as multipart uploads beside this request (field `request`)."""

    model_config = ConfigDict(extra="forbid")

    query: ObjectDescription
    registries: list[str] | None = Field(
        default=None, max_length=50, description="register names; default: the service's"
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    timeout: float | None = Field(default=None, gt=0, le=MAX_REQUEST_TIMEOUT_S)


class ReportListed(BaseModel):
    """A kept report as `GET /checks` lists it."""

    report_id: str
    created_at: str
    conclusion: str
    requested_by: str | None
    url: str


class KeyRequest(BaseModel):
    """A key to make: who will hold it and what it may do."""

    model_config = ConfigDict(extra="forbid")

    holder: str = Field(min_length=1, max_length=200)
    role: Role


class KeyListed(BaseModel):
    """A key as listed: never the key itself, nor its digest."""

    key_id: str
    holder: str
    role: Role
    created_at: str
    revoked_at: str | None = None

    @classmethod
    def of(cls, kept: StoredApiKey) -> KeyListed:
        return cls(
            key_id=kept.key_id,
            holder=kept.holder,
            role=Role(kept.role),
            created_at=kept.created_at,
            revoked_at=kept.revoked_at,
        )


class KeyMade(KeyListed):
    """A new key, with the key itself: shown this once, kept only by its digest."""

    key: str


class Health(BaseModel):
    status: str
    version: str


_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_TYPE: {}}, "description": description}
    for status, description in (
        (401, "no API key, or not a valid one"),
        (403, "the key's role does not allow this"),
        (429, "too many requests for this key; wait Retry-After seconds"),
    )
}


class _Guard:
    """Around every request: a body larger than `limit` bytes refused, by its Content-Length or
    as it arrives (an upload is bounded before it is spooled anywhere), and the headers that
    keep a browser from guessing a response's type or telling other sites where it came from."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = (
            f"the request body is larger than {self.limit:,} bytes, the most this service "
            "takes; send fewer or smaller photographs (or ask for a larger limit)"
        )
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _send_problem(send, 413, too_large)
                return
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise ProblemError(413, too_large)
            return message

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
            await send(message)

        await self.app(scope, bounded, with_headers)


async def _send_problem(send: Send, status: int, detail: str) -> None:
    response = problem(status, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode(), v.encode()) for k, v in response.headers.items()],
        }
    )
    await send({"type": "http.response.body", "body": bytes(response.body)})


@dataclass
class _Service:
    """What the routes share: the settings, the store (one connection, used by one thread at a
    time), the `local` register over the same file, and the rate limits."""

    settings: ServiceSettings
    store: LocalStore
    local: LocalRegistry
    limiter: RateLimiter
    _using_store: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def using_store(self) -> Iterator[LocalStore]:
        with self._using_store:
            yield self.store

    async def in_store(self, work: Callable[[LocalStore], _T]) -> _T:
        def locked() -> _T:
            with self.using_store() as store:
                return work(store)

        return await asyncio.to_thread(locked)


def _service(request: Request) -> _Service:
    service: _Service = request.app.state.service
    return service


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="APIKey",
    description="an API key made by `provcheck api-key new` (or POST /keys)",
)


def needs(role: Role) -> Callable[..., Awaitable[StoredApiKey]]:
    """A dependency: the key the request came with, if it is valid, allows `role` and is within
    its rate limit; a 401, 403 or 429 problem otherwise."""

    async def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    ) -> StoredApiKey:
        service = _service(request)
        challenge = {"WWW-Authenticate": 'Bearer realm="provcheck"'}
        if credentials is None:
            raise ProblemError(
                401,
                "no API key: send one as `Authorization: Bearer pck_...` (make one with "
                "`provcheck api-key new`)",
                headers=challenge,
            )
        given = credentials.credentials
        kept = await service.in_store(lambda store: authenticate(store, given))
        if kept is None:
            raise ProblemError(401, "the API key is not valid, or was revoked", headers=challenge)
        if not Role(kept.role).allows(role):
            raise ProblemError(
                403,
                f"the key {kept.key_id} has the role {kept.role!r}; this needs {role.value!r}",
            )
        wait = service.limiter.take(kept.key_id)
        if wait is not None:
            raise ProblemError(
                429,
                f"more than {service.settings.rate_limit} requests a minute with the key "
                f"{kept.key_id}; try again in {wait:.0f} s",
                headers={"Retry-After": str(max(1, round(wait)))},
            )
        request.state.caller = kept
        return kept

    return caller


def _html_wanted(request: Request) -> bool:
    """Whether the caller asked for a page (a browser's Accept) rather than JSON."""
    accept = request.headers.get("accept", "")
    html, data = accept.find("text/html"), accept.find("application/json")
    return html >= 0 and (data < 0 or html < data)


def _invalid(error: ValidationError, what: str) -> ProblemError:
    where, problem = first_problem(error)
    return ProblemError(422, f"{what} field {where or 'as a whole'}: {problem}")


async def _uploaded(photo: UploadFile) -> ImageRef:
    """An uploaded photograph as an image of the query, captioned with its file's name."""
    data = await photo.read(MAX_IMAGE_BYTES + 1)
    name = (photo.filename or "photograph")[:200]
    if len(data) > MAX_IMAGE_BYTES:
        raise ProblemError(
            413, f"photo {name!r}: larger than {MAX_IMAGE_BYTES:,} bytes, the most one takes"
        )
    if not data:
        raise ProblemError(422, f"photo {name!r}: the file is empty")
    return ImageRef(data=data, caption=name)


async def _check_request(request: Request) -> CheckRequest:
    """The check asked: a JSON `CheckRequest`, or a multipart form of one (field `request`)
    with photographs (files `photo`)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    uploaded: list[ImageRef] = []
    if kind == "multipart/form-data":
        # Read whole, then the spooled files closed, whatever is wrong with the request.
        async with request.form(max_files=MAX_PHOTOGRAPHS, max_fields=10) as form:
            text = form.get("request")
            for photo in form.getlist("photo"):
                if isinstance(photo, UploadFile):
                    uploaded.append(await _uploaded(photo))
        if not isinstance(text, str):
            raise ProblemError(
                422,
                "the form has no `request` field: send the CheckRequest as JSON text in a field "
                "named `request`, and the photographs as files named `photo`",
            )
        body = text.encode("utf-8")
    elif kind in ("application/json", ""):
        body = await request.body()
    else:
        raise ProblemError(
            415, f"content type {kind[:60]!r}: send application/json or multipart/form-data"
        )
    try:
        asked = CheckRequest.model_validate_json(body)
    except ValidationError as error:
        raise _invalid(error, "request") from None
    for number, image in enumerate(asked.query.images):
        if image.path is not None:
            raise ProblemError(
                422,
                f"request field query.images.{number}.path: the service reads no files of its "
                "own machine; send the photograph as an upload (`photo`), as base64 `data`, or "
                "by its http(s) `url`",
            )
    if len(asked.query.images) + len(uploaded) > MAX_PHOTOGRAPHS:
        raise ProblemError(
            422, f"more than {MAX_PHOTOGRAPHS} photographs in one check: send the best of them"
        )
    if uploaded:
        query = asked.query.model_copy(update={"images": (*asked.query.images, *uploaded)})
        asked = asked.model_copy(update={"query": query})
    return asked


def _report_response(text: str, request: Request, *, status: int = 200) -> Response:
    headers = {"Cache-Control": "no-store"}
    if _html_wanted(request):
        page = CheckReport.model_validate_json(text).to_html()
        return HTMLResponse(
            page, status_code=status, headers={**headers, "Content-Security-Policy": _PAGE_POLICY}
        )
    return Response(text, status_code=status, media_type="application/json", headers=headers)


def create_app(settings: ServiceSettings) -> FastAPI:
    """The service over `settings.store` (made if there is none)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = LocalStore(settings.store)
        local = LocalRegistry(store=LocalStore(settings.store))
        app.state.service = _Service(settings, store, local, RateLimiter(settings.rate_limit))
        try:
            yield
        finally:
            await local.aclose()
            local.store.close()
            store.close()

    app = FastAPI(
        title="provcheck",
        version=__version__,
        summary="Check an object against the registers of stolen and missing cultural property.",
        lifespan=lifespan,
    )
    install_problem_handlers(app)

    @app.get("/health", tags=["service"])
    async def health() -> Health:
        """Whether the service is up (no key needed)."""
        return Health(status="ok", version=__version__)

    @app.post(
        "/checks",
        tags=["checks"],
        status_code=201,
        response_model=CheckReport,
        responses={
            **_PROBLEMS,
            201: {"content": {"text/html": {}}, "description": "the report"},
            413: {"model": Problem, "description": "the request is too large"},
            422: {"model": Problem, "description": "the request says something that cannot be"},
        },
        openapi_extra={"requestBody": _check_body()},
    )
    async def post_check(
        request: Request, caller: Annotated[StoredApiKey, Depends(needs(Role.CHECK))]
    ) -> Response:
        """Check an object against the registers. The report is kept: `GET /checks/{id}` gives
        it again, as JSON or (`Accept: text/html`) as a page."""
        service = _service(request)
        asked = await _check_request(request)
        names = asked.registries or list(
            service.settings.registries
            if service.settings.registries is not None
            else installed_registries()
        )
        chosen: list[str | Registry] = [service.local if n == "local" else n for n in names]
        report = await acheck(asked.query, chosen, limit=asked.limit, timeout=asked.timeout)
        report = report.model_copy(
            update={"requested_by": f"{caller.holder} (API key {caller.key_id})"}
        ).sealed()
        if service.settings.signing_key is not None:
            report = sign_report(report, service.settings.signing_key)
        text = report.to_json()
        kept = StoredReport(
            report.report_id,
            report.created_at.isoformat(),
            report.conclusion.value,
            report.requested_by,
        )
        await service.in_store(lambda store: store.put_report(kept, text))
        _log.info("check %s by key %s: %s", report.report_id, caller.key_id, report.conclusion)
        response = _report_response(text, request, status=201)
        response.headers["Location"] = f"/checks/{report.report_id}"
        return response

    @app.get("/checks", tags=["checks"], responses=_PROBLEMS)
    async def list_checks(
        request: Request,
        _: Annotated[StoredApiKey, Depends(needs(Role.READ))],
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> list[ReportListed]:
        """The kept reports, newest first."""
        kept = await _service(request).in_store(
            lambda store: store.reports(limit=limit, offset=offset)
        )
        return [
            ReportListed(
                report_id=r.report_id,
                created_at=r.created_at,
                conclusion=r.conclusion,
                requested_by=r.requested_by,
                url=f"/checks/{r.report_id}",
            )
            for r in kept
        ]

    @app.get(
        "/checks/{report_id}",
        tags=["checks"],
        response_model=CheckReport,
        responses={
            **_PROBLEMS,
            200: {"content": {"text/html": {}}, "description": "the report"},
            404: {"model": Problem, "description": "no such report"},
        },
    )
    async def get_check(
        request: Request,
        report_id: Annotated[str, PathParameter(max_length=100)],
        _: Annotated[StoredApiKey, Depends(needs(Role.READ))],
    ) -> Response:
        """A kept report, byte for byte as it was made (JSON), or as a page."""
        text = await _service(request).in_store(lambda store: store.report_json(report_id))
        if text is None:
            raise ProblemError(404, f"there is no report {report_id[:100]!r} here")
        return _report_response(text, request)

    @app.get("/registers", tags=["registers"], responses=_PROBLEMS)
    async def list_registers(
        request: Request, _: Annotated[StoredApiKey, Depends(needs(Role.READ))]
    ) -> list[RegistryStatus]:
        """The installed registers: whether their settings are complete, how each is reached,
        how fresh its data is."""
        service = _service(request)
        mirrors = await service.in_store(mirrors_in)
        return list(await asyncio.to_thread(registry_statuses, mirrors))

    @app.get("/keys", tags=["keys"], responses=_PROBLEMS)
    async def list_keys(
        request: Request, _: Annotated[StoredApiKey, Depends(needs(Role.ADMINISTER))]
    ) -> list[KeyListed]:
        """Every key, revoked ones too (never a key itself)."""
        kept = await _service(request).in_store(lambda store: store.api_keys())
        return [KeyListed.of(k) for k in kept]

    @app.post("/keys", tags=["keys"], status_code=201, responses=_PROBLEMS)
    async def post_key(
        request: Request,
        asked: KeyRequest,
        _: Annotated[StoredApiKey, Depends(needs(Role.ADMINISTER))],
    ) -> KeyMade:
        """Make a key; the response holds it, this once."""
        kept, key = await _service(request).in_store(
            lambda store: make_key(store, asked.holder, asked.role)
        )
        return KeyMade(**KeyListed.of(kept).model_dump(), key=key)

    @app.delete(
        "/keys/{key_id}",
        tags=["keys"],
        responses={**_PROBLEMS, 400: {"model": Problem, "description": "no such key"}},
    )
    async def delete_key(
        request: Request,
        key_id: Annotated[str, PathParameter(max_length=100)],
        _: Annotated[StoredApiKey, Depends(needs(Role.ADMINISTER))],
    ) -> KeyListed:
        """Revoke a key: it is refused from then on."""
        kept = await _service(request).in_store(lambda store: revoke_key(store, key_id))
        return KeyListed.of(kept)

    app.openapi = lambda: _document(app)  # type: ignore[method-assign]
    app.add_middleware(_Guard, limit=settings.max_body_bytes)
    return app


def _check_body() -> dict[str, Any]:
    """`POST /checks`'s body: a `CheckRequest` as JSON, or as a multipart form of it and its
    photographs. The schema is the model's (added to the document's components below)."""
    reference = {"$ref": "#/components/schemas/CheckRequest"}
    return {
        "required": True,
        "content": {
            "application/json": {"schema": reference},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["request"],
                    "properties": {
                        "request": {
                            "type": "string",
                            "description": "the CheckRequest, as JSON text",
                        },
                        "photo": {
                            "type": "array",
                            "maxItems": MAX_PHOTOGRAPHS,
                            "items": {"type": "string", "format": "binary"},
                        },
                    },
                }
            },
        },
    }


def _document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, made once: FastAPI's, with `CheckRequest` (read by the route itself,
    to take JSON and multipart alike) among its schemas."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            routes=app.routes,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        check = CheckRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, schema in check.pop("$defs", {}).items():
            schemas.setdefault(name, schema)
        schemas["CheckRequest"] = check
        app.openapi_schema = document
    return app.openapi_schema


def app_from_environment() -> FastAPI:
    """The service as `provcheck serve` starts it in each worker, from the settings it put in
    the environment (the store from PROVCHECK_LOCAL_PATH, as everywhere; the signing key from
    PROVCHECK_SIGNING_KEY or the default key file, as for the command line)."""
    registries = os.environ.get(ENV_REGISTRIES, "").strip()
    return create_app(
        ServiceSettings(
            store=LocalSettings.load("local").store_path(),
            registries=tuple(n for n in registries.split(",") if n) if registries else None,
            rate_limit=int(os.environ.get(ENV_RATE_LIMIT, "600")),
            max_body_bytes=int(os.environ.get(ENV_MAX_BODY, str(64 * 1024 * 1024))),
            signing_key=configured_key(),
        )
    )
