"""Stores know their schema version: one written by an earlier provcheck is refused, saying how to
upgrade it, until `provcheck store upgrade` does, with nothing lost; one written by a newer
provcheck is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest
from conftest import FIXTURES

from provcheck.cases import CaseFile
from provcheck.cli import main
from provcheck.errors import InputError
from provcheck.model.description import ObjectDescription
from provcheck.store.opening import open_store
from provcheck.store.postgres import is_postgres_url
from provcheck.store.schema_version import SCHEMA_VERSION

EARLIER = FIXTURES / "stores" / "schema-1.sqlite3"


def test_a_store_of_the_earlier_release_is_refused_then_upgraded_with_nothing_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ours.sqlite3"
    shutil.copy(EARLIER, path)
    assert main(["local", "stats", "--store", str(path)]) == 2
    said = capsys.readouterr().err
    assert said.count("\n") == 1, said  # one line
    assert "store schema 1 is older than this provcheck's (2)" in said
    assert f"run `provcheck store upgrade --store {path}`" in said
    assert path.read_bytes() == EARLIER.read_bytes(), "refusing changed the store"

    # Listing the installed registers goes on, saying what the store needs.
    assert main(["registries", "--store", str(path)]) == 0
    assert "run `provcheck store upgrade" in capsys.readouterr().err

    assert main(["store", "upgrade", "--store", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: store schema 1 upgraded to 2\n"
    with open_store(path) as store:
        assert store.count() == 6
        assert store.stats().images == 6
        found = store.search_text(ObjectDescription(title="Boy blowing on an ember"), limit=1)
        assert found and found[0].record_id == "LOSS-2006"
        [key] = store.api_keys()
        assert key.holder == "Registrar"
        [case] = CaseFile(store).cases()
        assert CaseFile(store).verify(case[0]).ok
        assert CaseFile(store).verify(case[0]).entries == 2
    assert main(["store", "upgrade", "--store", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: store schema 2, up to date\n"


def _stamp_version(location: str, version: int) -> None:
    """The store's schema version, as a program of that version would have written it."""
    if is_postgres_url(location):
        with psycopg.connect(location, autocommit=True) as db:
            db.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(version),))
        return
    import sqlite3

    with sqlite3.connect(location) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))


def test_a_store_of_a_newer_provcheck_is_refused_and_left_alone(
    any_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    open_store(any_store).close()
    _stamp_version(any_store, SCHEMA_VERSION + 1)
    with pytest.raises(InputError, match=r"store schema 3 was written by a newer provcheck"):
        open_store(any_store)
    assert main(["store", "upgrade", "--store", any_store]) == 2
    assert "upgrade provcheck" in capsys.readouterr().err
    assert main(["local", "stats", "--store", any_store]) == 2


def test_a_new_store_is_made_at_this_version_and_upgrading_it_changes_nothing(
    any_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["store", "upgrade", "--store", any_store]) == 0
    assert capsys.readouterr().out.endswith(f"a new one was made, at schema {SCHEMA_VERSION}\n")
    assert main(["store", "upgrade", "--store", any_store]) == 0
    assert capsys.readouterr().out.endswith(f"store schema {SCHEMA_VERSION}, up to date\n")
    with open_store(any_store) as store:
        assert store.count() == 0


def test_a_database_with_other_tables_is_not_taken_for_a_store(any_store: str) -> None:
    if is_postgres_url(any_store):
        with psycopg.connect(any_store, autocommit=True) as db:
            db.execute("CREATE TABLE invoices (id INTEGER)")
    else:
        import sqlite3

        with sqlite3.connect(any_store) as db:
            db.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(
        InputError, match=r"not a provcheck store \(a database with other tables: invoices\)"
    ):
        open_store(any_store)


@pytest.mark.parametrize(
    "location",
    [
        "POSTGRESQL://u:SEKRIT@localhost/db",
        "postgresql:/u:SEKRIT@localhost/db",
        "mysql://u:SEKRIT@localhost/db",
    ],
)
def test_a_mistyped_address_is_refused_not_made_a_file(
    location: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["local", "stats", "--store", location]) == 2
    said = capsys.readouterr().err
    assert "not a store's location" in said and "SEKRIT" not in said, said
    assert list(tmp_path.iterdir()) == [], "a store was made in folders named after the address"
