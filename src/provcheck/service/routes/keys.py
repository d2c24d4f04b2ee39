"""`/keys`: the API keys, made, listed and revoked by an administrator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParameter
from pydantic import BaseModel, ConfigDict, Field

from provcheck.service.keys import Role, make_key, revoke_key
from provcheck.service.problems import Problem
from provcheck.service.state import PROBLEM_RESPONSES, StoredView, needs, service_of
from provcheck.store.interface import StoredApiKey

__all__ = ["router"]

router = APIRouter(tags=["keys"])


class KeyRequest(BaseModel):
    """A key to make: who will hold it and what it may do."""

    model_config = ConfigDict(extra="forbid")

    holder: str = Field(min_length=1, max_length=200)
    role: Role


class KeyListed(StoredView):
    """A key as listed: never the key itself, nor its digest."""

    key_id: str
    holder: str
    role: Role
    created_at: str
    revoked_at: str | None = None


class KeyMade(KeyListed):
    """A new key, with the key itself: shown this once, kept only by its digest."""

    key: str


@router.get("/keys", responses=PROBLEM_RESPONSES)
async def list_keys(
    request: Request, _: Annotated[StoredApiKey, Depends(needs(Role.ADMINISTER))]
) -> list[KeyListed]:
    """Every key, revoked ones too (never a key itself)."""
    kept = await service_of(request).in_store(lambda store: store.api_keys())
    return [KeyListed.of(k) for k in kept]


@router.post("/keys", status_code=201, responses=PROBLEM_RESPONSES)
async def post_key(
    request: Request,
    asked: KeyRequest,
    _: Annotated[StoredApiKey, Depends(needs(Role.ADMINISTER))],
) -> KeyMade:
    """Make a key; the response holds it, this once."""
    kept, key = await service_of(request).in_store(
        lambda store: make_key(store, asked.holder, asked.role)
    )
    return KeyMade(**KeyListed.of(kept).model_dump(), key=key)


@router.delete(
    "/keys/{key_id}",
    responses={**PROBLEM_RESPONSES, 400: {"model": Problem, "description": "no such key"}},
)
async def delete_key(
    request: Request,
    key_id: Annotated[str, PathParameter(max_length=100)],
    _: Annotated[StoredApiKey, Depends(needs(Role.ADMINISTER))],
) -> KeyListed:
    """Revoke a key: it is refused from then on."""
    kept = await service_of(request).in_store(lambda store: revoke_key(store, key_id))
    return KeyListed.of(kept)
