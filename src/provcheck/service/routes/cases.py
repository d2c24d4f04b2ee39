"""`/cases`: an object's file of checks, notes and records -- opened, followed, verified,
exported as a dossier -- and watched: checked again whenever a mirror syncs (`/alerts`)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from provcheck.cases import CaseFile
from provcheck.model.case import CaseEntry, CaseVerification
from provcheck.model.report import CheckReport
from provcheck.reports.html import render_case
from provcheck.service.jobs import now_text
from provcheck.service.keys import Role
from provcheck.service.problems import Problem, ProblemError
from provcheck.service.routes.checks import check_body, checked, html_wanted
from provcheck.service.state import (
    FILE,
    PROBLEM_RESPONSES,
    Limit,
    Offset,
    Service,
    StoredView,
    form_body,
    located,
    needs,
    service_of,
)
from provcheck.service.work import holder_of
from provcheck.store.interface import Store, StoredApiKey, StoredWatch

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "attachment_name",
    "dossier",
    "dossier_response",
    "known_case",
    "router",
]

router = APIRouter(tags=["cases"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such case"}
}
# The largest file attached to a record (the service's body limit bounds it first).
MAX_ATTACHMENT_BYTES = 32 * 1024 * 1024

CaseId = Annotated[str, PathParameter(max_length=100)]


class CaseRequest(BaseModel):
    """A case to open: what object it is about, and a description."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=20_000)


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000)


class CaseListed(BaseModel):
    case_id: str
    title: str
    opened_at: str
    watched: bool
    url: str


class CaseView(BaseModel):
    """A case whole: its entries in order, whether its history is as written, and whether it is
    watched."""

    case_id: str
    title: str
    entries: list[CaseEntry]
    verification: CaseVerification
    watched: bool


class WatchView(StoredView):
    case_id: str
    watched_at: str
    watched_by: str | None


class AlertView(StoredView):
    alert_id: str
    case_id: str
    registry: str
    record_id: str
    score: float
    created_at: str
    summary: str


def _cases(service: Service, store: Store) -> CaseFile:
    return CaseFile(store, key=service.settings.signing_key)


def known_case(store: Store, case_id: str) -> str:
    """The title of the case `case_id`, or a 404 problem."""
    for case in store.cases():
        if case.id == case_id:
            return case.title
    raise ProblemError(404, f"there is no case {case_id[:100]!r} here")


@router.post("/cases", status_code=201, responses={**PROBLEM_RESPONSES, **located(201, "the case")})
async def post_case(
    request: Request,
    response: Response,
    asked: CaseRequest,
    caller: Annotated[StoredApiKey, Depends(needs(Role.CHECK))],
) -> CaseEntry:
    """Open a case about one object; its first entry."""
    service = service_of(request)
    entry = await service.in_store(
        lambda store: _cases(service, store).new(
            asked.title, description=asked.description, by=holder_of(caller)
        )
    )
    response.headers["Location"] = f"/cases/{entry.case_id}"
    return entry


@router.get("/cases", responses=PROBLEM_RESPONSES)
async def list_cases(
    request: Request, _: Annotated[StoredApiKey, Depends(needs(Role.READ))]
) -> list[CaseListed]:
    """Every case, oldest first."""

    def listed(store: Store) -> list[CaseListed]:
        watched = {w.case_id for w in store.watches()}
        return [
            CaseListed(
                case_id=c.id,
                title=c.title,
                opened_at=c.created_at,
                watched=c.id in watched,
                url=f"/cases/{c.id}",
            )
            for c in store.cases()
        ]

    return await service_of(request).in_store(listed)


@router.get(
    "/cases/{case_id}",
    response_model=CaseView,
    responses={
        **PROBLEM_RESPONSES,
        **_NOT_FOUND,
        200: {"content": {"text/html": {}}, "description": "the case"},
    },
)
async def get_case(
    request: Request, case_id: CaseId, _: Annotated[StoredApiKey, Depends(needs(Role.READ))]
) -> Response:
    """A case's entries in order and whether its history is as written; as a page with
    `Accept: text/html`."""
    service = service_of(request)

    def view(store: Store) -> CaseView:
        title = known_case(store, case_id)
        cases = _cases(service, store)
        return CaseView(
            case_id=case_id,
            title=title,
            entries=cases.entries(case_id),
            verification=cases.verify(case_id),
            watched=any(w.case_id == case_id for w in store.watches()),
        )

    found = await service.in_store(view)
    if html_wanted(request):
        page = render_case(case_id, found.title, found.entries, found.verification)
        return HTMLResponse(page)
    return Response(found.model_dump_json(), media_type="application/json")


@router.post(
    "/cases/{case_id}/notes", status_code=201, responses={**PROBLEM_RESPONSES, **_NOT_FOUND}
)
async def post_note(
    request: Request,
    case_id: CaseId,
    asked: NoteRequest,
    caller: Annotated[StoredApiKey, Depends(needs(Role.CHECK))],
) -> CaseEntry:
    """Add a note to the case's history."""
    service = service_of(request)

    def add(store: Store) -> CaseEntry:
        known_case(store, case_id)
        return _cases(service, store).add_note(case_id, asked.text, by=holder_of(caller))

    return await service.in_store(add)


@router.post(
    "/cases/{case_id}/records",
    status_code=201,
    responses={**PROBLEM_RESPONSES, **_NOT_FOUND},
    openapi_extra={
        "requestBody": form_body(
            "text",
            text={"type": "string", "description": "what was received"},
            attachment=FILE,
        )
    },
)
async def post_record(
    request: Request, case_id: CaseId, caller: Annotated[StoredApiKey, Depends(needs(Role.CHECK))]
) -> CaseEntry:
    """Record what was received ("certificate S00123 received"), a file attached."""
    service = service_of(request)
    async with request.form(max_files=1, max_fields=5) as form:
        text, upload = form.get("text"), form.get("attachment")
        if not isinstance(text, str) or not text.strip():
            raise ProblemError(422, "the form needs a field `text`: what was received")
        attached: tuple[str, bytes] | None = None
        if isinstance(upload, UploadFile):
            data = await upload.read(MAX_ATTACHMENT_BYTES + 1)
            if len(data) > MAX_ATTACHMENT_BYTES:
                raise ProblemError(
                    413, f"the attachment is larger than {MAX_ATTACHMENT_BYTES:,} bytes"
                )
            attached = (attachment_name(upload.filename), data)

    def add(store: Store) -> CaseEntry:
        known_case(store, case_id)
        cases = _cases(service, store)
        if attached is None:
            return cases.add_record(case_id, text, by=holder_of(caller))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / attached[0]
            path.write_bytes(attached[1])
            return cases.add_record(case_id, text, attach=path, by=holder_of(caller))

    return await service.in_store(add)


@router.post(
    "/cases/{case_id}/checks",
    status_code=201,
    response_model=CheckReport,
    responses={**PROBLEM_RESPONSES, **_NOT_FOUND},
    openapi_extra={"requestBody": check_body()},
)
async def post_case_check(
    request: Request, case_id: CaseId, caller: Annotated[StoredApiKey, Depends(needs(Role.CHECK))]
) -> Response:
    """Check the object (as `POST /checks`) and add the report to the case's history."""
    await service_of(request).in_store(lambda store: known_case(store, case_id))
    return await checked(request, caller, case_id=case_id)


@router.get("/cases/{case_id}/verify", responses={**PROBLEM_RESPONSES, **_NOT_FOUND})
async def verify_case(
    request: Request, case_id: CaseId, _: Annotated[StoredApiKey, Depends(needs(Role.READ))]
) -> CaseVerification:
    """Recompute the case's hash chain and check its signatures."""
    service = service_of(request)

    def verify(store: Store) -> CaseVerification:
        known_case(store, case_id)
        return _cases(service, store).verify(case_id)

    return await service.in_store(verify)


@router.get(
    "/cases/{case_id}/dossier",
    responses={
        **PROBLEM_RESPONSES,
        **_NOT_FOUND,
        200: {"content": {"application/zip": {}}, "description": "the dossier"},
    },
)
async def case_dossier(
    request: Request, case_id: CaseId, _: Annotated[StoredApiKey, Depends(needs(Role.READ))]
) -> Response:
    """The case's dossier as a zip: one page of everything, the entries as stored (verifiable)
    and the attached files."""
    service = service_of(request)

    def export(store: Store) -> bytes:
        known_case(store, case_id)
        return dossier(_cases(service, store), case_id)

    return dossier_response(await service.in_store(export), case_id)


def attachment_name(given: str | None) -> str:
    """An uploaded file's name as a file of its own can have it: its last part, no more than
    100 characters (a name of dots or none at all is `attachment`)."""
    name = Path((given or "").replace("\\", "/")).name.strip()
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*')[-100:]
    return name if name.strip(". ") else "attachment"


def dossier(cases: CaseFile, case_id: str) -> bytes:
    """The case's dossier (`CaseFile.export`) as a zip."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "dossier"
        cases.export(case_id, out)
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(out).as_posix())
        return packed.getvalue()


def dossier_response(data: bytes, case_id: str) -> Response:
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="case-{case_id}.zip"'},
    )


@router.put("/cases/{case_id}/watch", responses={**PROBLEM_RESPONSES, **_NOT_FOUND})
async def watch_case(
    request: Request, case_id: CaseId, caller: Annotated[StoredApiKey, Depends(needs(Role.CHECK))]
) -> WatchView:
    """Watch the case: its latest check is run again against what each mirror's sync changes,
    and a new possible match is an alert (`GET /alerts`, and the `watch.alert` webhook)."""

    def watch(store: Store) -> WatchView:
        known_case(store, case_id)
        store.watch(StoredWatch(case_id, now_text(), holder_of(caller)))
        kept = next(w for w in store.watches() if w.case_id == case_id)
        return WatchView.of(kept)

    return await service_of(request).in_store(watch)


@router.delete(
    "/cases/{case_id}/watch", status_code=204, responses={**PROBLEM_RESPONSES, **_NOT_FOUND}
)
async def unwatch_case(
    request: Request, case_id: CaseId, _: Annotated[StoredApiKey, Depends(needs(Role.CHECK))]
) -> Response:
    """Stop watching the case."""

    def unwatch(store: Store) -> None:
        known_case(store, case_id)
        if not store.unwatch(case_id):
            raise ProblemError(404, f"case {case_id} is not watched")

    await service_of(request).in_store(unwatch)
    return Response(status_code=204)


@router.get("/alerts", tags=["cases"], responses=PROBLEM_RESPONSES)
async def list_alerts(
    request: Request,
    _: Annotated[StoredApiKey, Depends(needs(Role.READ))],
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[AlertView]:
    """New possible matches of watched cases, newest first."""
    found = await service_of(request).in_store(
        lambda store: store.alerts(limit=limit, offset=offset)
    )
    return [AlertView.of(alert) for alert in found]
