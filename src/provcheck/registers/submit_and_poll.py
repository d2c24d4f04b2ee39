"""A base for registers whose service answers later: submit a search, then poll until a person
answers it.

Some registers are searched by people: the service takes the request (perhaps for a fee), staff
compare it with the register, and the answer comes minutes or days later. A plugin for one
subclasses `SubmitAndPollRegistry` and writes only what its service does its own way -- the
request's payload, the status answer's model, how an answer becomes records or documents -- while
the base does what every such register must get right:

- it submits once, with an idempotency key derived from the request, so that a retry, a second
  run of the check or a resumed report never pays or asks twice;
- it polls within the deadline and the check's time budget, and a search still unanswered then,
  or a service out of reach after it accepted the search, becomes `SearchPending` with a handle;
- `resume` takes a pending search up again from that handle, refusing a handle that is not one;
- records carry the service's images, which `image_bytes` fetches only from the service itself.
"""

from __future__ import annotations

import abc
import asyncio
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from provcheck.errors import ConfigurationError, RejectedQueryError, SearchPending
from provcheck.model.description import ImageRef, ObjectDescription
from provcheck.model.record import Record, RecordStatus
from provcheck.registers.http import (
    HttpSession,
    RetryPolicy,
    pending_if_unreachable,
    poll,
)
from provcheck.registers.registry import (
    Registry,
    RegistrySettings,
    SearchResult,
    collect_records,
    env_var_name,
)

__all__ = [
    "Loss",
    "ServiceImage",
    "ServiceRecord",
    "SubmitAndPollRegistry",
    "SubmitAndPollSettings",
]

Status = TypeVar("Status", bound=BaseModel)

# What a subclass must declare: class attributes without a default.
_DECLARED = ("submit_path", "handle_pattern", "final_states", "status_model")


class SubmitAndPollSettings(RegistrySettings):
    """What every register of this kind is configured with; a plugin adds its credentials and
    whatever its requests need."""

    base_url: str = Field(description="the service, e.g. https://api.example.org")
    poll_interval: float = Field(default=2.0, gt=0, description="first wait between polls, s")
    deadline: float = Field(
        default=45.0, ge=0, description="seconds to wait for an answer before the search is pending"
    )
    # People answer these searches: a check waits longer than for a register that answers at once.
    timeout: float = Field(default=90.0, gt=0)


class ServiceImage(BaseModel):
    url: str


class Loss(BaseModel):
    date: str | None = None
    place: str | None = None


class ServiceRecord(BaseModel):
    """One record as such services give it: an id, a status, the object's Object ID fields, its
    images and when and where it was lost. Unknown fields are ignored (services add fields); a
    plugin whose service names the loss otherwise subclasses it (`Field(alias="stolen")`)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    status: str = "unknown"
    object: dict[str, str]
    images: list[ServiceImage] = []
    loss: Loss = Loss()


class SubmitAndPollRegistry(Registry, Generic[Status]):
    """A register searched by submitting a request that its service answers later.

    A subclass sets the class attributes below and `status_model` (the pydantic model of the
    service's status answer), and implements `request_body`, `search_id`, `state`, `outcome` and
    `account_key`. It may override `headers` (credentials sent with every request), `request`
    (a token to renew), `submit` (to explain refusals) and `send_reply` (a register that asks
    questions).
    """

    Settings: ClassVar[type[RegistrySettings]] = SubmitAndPollSettings
    settings: SubmitAndPollSettings

    # Searches are submitted by POST to `submit_path`; each one's status is at `status_path(id)`.
    submit_path: ClassVar[str]
    # The pending search's handle is `{handle_key: id}`; an id must match `handle_pattern`
    # (it goes into the URL of every poll: no slashes beyond the pattern's, no dot segments).
    handle_key: ClassVar[str] = "search_id"
    handle_pattern: ClassVar[re.Pattern[str]]
    # The states (`state`) in which polling stops: answered, refused, or waiting for a person.
    final_states: ClassVar[frozenset[str]]
    # For messages: "alr: search S-1 was submitted", "... is in review with the register's staff".
    noun: ClassVar[str] = "search"
    accepted_as: ClassVar[str] = "submitted"
    answered_by: ClassVar[str] = "the register's staff"
    status_model: type[Status]

    def __init__(self, settings: SubmitAndPollSettings | None = None, /, **options: Any) -> None:
        missing = [name for name in _DECLARED if not hasattr(self, name)]
        if missing:  # said when the register is opened, not as an AttributeError in a check
            raise TypeError(
                f"{type(self).__qualname__} must set {', '.join(missing)} "
                "(see provcheck.registers.SubmitAndPollRegistry)"
            )
        super().__init__(settings, **options)
        self.http = HttpSession(
            registry=self.name,
            base_url=self.settings.base_url,
            headers={"Accept": "application/json", **self.headers()},
            retry=RetryPolicy(attempts=5, max_wait=30.0),
            transport=self.transport,
            secrets=self.settings.secret_values(),
        )

    # -- what a plugin writes ----------------------------------------------------------------

    @abc.abstractmethod
    def request_body(self, query: ObjectDescription) -> dict[str, Any]:
        """The JSON the service takes for a search (run in a thread: photographs are read)."""

    @abc.abstractmethod
    def search_id(self, status: Status) -> str:
        """The id the service gave the search, from its status answer."""

    @abc.abstractmethod
    def state(self, status: Status) -> str:
        """What the service says the search is ("queued", "in_review", "completed")."""

    @abc.abstractmethod
    def outcome(self, search_id: str, status: Status, *, limit: int) -> SearchResult:
        """A finished search's records and documents (`search_id`: the one polled); a refusal raises a `RegistryError`, a
        question `SearchPending` (see `still_pending`)."""

    @abc.abstractmethod
    def account_key(self) -> str:
        """Who searches (an account, a client id; a hash if it is a secret): part of every
        idempotency key, so that another account's identical search is its own."""

    def headers(self) -> Mapping[str, str]:
        """Headers sent with every request (an API key)."""
        return {}

    def submission_key(self, query: ObjectDescription) -> str:
        """The idempotency key of the search for `query`: the same object, described the same
        way, from the same account, is the same search."""
        return self.idempotency_key(query.digest())

    async def send_reply(self, search_id: str, reply: str) -> None:
        """Send a person's answer to the register's question; registers that ask none ignore it."""

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request to the service (`HttpSession.request`); override to add a token."""
        return await self.http.request(method, url, **kwargs)

    def status_path(self, search_id: str) -> str:
        return f"{self.submit_path}/{search_id}"

    def finished(self, status: Status) -> bool:
        return self.state(status) in self.final_states

    # -- the workflow ------------------------------------------------------------------------

    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        return await self.wait_for(await self.submit(query), limit=limit)

    async def submit(self, query: ObjectDescription) -> str:
        """Submit the search once (a repeat with the same key is the same search, unpaid); its id."""
        body = await asyncio.to_thread(self.request_body, query)
        response = await self.request(
            "POST",
            self.submit_path,
            json=body,
            headers={"Idempotency-Key": self.submission_key(query)},
            idempotent=True,  # the key makes a repeated submission the same search
        )
        return self.search_id(self.http.parse_model(self.status_model, response))

    async def resume(
        self, handle: Mapping[str, JsonValue], *, limit: int, reply: str | None = None
    ) -> Sequence[Record]:
        search_id = handle.get(self.handle_key)
        if not isinstance(search_id, str) or not self.handle_pattern.fullmatch(search_id):
            raise RejectedQueryError(
                f"{self.name}: the pending {self.noun}'s handle has no valid {self.handle_key} "
                f"({search_id!r})"
            )
        if not self.settings.base_url:
            # Submitted to a service once; without its address now, nothing can be asked.
            raise ConfigurationError(
                f"{self.name}: the pending {self.noun} {search_id} was submitted to a service, "
                "and no service address is set; set "
                f"{env_var_name(self.name, 'base_url')} to the address it was submitted to, "
                "then resume again"
            )
        if reply:
            await self.send_reply(search_id, reply)
        return await self.wait_for(search_id, limit=limit)

    async def wait_for(self, search_id: str, *, limit: int) -> SearchResult:
        """Poll the search until it is finished, the deadline passes or the check's time budget
        runs out; its outcome, or `SearchPending` with the handle that takes it up again."""

        async def fetch() -> Status:
            response = await self.request("GET", self.status_path(search_id))
            return self.http.parse_model(self.status_model, response)

        accepted = f"{self.name}: {self.noun} {search_id} was {self.accepted_as}"
        with pending_if_unreachable(accepted, handle=self.handle(search_id)):
            status = await poll(
                fetch,
                self.finished,
                interval=self.settings.poll_interval,
                deadline=self.settings.deadline,
            )
        if not self.finished(status):
            raise self.still_pending(search_id, self.state(status))
        return self.outcome(search_id, status, limit=limit)

    def handle(self, search_id: str) -> dict[str, JsonValue]:
        return {self.handle_key: search_id}

    def still_pending(self, search_id: str, state: str) -> SearchPending:
        """The signal for a search still with the register at the deadline (`state`: what the
        service says it is, e.g. "in_review")."""
        return SearchPending(
            f"{self.name}: {self.noun} {search_id} is {state.replace('_', ' ')} with "
            f"{self.answered_by} after {self.settings.deadline:g} s; resume it later",
            handle=self.handle(search_id),
        )

    # -- records and images ------------------------------------------------------------------

    def records(
        self,
        matches: Sequence[Mapping[str, JsonValue]],
        *,
        limit: int,
        label: str,
        documents: Mapping[str, JsonValue],
    ) -> SearchResult:
        """The first `limit` matches as records (each read by `record`), a warning for each that
        is not one (`label` names where they came from), and the documents the report keeps."""
        records, warnings = collect_records(
            matches[:limit], self.record, label=lambda n: f"match {n} of {label}"
        )
        return SearchResult(tuple(records), warnings=tuple(warnings), documents=documents)

    def record(self, match: Mapping[str, JsonValue]) -> Record:
        """A match as a `Record`, the service's payload kept whole in `raw`. By default the match
        is a `ServiceRecord`; override to read it from elsewhere in the match."""
        return self.service_record(ServiceRecord.model_validate(match), match)

    def service_record(self, found: ServiceRecord, match: Mapping[str, JsonValue]) -> Record:
        images = [
            ImageRef(url=url) for image in found.images if (url := self.http.resolve(image.url))
        ]
        return Record(
            registry=self.name,
            record_id=found.id,
            status=RecordStatus.parse(found.status),
            description=ObjectDescription.model_validate({**found.object, "images": images}),
            date_of_loss=found.loss.date,  # parsed by the model
            place_of_loss=found.loss.place,
            raw=dict(match),
        )

    async def image_bytes(self, image: ImageRef) -> bytes | None:
        # Only the service's own images: its credentials must never go to another host.
        if image.url is None or not self.http.owns(image.url):
            return image.data
        response = await self.request("GET", image.url)
        return response.content

    def idempotency_key(self, *parts: str) -> str:
        # The same request from the same account is the same request: a retry after a dropped
        # answer, a second run of the check, a batch run twice.
        joined = "\n".join([self.account_key(), *parts])
        return "provcheck-" + hashlib.sha256(joined.encode()).hexdigest()[:40]

    async def aclose(self) -> None:
        await self.http.aclose()
