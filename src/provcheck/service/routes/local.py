"""`/local`: the local register -- one's own losses and imported lists, and the mirrors beside
them in the store: searched, listed, a record added or withdrawn, a file imported."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParameter
from pydantic import BaseModel, ConfigDict, Field, JsonValue
from starlette.datastructures import UploadFile

from provcheck.collection.records import OwnRecords
from provcheck.errors import ProvcheckError
from provcheck.matching.matcher import Matcher
from provcheck.model.candidate import Candidate
from provcheck.model.description import ObjectDescription
from provcheck.model.record import Record
from provcheck.service.keys import Role
from provcheck.service.problems import Problem, ProblemError
from provcheck.service.routes.checks import refuse_unsendable
from provcheck.service.state import (
    FILE,
    PROBLEM_RESPONSES,
    Limit,
    Offset,
    form_body,
    needs,
    service_of,
)
from provcheck.service.work import holder_of
from provcheck.store.importing import ImportSummary
from provcheck.store.interface import Store, StoredApiKey

__all__ = ["router"]

router = APIRouter(tags=["local register"])

# One's own records are the `local` register's; the mirrors' records are their registers', and
# change only when their register does.
OWN = "local"


class SearchRequest(BaseModel):
    """What to look for in the store, and how many candidates to give back."""

    model_config = ConfigDict(extra="forbid")

    query: ObjectDescription
    registries: list[str] | None = Field(default=None, max_length=50)
    limit: int = Field(default=20, ge=1, le=200)


class ImportResult(BaseModel):
    """What an import did with each row of the file."""

    rows: int
    added: int
    updated: int
    skipped: list[str]
    registries: dict[str, int]

    @classmethod
    def of(cls, summary: ImportSummary) -> ImportResult:
        return cls(
            rows=summary.rows,
            added=summary.added,
            updated=summary.updated,
            skipped=[str(p) for p in summary.skipped],
            registries=summary.registries,
        )


@router.post("/local/search", responses=PROBLEM_RESPONSES)
async def search_local(
    request: Request,
    asked: SearchRequest,
    _: Annotated[StoredApiKey, Depends(needs(Role.READ))],
) -> list[Candidate]:
    """The store's records most like the description, ranked as a check ranks them (no report
    is made: a search says nothing of what it did not find)."""
    refuse_unsendable(asked.query, "request field query")

    def search(store: Store) -> list[Record]:
        return store.search_text(asked.query, limit=asked.limit, registries=asked.registries)

    found = await service_of(request).in_store(search)
    ranked = await asyncio.to_thread(Matcher().rank, asked.query, found)
    return ranked[: asked.limit]


@router.get("/local/records", responses=PROBLEM_RESPONSES)
async def list_records(
    request: Request,
    _: Annotated[StoredApiKey, Depends(needs(Role.READ))],
    registry: Annotated[str | None, Query(max_length=100)] = OWN,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Record]:
    """The records of a register in the store (default: one's own), in the order kept."""

    def listed(store: Store) -> list[Record]:
        return list(itertools.islice(store.iter_records(registry), offset, offset + limit))

    return await service_of(request).in_store(listed)


@router.post("/local/records", status_code=201, responses=PROBLEM_RESPONSES)
async def add_record(
    request: Request,
    response: Response,
    record: Record,
    caller: Annotated[StoredApiKey, Depends(needs(Role.CHECK))],
) -> Record:
    """Add (or replace) one of one's own records: a loss to be found by every later check."""
    if record.registry != OWN:
        raise ProblemError(
            422,
            f"record field registry: {record.registry[:60]!r}: one's own records are the "
            f"{OWN!r} register's; a mirror's change only with its register",
        )
    refuse_unsendable(record.description, "record field description")

    def add(store: Store) -> None:
        with store.transaction():
            log = store.start_import(f"service: {holder_of(caller)}")
            added = store.put_record(record, import_id=log)
            store.finish_import(log, added=int(added), updated=int(not added), skipped=0)

    await service_of(request).in_store(add)
    response.headers["Location"] = f"/local/records/{record.record_id}"
    return record


@router.delete(
    "/local/records/{record_id:path}",
    status_code=204,
    responses={**PROBLEM_RESPONSES, 404: {"model": Problem, "description": "no such record"}},
)
async def withdraw_record(
    request: Request,
    record_id: Annotated[str, PathParameter(max_length=500)],  # may hold "/": `{record_id:path}`
    caller: Annotated[StoredApiKey, Depends(needs(Role.CHECK))],
    reason: Annotated[str, Query(min_length=1, max_length=2000)] = "withdrawn through the service",
) -> Response:
    """Withdraw one of one's own records: kept, but no longer found; the reason and who
    withdrew it kept in its history."""

    def withdraw(store: Store) -> bool:
        own = OwnRecords(store, by=holder_of(caller))
        found = store.get(OWN, record_id)
        if found is None or record_id not in store.record_ids(OWN):
            return False
        own.remove(found.key, reason=reason)
        return True

    if not await service_of(request).in_store(withdraw):
        raise ProblemError(404, f"there is no record {record_id[:100]!r} of one's own here")
    return Response(status_code=204)


class HistoryEntry(BaseModel):
    """One change of a record: when, by whom, what (the fields from and to), and why."""

    sequence: int
    at: str
    text: str | None
    data: dict[str, JsonValue]
    attachment: str | None = None


@router.get(
    "/local/records/{record_id:path}/history",
    responses={**PROBLEM_RESPONSES, 404: {"model": Problem, "description": "no such record"}},
)
async def record_history(
    request: Request,
    record_id: Annotated[str, PathParameter(max_length=500)],
    _: Annotated[StoredApiKey, Depends(needs(Role.READ))],
) -> list[HistoryEntry]:
    """What was done to one of one's own records, oldest first (empty: never changed here)."""

    def history(store: Store) -> list[HistoryEntry] | None:
        if store.get(OWN, record_id) is None:
            return None
        return [
            HistoryEntry(
                sequence=entry.sequence,
                at=entry.at.isoformat(),
                text=entry.text,
                data=entry.data,
                attachment=entry.attachment.name if entry.attachment else None,
            )
            for entry in OwnRecords(store).history(f"{OWN}:{record_id}")
        ]

    found = await service_of(request).in_store(history)
    if found is None:
        raise ProblemError(404, f"there is no record {record_id[:100]!r} of one's own here")
    return found


@router.post(
    "/local/imports",
    responses={**PROBLEM_RESPONSES, 422: {"model": Problem, "description": "a bad row"}},
    openapi_extra={
        "requestBody": form_body(
            "file",
            file={**FILE, "description": "a .jsonl file of Records (images by url or data)"},
            skip_bad={"type": "boolean"},
        )
    },
)
async def import_records(
    request: Request, caller: Annotated[StoredApiKey, Depends(needs(Role.ADMINISTER))]
) -> ImportResult:
    """Import a JSON Lines file of Records into one's own register (`local`), all of it or (a
    bad row named) none of it, unless `skip_bad`."""
    async with request.form(max_files=1, max_fields=5) as form:
        upload, skip = form.get("file"), form.get("skip_bad")
        if not isinstance(upload, UploadFile):
            raise ProblemError(422, "the form has no file `file` (a .jsonl file of Records)")
        suffix = Path(upload.filename or "").suffix.lower()
        if suffix not in (".jsonl", ".ndjson"):
            raise ProblemError(422, "the service imports .jsonl files of Records")
        data = await upload.read()
        name = Path(upload.filename or "upload").name

    def run(store: Store) -> ImportSummary:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                # Under the `local` register, whatever a line says: an import never writes over a
                # mirror's records, which change only with their register.
                # A record with a history here gets the import's changes in it.
                return OwnRecords(store, by=holder_of(caller)).import_file(
                    path,
                    source=f"upload {name}",
                    registry=OWN,
                    skip_bad=skip in ("true", "1"),
                    files=False,
                )
            except ProvcheckError as error:  # the file's fault, named by line, not the path here
                raise ProblemError(422, str(error).replace(str(path), "file")) from None

    return ImportResult.of(await service_of(request).in_store(run))
