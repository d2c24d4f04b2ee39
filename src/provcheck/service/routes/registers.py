"""`/registers`: the installed registers, whether their settings are complete, how fresh."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from provcheck.registers.discovery import RegistryStatus, registry_statuses
from provcheck.service.keys import Role
from provcheck.service.state import PROBLEM_RESPONSES, needs, service_of
from provcheck.store.interface import StoredApiKey
from provcheck.store.mirroring import mirrors_in

__all__ = ["router"]

router = APIRouter(tags=["registers"])


@router.get("/registers", responses=PROBLEM_RESPONSES)
async def list_registers(
    request: Request, _: Annotated[StoredApiKey, Depends(needs(Role.READ))]
) -> list[RegistryStatus]:
    """The installed registers: whether their settings are complete, how each is reached,
    how fresh its data is."""
    service = service_of(request)
    mirrors = await service.in_store(mirrors_in)
    return list(await asyncio.to_thread(registry_statuses, mirrors))
