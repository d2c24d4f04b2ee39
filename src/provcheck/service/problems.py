"""What goes wrong, as the service says it: RFC 9457 problem details (`application/problem+json`),
one line of `detail` saying what was wrong, where and what to do -- never a traceback, a key or a
setting's secret."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from provcheck.errors import InvalidQueryError, ProvcheckError, message_of

__all__ = [
    "PROBLEM_TYPE",
    "PageRenderer",
    "Problem",
    "ProblemError",
    "install_problem_handlers",
    "problem_response",
]

PROBLEM_TYPE = "application/problem+json"

_log = logging.getLogger("provcheck.service")


class Problem(BaseModel):
    """An RFC 9457 problem: the HTTP status, its title, and what was wrong in one line."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None


class ProblemError(Exception):
    """Raised by the service's own code: answered as a problem with this status and detail."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def problem_response(
    status: int, detail: str, *, instance: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail, instance=instance)
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_TYPE,
        headers=headers,
    )


def _where(location: tuple[int | str, ...]) -> str:
    """`('query', 'limit')` as `query parameter limit`; `('path', 'report_id')` likewise."""
    kind, *rest = location or ("request",)
    name = ".".join(str(part) for part in rest)
    return f"{kind} parameter {name}" if name else str(kind)


PageRenderer = Callable[[int, str], Response]


def install_problem_handlers(
    app: FastAPI, *, pages: tuple[str, PageRenderer] | None = None
) -> None:
    """Every error the app can meet answered as a problem; under `pages` = (path prefix,
    renderer), as a page the renderer makes of the status and the detail."""

    def problem(
        status: int,
        detail: str,
        *,
        instance: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        if pages is not None and instance is not None and instance.startswith(pages[0]):
            page = pages[1](status, detail)
            page.headers.update(headers or {})
            return page
        return problem_response(status, detail, instance=instance, headers=headers)

    @app.exception_handler(ProblemError)
    async def _own(request: Request, error: ProblemError) -> Response:
        return problem(error.status, error.detail, instance=request.url.path, headers=error.headers)

    @app.exception_handler(InvalidQueryError)
    async def _invalid(request: Request, error: InvalidQueryError) -> Response:
        return problem(422, message_of(error), instance=request.url.path)

    @app.exception_handler(ProvcheckError)
    async def _input(request: Request, error: ProvcheckError) -> Response:
        return problem(400, message_of(error), instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        first, *others = error.errors() or [{"loc": (), "msg": "not valid"}]
        more = f"; and {len(others)} more problems" if others else ""
        detail = f"{_where(tuple(first.get('loc', ())))}: {first.get('msg', 'not valid')}{more}"
        return problem(422, detail, instance=request.url.path)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> Response:
        detail = (
            error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
        )
        return problem(
            error.status_code, detail, instance=request.url.path, headers=dict(error.headers or {})
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, error: Exception) -> Response:
        # A bug in provcheck: the details go to the service's log under an id the caller can
        # quote, never into the response.
        incident = uuid.uuid4().hex[:12]
        _log.error(
            "internal error %s on %s %s", incident, request.method, request.url.path, exc_info=error
        )
        return problem(
            500,
            f"internal error {incident}: a bug in provcheck, not a problem with the request; "
            "the service's log has the details under this id",
            instance=request.url.path,
        )
