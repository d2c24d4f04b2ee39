"""`/jobs`: the service's long work -- batches, mirrors' syncs, pending searches -- and how far
each is."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParameter
from pydantic import BaseModel

from provcheck.service.keys import Role
from provcheck.service.problems import Problem, ProblemError
from provcheck.service.state import PROBLEM_RESPONSES, Limit, Offset, needs, service_of
from provcheck.store.interface import StoredApiKey, StoredJob

__all__ = ["JOB_URLS", "JobView", "router"]

router = APIRouter(tags=["jobs"])

# Where each kind of job is shown.
JOB_URLS = {"batch": "/batches/{}", "mirror": "/jobs/{}", "resume": "/jobs/{}"}


class JobView(BaseModel):
    """A job as the service shows it: what it is, its state, how far it is, what it gave (or
    why it failed)."""

    job_id: str
    kind: str
    state: Literal["queued", "running", "done", "failed"]
    created_at: str
    updated_at: str
    requested_by: str | None
    attempts: int
    progress: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    url: str

    @classmethod
    def of(cls, job: StoredJob) -> JobView:
        return cls(
            job_id=job.job_id,
            kind=job.kind,
            state=job.state,
            created_at=job.created_at,
            updated_at=job.updated_at,
            requested_by=job.requested_by,
            attempts=job.attempts,
            progress=json.loads(job.progress_json) if job.progress_json else None,
            result=json.loads(job.result_json) if job.result_json else None,
            error=job.error,
            url=JOB_URLS.get(job.kind, "/jobs/{}").format(job.job_id),
        )


async def job_of(request: Request, job_id: str, kind: str | None = None) -> StoredJob:
    """The job `job_id` (of `kind`), or a 404 problem."""
    job = await service_of(request).in_store(lambda store: store.job(job_id))
    if job is None or (kind is not None and job.kind != kind):
        raise ProblemError(404, f"there is no {kind or 'job'} {job_id[:100]!r} here")
    return job


@router.get("/jobs", responses=PROBLEM_RESPONSES)
async def list_jobs(
    request: Request,
    _: Annotated[StoredApiKey, Depends(needs(Role.READ))],
    kind: Annotated[Literal["batch", "mirror", "resume"] | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[JobView]:
    """The jobs, newest first."""
    jobs = await service_of(request).in_store(
        lambda store: store.jobs(kind=kind, limit=limit, offset=offset)
    )
    return [JobView.of(job) for job in jobs]


@router.get(
    "/jobs/{job_id}",
    responses={**PROBLEM_RESPONSES, 404: {"model": Problem, "description": "no such job"}},
)
async def get_job(
    request: Request,
    job_id: Annotated[str, PathParameter(max_length=100)],
    _: Annotated[StoredApiKey, Depends(needs(Role.READ))],
) -> JobView:
    """A job: its state, progress and result."""
    return JobView.of(await job_of(request, job_id))
