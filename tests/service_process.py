"""`provcheck serve` and the mocks as processes of their own on loopback, for the tests that ask
them over real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from conftest import FIXTURES

from provcheck.cli import main

PROVCHECK = [sys.executable, "-m", "provcheck"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def started(
    command: list[str],
    ready: str,
    environment: dict[str, str] | None = None,
    log: Path | None = None,
) -> subprocess.Popen[bytes]:
    """`command` running, once `ready` answers (within a minute); what it writes goes to `log`."""
    with log.open("wb") if log is not None else open(os.devnull, "wb") as out:  # the child's own
        process = subprocess.Popen(
            command, env=environment or dict(os.environ), stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(ready).status_code < 500:
                return process
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, f"{command} did not start"
        time.sleep(0.2)


def sample_store(folder: Path) -> Path:
    """A store holding the sample register."""
    store = folder / "store.sqlite3"
    records = FIXTURES / "sample-register" / "records.jsonl"
    assert main(["local", "import", str(records), "--store", str(store)]) == 0
    return store


@contextmanager
def serving(store: Path, *options: str, log: Path | None = None) -> Iterator[str]:
    """`provcheck serve` over `store` (the local register only) on a free port: its address;
    what it writes goes to `log`."""
    port = free_port()
    # Nothing but the store given: never the user's own (PROVCHECK_LOCAL_PATH elsewhere).
    environment = {**os.environ, "PROVCHECK_LOCAL_PATH": str(store.with_suffix(".elsewhere"))}
    command = [
        *PROVCHECK,
        "serve",
        "--port",
        str(port),
        "--store",
        str(store),
        "--registry",
        "local",
    ]
    base = f"http://127.0.0.1:{port}"
    server = started([*command, *options], f"{base}/health", environment, log)
    try:
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
