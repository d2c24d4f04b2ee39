"""`/ui`: the page for acquisition staff -- sign in with a key, describe an object and its
photographs (a phone's camera too), read the report, open and follow cases, check a catalogue and
follow it, see alerts. Plain HTML forms: no script runs (the pages' policy allows none), and every
form carries the session's CSRF token (`provcheck.service.sessions`)."""

from __future__ import annotations

import math
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from provcheck.cases import CaseFile
from provcheck.errors import ProvcheckError, first_problem, message_of
from provcheck.model.description import MAX_IMAGE_BYTES, ImageRef, ObjectDescription
from provcheck.model.report import CheckReport
from provcheck.registers.discovery import installed_registries, registry_statuses
from provcheck.service.jobs import now_text
from provcheck.service.keys import Role, authenticate
from provcheck.service.problems import ProblemError
from provcheck.service.routes.batches import BatchOptions, submit_batch
from provcheck.service.routes.cases import (
    MAX_ATTACHMENT_BYTES,
    attachment_name,
    dossier,
    dossier_response,
    known_case,
)
from provcheck.service.routes.checks import (
    MAX_PHOTOGRAPHS,
    CheckRequest,
    refuse_unsendable,
    run_check,
)
from provcheck.service.routes.jobs import JobView
from provcheck.service.sessions import (
    SESSION_COOKIE,
    SESSION_HOURS,
    SIGN_IN_COOKIE,
    end_session,
    same_token,
    session_key,
    start_session,
)
from provcheck.service.state import Service, service_of
from provcheck.service.work import holder_of
from provcheck.store.interface import Store, StoredApiKey, StoredSession, StoredWatch

__all__ = ["SignInNeeded", "problem_page", "router"]

router = APIRouter(prefix="/ui", include_in_schema=False)

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("provcheck.service", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

# The Object ID fields the form asks for: (name, label, hint, several lines).
FIELDS = (
    ("title", "Title", "as the seller or the object itself names it", False),
    ("maker", "Maker", "artist, workshop or manufacturer; 'unknown' if none", False),
    ("object_type", "Type of object", "painting, clock, coin, icon, ...", False),
    ("materials", "Materials and techniques", "oil on canvas, silver, ...", False),
    ("measurements", "Measurements", "62 x 48.5 cm, 24 in high, ...", False),
    ("period", "Date or period", "1906, c. 1650, 18th century, ...", False),
    ("inscriptions", "Inscriptions and markings", "signatures, hallmarks, labels, numbers", True),
    ("distinguishing_features", "Distinguishing features", "damage, repairs, defects", True),
    ("subject", "Subject", "what it shows", False),
    ("description", "Description", "anything else that tells this object apart", True),
    ("provenance", "Provenance", "where it has been, as the seller tells it", True),
)


class SignInNeeded(Exception):
    """The page needs a signed-in session: answered with the way to the sign-in page."""


@dataclass(frozen=True)
class Staff:
    key: StoredApiKey
    session: StoredSession


async def staff(request: Request) -> Staff:
    """The signed-in session the request comes with, within its key's rate limit."""
    service = service_of(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    found = await service.in_store(lambda store: session_key(store, cookie))
    if found is None:
        raise SignInNeeded
    session, key = found
    wait = service.limiter.take(key.key_id)
    if wait is not None:
        raise ProblemError(429, f"too many requests; try again in {math.ceil(wait)} s")
    return Staff(key, session)


SignedIn = Annotated[Staff, Depends(staff)]


def _allowed(who: Staff, role: Role) -> None:
    if not Role(who.key.role).allows(role):
        raise ProblemError(
            403, f"your key has the role {who.key.role!r}; this needs {role.value!r}"
        )


def page(
    template: str, who: Staff | None, *, status: int = 200, alerts: int = 0, **context: Any
) -> HTMLResponse:
    html = _TEMPLATES.get_template(template).render(
        holder=who.key.holder if who else None,
        csrf=who.session.csrf if who else "",
        alert_count=alerts,
        refresh=context.pop("refresh", None),
        problem=context.pop("problem", None),
        notice=context.pop("notice", None),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def problem_page(status: int, detail: str) -> HTMLResponse:
    """What went wrong, as a page (the staff page's requests are answered in HTML)."""
    return page("base.html.j2", None, status=status, title="Something went wrong", problem=detail)


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@dataclass
class _Form:
    fields: dict[str, list[str]]
    files: list[tuple[str, bytes]]

    def one(self, name: str) -> str:
        values = self.fields.get(name) or [""]
        return values[0].strip()


async def _form(request: Request, who: Staff | None, *, files: int = 0, limit: int = 0) -> _Form:
    """The form sent, read whole (its files at most `limit` bytes each), its CSRF token checked
    against the session's (or, before signing in, the sign-in cookie's)."""
    fields: dict[str, list[str]] = {}
    uploads: list[tuple[str, bytes]] = []
    async with request.form(max_files=files, max_fields=40) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read(limit + 1)
                if not data and not value.filename:
                    continue  # a file field left empty
                if len(data) > limit:
                    raise ProblemError(413, f"{value.filename}: larger than {limit:,} bytes")
                uploads.append((attachment_name(value.filename), data))
            else:
                fields.setdefault(name, []).append(value)
    expected = who.session.csrf if who else request.cookies.get(SIGN_IN_COOKIE, "")
    if not same_token((fields.get("csrf") or [""])[0], expected):
        raise ProblemError(
            403,
            "the form is not this page's own (its token does not match); reload the page and send it again",
        )
    return _Form(fields, uploads)


async def _alert_count(service: Service) -> int:
    return len(await service.in_store(lambda store: store.alerts(limit=500)))


# Signing in and out --------------------------------------------------------------------------


@router.get("/sign-in")
async def sign_in_page(request: Request) -> HTMLResponse:
    token = request.cookies.get(SIGN_IN_COOKIE) or _new_token()
    response = page(
        "sign_in.html.j2", None, title="Sign in", sign_in_token=token, hours=SESSION_HOURS
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/ui",
        secure=request.url.scheme == "https",
    )
    return response


def _new_token() -> str:
    return secrets.token_urlsafe(32)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    service = service_of(request)
    form = await _form(request, None)
    given = form.one("key")
    key = await service.in_store(lambda store: authenticate(store, given))
    if key is None:
        token = request.cookies.get(SIGN_IN_COOKIE, "")
        return page(
            "sign_in.html.j2",
            None,
            status=401,
            title="Sign in",
            problem="That is not a valid API key, or it was revoked.",
            sign_in_token=token,
            hours=SESSION_HOURS,
        )
    cookie, _ = await service.in_store(lambda store: start_session(store, key))
    response = _see("/ui/")
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        path="/ui",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/ui")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, who: SignedIn) -> Response:
    await _form(request, who)
    cookie = request.cookies.get(SESSION_COOKIE)
    await service_of(request).in_store(lambda store: end_session(store, cookie))
    response = _see("/ui/sign-in")
    response.delete_cookie(SESSION_COOKIE, path="/ui")
    return response


# Checking an object --------------------------------------------------------------------------


def _registers(
    service: Service, chosen: list[str] | None = None
) -> list[tuple[str, str | None, bool]]:
    default = set(chosen or service.settings.registries or installed_registries())
    return [(s.name, s.title, s.name in default) for s in registry_statuses({})]


async def _check_form(
    request: Request, who: Staff, action: str, title: str, **context: Any
) -> HTMLResponse:
    service = service_of(request)
    return page(
        "check.html.j2",
        who,
        alerts=await _alert_count(service),
        title=title,
        action=action,
        fields=FIELDS,
        given=context.pop("given", {}),
        registers=_registers(service, context.pop("chosen", None)),
        max_photographs=MAX_PHOTOGRAPHS,
        **context,
    )


@router.get("/")
async def home(request: Request, who: SignedIn) -> HTMLResponse:
    return await _check_form(request, who, "/ui/check", "Check an object")


async def _checked(
    request: Request, who: Staff, action: str, title: str, case_id: str | None
) -> Response:
    _allowed(who, Role.CHECK)
    form = await _form(request, who, files=MAX_PHOTOGRAPHS, limit=MAX_IMAGE_BYTES)
    given = {name: form.one(name) for name, *_ in FIELDS if form.one(name)}
    chosen = form.fields.get("registry") or []
    try:
        query = ObjectDescription.model_validate(
            {
                **given,
                "images": [ImageRef(data=data, caption=name[:200]) for name, data in form.files],
            }
        )
        refuse_unsendable(query, "field")
        asked = CheckRequest(query=query, registries=chosen or None)
        made = await run_check(service_of(request), asked, who.key, case_id)
    except ValidationError as error:
        where, problem = first_problem(error)
        trouble = f"{where}: {problem}" if where else problem
    except ProvcheckError as error:
        trouble = message_of(error)
    else:
        return _see(f"/ui/checks/{made.report.report_id}")
    return await _check_form(
        request, who, action, title, given=given, chosen=chosen, problem=trouble
    )


@router.post("/check")
async def check(request: Request, who: SignedIn) -> Response:
    return await _checked(request, who, "/ui/check", "Check an object", None)


@router.get("/checks")
async def checks(request: Request, who: SignedIn) -> HTMLResponse:
    service = service_of(request)
    reports = await service.in_store(lambda store: store.reports(limit=100))
    return page(
        "checks.html.j2", who, alerts=await _alert_count(service), title="Reports", reports=reports
    )


@router.get("/checks/{report_id}")
async def report(
    request: Request, report_id: Annotated[str, PathParameter(max_length=100)], who: SignedIn
) -> HTMLResponse:
    text = await service_of(request).in_store(lambda store: store.report_json(report_id))
    if text is None:
        raise ProblemError(404, f"there is no report {report_id[:100]!r} here")
    html = CheckReport.model_validate_json(text).to_html()
    return HTMLResponse(
        html,
    )


# Cases ---------------------------------------------------------------------------------------

CaseId = Annotated[str, PathParameter(max_length=100)]


def _cases(service: Service, store: Store) -> CaseFile:
    return CaseFile(store, key=service.settings.signing_key)


@router.get("/cases")
async def cases(request: Request, who: SignedIn) -> HTMLResponse:
    service = service_of(request)

    def listed(store: Store) -> tuple[Any, set[str]]:
        return store.cases(), {w.case_id for w in store.watches()}

    found, watched = await service.in_store(listed)
    return page(
        "cases.html.j2",
        who,
        alerts=await _alert_count(service),
        title="Cases",
        cases=found,
        watched=watched,
    )


@router.post("/cases")
async def open_case(request: Request, who: SignedIn) -> Response:
    _allowed(who, Role.CHECK)
    form = await _form(request, who)
    service = service_of(request)
    title, description = form.one("title"), form.one("description") or None
    entry = await service.in_store(
        lambda store: _cases(service, store).new(
            title, description=description, by=holder_of(who.key)
        )
    )
    return _see(f"/ui/cases/{entry.case_id}")


@router.get("/cases/{case_id}")
async def case(request: Request, case_id: CaseId, who: SignedIn) -> HTMLResponse:
    service = service_of(request)

    def view(store: Store) -> dict[str, Any]:
        title = next((c.title for c in store.cases() if c.id == case_id), None)
        if title is None:
            raise ProblemError(404, f"there is no case {case_id[:100]!r} here")
        file = _cases(service, store)
        return {
            "title": title,
            "entries": file.entries(case_id),
            "verification": file.verify(case_id),
            "watched": any(w.case_id == case_id for w in store.watches()),
        }

    found = await service.in_store(view)
    return page("case.html.j2", who, alerts=await _alert_count(service), case_id=case_id, **found)


@router.get("/cases/{case_id}/check")
async def case_check_form(request: Request, case_id: CaseId, who: SignedIn) -> HTMLResponse:
    await service_of(request).in_store(lambda store: known_case(store, case_id))
    return await _check_form(
        request, who, f"/ui/cases/{case_id}/check", f"Check the object of case {case_id}"
    )


@router.post("/cases/{case_id}/check")
async def case_check(request: Request, case_id: CaseId, who: SignedIn) -> Response:
    await service_of(request).in_store(lambda store: known_case(store, case_id))
    return await _checked(
        request, who, f"/ui/cases/{case_id}/check", f"Check the object of case {case_id}", case_id
    )


@router.post("/cases/{case_id}/notes")
async def case_note(request: Request, case_id: CaseId, who: SignedIn) -> Response:
    _allowed(who, Role.CHECK)
    form = await _form(request, who)
    service = service_of(request)
    text = form.one("text")

    def add(store: Store) -> None:
        known_case(store, case_id)
        _cases(service, store).add_note(case_id, text, by=holder_of(who.key))

    await service.in_store(add)
    return _see(f"/ui/cases/{case_id}")


@router.post("/cases/{case_id}/records")
async def case_record(request: Request, case_id: CaseId, who: SignedIn) -> Response:
    _allowed(who, Role.CHECK)
    form = await _form(request, who, files=1, limit=MAX_ATTACHMENT_BYTES)
    service = service_of(request)
    text = form.one("text")

    def add(store: Store) -> None:
        known_case(store, case_id)
        file = _cases(service, store)
        if not form.files:
            file.add_record(case_id, text, by=holder_of(who.key))
            return
        ((name, data),) = form.files
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            file.add_record(case_id, text, attach=path, by=holder_of(who.key))

    await service.in_store(add)
    return _see(f"/ui/cases/{case_id}")


@router.post("/cases/{case_id}/watch")
async def case_watch(request: Request, case_id: CaseId, who: SignedIn) -> Response:
    _allowed(who, Role.CHECK)
    form = await _form(request, who)
    on = form.one("watch") == "on"

    def change(store: Store) -> None:
        known_case(store, case_id)
        if on:
            store.watch(StoredWatch(case_id, now_text(), holder_of(who.key)))
        else:
            store.unwatch(case_id)

    await service_of(request).in_store(change)
    return _see(f"/ui/cases/{case_id}")


@router.get("/cases/{case_id}/dossier.zip")
async def case_dossier(request: Request, case_id: CaseId, who: SignedIn) -> Response:
    service = service_of(request)

    def export(store: Store) -> bytes:
        known_case(store, case_id)
        return dossier(_cases(service, store), case_id)

    data = await service.in_store(export)
    return dossier_response(data, case_id)


# Catalogues ----------------------------------------------------------------------------------


@router.get("/batches")
async def batches(request: Request, who: SignedIn) -> HTMLResponse:
    service = service_of(request)
    jobs = await service.in_store(lambda store: store.jobs(kind="batch", limit=100))
    return page(
        "batches.html.j2",
        who,
        alerts=await _alert_count(service),
        title="Catalogues",
        jobs=[JobView.of(job) for job in jobs],
    )


@router.post("/batches")
async def send_batch(request: Request, who: SignedIn) -> Response:
    _allowed(who, Role.CHECK)
    service = service_of(request)
    form = await _form(request, who, files=1, limit=service.settings.max_body_bytes)
    if not form.files:
        raise ProblemError(422, "choose a catalogue file to check")
    ((name, data),) = form.files
    options = BatchOptions(skip_bad=form.one("skip_bad") == "true")
    job, _ = await submit_batch(service, data, Path(name).suffix.lower(), options, who.key)
    return _see(f"/ui/batches/{job.job_id}")


@router.get("/batches/{job_id}")
async def batch(
    request: Request, job_id: Annotated[str, PathParameter(max_length=100)], who: SignedIn
) -> HTMLResponse:
    service = service_of(request)
    job = await service.in_store(lambda store: store.job(job_id))
    if job is None or job.kind != "batch":
        raise ProblemError(404, f"there is no catalogue {job_id[:100]!r} here")
    view = JobView.of(job)
    running = view.state in ("queued", "running")
    return page(
        "batch.html.j2",
        who,
        alerts=await _alert_count(service),
        title="Catalogue",
        job=view,
        refresh=2 if running else None,
    )


@router.get("/batches/{job_id}/summary")
async def batch_summary(
    request: Request, job_id: Annotated[str, PathParameter(max_length=100)], who: SignedIn
) -> HTMLResponse:
    path = service_of(request).settings.job_files / job_id / "out" / "summary.html"
    if not job_id.isalnum() or not path.is_file():
        raise ProblemError(404, "that catalogue has no summary (yet)")
    return HTMLResponse(
        path.read_text(encoding="utf-8"),
    )


@router.get("/alerts")
async def alerts(request: Request, who: SignedIn) -> HTMLResponse:
    service = service_of(request)
    found = await service.in_store(lambda store: store.alerts(limit=200))
    return page("alerts.html.j2", who, alerts=len(found), title="Alerts", alert_list=found)
