"""Outside text that once crashed provcheck: makers of punctuation only, absurd numbers, hostile JSON.

Each case is what a user or a register really sent (or the smallest form of it a fuzzer found); each
must give a result or one clear line, never a traceback, and one bad row must not stop a batch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from pydantic import ValidationError

from provcheck import ImageRef, Matcher, ObjectDescription, Record, parse_makers
from provcheck.cli import main
from provcheck.errors import InputError
from provcheck.matching.comparators import (
    compare_images,
    compare_makers,
    compare_markings,
    compare_measurements,
    compare_periods,
)
from provcheck.store.sqlite import LocalStore
from provcheck.text.makers import Maker
from provcheck.text.measurements import Measurement, parse_measurements
from provcheck.text.periods import DatePeriod, parse_period
from provcheck.userfiles import load_json

CONCLUDED = (0, 1, 3)  # the exit codes of a check that ran: no match, possible match, incomplete
SAMPLE = FIXTURES / "sample-register" / "records.jsonl"
PUNCTUATION = ["-", "?", "!", "_", "...", "—", "?!", "( )", "&", "; ;", "/", "\u00ad", "\x03\x9f"]
HUGE = "1" + "0" * 400


def d(**fields: Any) -> ObjectDescription:
    return ObjectDescription.model_validate(fields)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    """A check of the local store that ran: every register searched (a failure inside a
    register would otherwise pass as an incomplete check), the JSON report."""
    code, out, err = run(capsys, "check", "--registry", "local", "--json", *argv)
    assert code in CONCLUDED, err
    report: dict[str, Any] = json.loads(out)
    assert [(o["state"], o["error"]) for o in report["outcomes"]] == [("searched", None)]
    return report


# --- Makers of punctuation only -----------------------------------------------------------------


@pytest.mark.parametrize("text", PUNCTUATION)
def test_a_maker_of_punctuation_only_names_no_maker(text: str) -> None:
    assert parse_makers(text) == ()
    query = d(maker=text, title="Acorn")
    assert query.makers == ()
    assert query.maker_text == (text.strip() or None)  # the verbatim text is kept


def test_punctuation_between_real_makers_is_dropped() -> None:
    assert [m.name for m in parse_makers("Rembrandt; -; ?")] == ["Rembrandt"]
    assert [m.name for m in parse_makers("Henry Klar & ! & Gloria Klar")] == [
        "Henry Klar",
        "Gloria Klar",
    ]


@pytest.mark.parametrize("text", PUNCTUATION)
@pytest.mark.parametrize(
    "other", ["Rembrandt", "Rembrandt van Rijn", "Salvador Dali", "a", "3", "van der"]
)
def test_makers_without_words_compare_as_absent(text: str, other: str) -> None:
    # Built directly, as a register's structured record may give them: no parser in between.
    nameless = ObjectDescription(makers=(Maker(name=text, text=text),))
    named = d(maker=other)
    assert compare_makers(nameless, named) is None
    assert compare_makers(named, nameless) is None
    assert compare_makers(nameless, nameless) is None
    candidate = Matcher().judge(named, Record(registry="r", record_id="1", description=nameless))
    assert 0.0 <= candidate.score <= 1.0


def test_check_with_a_punctuation_maker_against_the_local_store(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "local", "import", str(SAMPLE))[0] == 0
    for maker in ("-", "?", "!"):
        report = check(capsys, "--maker", maker, "--title", "Acorn lamp")
        assert report["outcomes"][0]["candidates"], "the title still finds the Acorn lamp"


def test_a_register_record_with_a_punctuation_maker_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = tmp_path / "records.jsonl"
    lines = [
        {"registry": "local", "record_id": "A", "description": {"title": "Acorn", "maker": "!"}},
        {
            "registry": "local",
            "record_id": "B",
            "description": {"title": "Acorn", "makers": [{"name": "?", "text": "?"}]},
        },
    ]
    records.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert run(capsys, "local", "import", str(records))[0] == 0
    report = check(capsys, "--title", "Acorn", "--maker", "Tiffany")
    found = {c["record"]["record_id"] for o in report["outcomes"] for c in o["candidates"]}
    assert found == {"A", "B"}


def test_a_catalogue_row_with_a_punctuation_artist_does_not_stop_the_batch(
    tmp_path: Path,
) -> None:
    # In a child process: this once ended in a segmentation fault (exit 139, no message).
    store = tmp_path / "store.sqlite3"
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "lot,title,artist\n1,Acorn lamp,!\n2,Sunflowers,?\n3,Portrait of Erasmus,-\n4,Vase,!\n"
    )
    env = {**os.environ, "PROVCHECK_LOCAL_PATH": str(store)}
    command = [sys.executable, "-X", "faulthandler", "-m", "provcheck"]
    imported = subprocess.run(
        [*command, "local", "import", str(SAMPLE)], env=env, capture_output=True, text=True
    )
    assert imported.returncode == 0, imported.stderr
    out = tmp_path / "out"
    batch = subprocess.run(
        [*command, "batch", str(catalogue), "--out", str(out), "--registry", "local"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert batch.returncode in CONCLUDED, batch.stderr[-2000:]
    assert len(list((out / "reports").glob("*.json"))) == 4


# --- Absurd numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"{HUGE} cm",
        f"H. {HUGE} cm",
        f"{HUGE} x 20 cm",
        f"{HUGE}.5 in",
        f"0.{HUGE} in",
        f"{HUGE} 1/2 in",
        f"1/{HUGE} in",
        f"{HUGE}/3 in",
        "99999999999 km x 3 cm",
    ],
)
def test_an_absurd_measurement_is_left_unparsed(text: str) -> None:
    measurements = parse_measurements(text)
    assert all(0 <= m.value <= 1e7 for m in measurements)
    query = d(measurements=text)
    assert query.measurements_text == text
    assert query.measurements == measurements
    # What parses can be written and read back: a record that imports can be searched.
    assert ObjectDescription.model_validate_json(query.model_dump_json()) == query


def test_a_measurement_beside_an_absurd_one_is_still_read() -> None:
    (width,) = parse_measurements(f"{HUGE} cm; W. 20 cm")
    assert (width.value, width.unit.value) == (20.0, "cm")


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 1e300, -1.0])
def test_a_structured_measurement_must_be_finite_and_plausible(value: float) -> None:
    with pytest.raises(ValidationError):
        Measurement(value=value, unit="cm", text="x")


@pytest.mark.parametrize("year", [10**400, -(10**400), 10**12])
def test_a_structured_period_must_have_plausible_years(year: int) -> None:
    with pytest.raises(ValidationError):
        DatePeriod(text="x", earliest=year)
    with pytest.raises(ValidationError):
        DatePeriod(text="x", latest=year)


@pytest.mark.parametrize(
    "text", [HUGE, f"{HUGE} BC", f"c. {HUGE}", "99999 BC", f"{HUGE}th century"]
)
def test_an_absurd_year_is_left_unparsed(text: str) -> None:
    period = parse_period(text)
    assert period is not None and period.text == text
    for year in (period.earliest, period.latest):
        assert year is None or -5_000_000 <= year <= 2100


def test_periods_far_apart_compare_without_overflow() -> None:
    a = ObjectDescription(period=DatePeriod(text="a", earliest=-3_000_000, latest=-3_000_000))
    b = ObjectDescription(period=DatePeriod(text="b", earliest=2000, latest=2000))
    comparison = compare_periods(a, b)
    assert comparison is not None and comparison.similarity == 0.0


def test_measurements_of_zero_compare_without_dividing_by_zero() -> None:
    zero = ObjectDescription(measurements=(Measurement(value=0, unit="cm", text="0 cm"),))
    grams = ObjectDescription(measurements=(Measurement(value=0, unit="g", text="0 g"),))
    some = d(measurements="20 x 30 cm; 5 kg")
    for a, b in [(zero, some), (some, zero), (zero, zero), (grams, some), (grams, grams)]:
        comparison = compare_measurements(a, b)
        assert comparison is None or 0.0 <= comparison.similarity <= 1.0


def test_a_query_with_an_absurd_measurement_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "local", "import", str(SAMPLE))[0] == 0
    report = check(capsys, "--title", "Acorn", "--measurements", f"{HUGE} cm")
    assert report["query"]["measurements"] == []
    query = tmp_path / "query.json"
    query.write_text(json.dumps({"title": "Acorn", "measurements": f"{HUGE} cm"}))
    assert check(capsys, "--query", str(query))["query"]["measurements_text"] == f"{HUGE} cm"


def test_a_record_with_an_absurd_measurement_imports_and_is_searched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = tmp_path / "records.jsonl"
    description = {"title": "Acorn lamp", "measurements": f"{HUGE} cm", "period": f"{HUGE}"}
    records.write_text(
        json.dumps({"registry": "local", "record_id": "HUGE", "description": description}) + "\n"
    )
    assert run(capsys, "local", "import", str(records))[0] == 0
    (candidate,) = check(capsys, "--title", "Acorn lamp")["outcomes"][0]["candidates"]
    assert candidate["record"]["description"]["measurements_text"] == f"{HUGE} cm"


@pytest.mark.parametrize(
    "value", [HUGE, "1e400", "-1e400", f"{HUGE}.0", "1" * 5000, '{"text": "x", "earliest": 1e20}']
)
def test_a_record_with_absurd_structured_numbers_is_refused_in_one_line(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = tmp_path / "records.jsonl"
    field = (
        f'"period": {value}'
        if value.startswith("{")
        else f'"measurements": [{{"value": {value}, "unit": "cm", "text": "x"}}]'
    )
    records.write_text(
        '{"registry": "local", "record_id": "X", "description": {"title": "Acorn", '
        + field
        + "}}\n"
    )
    code, _, err = run(capsys, "local", "import", str(records))
    assert code == 2
    assert err.startswith("provcheck: error: ") and err.count("\n") == 1, err
    assert str(records) in err
    assert "Traceback" not in err


# --- Numbers longer than Python reads as int (4,300 digits) -------------------------------------

LONG = "7" * 5000


def test_a_number_of_thousands_of_digits_in_markings_is_compared() -> None:
    a = d(inscriptions=f"serial {LONG}", title="Acorn")
    comparison = compare_markings(a, a)
    assert comparison is not None and comparison.similarity == 1.0


def test_a_number_of_thousands_of_digits_is_searched(private_store: Path) -> None:
    with LocalStore(private_store) as store:
        assert store.search_text(d(title=f"Acorn {LONG}"), limit=5) == []


def test_a_query_of_thousands_of_digits_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "local", "import", str(SAMPLE))[0] == 0
    report = check(capsys, "--title", f"Acorn {LONG}", "--inscriptions", LONG)
    assert report["outcomes"][0]["candidates"]


# --- Fingerprints a record or a query brings with it --------------------------------------------


@pytest.mark.parametrize("bad", ["zz", "", "-", "0x12", "12 34", "8f373714acfcf4d0ff"])
def test_fingerprints_that_are_not_hex_are_refused_and_never_compared(bad: str) -> None:
    with pytest.raises(ValidationError, match="16 hexadecimal digits"):
        ImageRef(url="https://example.org/a.jpg", fingerprints={"phash": bad})
    good = "8f373714acfcf4d0"
    # Made without validation, as a plugin's own code could: the comparators still ignore it.
    theirs = ImageRef.model_construct(
        url="https://example.org/a.jpg", sha256="a", fingerprints={"phash": bad}
    )
    ours = ImageRef(url="https://example.org/b.jpg", sha256="b", fingerprints={"phash": good})
    both = ImageRef(
        url="https://example.org/c.jpg", sha256="c", fingerprints={"phash": good, "dhash": good}
    )
    query, record = ObjectDescription(images=(ours,)), ObjectDescription(images=(theirs,))
    assert compare_images(query, record) is None
    assert compare_images(record, query) is None
    comparison = compare_images(ObjectDescription(images=(both,)), record_with(theirs, both))
    assert comparison is not None and comparison.similarity == 1.0


def record_with(*images: ImageRef) -> ObjectDescription:
    return ObjectDescription(images=images)


# --- Hostile JSON -------------------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (DEEP, "nested"),
        ('{"a": ' * 5000 + "1" + "}" * 5000, "nested"),
        ("[" * 500 + "]" * 500, "nested"),
        ('{"a": NaN}', "NaN"),
        ('{"a": [1, Infinity]}', "Infinity"),
        ('{"a": -Infinity}', "-Infinity"),
        ('{"a": 1e400}', "1e400"),
        ('{"a": -1e400}', "-1e400"),
        ("1" * 5000, "digits"),
    ],
)
def test_hostile_json_is_one_input_error(text: str, says: str) -> None:
    with pytest.raises(InputError) as raised:
        load_json(text, source="query.json")
    message = str(raised.value)
    assert message.startswith("query.json") and says in message
    assert "\n" not in message and len(message) < 300


def test_json_nested_as_deep_as_real_files_is_read() -> None:
    assert load_json("[" * 60 + "]" * 60, source="x") == eval("[" * 60 + "]" * 60)
    assert load_json('{"a": 1.5, "b": 1e300, "c": ' + "9" * 300 + "}", source="x")["b"] == 1e300


def test_a_line_of_json_lines_is_named_in_the_message() -> None:
    with pytest.raises(InputError, match=r"^records.jsonl:7: "):
        load_json('{"a": NaN}', source="records.jsonl", line_offset=6)


@pytest.mark.parametrize(
    "content", [DEEP, '{"digest": "sha256:00", "x": NaN}', '{"a": Infinity}', '{"a": 1e999}']
)
@pytest.mark.parametrize("command", [["check", "--registry", "local", "--query"], ["verify"]])
def test_the_cli_refuses_hostile_json_in_one_line(
    content: str, command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hostile.json"
    path.write_text(content)
    code, _, err = run(capsys, *command, str(path))
    assert code == 2
    assert err.startswith(f"provcheck: error: {path}") and err.count("\n") == 1, err[:500]
    assert "internal error" not in err


@pytest.mark.parametrize(
    "content",
    [
        '{"images": 5}',
        '{"images": true}',
        '{"images": [5]}',
        '{"images": [null]}',
        '{"images": [[]]}',
    ],
)
def test_a_query_with_images_of_the_wrong_kind_is_refused_in_one_line(
    content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "query.json"
    path.write_text(content)
    code, _, err = run(capsys, "check", "--registry", "local", "--query", str(path))
    assert code == 2
    assert err.startswith(f"provcheck: error: {path}: field images") and err.count("\n") == 1, err


def test_a_jsonl_import_refuses_hostile_lines_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for content in (DEEP, '{"registry": "local", "record_id": "X", "raw": NaN}'):
        records = tmp_path / "records.jsonl"
        records.write_text(content + "\n")
        code, _, err = run(capsys, "local", "import", str(records))
        assert code == 2
        assert err.startswith("provcheck: error: ") and err.count("\n") == 1, err[:500]
        assert "internal error" not in err


# --- Found by the fuzz suite ---------------------------------------------------------------------


def test_an_image_path_with_a_nul_byte_in_a_csv_import_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue = tmp_path / "records.csv"
    catalogue.write_text("record_id,title,photo\n1,Acorn,a\x00b.jpg\n")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"fields": {"title": "title"}, "images": ["photo"]}))
    code, _, err = run(capsys, "local", "import", str(catalogue), "--mapping", str(mapping))
    assert code == 2 and err.count("\n") == 1 and "internal error" not in err, err


def test_an_image_path_with_a_nul_byte_in_a_query_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = tmp_path / "query.json"
    query.write_text('{"title": "Acorn", "images": [{"path": "a\\u0000b.jpg"}]}')
    code, _, err = run(capsys, "check", "--query", str(query), "--registry", "local")
    assert code == 2 and err.count("\n") == 1 and "internal error" not in err, err


def test_a_csv_header_with_a_newline_is_named_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue = tmp_path / "records.csv"
    catalogue.write_text('"a\nb",c\n1,2\n')
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"fields": {"artist": "maker"}}))
    code, _, err = run(capsys, "local", "import", str(catalogue), "--mapping", str(mapping))
    assert code == 2 and err.count("\n") == 1, err


def test_a_matcher_needing_no_evidence_scores_a_record_it_cannot_compare() -> None:
    matcher = Matcher(evidence_needed=0.0)
    candidate = matcher.judge(d(title="Acorn"), Record(registry="r", record_id="1"))
    assert candidate.score == 0.0


def test_a_query_files_faults_name_the_fields_the_user_wrote_and_how_many_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "query.json"
    path.write_text('{"title": "Acorn", "maker": 5}')
    code, _, err = run(capsys, "check", "--registry", "local", "--query", str(path))
    assert code == 2 and err.count("\n") == 1, err
    assert f"{path}: field maker:" in err and "maker_text" not in err, err
    # Every fault counts, not only the first one met.
    path.write_text('{"title": 5, "period": {"a": 1}, "object_type": []}')
    code, _, err = run(capsys, "check", "--registry", "local", "--query", str(path))
    assert code == 2 and err.count("\n") == 1, err
    assert "field object_type:" in err and "and 2 more problems (period.text, title)" in err, err
    # A maker given as null beside the other maker fields is no maker, as before.
    path.write_text('{"title": "Acorn", "maker": null, "maker_text": "Tiffany"}')
    code, _, err = run(capsys, "check", "--registry", "local", "--query", str(path))
    assert "maker" not in err, err
    # A key a file invents is named, shortened: it may hold anything, a secret too.
    path.write_text('{"title": "Acorn", "' + "k" * 5000 + '": 1, "' + "j" * 5000 + '": 2}')
    code, _, err = run(capsys, "check", "--registry", "local", "--query", str(path))
    assert code == 2 and err.count("\n") == 1 and len(err) < 600, err[:300]
