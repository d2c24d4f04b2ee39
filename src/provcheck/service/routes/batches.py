"""`/batches`: a catalogue (CSV or JSON Lines) checked object by object as a job: its progress,
its summary (CSV, or a page) and each object's report."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from provcheck.batch import read_catalogue
from provcheck.engine import DEFAULT_LIMIT, MAX_LIMIT
from provcheck.errors import InputError
from provcheck.registers.discovery import installed_registries
from provcheck.service.jobs import new_job
from provcheck.service.keys import Role
from provcheck.service.problems import Problem, ProblemError
from provcheck.service.routes.checks import MAX_REQUEST_TIMEOUT_S, invalid
from provcheck.service.routes.jobs import JobView, job_of
from provcheck.service.state import (
    FILE,
    PROBLEM_RESPONSES,
    Service,
    form_body,
    located,
    needs,
    service_of,
)
from provcheck.service.work import holder_of
from provcheck.store.interface import StoredApiKey, StoredJob
from provcheck.userfiles import write_bytes_atomically

__all__ = ["SUFFIXES", "BatchOptions", "registers_known", "router", "submit_batch"]

router = APIRouter(tags=["batches"])

SUFFIXES = (".csv", ".jsonl", ".ndjson")


class BatchOptions(BaseModel):
    """How a catalogue is checked: which registers (default: the service's), how many records of
    each, how long each may take, how many objects at once, and whether rows that are not objects
    are skipped (else the catalogue is refused, naming the first)."""

    model_config = ConfigDict(extra="forbid")

    registries: list[str] | None = Field(default=None, max_length=50)
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    timeout: float | None = Field(default=None, gt=0, le=MAX_REQUEST_TIMEOUT_S)
    concurrency: int = Field(default=4, ge=1, le=16)
    skip_bad: bool = False


def registers_known(names: list[str]) -> None:
    """Refuse a register that is not installed, before anything is kept."""
    installed = installed_registries()
    for name in names:
        if name not in installed:
            raise ProblemError(
                400,
                f"register {name[:60]!r} is not installed here (installed: {', '.join(installed)})",
            )


@router.post(
    "/batches",
    status_code=202,
    responses={
        **PROBLEM_RESPONSES,
        **located(202, "the batch"),
        413: {"model": Problem, "description": "the catalogue is too large"},
        422: {"model": Problem, "description": "the catalogue or its options are not valid"},
    },
    openapi_extra={
        "requestBody": form_body(
            "catalogue",
            catalogue={**FILE, "description": "a .csv or .jsonl catalogue"},
            options={"type": "string", "description": "BatchOptions, as JSON text"},
        )
    },
)
async def post_batch(
    request: Request,
    response: Response,
    caller: Annotated[StoredApiKey, Depends(needs(Role.CHECK))],
) -> JobView:
    """Check a catalogue, object by object, as a job: `GET /batches/{id}` says how far it is."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "multipart/form-data":
        raise ProblemError(415, "send the catalogue as multipart/form-data (a file `catalogue`)")
    async with request.form(max_files=1, max_fields=5) as form:
        upload, given = form.get("catalogue"), form.get("options")
        if not isinstance(upload, UploadFile):
            raise ProblemError(422, "the form has no file `catalogue` (a .csv or .jsonl file)")
        suffix = Path(upload.filename or "").suffix.lower()
        if suffix not in SUFFIXES:
            raise ProblemError(
                422,
                f"catalogue {str(upload.filename)[:80]!r}: a catalogue is a .csv or a .jsonl file",
            )
        data = await upload.read()
    try:
        options = BatchOptions.model_validate_json(given if isinstance(given, str) else "{}")
    except ValidationError as error:
        raise invalid(error, "options") from None
    job, count = await submit_batch(service_of(request), data, suffix, options, caller)
    response.headers["Location"] = f"/batches/{job.job_id}"
    return JobView.of(job).model_copy(update={"progress": {"done": 0, "total": count}})


async def submit_batch(
    service: Service, data: bytes, suffix: str, options: BatchOptions, caller: StoredApiKey
) -> tuple[StoredJob, int]:
    """A catalogue's bytes kept in a job's folder, read, and queued as a batch: the job and how
    many objects it has. A catalogue that cannot be checked is refused with nothing kept."""
    if suffix not in SUFFIXES:
        raise ProblemError(422, "a catalogue is a .csv or a .jsonl file")
    names = options.registries or list(service.settings.registries or installed_registries())
    registers_known(names)
    job = new_job(
        "batch",
        {
            "catalogue": f"catalogue{suffix}",
            "registries": names,
            "limit": options.limit,
            "timeout": options.timeout,
            "concurrency": options.concurrency,
        },
        holder_of(caller),
    )
    folder = service.settings.job_files / job.job_id
    path = folder / f"catalogue{suffix}"

    def keep() -> int:
        folder.mkdir(parents=True)
        write_bytes_atomically(path, data)
        try:
            items, problems = read_catalogue(path, files=False)
        except InputError as error:
            raise ProblemError(422, str(error).replace(str(path), "catalogue")) from None
        if problems and not options.skip_bad:
            more = f" (and {len(problems) - 1} more rows)" if len(problems) > 1 else ""
            raise ProblemError(
                422,
                f"{str(problems[0]).replace(str(path), 'catalogue')}{more}; nothing was kept: fix "
                'the catalogue, or send options {"skip_bad": true}',
            )
        if not items:
            raise ProblemError(422, "every row of the catalogue was bad; nothing to check")
        return len(items)

    try:
        count = await asyncio.to_thread(keep)
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, folder, True)
        raise
    await service.queue(job)
    return job, count


@router.get(
    "/batches/{job_id}",
    responses={**PROBLEM_RESPONSES, 404: {"model": Problem, "description": "no such batch"}},
)
async def get_batch(
    request: Request,
    job_id: Annotated[str, PathParameter(max_length=100)],
    _: Annotated[StoredApiKey, Depends(needs(Role.READ))],
) -> JobView:
    """A batch: its state, how many objects are done, and (when it ended) its counts."""
    return JobView.of(await job_of(request, job_id, "batch"))


@router.get(
    "/batches/{job_id}/entries",
    responses={**PROBLEM_RESPONSES, 404: {"model": Problem, "description": "no such batch"}},
)
async def batch_entries(
    request: Request,
    job_id: Annotated[str, PathParameter(max_length=100)],
    _: Annotated[StoredApiKey, Depends(needs(Role.READ))],
) -> list[dict[str, Any]]:
    """The objects checked so far: each one's conclusion, best candidate, and its report's
    digest and id (`GET /checks/{id}`)."""
    job = await job_of(request, job_id, "batch")
    journal = service_of(request).settings.job_files / job.job_id / "out" / "journal.jsonl"

    def read() -> list[dict[str, Any]]:
        if not journal.is_file():
            return []
        entries = []
        for line in journal.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            report_id = json.loads(
                (journal.parent / entry.pop("report")).read_text(encoding="utf-8")
            )["report_id"]
            entries.append({**entry, "report_id": report_id, "url": f"/checks/{report_id}"})
        return entries

    return await asyncio.to_thread(read)


@router.get(
    "/batches/{job_id}/summary.{form}",
    responses={
        **PROBLEM_RESPONSES,
        200: {"content": {"text/csv": {}, "text/html": {}}, "description": "the summary"},
        404: {"model": Problem, "description": "no such batch"},
        409: {"model": Problem, "description": "the batch has not ended"},
    },
)
async def batch_summary(
    request: Request,
    job_id: Annotated[str, PathParameter(max_length=100)],
    form: Annotated[str, PathParameter(pattern="^(csv|html)$")],
    _: Annotated[StoredApiKey, Depends(needs(Role.READ))],
) -> Response:
    """The batch's summary, possible matches first: a CSV safe for spreadsheets, or a page."""
    job = await job_of(request, job_id, "batch")
    path = service_of(request).settings.job_files / job.job_id / "out" / f"summary.{form}"
    if job.state != "done" or not path.is_file():
        raise ProblemError(409, f"batch {job_id} is {job.state}: its summary comes when it is done")
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    if form == "html":
        return HTMLResponse(text)
    return Response(text, media_type="text/csv; charset=utf-8")
