"""The kinds of long work the service does as jobs (`provcheck.service.jobs`), and what every
report it makes carries: who asked for it (the API key's holder), and the organisation's
signature when it has a key.

- `batch`: a catalogue checked object by object into the job's folder; run again after a
  restart, it skips what its journal names (`provcheck.batch`).
- `mirror`: a register's mirror brought up to date (`provcheck.store.mirroring`), then every
  watched case checked against what changed.
- `resume`: the pending searches of a check asked for their answers, on a schedule, until none
  is pending; never submitted or paid again (`provcheck.engine.aresume`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from provcheck.batch import open_registries, read_catalogue, run_batch
from provcheck.engine import aresume
from provcheck.model.outcome import OutcomeState
from provcheck.model.report import CheckReport
from provcheck.registers.discovery import open_registry
from provcheck.registers.registry import Registry
from provcheck.reports.signing import SigningKey, sign_report
from provcheck.service.jobs import JobContext, JobHandler
from provcheck.store.interface import Store, StoredApiKey, StoredReport
from provcheck.store.mirroring import mirror

__all__ = [
    "batch_work",
    "holder_of",
    "keep_report",
    "mirror_work",
    "pending",
    "resume_work",
    "stamp",
]


def holder_of(key: StoredApiKey) -> str:
    """Who asked, as a report names them: the key's holder and its id."""
    return f"{key.holder} (API key {key.key_id})"


def stamp(report: CheckReport, requested_by: str | None, key: SigningKey | None) -> CheckReport:
    """The report naming who asked for it (inside its digest), signed when there is a key."""
    if report.requested_by != requested_by:
        report = report.model_copy(update={"requested_by": requested_by}).sealed()
    return sign_report(report, key) if key is not None else report


def keep_report(store: Store, report: CheckReport) -> str:
    """Keep the report in the store (once) and return its JSON, as kept: compact, as a service
    answers (a report's indentation was a third of what each check wrote and sent)."""
    text = report.to_json(indent=None)
    if store.report_json(report.report_id) is None:
        listed = StoredReport(
            report.report_id,
            report.created_at.isoformat(),
            report.conclusion.value,
            report.requested_by,
        )
        store.put_report(listed, text)
    return text


def pending(report: CheckReport) -> bool:
    """Whether a register of the report will answer later."""
    return any(o.state is OutcomeState.PENDING for o in report.outcomes)


def batch_work(folder: Path, store_path: str | Path, key: SigningKey | None) -> JobHandler:
    """A catalogue in `folder/<job id>/`, checked into `folder/<job id>/out/`."""

    async def work(job: JobContext) -> dict[str, Any]:
        asked = job.request
        here = folder / job.job.job_id
        items, problems = read_catalogue(here / asked["catalogue"], files=False)
        registries = open_registries(asked["registries"], store=store_path)
        job.progress({"done": 0, "total": len(items)}, now=True)
        try:
            summary = await run_batch(
                items,
                registries,
                here / "out",
                concurrency=asked["concurrency"],
                limit=asked["limit"],
                timeout=asked["timeout"],
                progress=lambda done, total: job.progress({"done": done, "total": total}),
                sign=lambda report: stamp(report, job.job.requested_by, key),
            )
        finally:
            opened = [r for r in registries if isinstance(r, Registry)]
            await asyncio.gather(*(r.aclose() for r in opened), return_exceptions=True)
        # Each report kept beside the service's others, so that /checks/{id} gives it too.
        for line in (here / "out" / "journal.jsonl").read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            text = (here / "out" / entry["report"]).read_text(encoding="utf-8")
            keep_report(job.store, CheckReport.model_validate_json(text))
        job.progress({"done": summary.objects, "total": summary.objects}, now=True)
        return {
            "objects": summary.objects,
            "checked": summary.checked,
            "skipped_finished": summary.skipped_finished,
            "by_conclusion": summary.by_conclusion,
            "conclusion": summary.conclusion.value,
            "failed": summary.failed,
            # Where the catalogue is kept is the service's business: a row is named by its line.
            "bad_rows": [
                str(p).replace(str(here / asked["catalogue"]), "catalogue") for p in problems
            ],
        }

    return work


AfterSync = Callable[[Store, str, str], Awaitable[dict[str, Any]]]


def mirror_work(after_sync: AfterSync | None = None) -> JobHandler:
    """A register's mirror synced; then `after_sync(store, register, since)` (the watches)."""

    async def work(job: JobContext) -> dict[str, Any]:
        name = job.request["registry"]
        registry = open_registry(name)
        try:
            summary = await mirror(
                registry,
                job.store,
                full=bool(job.request.get("full", False)),
                progress=lambda summary: job.progress(asdict(summary)),
            )
        finally:
            await registry.aclose()
        result: dict[str, Any] = {"sync": asdict(summary)}
        if after_sync is not None:
            result["watch"] = await after_sync(job.store, name, job.job.created_at)
        return result

    return work


def resume_work(poll_s: float, key: SigningKey | None) -> JobHandler:
    """A check's pending searches asked for their answers every `poll_s` seconds until none is
    pending; each answer is a new report, citing the one it resumes."""

    async def work(job: JobContext) -> dict[str, Any]:
        before = json.loads(job.job.result_json) if job.job.result_json else {}
        latest = before.get("latest_report_id", job.request["report_id"])
        text = job.store.report_json(latest)
        if text is None:
            raise LookupError(f"report {latest} is not in the store")
        report = await aresume(CheckReport.model_validate_json(text))
        report = stamp(report, job.job.requested_by, key)
        keep_report(job.store, report)
        result: dict[str, Any] = {
            "first_report_id": job.request["report_id"],
            "latest_report_id": report.report_id,
            "conclusion": report.conclusion.value,
            "pending": pending(report),
        }
        if pending(report):
            result["again_after_s"] = poll_s
        return result

    return work
