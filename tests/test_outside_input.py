"""Regressions from trying provcheck from outside (issue 13): the conclusion never says more than
was checked, expected errors are one line, output is written where it can be, and nothing a
register or a file says reaches the terminal as control sequences."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import provcheck
import provcheck.cli.registries
from provcheck.cli import EXIT_INTERNAL_ERROR, main
from provcheck.reports.terminal import printable
from provcheck.store.sqlite import LocalStore

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLE = FIXTURES / "sample-register" / "records.jsonl"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("sample") / "store.sqlite3"
    with provcheck.LocalStore(store) as opened:
        provcheck.import_file(opened, SAMPLE)
    return store


# --- (2) an empty register proves nothing -------------------------------------------------------


def test_an_empty_local_store_is_not_a_clean_result(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = tmp_path / "empty.sqlite3"
    for reason in ("there is no store there", "holds no records"):  # not there, then empty
        code, out, _ = run(
            capsys, "check", "--title", "Acorn", "--maker", "Tiffany", "--store", str(store)
        )
        assert code == 3
        assert out.startswith("INCOMPLETE")
        assert reason in out and "provcheck local import" in out
        LocalStore(store).close()


def test_an_empty_local_store_through_the_library(tmp_path: Path) -> None:
    registry = provcheck.LocalRegistry(path=str(tmp_path / "empty.sqlite3"))
    report = provcheck.check({"title": "Acorn", "maker": "Tiffany"}, [registry])
    assert report.conclusion is provcheck.Conclusion.INCOMPLETE
    assert report.outcomes[0].state is provcheck.OutcomeState.SKIPPED


# --- (3) a query too thin to rule anything out ----------------------------------------------------


def test_a_title_alone_is_too_thin_and_names_the_record_with_that_title(
    capsys: pytest.CaptureFixture[str], sample_store: Path
) -> None:
    code, out, _ = run(
        capsys, "check", "--title", "Acorn", "--registry", "local", "--store", str(sample_store)
    )
    assert code == 3
    assert not out.startswith("NO MATCH FOUND")
    head = out.split("Object:")[0]
    assert "too little to rule a record out" in head and "maker" in head
    assert "fbi:acorn" in head and "look at it" in head


@pytest.mark.parametrize(
    ("title", "key"),
    [("Acron", "fbi:acorn"), ("acorn!", "fbi:acorn"), ("Selbstbildnis", "local:LOSS-2016")],
)
def test_a_thin_query_names_the_record_whose_title_it_misspells_or_translates(
    title: str, key: str, sample_store: Path
) -> None:
    registry = provcheck.LocalRegistry(path=str(sample_store))
    report = provcheck.check({"title": title}, [registry])
    assert report.conclusion is provcheck.Conclusion.INCOMPLETE
    named = [lim for lim in report.limitations if lim.subject == key]
    assert named and "look at it" in named[0].message, report.limitations


def test_a_longer_title_holding_the_thin_querys_word_is_not_read_as_its_title(
    sample_store: Path,
) -> None:
    registry = provcheck.LocalRegistry(path=str(sample_store))
    report = provcheck.check({"title": "Venus"}, [registry])
    named = [lim.message for lim in report.limitations if lim.kind == "same-title"]
    assert not any("Mars and Venus" in message for message in named), named


def test_a_thin_query_names_a_few_records_of_its_title_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite3"
    with provcheck.LocalStore(path) as store, store.transaction():
        for number in range(30):
            store.put_record(
                provcheck.Record(
                    registry="local",
                    record_id=f"P{number}",
                    status=provcheck.RecordStatus.STOLEN,
                    description=provcheck.ObjectDescription(title="Portrait"),
                )
            )
    report = provcheck.check({"title": "Portrait"}, [provcheck.LocalRegistry(path=str(path))])
    named = [lim for lim in report.limitations if lim.kind == "same-title"]
    assert len(named) == 11, [lim.message for lim in named]
    assert "and 10 more records of this title, or read as it" in named[-1].message


def test_generic_words_alone_are_too_thin(sample_store: Path) -> None:
    registry = provcheck.LocalRegistry(path=str(sample_store))
    report = provcheck.check(
        {"title": "Portrait of a woman", "object_type": "painting", "materials": "oil on canvas"},
        [registry],
    )
    assert report.conclusion is provcheck.Conclusion.INCOMPLETE
    assert [lim.kind for lim in report.limitations][:1] == ["query-too-thin"]
    assert "generic" in report.limitations[0].message


def test_a_specific_query_still_concludes_no_match(sample_store: Path) -> None:
    registry = provcheck.LocalRegistry(path=str(sample_store))
    report = provcheck.check(
        {"title": "Harbour at dusk with fishing boats", "maker": "Jan Vermeulen", "period": "1952"},
        [registry],
    )
    assert report.conclusion is provcheck.Conclusion.NO_MATCH_FOUND
    assert report.limitations == ()


def test_limitations_are_sealed_and_shown_on_the_page(sample_store: Path) -> None:
    registry = provcheck.LocalRegistry(path=str(sample_store))
    report = provcheck.check({"title": "Acorn"}, [registry])
    assert provcheck.verify_report(json.loads(report.to_json()))
    data = json.loads(report.to_json())
    data["limitations"] = []
    assert not provcheck.verify_report(data)
    assert "look at it before relying on this check" in report.to_html()


# --- (5, 8, 10) output checked before any register is asked; the page never without the JSON --


class CountingRegistry(provcheck.Registry):
    """Counts its searches, as a paid register's account would."""

    name = "counting"
    title = "Counting register"
    access = provcheck.Access.API
    capabilities = provcheck.Capabilities(fields=frozenset({"title", "makers"}))
    searches = 0

    async def search(self, query: provcheck.ObjectDescription, *, limit: int) -> list[Any]:
        type(self).searches += 1
        return []


@pytest.fixture
def counting(entry_points: Callable[..., None]) -> type[CountingRegistry]:
    entry_points(counting=f"{__name__}:CountingRegistry")
    CountingRegistry.searches = 0
    return CountingRegistry


QUERY = ("--title", "Harbour at dusk", "--maker", "Jan Vermeulen", "--registry", "counting")


@pytest.mark.parametrize("where", ["folder", "under-a-file"])
def test_check_out_that_cannot_be_written_fails_before_any_search(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    counting: type[CountingRegistry],
    where: str,
) -> None:
    (tmp_path / "a-file").write_text("x")
    out = tmp_path if where == "folder" else tmp_path / "a-file" / "report.json"
    code, stdout, err = run(capsys, "check", *QUERY, "--out", str(out))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("provcheck: error: --out")
    assert "Traceback" not in err and stdout == ""
    assert counting.searches == 0


def test_check_into_a_mistyped_case_fails_before_any_search(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, counting: type[CountingRegistry]
) -> None:
    store = tmp_path / "store.sqlite3"
    assert run(capsys, "case", "new", "A case", "--store", str(store))[0] == 0
    code, _, err = run(capsys, "check", *QUERY, "--case", "C-typo", "--store", str(store))
    assert code == 2 and "C-typo" in err and "no such case" in err
    assert counting.searches == 0


def test_html_out_writes_the_json_report_beside_the_page(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, counting: type[CountingRegistry]
) -> None:
    page = tmp_path / "report.html"
    code, out, _ = run(capsys, "check", *QUERY, "--format", "html", "--out", str(page))
    assert code == 0
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert provcheck.verify_report(tmp_path / "report.json")
    assert "report.json" in out


def test_a_write_that_fails_late_is_one_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    counting: type[CountingRegistry],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    code, _, err = run(capsys, "check", *QUERY, "--out", str(tmp_path / "r.json"))
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing half-written


# --- (9) resume keeps the report it resumes -------------------------------------------------------


def test_resume_never_writes_over_the_report_it_resumes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from provcheck.cli.check import _resumed_path

    pending = tmp_path / "report.json"
    pending.write_text("{}")
    assert _resumed_path(pending) == tmp_path / "report.resumed.json"
    (tmp_path / "report.resumed.json").write_text("{}")
    assert _resumed_path(pending) == tmp_path / "report.resumed-2.json"
    code, _, err = run(capsys, "resume", str(pending), "--out", str(pending))
    assert code == 2 and "both are kept" in err
    assert pending.read_text() == "{}"


# --- (6) an internal error is a bug, with its own exit code ----------------------------------------


def test_an_internal_error_says_it_is_a_bug_and_exits_with_its_own_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import provcheck.cli

    def broken(args: object) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(provcheck.cli.registries, "_command_registries", broken)
    code, _, err = run(capsys, "registries")
    assert code == EXIT_INTERNAL_ERROR and code not in (0, 1, 2, 3)
    assert err.count("\n") == 1
    assert "internal error" in err and "bug" in err and "report it" in err
    log = Path(err.split("the details are in ")[1].split(".txt")[0] + ".txt")
    assert "ZeroDivisionError" in log.read_text() and "Traceback" in log.read_text()
    log.unlink()


# --- (19) control characters never reach the terminal raw -----------------------------------------


def test_printable_escapes_control_and_invisible_characters() -> None:
    hostile = "Acorn\x1b]0;pwned\x07\x1b[2J\u202eevil\x9b1m\u200b"
    shown = printable(hostile)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "\u202e" not in shown and "\u200b" not in shown
    assert shown.startswith("Acorn\\u001b]0;pwned\\u0007")
    assert printable("line one\n\tline two — Müller") == "line one\n\tline two — Müller"


class HostileRegistry(provcheck.Registry):
    name = "hostile"
    title = "Hostile register"
    access = provcheck.Access.API
    capabilities = provcheck.Capabilities(fields=frozenset({"title", "makers"}))

    async def search(self, query: provcheck.ObjectDescription, *, limit: int) -> Sequence[Any]:
        return [
            provcheck.Record(
                registry=self.name,
                record_id="1",
                description={
                    "title": "Harbour\x1b]0;owned\x07\x1b[2J at dusk",
                    "maker": "Jan\x1b[1A Vermeulen",
                },
            )
        ]


def test_register_text_with_escape_sequences_is_shown_as_text(
    capsys: pytest.CaptureFixture[str], entry_points: Callable[..., None]
) -> None:
    entry_points(hostile=f"{__name__}:HostileRegistry")
    code, out, _ = run(
        capsys,
        "check",
        "--title",
        "Harbour at dusk",
        "--maker",
        "Vermeulen",
        "--registry",
        "hostile",
    )
    assert code == 1
    assert "\x1b" not in out and "\x07" not in out
    assert "\\u001b]0;owned" in out
    code, out, _ = run(
        capsys,
        "check",
        "--title",
        "Harbour",
        "--maker",
        "Vermeulen",
        "--registry",
        "hostile",
        "--json",
    )
    report = json.loads(out)  # still valid JSON, and the register's text intact in it
    assert (
        "\x1b]0;owned" in report["outcomes"][0]["candidates"][0]["record"]["description"]["title"]
    )


# --- (20) credentials written into a base_url stay out of reprs -----------------------------------


def test_credentials_in_a_base_url_are_not_in_reprs_or_messages() -> None:
    from sample_registries import SampleApiRegistry

    registry = SampleApiRegistry(
        base_url="https://joe:hunter2@registry.example.org/api/?api_key=k-123456&page=1",
        api_key="sk-abcdef",
    )
    shown = repr(registry) + repr(registry.settings) + repr(registry.http)
    for secret in ("hunter2", "k-123456", "sk-abcdef"):
        assert secret not in shown
    assert "registry.example.org" in shown and "page=1" in shown
    from provcheck.registers.registry import redact_url

    for written in (
        "https://u:p%40ss@h/x",
        "https://h/x?api_key=ab%2Fcd&page=1",
        "https://h/?token=ab+cd",
    ):
        assert redact_url(written).count("**********") == 1, written
        assert "p%40ss" not in redact_url(written) and "ab%2Fcd" not in redact_url(written)
    message = registry.settings.redact(
        "GET https://joe:hunter2@registry.example.org/?api_key=k-123456"
    )
    assert "hunter2" not in message and "k-123456" not in message


# --- (22) a register class that forgets what it must declare --------------------------------------


def test_a_register_class_missing_its_declarations_fails_when_defined() -> None:
    with pytest.raises(TypeError, match=r"must set the class attributes title, access"):

        class Forgetful(provcheck.Registry):
            name = "forgetful"

            async def search(self, query: provcheck.ObjectDescription, *, limit: int) -> list[Any]:
                return []

    class Base(provcheck.Registry):  # abstract still: may leave them to its subclasses
        pass


# --- (23) typos get the close name; read-only commands make no store ------------------------------


def test_a_mistyped_register_suggests_the_installed_one(
    capsys: pytest.CaptureFixture[str], sample_store: Path
) -> None:
    code, _, err = run(
        capsys, "check", "--title", "Acorn", "--registry", "locl", "--store", str(sample_store)
    )
    assert code == 2 and "did you mean 'local'" in err and "uv add" not in err


def test_a_mistyped_option_shows_the_command_usage_and_the_close_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--titel", "Acorn"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert "usage: provcheck check" in err and "did you mean --title" in err


def test_case_show_of_a_missing_case_makes_no_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = tmp_path / "nothing-here" / "store.sqlite3"
    code, _, err = run(capsys, "case", "show", "C-nonexistent", "--store", str(store))
    assert code == 2 and "no local store" in err
    assert not store.exists() and not store.parent.exists()


def test_a_report_is_never_written_over_and_a_device_never_replaced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, counting: type[CountingRegistry]
) -> None:
    report = tmp_path / "report.json"
    assert run(capsys, "check", *QUERY, "--out", str(report))[0] == 0
    kept = report.read_bytes()
    code, _, err = run(capsys, "check", *QUERY, "--out", str(report))
    assert code == 2 and "never written over" in err and report.read_bytes() == kept
    # The page's JSON beside it is the same record.
    code, _, err = run(
        capsys, "check", *QUERY, "--format", "html", "--out", str(tmp_path / "report.html")
    )
    assert code == 2 and "never written over" in err
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "check", *QUERY, "--out", str(fifo))
    assert code == 2 and "not a regular file" in err and not fifo.is_file()
    notes = tmp_path / "notes.txt"
    notes.write_text("KEEP")
    code, _, err = run(capsys, "check", *QUERY, "--out", str(notes))
    assert code == 2 and notes.read_text() == "KEEP"
    assert counting.searches == 1


def test_an_argument_that_is_not_utf8_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "--title", "Caf\udce9", "--maker", "x")
    assert code == 2 and err.count("\n") == 1 and "not UTF-8" in err


def test_numbers_out_of_bounds_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for option, value in (
        ("--timeout", "nan"),
        ("--limit", "99999999999999999999"),
        ("--limit", "0"),
    ):
        with pytest.raises(SystemExit) as exited:
            main(["check", "--title", "Vase", "--maker", "Meissen", option, value])
        assert exited.value.code == 2
        assert f"argument {option}" in capsys.readouterr().err


def test_register_text_in_an_error_reaches_stderr_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hostile = tmp_path / "q\x1b]0;owned\x07.json"
    code, _, err = run(capsys, "check", "--query", str(hostile))
    assert code == 2 and "\x1b" not in err and "\\u001b]0;owned" in err


def test_the_page_names_a_photographs_file_never_its_folders(tmp_path: Path) -> None:
    from conftest import image_bytes

    folder = tmp_path / "private-folder-of-the-registrar"
    folder.mkdir()
    photo = folder / "front.png"
    photo.write_bytes(image_bytes((120, 90), seed=3))
    report = provcheck.check(
        {"title": "Harbour at dusk", "maker": "Jan Vermeulen", "images": [str(photo)]},
        [CountingRegistry()],
    )
    page = report.to_html()
    assert "front.png" in page and "private-folder-of-the-registrar" not in page


# --- a plugin's answer, bounded and never trusted to be well-formed (second outside pass) -------

HARBOUR = {"title": "Harbour at dusk", "maker": "Jan Vermeulen", "period": "1952"}


class Scripted(provcheck.Registry):
    """A plugin whose `search` does what a test says."""

    name = "scripted"
    title = "Scripted register"
    access = provcheck.Access.API
    capabilities = provcheck.Capabilities(fields=frozenset({"title", "makers"}))

    def __init__(self, answer: Any, **options: Any) -> None:
        super().__init__(**options)
        self.answer = answer

    async def search(self, query: provcheck.ObjectDescription, *, limit: int) -> Any:
        return await self.answer()


def record(record_id: str, **description: Any) -> provcheck.Record:
    return provcheck.Record(
        registry="scripted", record_id=record_id, status="stolen", description=description
    )


def test_two_records_under_one_id_never_hide_the_one_that_matches() -> None:
    async def answer() -> list[provcheck.Record]:
        return [record("1", **HARBOUR), record("1", title="Teapot")]

    report = provcheck.check(HARBOUR, [Scripted(answer)])
    assert report.conclusion is provcheck.Conclusion.POSSIBLE_MATCH
    assert "more than once" in report.outcomes[0].warnings[0]


def test_a_register_name_with_a_colon_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="register name"):
        provcheck.Record(registry="local:x", record_id="1")
    assert provcheck.Record(registry="fbi", record_id="x:1", status=" Stolen ").status == "stolen"


class BadMessage(Exception):
    def __str__(self) -> str:
        raise ValueError("no message")


@pytest.mark.parametrize(
    "behaviour",
    ["none", "generator-raises", "message-raises", "cancelled"],
)
def test_a_plugins_bug_fails_that_register_only(behaviour: str, sample_store: Path) -> None:
    async def answer() -> Any:
        if behaviour == "none":
            return None
        if behaviour == "generator-raises":

            def records() -> Any:
                yield record("1", **HARBOUR)
                raise RuntimeError("half-way")

            return records()
        if behaviour == "message-raises":
            raise BadMessage()
        raise asyncio.CancelledError()

    local = provcheck.LocalRegistry(path=str(sample_store))
    report = provcheck.check(HARBOUR, [Scripted(answer), local])
    scripted, searched = report.outcomes
    assert scripted.state is provcheck.OutcomeState.FAILED and scripted.error is not None
    assert scripted.error.kind == "internal"
    assert searched.state is provcheck.OutcomeState.SEARCHED
    assert report.conclusion is provcheck.Conclusion.INCOMPLETE


def test_what_a_plugin_returns_and_says_is_bounded() -> None:
    async def many() -> list[provcheck.Record]:
        return [record(str(n), title="Teapot") for n in range(500)]

    report = provcheck.check(HARBOUR, [Scripted(many)], limit=20)
    outcome = report.outcomes[0]
    assert outcome.records_returned == 500 and len(outcome.candidates) <= 20
    assert "more than the 20 asked for" in outcome.warnings[0]

    async def loud() -> list[provcheck.Record]:
        raise provcheck.RegistryError("x" * 5_000_000)

    failed = provcheck.check(HARBOUR, [Scripted(loud)]).outcomes[0]
    assert failed.error is not None and len(failed.error.message) < 3_000


def test_an_answer_after_the_time_allowed_is_a_timeout() -> None:
    async def stubborn() -> list[provcheck.Record]:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            await asyncio.sleep(1.5)  # ignores the cancellation, then answers "nothing"
        return []

    report = provcheck.check(HARBOUR, [Scripted(stubborn)], timeout=0.2)
    outcome = report.outcomes[0]
    assert outcome.state is provcheck.OutcomeState.FAILED and outcome.error is not None
    assert outcome.error.kind == "timeout"
    assert report.conclusion is provcheck.Conclusion.INCOMPLETE


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"registries": [Scripted]}, "is a class"),
        ({"registries": [None]}, "neither a register's name"),
        ({"limit": 10**20}, "limit must be"),
        ({"limit": 2.5}, "limit must be"),
        ({"timeout": float("nan")}, "timeout must be"),
        ({"timeout": "5"}, "timeout must be"),
    ],
)
def test_a_library_call_with_odd_arguments_is_one_clear_error(
    options: dict[str, Any], message: str
) -> None:
    arguments = {"registries": ["local"], **options}
    with pytest.raises(provcheck.InvalidQueryError, match=message):
        provcheck.check(HARBOUR, **arguments)


def test_a_record_image_path_never_picks_a_file_of_this_machine_for_the_page(
    tmp_path: Path,
) -> None:
    from conftest import image_bytes

    secret = tmp_path / "private.png"
    secret.write_bytes(image_bytes((160, 120), seed=9))

    async def answer() -> list[provcheck.Record]:
        image = {"path": str(secret)}
        return [record("1", **HARBOUR, images=[image])]

    report = provcheck.check(HARBOUR, [Scripted(answer)])
    assert report.candidates
    assert "data:image/jpeg" not in report.to_html()


def test_argparse_usage_errors_escape_control_characters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--titel", "\x1b]0;PWN\x07\x1b[2J"])
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\u001b]0;PWN" in err
