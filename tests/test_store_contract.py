"""The store contract, run against both stores provcheck ships: SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provcheck.store.postgres import PostgresStore
from provcheck.store.sqlite import LocalStore
from provcheck.testing.postgres import fresh_database, postgres_server_url
from provcheck.testing.store_contract import StoreContract


class TestLocalStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[LocalStore]:
        with LocalStore(tmp_path / "store.sqlite3") as opened:
            yield opened


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store(self) -> Iterator[PostgresStore]:
        with fresh_database(postgres_server_url()) as url, PostgresStore(url) as opened:
            yield opened
