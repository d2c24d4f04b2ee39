"""`/hooks`: webhooks, made and removed by an administrator, and each one's deliveries."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParameter
from pydantic import BaseModel, ConfigDict, Field

from provcheck.service.jobs import now_text
from provcheck.service.keys import Role
from provcheck.service.problems import Problem, ProblemError
from provcheck.service.state import PROBLEM_RESPONSES, Limit, StoredView, located, needs, service_of
from provcheck.service.webhooks import EVENTS, make_hook
from provcheck.service.work import holder_of
from provcheck.store.interface import StoredApiKey

__all__ = ["router"]

router = APIRouter(tags=["hooks"])

Event = Literal["job.finished", "check.answered", "watch.alert"]
assert set(Event.__args__) == set(EVENTS)  # type: ignore[attr-defined]


class HookRequest(BaseModel):
    """Where to POST, and which events: `job.finished`, `check.answered`, `watch.alert`."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000)
    events: list[Event] = Field(min_length=1, max_length=len(EVENTS))


class HookListed(StoredView):
    """A webhook as listed: never its secret."""

    hook_id: str
    url: str
    events: list[str]
    created_at: str
    created_by: str | None


class HookMade(HookListed):
    """A new webhook with its secret, shown this once: it signs every delivery
    (`Provcheck-Signature: t=...,v1=<HMAC-SHA256 of "t.body">`)."""

    secret: str


class DeliveryListed(StoredView):
    """A delivery and how it went."""

    delivery_id: str
    event: str
    state: str
    created_at: str
    attempts: int
    next_attempt_at: str
    last_status: int | None
    last_error: str | None
    delivered_at: str | None


@router.post(
    "/hooks",
    status_code=201,
    responses={
        **PROBLEM_RESPONSES,
        **located(201, "the hook's deliveries"),
        400: {"model": Problem, "description": "not an address"},
    },
)
async def post_hook(
    request: Request,
    response: Response,
    asked: HookRequest,
    caller: Annotated[StoredApiKey, Depends(needs(Role.ADMINISTER))],
) -> HookMade:
    """Register a webhook; the response holds its secret, this once."""
    hook, secret = await service_of(request).in_store(
        lambda store: make_hook(store, asked.url, asked.events, holder_of(caller))
    )
    response.headers["Location"] = f"/hooks/{hook.hook_id}/deliveries"
    return HookMade(**HookListed.of(hook).model_dump(), secret=secret)


@router.get("/hooks", responses=PROBLEM_RESPONSES)
async def list_hooks(
    request: Request, _: Annotated[StoredApiKey, Depends(needs(Role.ADMINISTER))]
) -> list[HookListed]:
    """The webhooks (never their secrets)."""
    hooks = await service_of(request).in_store(lambda store: store.hooks())
    return [HookListed.of(hook) for hook in hooks]


@router.delete(
    "/hooks/{hook_id}",
    status_code=204,
    responses={**PROBLEM_RESPONSES, 404: {"model": Problem, "description": "no such hook"}},
)
async def delete_hook(
    request: Request,
    hook_id: Annotated[str, PathParameter(max_length=100)],
    _: Annotated[StoredApiKey, Depends(needs(Role.ADMINISTER))],
) -> Response:
    """Remove a webhook: nothing more is sent to it."""
    removed = await service_of(request).in_store(
        lambda store: store.remove_hook(hook_id, now_text())
    )
    if not removed:
        raise ProblemError(404, f"there is no webhook {hook_id[:100]!r} here")
    return Response(status_code=204)


@router.get(
    "/hooks/{hook_id}/deliveries",
    responses={**PROBLEM_RESPONSES, 404: {"model": Problem, "description": "no such hook"}},
)
async def hook_deliveries(
    request: Request,
    hook_id: Annotated[str, PathParameter(max_length=100)],
    _: Annotated[StoredApiKey, Depends(needs(Role.ADMINISTER))],
    limit: Limit = 50,
) -> list[DeliveryListed]:
    """The hook's deliveries, newest first: each one's state, attempts and last answer."""
    service = service_of(request)
    hooks = await service.in_store(lambda store: store.hooks())
    if hook_id not in {h.hook_id for h in hooks}:
        raise ProblemError(404, f"there is no webhook {hook_id[:100]!r} here")
    found = await service.in_store(lambda store: store.deliveries(hook_id, limit=limit))
    return [DeliveryListed.of(d) for d in found]
