"""The service's long work as jobs: a catalogue's batch, a mirror's sync, a check's pending
searches -- kept in the store, run by the service's runner, taken up again after a restart."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import httpx
import pytest
from conftest import FIXTURES
from sample_registries import LaterRegistry, ListedRegistry

from provcheck import CheckReport
from provcheck.service import Role, ServiceSettings, create_app, make_key
from provcheck.service.jobs import JobContext, JobRunner, new_job, now_text, woken
from provcheck.service.webhooks import Deliverer
from provcheck.store.importing import import_file
from provcheck.store.interface import Store
from provcheck.store.opening import open_store

pytestmark = pytest.mark.anyio

CATALOGUE = (
    "lot,title,artist,date\n"
    "1,Tiffany Studios 'Acorn' table lamp,Louis Comfort Tiffany,c. 1905\n"
    "2,The Horsewoman,Karl Bryullov,1832\n"
    "3,A view of nowhere in particular,Nobody Known,1999\n"
)


@pytest.fixture
def store_path(any_store: str, entry_points: Callable[..., None]) -> str:
    entry_points(
        local="provcheck.store.local_register:LocalRegistry",
        later="sample_registries:LaterRegistry",
        listed="sample_registries:ListedRegistry",
    )
    path = any_store  # a SQLite file, then a PostgreSQL database
    with open_store(path) as store:
        import_file(store, FIXTURES / "sample-register" / "records.jsonl")
    return path


@pytest.fixture
def keys(store_path: str) -> dict[Role, dict[str, str]]:
    with open_store(store_path) as store:
        return {
            role: {"Authorization": f"Bearer {make_key(store, f'Holder {role.value}', role)[1]}"}
            for role in Role
        }


@asynccontextmanager
async def serving(store_path: str, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    options: dict[str, Any] = {"registries": ("local",), "poll_s": 0.05, **settings}
    app = create_app(ServiceSettings(store=store_path, **options))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client,
    ):
        yield client


async def ended(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    """The job at `url` once it is done or failed (within 60 s)."""
    for _ in range(1200):
        job: dict[str, Any] = (await client.get(url, headers=headers)).json()
        if job["state"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} did not end: {job}")


def catalogue(text: str, name: str = "lots.csv", **options: Any) -> dict[str, Any]:
    return {
        "files": {"catalogue": (name, text.encode("utf-8"), "text/csv")},
        "data": {"options": json.dumps(options)} if options else {},
    }


async def test_a_catalogue_is_checked_as_a_job_with_progress_reports_and_summary(
    store_path: str, keys: dict[Role, dict[str, str]]
) -> None:
    async with serving(store_path) as client:
        made = await client.post("/batches", **catalogue(CATALOGUE), headers=keys[Role.CHECK])
        assert made.status_code == 202, made.text
        assert made.json()["progress"] == {"done": 0, "total": 3}
        job = await ended(client, made.headers["location"], keys[Role.READ])
        assert job["state"] == "done", job
        assert job["result"]["checked"] == 3 and job["result"]["conclusion"] == "possible-match"
        assert job["progress"] == {"done": 3, "total": 3}
        assert job["requested_by"].startswith("Holder check (API key")
        entries = (
            await client.get(f"{made.headers['location']}/entries", headers=keys[Role.READ])
        ).json()
        assert [e["key"] for e in sorted(entries, key=lambda e: e["line"])] == ["1", "2", "3"]
        report = await client.get(f"/checks/{entries[0]['report_id']}", headers=keys[Role.READ])
        assert CheckReport.model_validate_json(report.text).requested_by == job["requested_by"]
        summary = await client.get(
            f"{made.headers['location']}/summary.csv", headers=keys[Role.READ]
        )
        assert summary.headers["content-type"].startswith("text/csv") and "Acorn" in summary.text
        page = await client.get(f"{made.headers['location']}/summary.html", headers=keys[Role.READ])
        assert "default-src 'none'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("text", "name", "said"),
    [
        ("title,photo\nA lamp,/etc/passwd\n", "lots.csv", "http(s) address"),
        (
            '{"title": "A lamp", "images": [{"path": "/etc/hostname"}]}\n',
            "lots.jsonl",
            "http(s) address",
        ),
        ("title,shoe size\nA lamp,9\n", "lots.csv", "'shoe size'"),
        ("title\nA lamp\n", "lots.xlsx", ".csv or a .jsonl"),
    ],
)
async def test_a_catalogue_the_service_cannot_take_is_refused_and_nothing_kept(
    store_path: str, keys: dict[Role, dict[str, str]], text: str, name: str, said: str
) -> None:
    async with serving(store_path) as client:
        refused = await client.post("/batches", **catalogue(text, name), headers=keys[Role.CHECK])
        assert refused.status_code == 422, refused.text
        assert said in refused.json()["detail"] and "/tmp" not in refused.text
        assert (await client.get("/jobs", headers=keys[Role.READ])).json() == []
    jobs_folder = ServiceSettings(store=store_path).job_files
    assert not jobs_folder.exists() or not any(jobs_folder.iterdir())


async def test_a_catalogue_with_bad_rows_is_checked_when_told_to_skip_them(
    store_path: str, keys: dict[Role, dict[str, str]]
) -> None:
    text = CATALOGUE + "4,,,\n"
    async with serving(store_path) as client:
        refused = await client.post("/batches", **catalogue(text), headers=keys[Role.CHECK])
        assert "line 5" in refused.json()["detail"] or ":5" in refused.json()["detail"]
        made = await client.post(
            "/batches", **catalogue(text, skip_bad=True), headers=keys[Role.CHECK]
        )
        job = await ended(client, made.headers["location"], keys[Role.READ])
        assert job["result"]["checked"] == 3 and len(job["result"]["bad_rows"]) == 1
        unknown = await client.post(
            "/batches", **catalogue(CATALOGUE, registries=["nowhere"]), headers=keys[Role.CHECK]
        )
        assert unknown.status_code == 400 and "nowhere" in unknown.json()["detail"]


async def test_a_pending_search_is_asked_on_a_schedule_until_it_answers_never_submitted_twice(
    store_path: str, keys: dict[Role, dict[str, str]]
) -> None:
    LaterRegistry.submitted, LaterRegistry.resumed, LaterRegistry.answer_after = 0, 0, 3
    async with serving(store_path) as client:
        query = {"title": "Acorn", "maker": "Tiffany Studios", "period": "1906"}
        made = await client.post(
            "/checks", json={"query": query, "registries": ["later"]}, headers=keys[Role.CHECK]
        )
        assert made.status_code == 201 and made.json()["conclusion"] == "incomplete"
        monitor = made.headers["link"].split(">")[0].lstrip("<")
        job = await ended(client, monitor, keys[Role.READ])
    assert job["state"] == "done" and job["result"]["pending"] is False
    assert job["result"]["conclusion"] == "possible-match" and job["attempts"] == 3
    assert LaterRegistry.submitted == 1 and LaterRegistry.resumed == 3
    async with serving(store_path) as client:
        latest = await client.get(
            f"/checks/{job['result']['latest_report_id']}", headers=keys[Role.READ]
        )
        report = CheckReport.model_validate_json(latest.text)
        assert report.resumes is not None and report.requested_by == made.json()["requested_by"]


async def test_a_pending_search_is_resumed_at_once_with_a_reply(
    store_path: str, keys: dict[Role, dict[str, str]]
) -> None:
    LaterRegistry.submitted, LaterRegistry.resumed, LaterRegistry.answer_after = 0, 0, 1
    async with serving(store_path, poll_s=3600) as client:
        made = await client.post(
            "/checks",
            json={"query": {"title": "Acorn"}, "registries": ["later"]},
            headers=keys[Role.CHECK],
        )
        resumed = await client.post(
            f"{made.headers['location']}/resume",
            json={"reply": "66 x 45 cm"},
            headers=keys[Role.CHECK],
        )
        assert resumed.status_code == 201, resumed.text
        report = CheckReport.model_validate_json(resumed.text)
        assert report.resumes == made.json()["digest"] and report.reply == "66 x 45 cm"
        assert LaterRegistry.submitted == 1
        _ = await client.post("/checks/nope/resume", json={}, headers=keys[Role.CHECK])
        assert _.status_code == 404


async def test_a_mirror_is_synced_as_a_job_by_an_administrator(
    store_path: str, keys: dict[Role, dict[str, str]]
) -> None:
    ListedRegistry.listing = [{"description": {"title": f"Object {i}"}} for i in range(25)]
    async with serving(store_path) as client:
        assert (
            await client.post("/registers/listed/mirror", json={}, headers=keys[Role.CHECK])
        ).status_code == 403
        made = await client.post("/registers/listed/mirror", json={}, headers=keys[Role.ADMINISTER])
        assert made.status_code == 202, made.text
        job = await ended(client, made.headers["location"], keys[Role.READ])
        assert job["state"] == "done", job
        assert job["result"]["sync"]["added"] == 25
        registers = (await client.get("/registers", headers=keys[Role.READ])).json()
        listed = next(r for r in registers if r["name"] == "listed")
        assert listed["mirror"]["records"] == 25
    with open_store(store_path) as store:
        assert len(store.record_ids("listed")) == 25


async def test_a_job_whose_worker_died_is_taken_up_again(
    store_path: str, keys: dict[Role, dict[str, str]]
) -> None:
    ListedRegistry.listing = [{"description": {"title": "Object"}}]
    job = new_job("mirror", {"registry": "listed"}, "a worker that died")
    with open_store(store_path) as store:
        store.add_job(job)
        claimed = store.claim_job(now_text(), now_text(-1))  # its lease ran out at once
        assert claimed is not None and claimed.state == "running"
        assert store.claim_job(now_text(), now_text(60)) is not None  # taken again: expired
        store.update_job(job.job_id, now_text(), lease_until=now_text(-1))
    async with serving(store_path) as client:
        again = await ended(client, f"/jobs/{job.job_id}", keys[Role.READ])
    assert again["state"] == "done" and again["attempts"] == 3


async def test_a_job_of_an_unknown_kind_fails_saying_so(
    store_path: str, keys: dict[Role, dict[str, str]]
) -> None:
    job = new_job("teleport", {}, None)
    with open_store(store_path) as store:
        store.add_job(job)
    async with serving(store_path) as client:
        failed = await ended(client, f"/jobs/{job.job_id}", keys[Role.READ])
    assert failed["state"] == "failed" and "teleport" in failed["error"]


async def test_a_job_stopped_mid_work_has_its_store_closed_only_after_its_threads_end(
    store_path: str,
) -> None:
    """A stopped job's worker thread goes on to its end (a thread cannot be stopped): the job's
    store is closed after it, never under it -- a SQLite connection closed under a statement
    crashes the process (the service stopped by SIGTERM while a mirror wrote)."""
    started, stopping = threading.Event(), threading.Event()
    used: list[object] = []

    def in_a_thread(store: Store, job_id: str) -> None:
        started.set()
        stopping.wait(10)
        time.sleep(0.3)  # still at work well after the job was stopped
        try:
            used.append(store.job(job_id))
        except Exception as error:
            used.append(error)

    async def work(context: JobContext) -> dict[str, Any]:
        await asyncio.to_thread(in_a_thread, context.store, context.job.job_id)
        return {}

    job = new_job("slow", {}, None)
    with open_store(store_path) as store:
        store.add_job(job)
    running = asyncio.create_task(JobRunner(store_path, {"slow": work}, poll_s=0.05).run())
    assert await asyncio.to_thread(started.wait, 30)
    running.cancel()
    stopping.set()
    with suppress(asyncio.CancelledError):
        await running
    assert len(used) == 1 and getattr(used[0], "job_id", None) == job.job_id, used
    with open_store(store_path) as store:
        stopped = store.job(job.job_id)
    assert stopped is not None and stopped.state == "queued"  # taken up again at the next start


async def test_a_wait_for_a_wake_that_is_stopped_as_it_is_woken_stops() -> None:
    # Python 3.11's `asyncio.wait_for` returned the inner wait's result when the wait and the
    # cancellation landed in one turn of the loop: the cancellation was lost, and a runner
    # stopped at the moment a job ended polled on for ever (the service never shut down).
    wake = asyncio.Event()
    waiting = asyncio.create_task(woken(wake, 3600))
    await asyncio.sleep(0)  # now waiting
    wake.set()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await woken(wake, 3600) is True and await woken(asyncio.Event(), 0.01) is False


@pytest.mark.parametrize("loop", ["jobs", "deliveries"])
async def test_a_loop_stopped_as_it_is_woken_stops(store_path: str, loop: str) -> None:
    runner: JobRunner | Deliverer = (
        JobRunner(store_path, {}, poll_s=3600)
        if loop == "jobs"
        else Deliverer(store_path, poll_s=3600)
    )
    running = asyncio.create_task(runner.run())
    await asyncio.sleep(0.5)  # its first look done: waiting to be woken
    runner.wake()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 10)
