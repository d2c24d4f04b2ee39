"""`provcheck serve`'s application: checks, reports, registers and API keys as a web service,
with an OpenAPI document generated from the library's own pydantic models.

Every route but `/health` and the document needs an API key (`Authorization: Bearer pck_...`)
whose role allows it (`provcheck.service.state.needs`); every failure is an RFC 9457 problem
(`provcheck.service.problems`). A check's report is kept in the store, names the key's holder,
and is given back byte for byte, so that `provcheck verify` checks what the service returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from provcheck._version import __version__
from provcheck.reports.signing import configured_key
from provcheck.service.jobs import JobRunner
from provcheck.service.limits import RateLimiter
from provcheck.service.problems import (
    PROBLEM_TYPE,
    ProblemError,
    install_problem_handlers,
    problem_response,
)
from provcheck.service.routes import (
    batches,
    cases,
    checks,
    hooks,
    jobs,
    keys,
    local,
    registers,
    staff,
)
from provcheck.service.routes.batches import BatchOptions
from provcheck.service.routes.checks import CheckRequest
from provcheck.service.state import Service, ServiceSettings
from provcheck.service.stores import StoreInThreads
from provcheck.service.watches import check_watches
from provcheck.service.webhooks import Deliverer, announce_job
from provcheck.service.work import batch_work, mirror_work, resume_work
from provcheck.store.interface import Store, StoredJob
from provcheck.store.local_register import LocalRegistry, LocalSettings
from provcheck.store.opening import open_store

__all__ = [
    "ENV_MAX_BODY",
    "ENV_RATE_LIMIT",
    "ENV_REGISTRIES",
    "ENV_STORE",
    "app_from_environment",
    "create_app",
]

# The environment `provcheck serve` hands its settings to each worker through.
ENV_STORE = "PROVCHECK_LOCAL_PATH"
ENV_REGISTRIES = "PROVCHECK_SERVICE_REGISTRIES"
ENV_RATE_LIMIT = "PROVCHECK_SERVICE_RATE_LIMIT"
ENV_MAX_BODY = "PROVCHECK_SERVICE_MAX_BODY_BYTES"
ENV_JOBS_FOLDER = "PROVCHECK_SERVICE_JOBS_FOLDER"


class Health(BaseModel):
    status: str
    version: str


# What the service's pages may load: nothing from anywhere, no script, pictures and styles inline
# (as the HTML report's own policy says), forms sent only to the service, never framed.
PAGE_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_DOCS = ("/docs", "/docs/oauth2-redirect", "/redoc")


class _Guard:
    """Around every request: a body larger than `limit` bytes refused, by its Content-Length or
    as it arrives (an upload is bounded before it is spooled anywhere), and the headers every
    answer carries: no guessing its type, no telling other sites where it came from, no cache,
    and for a page, the policy that lets it run and load nothing."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                # Reports, keys and secrets are no one else's: kept by no cache on the way.
                headers.setdefault("Cache-Control", "no-store")
                # Every page the service makes runs nothing and loads nothing (FastAPI's own
                # interactive docs load their scripts from its CDN: theirs is the default).
                page = headers.get("content-type", "").startswith("text/html")
                if page and scope.get("path") not in _DOCS:
                    headers.setdefault("Content-Security-Policy", PAGE_POLICY)
            await send(message)

        too_large = (
            f"the request body is larger than {self.limit:,} bytes, the most this service "
            "takes; send fewer or smaller photographs (or ask for a larger limit)"
        )
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                page = str(scope.get("path", "")).startswith("/ui/")
                refusal = (
                    staff.problem_page(413, too_large) if page else problem_response(413, too_large)
                )
                await refusal(scope, receive, with_headers)
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

        await self.app(scope, bounded, with_headers)


class _NoKeysInLogs(logging.Filter):
    """A key sent where it does not belong (`/checks?api_key=pck_...`) would be written by the
    access log with the address: every log line is written without it."""

    _KEY = re.compile(r"pck_[A-Za-z0-9_-]{6,}")

    def filter(self, record: logging.LogRecord) -> bool:
        line = record.getMessage()
        if self._KEY.search(line):
            record.msg, record.args = self._KEY.sub("pck_<withheld>", line), ()
        return True


def _keep_keys_out_of_logs() -> None:
    for name in ("uvicorn.access", "uvicorn.error", "provcheck.service"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoKeysInLogs) for f in logger.filters):
            logger.addFilter(_NoKeysInLogs())


_log = logging.getLogger("provcheck.service")

# How often a worker looks whether the local store's records changed (another worker's import,
# a mirror's sync) and reads its search indexes again ahead of the next check.
_PREPARE_EVERY_S = 30.0


async def _keep_search_ready(local: LocalRegistry) -> None:
    """The local store's search indexes read at the start and again after each change, on a
    worker thread: a photograph check does not wait seconds while the image index is built."""
    while True:
        try:
            await local.using_store(lambda store: store.prepare_search())
        except Exception as error:  # a store that cannot be read: each check says why
            _log.warning("the local store's search indexes could not be read: %s", error)
        await asyncio.sleep(_PREPARE_EVERY_S)


def _collect_garbage_for_a_service() -> None:
    """A check allocates tens of thousands of short-lived objects: at Python's default
    threshold the collector ran several times a check, and every few hundred checks a full
    collection held a worker for a quarter of a second -- the tail of the service's latency
    (`benchmarks/service.py`). Collected less often, and what the worker loaded as it started
    is no longer traversed at all. (For the served process only: not for a program that
    embeds the app, whose collector is its own.)"""
    gc.set_threshold(10_000, 20, 20)
    gc.collect()
    gc.freeze()


def create_app(settings: ServiceSettings) -> FastAPI:
    """The service over `settings.store` (made if there is none)."""
    _keep_keys_out_of_logs()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = StoreInThreads(settings.store)
        local = LocalRegistry(store=open_store(settings.store))
        deliverer = Deliverer(settings.store)
        key = settings.signing_key

        async def after_sync(store: Store, registry: str, since: str) -> dict[str, Any]:
            return await check_watches(store, registry, since, key)

        async def finished(job: StoredJob) -> None:
            await service.in_store(lambda store: announce_job(store, job))
            deliverer.wake()

        runner = JobRunner(
            settings.store,
            {
                "batch": batch_work(settings.job_files, settings.store, key),
                "mirror": mirror_work(after_sync),
                "resume": resume_work(settings.poll_s, key),
            },
            concurrency=settings.job_concurrency,
            finished=finished,
        )
        service = Service(settings, store, local, RateLimiter(settings.rate_limit), runner)
        app.state.service = service
        tasks = [
            asyncio.create_task(runner.run()),
            asyncio.create_task(deliverer.run()),
            asyncio.create_task(_keep_search_ready(local)),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await service.close_registers()
            # A cancelled task's thread may still be reading the indexes: closed after it.
            await asyncio.to_thread(local.close_given_store)
            store.close()

    app = FastAPI(
        title="provcheck",
        version=__version__,
        summary="Check an object against the registers of stolen and missing cultural property.",
        lifespan=lifespan,
    )
    install_problem_handlers(app, pages=("/ui/", staff.problem_page))

    @app.exception_handler(staff.SignInNeeded)
    async def _sign_in(request: Request, error: staff.SignInNeeded) -> Response:
        return RedirectResponse("/ui/sign-in", status_code=303)

    @app.get("/", include_in_schema=False)
    @app.get("/ui", include_in_schema=False)
    async def _page() -> Response:
        return RedirectResponse("/ui/", status_code=307)

    @app.get("/health", tags=["service"])
    async def health() -> Health:
        """Whether the service is up (no key needed)."""
        return Health(status="ok", version=__version__)

    for routes in (checks, batches, cases, jobs, local, registers, hooks, keys, staff):
        app.include_router(routes.router)
    app.openapi = lambda: _document(app)  # type: ignore[method-assign]
    app.add_middleware(_Guard, limit=settings.max_body_bytes)
    return app


def _document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, made once: FastAPI's, with `CheckRequest` (read by the route itself,
    to take JSON and multipart alike) among its schemas, and every refusal -- a request that is
    not valid included -- described as the problem it is answered with."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            routes=app.routes,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in (CheckRequest, BatchOptions):
            _add_input_schema(schemas, model)
        problem = {"$ref": "#/components/schemas/Problem"}
        for operation in (op for path in document["paths"].values() for op in path.values()):
            for status, answer in operation.get("responses", {}).items():
                if status[0] in "45":
                    answer["content"] = {PROBLEM_TYPE: {"schema": problem}}
        for fastapi_own in ("HTTPValidationError", "ValidationError"):
            schemas.pop(fastapi_own, None)
        app.openapi_schema = document
    return app.openapi_schema


def _add_input_schema(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    """`model`'s schema as input (what a request may say) among `schemas`, with the models it
    holds; one that reads otherwise as input than as output (a description takes a maker, a
    period and measurements as written) under its name and `-Input`."""
    marker = "__INPUT__"
    given = model.model_json_schema(ref_template="#/components/schemas/{model}" + marker)
    defs = {**given.pop("$defs", {}), model.__name__: given}
    # FastAPI's own convention: `Name-Input` where a model reads otherwise as input.
    names = {
        name: name
        if schemas.get(name, schema) == schema and f"{name}-Input" not in schemas
        else f"{name}-Input"
        for name, schema in defs.items()
    }
    text = json.dumps(defs)
    for name, kept_as in names.items():
        text = text.replace(f'/{name}{marker}"', f'/{kept_as}"')
    for name, schema in json.loads(text).items():
        schemas[names[name]] = schema


def app_from_environment() -> FastAPI:
    """The service as `provcheck serve` starts it in each worker, from the settings it put in
    the environment (the store from PROVCHECK_LOCAL_PATH, as everywhere; the signing key from
    PROVCHECK_SIGNING_KEY or the default key file, as for the command line)."""
    registries = os.environ.get(ENV_REGISTRIES, "").strip()
    _collect_garbage_for_a_service()
    return create_app(
        ServiceSettings(
            store=LocalSettings.load("local").store_location(),
            registries=tuple(n for n in registries.split(",") if n) if registries else None,
            rate_limit=int(os.environ.get(ENV_RATE_LIMIT, "600")),
            max_body_bytes=int(os.environ.get(ENV_MAX_BODY, str(64 * 1024 * 1024))),
            signing_key=configured_key(),
            jobs_folder=Path(folder) if (folder := os.environ.get(ENV_JOBS_FOLDER)) else None,
        )
    )
