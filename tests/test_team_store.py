"""The README's team-store commands, run as written, against a SQLite file and a PostgreSQL
database alike: an import, a check, a case and a batch give the same answers on both."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import readme_commands

from provcheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _team_commands() -> list[list[str]]:
    return readme_commands("### A store for a team: PostgreSQL")


def _from_the_checkout(words: list[str]) -> list[str]:
    """The command's file arguments as paths in the checkout (the test runs elsewhere)."""
    return [str(ROOT / word) if (ROOT / word).is_file() else word for word in words]


def test_the_readme_commands_work_on_either_store(
    any_store: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PROVCHECK_STORE_URL", any_store)
    answers: dict[str, tuple[int, str]] = {}
    for words in _team_commands():
        if words[0] == "serve":
            continue  # a service of its own: tests/test_service*.py, on both stores
        code = main(_from_the_checkout(words))
        out, err = capsys.readouterr()
        answers[" ".join(words[:2])] = (code, out + err)
    assert list(answers) == [
        "store upgrade",
        "local import",
        "check --title",
        "case new",
        "batch fixtures/catalogue/catalogue.csv",
    ]
    assert answers["store upgrade"][0] == 0
    code, said = answers["local import"]
    assert code == 0 and "4,523 rows read" in said
    code, said = answers["check --title"]
    assert code == 1, said  # a possible match
    assert "Hysterical Venus" in said
    code, said = answers["case new"]
    assert code == 0 and re.search(r"Opened case C-\d{8}-[0-9a-f]{6}", said)
    code, said = answers["batch fixtures/catalogue/catalogue.csv"]
    journal = (tmp_path / "checks" / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    checked = {row["key"]: row for row in map(json.loads, journal)}
    assert {key: row["conclusion"] for key, row in checked.items()} == CATALOGUE_CONCLUSIONS, said


# The sample sale's lots as checked against the NSAF listing (SQLite's answers, when this test was
# written; PostgreSQL's must be the same).
CATALOGUE_CONCLUSIONS = {
    "101": "no-match-found",
    "102": "possible-match",
    "103": "no-match-found",
    "104": "no-match-found",
    "105": "incomplete",
    "106": "no-match-found",
    "107": "no-match-found",
    "108": "no-match-found",
    "109": "no-match-found",
    "110": "possible-match",
    "111": "incomplete",
    "112": "incomplete",
}


def _with_password(url: str, password: str) -> str:
    scheme, _, rest = url.partition("://")
    userinfo, _, place = rest.rpartition("@")
    return f"{scheme}://{userinfo.partition(':')[0]}:{password}@{place}"


def test_a_database_password_is_shown_nowhere(capsys: pytest.CaptureFixture[str]) -> None:
    from provcheck.store.local_register import LocalSettings
    from provcheck.store.postgres import PostgresStore
    from provcheck.testing.postgres import fresh_database, postgres_server_url

    server = postgres_server_url()
    wrong = _with_password(server, "not-the-Pa55word")
    assert main(["local", "stats", "--store", wrong]) == 2
    said = capsys.readouterr().err
    assert said.count("\n") == 1 and "cannot connect to the PostgreSQL store" in said, said
    assert "not-the-Pa55word" not in said
    settings = LocalSettings(path=wrong)
    assert "not-the-Pa55word" not in repr(settings)
    assert "not-the-Pa55word" not in settings.redact(f"failed: {wrong}")
    with fresh_database(server) as url:
        password = url.partition("://")[2].rpartition("@")[0].partition(":")[2]
        assert password, "the test server's URL names its password"
        with PostgresStore(url) as store:
            shown = [repr(store), store.location, str(store.stats().path)]
        assert main(["local", "stats", "--store", url]) == 0
        shown.append(capsys.readouterr().out)
        assert all(f":{password}@" not in text for text in shown), shown
