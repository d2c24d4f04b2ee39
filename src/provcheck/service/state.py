"""What the service's routes share: its settings, its store and `local` register, who is asking
(the API key, its role and rate limit), and the problems every route may answer with."""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Self, TypeVar

import platformdirs
from fastapi import Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from provcheck.errors import ProvcheckError
from provcheck.registers.discovery import open_registry
from provcheck.registers.registry import Registry
from provcheck.reports.signing import SigningKey
from provcheck.service.jobs import JobRunner
from provcheck.service.keys import Role, authenticate
from provcheck.service.limits import RateLimiter
from provcheck.service.problems import PROBLEM_TYPE, Problem, ProblemError
from provcheck.service.stores import StoreInThreads
from provcheck.store.interface import Store, StoredApiKey, StoredJob
from provcheck.store.local_register import LocalRegistry
from provcheck.store.postgres import is_postgres_url

__all__ = [
    "FILE",
    "PROBLEM_RESPONSES",
    "Limit",
    "Offset",
    "Service",
    "ServiceSettings",
    "StoredView",
    "form_body",
    "located",
    "needs",
    "service_of",
]

T = TypeVar("T")


@dataclass(frozen=True)
class ServiceSettings:
    """What a service is started with: its store (records of the `local` register, API keys,
    reports), the registers a check asks when it names none (None: every installed one), the
    requests a key may make a minute, the largest request body, the key reports are signed
    with (None: unsigned), where jobs keep their files (default: `STORE.jobs/` beside the store),
    how often a pending search is asked for its answer, and how many jobs run at once."""

    store: str | Path  # a file's path, or a database's URL
    registries: tuple[str, ...] | None = None
    rate_limit: int = 600
    max_body_bytes: int = 64 * 1024 * 1024
    signing_key: SigningKey | None = field(default=None, repr=False)
    jobs_folder: Path | None = None
    poll_s: float = 60.0
    job_concurrency: int = 2

    @property
    def job_files(self) -> Path:
        """Where the files of batch jobs are kept: beside a SQLite store's file; for a database,
        in the user's data folder (a folder the workers of one machine share)."""
        if self.jobs_folder is not None:
            return self.jobs_folder
        if is_postgres_url(self.store):
            named = hashlib.sha256(str(self.store).encode()).hexdigest()[:16]
            return Path(platformdirs.user_data_dir("provcheck", appauthor=False)) / f"jobs-{named}"
        store = Path(self.store)
        return store.with_name(store.name + ".jobs")


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_TYPE: {}}, "description": description}
    for status, description in (
        (401, "no API key, or not a valid one"),
        (403, "the key's role does not allow this"),
        (429, "too many requests for this key; wait Retry-After seconds"),
    )
}


class StoredView(BaseModel):
    """What a route shows of a kept row (a dataclass of the store): the fields of the same
    names; those it does not name (a key's digest, a hook's secret) are never shown."""

    @classmethod
    def of(cls, stored: object) -> Self:
        return cls.model_validate(stored, from_attributes=True)


# A list's page: how many at most, and how many to pass over.
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


def form_body(required: str, **properties: dict[str, Any]) -> dict[str, Any]:
    """A request body sent as a multipart form with these fields (`required` among them), as
    the document gives it: what a route reads from the form itself."""
    form = {"type": "object", "required": [required], "properties": properties}
    return {"required": True, "content": {"multipart/form-data": {"schema": form}}}


FILE: dict[str, Any] = {"type": "string", "format": "binary"}


def located(status: int, what: str, *, monitor: bool = False) -> dict[int | str, dict[str, Any]]:
    """A created resource's answer as the document gives it: its `Location` (and, for a check
    that waits on a register, the `Link` to the job that takes it up)."""
    headers: dict[str, Any] = {
        "Location": {"description": f"where {what} is", "schema": {"type": "string"}}
    }
    if monitor:
        headers["Link"] = {
            "description": '`</jobs/<id>>; rel="monitor"` when a register answers later',
            "schema": {"type": "string"},
        }
    return {status: {"description": what, "headers": headers}}


@dataclass
class Service:
    """What the routes share: the settings, the store (one connection, used by one thread at a
    time), the `local` register over the same file, and the rate limits."""

    settings: ServiceSettings
    store: StoreInThreads
    local: LocalRegistry
    limiter: RateLimiter
    runner: JobRunner
    _opened: dict[str, Registry] = field(default_factory=dict)

    def register(self, name: str) -> Registry | str:
        """The register `name`, opened once for the service's life -- its throttling and
        concurrency limits hold across every request, and its connections are reused -- or its
        name when it cannot be opened (each check then says why, as a failed register)."""
        if name == "local":
            return self.local
        if name not in self._opened:
            try:
                self._opened[name] = open_registry(name)
            except ProvcheckError:
                return name
        return self._opened[name]

    async def close_registers(self) -> None:
        opened, self._opened = list(self._opened.values()), {}
        await asyncio.gather(*(r.aclose() for r in opened), return_exceptions=True)

    async def queue(self, job: StoredJob) -> StoredJob:
        """Keep a new job; the runner takes it up at once."""
        await self.in_store(lambda store: store.add_job(job))
        self.runner.wake()
        return job

    async def in_store(self, work: Callable[[Store], T]) -> T:
        """`work(store)` on a worker thread, one request at a time."""
        return await self.store.run(work)


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
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
        service = service_of(request)
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
                f"{kept.key_id}; try again in {math.ceil(wait)} s",
                headers={"Retry-After": str(math.ceil(wait))},
            )
        request.state.caller = kept
        return kept

    return caller
