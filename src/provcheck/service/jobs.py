"""Long work of the service, kept in the store so that it outlives the request that asked for it
and a restart of the service: a catalogue's batch, a mirror's sync, a check's pending searches.

A `JobRunner` in each worker process takes due jobs from the store (`Store.claim_job`: one step
no other worker can interleave with), runs each on a thread and an event loop of its own -- so
that a batch's matching never holds up the requests -- and renews its lease while it works. Stopped
(SIGTERM, the service shutting down), it cancels what runs and puts it back in the queue; a
worker that died leaves its lease to run out, and another takes the job up. Each kind of work
resumes where it was: a batch skips what its journal names, a mirror starts from its watermark,
a pending search is asked for its answer (never submitted or paid again).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from provcheck.errors import ProvcheckError, message_of
from provcheck.service.stores import StoreInThreads
from provcheck.store.interface import Store, StoredJob
from provcheck.store.opening import open_store

__all__ = ["JobContext", "JobHandler", "JobRunner", "new_job", "now_text", "woken"]

_log = logging.getLogger("provcheck.service")
T = TypeVar("T")


def now_text(after_s: float = 0.0) -> str:
    """A time as jobs keep it (UTC, to the millisecond, always written alike: compared as text)."""
    return (datetime.now(UTC) + timedelta(seconds=after_s)).isoformat(timespec="milliseconds")


async def woken(wake: asyncio.Event, within_s: float) -> bool:
    """Whether `wake` was set within `within_s` seconds (False when the time ran out). Cancelled,
    it is cancelled even when `wake` is set in the same turn of the loop: Python 3.11's
    `asyncio.wait_for` then returned as if woken, the cancellation lost -- a runner stopped as a
    job ended went on polling, and the service never shut down."""
    try:
        async with asyncio.timeout(within_s):
            await wake.wait()
    except TimeoutError:
        return False
    return True


def new_job(
    kind: str, request: Mapping[str, Any], requested_by: str | None, *, after_s: float = 0.0
) -> StoredJob:
    """A queued job of `kind`, due in `after_s` seconds."""
    now = now_text()
    return StoredJob(
        job_id=uuid.uuid4().hex,
        kind=kind,
        state="queued",
        created_at=now,
        updated_at=now,
        run_after=now_text(after_s),
        request_json=json.dumps(request, ensure_ascii=False),
        requested_by=requested_by,
    )


@dataclass
class JobContext:
    """What a job's work is given: the job, what was asked, a store of its own (opened on the
    job's thread), and `progress` to say how far it is."""

    job: StoredJob
    request: dict[str, Any]
    store: Store
    _said_at: float = field(default=0.0)

    def progress(self, progress: Mapping[str, Any], *, now: bool = False) -> None:
        """Keep how far the job is (at most twice a second, unless `now`)."""
        if not now and time.monotonic() - self._said_at < 0.5:
            return
        self._said_at = time.monotonic()
        self.store.update_job(self.job.job_id, now_text(), progress_json=json.dumps(progress))


# A kind of work: does the job, returns its result (JSON values), raises a ProvcheckError to fail
# it with a reason. It may ask to run again later by returning {"again_after_s": seconds, ...}.
JobHandler = Callable[[JobContext], Awaitable[dict[str, Any]]]
Finished = Callable[[StoredJob], Awaitable[None]]


class JobRunner:
    """Runs the store's due jobs, `concurrency` at a time, until stopped."""

    def __init__(
        self,
        store_path: str | Path,
        handlers: Mapping[str, JobHandler],
        *,
        concurrency: int = 2,
        lease_s: float = 60.0,
        poll_s: float = 0.5,
        finished: Finished | None = None,
    ) -> None:
        self.store_path = store_path
        self.handlers = dict(handlers)
        self.concurrency = concurrency
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.finished = finished
        self._running: dict[str, _RunningJob] = {}
        self._store: StoreInThreads | None = None
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for due jobs now (a job was just queued)."""
        self._wake.set()

    async def run(self) -> None:
        """Take and run due jobs until cancelled."""
        self._threads = concurrent.futures.ThreadPoolExecutor(
            self.concurrency, thread_name_prefix="provcheck-job"
        )
        store = self._store = StoreInThreads(self.store_path)
        renewed = time.monotonic()
        try:
            while True:
                for job_id, running in list(self._running.items()):
                    if running.future.done():
                        await self._keep(job_id, running.future)
                while len(self._running) < self.concurrency:
                    job = await store.run(lambda s: s.claim_job(now_text(), now_text(self.lease_s)))
                    if job is None:
                        break
                    self._start(job)
                if time.monotonic() - renewed > self.lease_s / 3:
                    await store.run(self._renew)
                    renewed = time.monotonic()
                self._wake.clear()
                await woken(self._wake, self.poll_s)
        finally:
            await self._stop()

    def _renew(self, store: Store) -> None:
        for job_id in list(self._running):
            store.update_job(job_id, now_text(), lease_until=now_text(self.lease_s))

    def _start(self, job: StoredJob) -> None:
        assert self._store is not None
        handler = self.handlers.get(job.kind)
        if handler is None:  # a job of a kind this provcheck does not know: said, not lost
            self._store.now(
                lambda s: s.update_job(
                    job.job_id,
                    now_text(),
                    state="failed",
                    error=f"no handler for jobs of kind {job.kind!r}",
                    lease_until=None,
                )
            )
            return
        _log.info("job %s (%s) started, attempt %d", job.job_id, job.kind, job.attempts)
        self._running[job.job_id] = _RunningJob(self.store_path, handler, job, self._threads)

    async def _keep(self, job_id: str, future: concurrent.futures.Future[dict[str, Any]]) -> None:
        """Keep the outcome of a job that ended; one that was cancelled goes back in the queue,
        due at once: the next start (of this worker or another) takes it up where it was."""
        store = self._store
        assert store is not None
        del self._running[job_id]
        changes: dict[str, str | None] = {"lease_until": None}
        try:
            result = future.result()
        except (concurrent.futures.CancelledError, asyncio.CancelledError):
            changes |= {"state": "queued", "run_after": now_text()}
        except ProvcheckError as error:
            changes |= {"state": "failed", "error": message_of(error)}
        except Exception as error:
            incident = uuid.uuid4().hex[:12]
            _log.error("internal error %s in job %s", incident, job_id, exc_info=error)
            changes |= {
                "state": "failed",
                "error": f"internal error {incident}: a bug in provcheck; the service's log has "
                "the details under this id",
            }
        else:
            again = result.pop("again_after_s", None)
            changes["result_json"] = json.dumps(result)
            if again is not None:
                changes |= {"state": "queued", "run_after": now_text(float(again))}
            else:
                changes["state"] = "done"
        await store.run(lambda s: s.update_job(job_id, now_text(), **changes))
        _log.info("job %s %s", job_id, changes["state"])
        ended = await store.run(lambda s: s.job(job_id))
        if ended is not None and ended.state in ("done", "failed") and self.finished:
            try:
                await self.finished(ended)
            except Exception as error:  # what follows a job (a webhook) never loses the job
                _log.error("after job %s", job_id, exc_info=error)

    async def _stop(self) -> None:
        """Cancel what runs, wait for it to end (each job's threads with it), keep how each
        ended."""
        for running in self._running.values():
            running.cancel()
        for job_id, running in list(self._running.items()):
            with contextlib.suppress(BaseException):  # how it ended is kept just below
                await asyncio.wrap_future(running.future)
            await self._keep(job_id, running.future)
        if self._store is not None:
            self._store.close()
        self._threads.shutdown(wait=False)


class _RunningJob:
    """One job's work, on a worker thread in an event loop of its own, with a store of its own.
    A thread the work started (`asyncio.to_thread`) cannot be stopped: cancelled, the work
    ends at once while the thread goes on to its end, perhaps in the store. The loop ends only
    once every such thread has, and the store is closed only then -- a SQLite connection closed
    under a statement crashes the process."""

    def __init__(
        self,
        store_path: str | Path,
        handler: JobHandler,
        job: StoredJob,
        threads: concurrent.futures.Executor,
    ) -> None:
        self.store_path = store_path
        self.handler = handler
        self.job = job
        self._guard = threading.Lock()
        self._cancelled = False
        self._task: asyncio.Task[Any] | None = None
        self.future = threads.submit(self._run)

    def _run(self) -> dict[str, Any]:
        """The work's result (on the worker thread); `CancelledError` if it was cancelled."""
        store = open_store(self.store_path)
        try:
            with asyncio.Runner() as loop:  # closing, it waits for the threads the work started
                return loop.run(self._work(store))
        finally:
            store.close()

    async def _work(self, store: Store) -> dict[str, Any]:
        with self._guard:
            if self._cancelled:
                raise asyncio.CancelledError
            self._task = asyncio.current_task()
        try:
            request = json.loads(self.job.request_json)
            return await self.handler(JobContext(self.job, request, store))
        finally:
            with self._guard:
                self._task = None

    def cancel(self) -> None:
        """Cancel the work (from any thread), whether it has started or not."""
        with self._guard:
            self._cancelled = True
            if self._task is not None:  # running: cancelled on its own loop
                self._task.get_loop().call_soon_threadsafe(self._task.cancel)
