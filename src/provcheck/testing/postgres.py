"""A fresh PostgreSQL database for each test of code that uses a PostgreSQL store.

Tests are given a server in `PROVCHECK_TEST_POSTGRES_URL` (a URL whose user may create
databases: `.ci/run` starts one from the system's packages); each test gets a database of its
own, dropped afterwards. Without that variable they are skipped, saying why -- except in CI
(`CI` set), where a store suite that did not run is a failure.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

__all__ = ["TEST_SERVER_ENV", "fresh_database", "postgres_server_url"]

TEST_SERVER_ENV = "PROVCHECK_TEST_POSTGRES_URL"
_LONGEST_WAIT_S = 600  # for the autovacuum worker to leave a database before it is dropped


def postgres_server_url() -> str:
    """The test server's URL; skips the test (fails it in CI) when there is none."""
    url = os.environ.get(TEST_SERVER_ENV)
    if url:
        return url
    reason = (
        f"no PostgreSQL server for the tests: set {TEST_SERVER_ENV} to "
        "postgresql://user:password@localhost/postgres (a user that may create databases)"
    )
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """The URL of a new, empty database on the server at `server_url`, dropped afterwards."""
    name = f"provcheck_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # our own name: letters, digits, _
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            waited, deadline = 0.05, time.monotonic() + _LONGEST_WAIT_S
            while True:
                try:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    break
                except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
                    # The server's autovacuum worker, which a test's user may not stop, is in
                    # the database (for a moment; a while, in a benchmark's large one): wait for
                    # it to leave.
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(waited)
                    waited = min(2.0, waited * 2)
