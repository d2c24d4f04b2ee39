"""`/checks`: check an object (its photographs uploaded or by address), the kept reports."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from provcheck.cases import CaseFile
from provcheck.engine import DEFAULT_LIMIT, MAX_LIMIT, acheck, aresume
from provcheck.errors import first_problem
from provcheck.model.description import MAX_IMAGE_BYTES, ImageRef, ObjectDescription
from provcheck.model.report import CheckReport
from provcheck.registers.discovery import installed_registries
from provcheck.service.jobs import new_job
from provcheck.service.keys import Role
from provcheck.service.problems import Problem, ProblemError
from provcheck.service.state import (
    FILE,
    PROBLEM_RESPONSES,
    Limit,
    Offset,
    Service,
    form_body,
    located,
    needs,
    service_of,
)
from provcheck.service.work import holder_of, keep_report, pending, stamp
from provcheck.store.interface import StoredApiKey, StoredJob

__all__ = [
    "MAX_PHOTOGRAPHS",
    "MAX_REQUEST_TIMEOUT_S",
    "CheckRequest",
    "check_body",
    "checked",
    "html_wanted",
    "invalid",
    "refuse_unsendable",
    "report_response",
    "router",
    "run_check",
]

# The most photographs one check takes, and the longest a request may keep registers waiting
# (longer work belongs to jobs, not to a request held open).
MAX_PHOTOGRAPHS = 12
MAX_REQUEST_TIMEOUT_S = 600.0

router = APIRouter(tags=["checks"])
_log = logging.getLogger("provcheck.service")


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


def html_wanted(request: Request) -> bool:
    """Whether the caller asked for a page (a browser's Accept) rather than JSON."""
    accept = request.headers.get("accept", "")
    html, data = accept.find("text/html"), accept.find("application/json")
    return html >= 0 and (data < 0 or html < data)


def invalid(error: ValidationError, what: str) -> ProblemError:
    where, problem = first_problem(error)
    return ProblemError(422, f"{what} field {where or 'as a whole'}: {problem}")


# The longest text a field of a description sent to the service may hold: a catalogue entry's
# page, not a book (a 10 MB title took a worker for seconds, and its report 20 MB of the store).
LONGEST_FIELD = 20_000


def refuse_unsendable(description: ObjectDescription, where: str) -> None:
    """A 422 naming the first thing in a description sent to the service that it does not take:
    a photograph by `path` (the service reads no files of its own machine for a caller), a field
    longer than `LONGEST_FIELD` characters."""
    for number, image in enumerate(description.images):
        if image.path is not None:
            raise ProblemError(
                422,
                f"{where}.images.{number}.path: the service reads no files of its own machine; "
                "send the photograph as an upload (`photo`), as base64 `data`, or by its http(s) "
                "`url`",
            )
    for name, value in description:
        texts = value if isinstance(value, tuple) else (value,)
        if any(isinstance(text, str) and len(text) > LONGEST_FIELD for text in texts):
            raise ProblemError(
                422,
                f"{where}.{name}: longer than {LONGEST_FIELD:,} characters; give what tells the "
                "object apart, not a whole document",
            )


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
        raise invalid(error, "request") from None
    refuse_unsendable(asked.query, "request field query")
    if len(asked.query.images) + len(uploaded) > MAX_PHOTOGRAPHS:
        raise ProblemError(
            422, f"more than {MAX_PHOTOGRAPHS} photographs in one check: send the best of them"
        )
    if uploaded:
        query = asked.query.model_copy(update={"images": (*asked.query.images, *uploaded)})
        asked = asked.model_copy(update={"query": query})
    return asked


def report_response(text: str, request: Request, *, status: int = 200) -> Response:
    if html_wanted(request):
        return HTMLResponse(CheckReport.model_validate_json(text).to_html(), status_code=status)
    return Response(text, status_code=status, media_type="application/json")


def check_body() -> dict[str, Any]:
    """`POST /checks`'s body: a `CheckRequest` as JSON, or as a multipart form of it and its
    photographs. The schema is the model's (added to the document's components below)."""
    body = form_body(
        "request",
        request={"type": "string", "description": "the CheckRequest, as JSON text"},
        photo={"type": "array", "maxItems": MAX_PHOTOGRAPHS, "items": FILE},
    )
    body["content"]["application/json"] = {"schema": {"$ref": "#/components/schemas/CheckRequest"}}
    return body


@router.post(
    "/checks",
    tags=["checks"],
    status_code=201,
    response_model=CheckReport,
    responses={
        **PROBLEM_RESPONSES,
        201: {
            "content": {"text/html": {}},
            **located(201, "the report", monitor=True)[201],
        },
        400: {
            "model": Problem,
            "description": "a photograph that is no image, a register not installed",
        },
        413: {"model": Problem, "description": "the request is too large"},
        422: {"model": Problem, "description": "the request says something that cannot be"},
    },
    openapi_extra={"requestBody": check_body()},
)
async def post_check(
    request: Request, caller: Annotated[StoredApiKey, Depends(needs(Role.CHECK))]
) -> Response:
    """Check an object against the registers. The report is kept: `GET /checks/{id}` gives
    it again, as JSON or (`Accept: text/html`) as a page."""
    return await checked(request, caller)


async def checked(
    request: Request, caller: StoredApiKey, *, case_id: str | None = None
) -> Response:
    """The check the request asks for, made, kept (and added to the case `case_id`), as the
    201 response."""
    made = await run_check(service_of(request), await _check_request(request), caller, case_id)
    response = report_response(made.text, request, status=201)
    response.headers["Location"] = f"/checks/{made.report.report_id}"
    if made.resume is not None:
        response.headers["Link"] = f'</jobs/{made.resume.job_id}>; rel="monitor"'
    return response


@dataclass(frozen=True)
class Made:
    """A check the service made: its report, as kept, and the job that takes up its pending
    searches (None when none is pending)."""

    report: CheckReport
    text: str
    resume: StoredJob | None


async def run_check(
    service: Service, asked: CheckRequest, caller: StoredApiKey, case_id: str | None = None
) -> Made:
    """Make the check `asked`, keep its report (and add it to the case `case_id`); a check with
    pending searches is taken up on a schedule, as a job."""
    key = service.settings.signing_key
    if case_id is not None:  # a case that cannot be added to is said before any register is asked
        await service.in_store(lambda store: CaseFile(store, key=key).writable(case_id))
    names = asked.registries or list(
        service.settings.registries
        if service.settings.registries is not None
        else installed_registries()
    )
    chosen = [service.register(name) for name in names]
    holder = holder_of(caller)
    report = await acheck(
        asked.query, chosen, limit=asked.limit, timeout=asked.timeout, requested_by=holder
    )
    report = stamp(report, holder, key)
    text = await service.in_store(lambda store: keep_report(store, report))
    if case_id is not None:
        await service.in_store(lambda store: CaseFile(store, key=key).add_check(case_id, report))
    _log.info("check %s by key %s: %s", report.report_id, caller.key_id, report.conclusion)
    resume = None
    if pending(report):
        resume = await service.queue(
            new_job(
                "resume",
                {"report_id": report.report_id},
                report.requested_by,
                after_s=service.settings.poll_s,
            )
        )
    return Made(report, text, resume)


class ResumeRequest(BaseModel):
    """The answer to a register's question, if one asked (`reply`)."""

    model_config = ConfigDict(extra="forbid")

    reply: str | None = Field(default=None, max_length=10_000)


@router.post(
    "/checks/{report_id}/resume",
    status_code=201,
    response_model=CheckReport,
    responses={
        **PROBLEM_RESPONSES,
        404: {"model": Problem, "description": "no such report"},
    },
)
async def resume_check(
    request: Request,
    report_id: Annotated[str, PathParameter(max_length=100)],
    asked: ResumeRequest,
    caller: Annotated[StoredApiKey, Depends(needs(Role.CHECK))],
) -> Response:
    """Ask the registers a report left pending for their answers now (never submitting or
    paying again); `reply` answers a register's question. The new report cites the old one."""
    service = service_of(request)
    text = await service.in_store(lambda store: store.report_json(report_id))
    if text is None:
        raise ProblemError(404, f"there is no report {report_id[:100]!r} here")
    report = await aresume(CheckReport.model_validate_json(text), reply=asked.reply)
    report = stamp(report, holder_of(caller), service.settings.signing_key)
    kept = await service.in_store(lambda store: keep_report(store, report))
    response = report_response(kept, request, status=201)
    response.headers["Location"] = f"/checks/{report.report_id}"
    return response


@router.get("/checks", tags=["checks"], responses=PROBLEM_RESPONSES)
async def list_checks(
    request: Request,
    _: Annotated[StoredApiKey, Depends(needs(Role.READ))],
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[ReportListed]:
    """The kept reports, newest first."""
    kept = await service_of(request).in_store(
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


@router.get(
    "/checks/{report_id}",
    tags=["checks"],
    response_model=CheckReport,
    responses={
        **PROBLEM_RESPONSES,
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
    text = await service_of(request).in_store(lambda store: store.report_json(report_id))
    if text is None:
        raise ProblemError(404, f"there is no report {report_id[:100]!r} here")
    return report_response(text, request)
