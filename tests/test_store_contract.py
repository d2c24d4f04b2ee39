"""The store contract, run against the SQLite store provcheck ships."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provcheck.store.sqlite import LocalStore
from provcheck.testing.store_contract import StoreContract


class TestLocalStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[LocalStore]:
        with LocalStore(tmp_path / "store.sqlite3") as opened:
            yield opened
