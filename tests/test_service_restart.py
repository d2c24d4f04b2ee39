"""`provcheck serve` stopped (SIGTERM) in the middle of a catalogue's batch against a paid
register and of a mirror's sync, and started again: both go on where they were, nothing is
checked or paid twice, nothing is lost. Real processes on loopback: the service, the Art Loss
Register's mock (which counts what it was paid for) and the FBI API's mock."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from service_process import PROVCHECK, free_port, sample_store, started

from provcheck.service import Role, make_key
from provcheck.store.sqlite import LocalStore

pytestmark = pytest.mark.slow

OBJECTS = 40


@pytest.fixture
def mocks() -> Iterator[tuple[str, str]]:
    """The ALR and FBI mocks, each a server of its own."""
    alr, fbi = free_port(), free_port()
    python = [*PROVCHECK, "mock", "serve"]
    running = [
        started(
            [
                *python,
                "alr",
                "--port",
                str(alr),
                "--set",
                "review_seconds=1",
                "--set",
                "credit=1000",
            ],
            f"http://127.0.0.1:{alr}/v1/account",
        ),
        started(
            [*python, "fbi", "--port", str(fbi), "--set", "photographs=40"],
            f"http://127.0.0.1:{fbi}/",
        ),
    ]
    try:
        yield f"http://127.0.0.1:{alr}", f"http://127.0.0.1:{fbi}"
    finally:
        for process in running:
            process.terminate()
            process.wait(timeout=30)


def _catalogue() -> str:
    rows = [
        f"{n},Landscape with a mill number {n},Painter {n},18{n % 100:02d}" for n in range(OBJECTS)
    ]
    return "lot,title,artist,date\n" + "\n".join(rows) + "\n"


def test_a_batch_and_a_mirror_go_on_after_a_restart_nothing_paid_twice(
    tmp_path: Path, mocks: tuple[str, str]
) -> None:
    alr, fbi = mocks
    store = sample_store(tmp_path)
    with LocalStore(store) as opened:
        _, key = make_key(opened, "Registrar", Role.ADMINISTER)
    headers = {"Authorization": f"Bearer {key}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "PROVCHECK_ALR_BASE_URL": alr,
        "PROVCHECK_ALR_API_KEY": "alr-demo-key",
        "PROVCHECK_ALR_CURRENT_OWNER": "Demo Gallery Ltd",
        "PROVCHECK_ALR_COLLECTION_TYPE": "dealer stock",
        "PROVCHECK_ALR_POLL_INTERVAL": "0.3",
        "PROVCHECK_FBI_BASE_URL": fbi,
        "PROVCHECK_ALLOW_PRIVATE_ADDRESSES": "1",
    }
    serve = [*PROVCHECK, "serve", "--port", str(port), "--store", str(store)]
    service = started(serve, f"{base}/health", environment)
    try:
        batch = httpx.post(
            f"{base}/batches",
            files={"catalogue": ("lots.csv", _catalogue().encode(), "text/csv")},
            data={"options": '{"registries": ["local", "alr"], "concurrency": 4}'},
            headers=headers,
        )
        assert batch.status_code == 202, batch.text
        synced = httpx.post(f"{base}/registers/fbi/mirror", json={}, headers=headers)
        assert synced.status_code == 202, synced.text
        batch_url, mirror_url = (
            f"{base}{batch.headers['location']}",
            f"{base}{synced.headers['location']}",
        )
        deadline = time.monotonic() + 120
        while True:  # stopped when both are well under way
            seen_batch: dict[str, Any] = httpx.get(batch_url, headers=headers).json()
            seen_mirror: dict[str, Any] = httpx.get(mirror_url, headers=headers).json()
            done = (seen_batch.get("progress") or {}).get("done", 0)
            fetched = (seen_mirror.get("progress") or {}).get("fetched", 0)
            if done >= 8 and fetched >= 200:
                break
            assert seen_batch["state"] != "done" and seen_mirror["state"] != "done", (
                seen_batch,
                seen_mirror,
            )
            assert time.monotonic() < deadline, (seen_batch, seen_mirror)
            time.sleep(0.1)
        service.send_signal(signal.SIGTERM)
        # Shut down in order, then ended by the signal it was sent (as uvicorn reports it).
        assert service.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        if service.poll() is None:
            service.kill()
    with LocalStore(store) as opened:
        stopped = {job.kind: job for job in opened.jobs(limit=10)}
    assert stopped["batch"].state == "queued" and stopped["mirror"].state == "queued"

    service = started(serve, f"{base}/health", environment)
    try:
        deadline = time.monotonic() + 300
        while True:
            after_batch = httpx.get(batch_url, headers=headers).json()
            after_mirror = httpx.get(mirror_url, headers=headers).json()
            if {after_batch["state"], after_mirror["state"]} <= {"done", "failed"}:
                break
            assert time.monotonic() < deadline, (after_batch, after_mirror)
            time.sleep(0.25)
        entries = httpx.get(f"{batch_url}/entries", headers=headers).json()
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=60)
    assert after_batch["state"] == "done", after_batch
    result = after_batch["result"]
    assert result["objects"] == OBJECTS and result["skipped_finished"] >= 8
    assert sorted(int(e["key"]) for e in entries) == list(range(OBJECTS))  # each once, none lost
    account = httpx.get(f"{alr}/v1/account", headers={"X-API-Key": "alr-demo-key"}).json()
    assert account["searches"] == OBJECTS, account  # each object paid for once
    assert after_mirror["state"] == "done", after_mirror
    with LocalStore(store) as opened:
        state = opened.mirror_state("fbi")
        assert state is not None and opened.count("fbi") >= 4_523
