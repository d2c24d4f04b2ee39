"""`/registers`: the installed registers, whether their settings are complete, how fresh."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParameter
from pydantic import BaseModel, ConfigDict

from provcheck.registers.discovery import RegistryStatus, registry_statuses
from provcheck.service.jobs import new_job
from provcheck.service.keys import Role
from provcheck.service.problems import Problem
from provcheck.service.routes.batches import registers_known
from provcheck.service.routes.jobs import JobView
from provcheck.service.state import PROBLEM_RESPONSES, located, needs, service_of
from provcheck.service.work import holder_of
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


class MirrorRequest(BaseModel):
    """`full`: list every record again (and accept that more than half of the mirror went)."""

    model_config = ConfigDict(extra="forbid")

    full: bool = False


@router.post(
    "/registers/{name}/mirror",
    status_code=202,
    responses={
        **PROBLEM_RESPONSES,
        **located(202, "the sync's job"),
        400: {"model": Problem, "description": "not installed"},
    },
)
async def post_mirror(
    request: Request,
    response: Response,
    name: Annotated[str, PathParameter(max_length=100)],
    asked: MirrorRequest,
    caller: Annotated[StoredApiKey, Depends(needs(Role.ADMINISTER))],
) -> JobView:
    """Bring the store's mirror of a register up to date, as a job (`GET /jobs/{id}`); then
    every watched case is checked against what changed."""
    registers_known([name])
    job = await service_of(request).queue(
        new_job("mirror", {"registry": name, "full": asked.full}, holder_of(caller))
    )
    response.headers["Location"] = f"/jobs/{job.job_id}"
    return JobView.of(job)
