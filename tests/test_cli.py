from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from provcheck import verify_report
from provcheck.cli import main

REGISTERS = {
    "acorns": "sample_registries:AcornRegistry",
    "down": "sample_registries:DownRegistry",
    "sample-api": "sample_registries:SampleApiRegistry",
}
SECRET = "sk-cli-0123456789"


@pytest.fixture(autouse=True)
def installed(entry_points: Callable[..., None]) -> None:
    entry_points(**REGISTERS)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_possible_match_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "check",
        "--title",
        "Acorn",
        "--maker",
        "Tiffany",
        "--period",
        "c. 1906",
        "--registry",
        "acorns",
    )
    assert code == 1
    assert out.startswith("POSSIBLE MATCH")
    assert "acorns:0" in out and "https://registry.example.org/acorn" in out
    assert "title: 'Acorn' ≈ 'Acorn' (1.00)" in out


def test_check_no_match_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "check",
        "--title",
        "Harbour at dusk",
        "--maker",
        "Vermeulen",
        "--registry",
        "acorns",
    )
    assert code == 0
    assert out.startswith("NO MATCH FOUND")
    assert "does not" in out  # the caveat: absence is not proof of good title


def test_check_with_a_failed_register_exits_3_and_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys, "check", "--title", "Harbour", "--registry", "acorns", "--registry", "down"
    )
    assert code == 3
    assert out.startswith("INCOMPLETE")
    assert "down       failed    unavailable: down: could not reach" in out


def test_check_json_and_out(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "reports" / "acorn.json"
    code, out, _ = run(
        capsys,
        "check",
        "--title",
        "Acorn",
        "--maker",
        "Tiffany",
        "--registry",
        "acorns",
        "--json",
        "--out",
        str(target),
    )
    assert code == 1
    printed = json.loads(out)
    assert printed["conclusion"] == "possible-match"
    assert json.loads(target.read_text(encoding="utf-8")) == printed
    assert verify_report(target).ok
    assert [p.name for p in target.parent.iterdir()] == ["acorn.json"]  # no temporary left behind


def test_check_reads_a_query_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    query = tmp_path / "q.json"
    query.write_text(
        json.dumps({"title": "Acorn", "maker": "Tiffany", "measurements": "61 cm"}),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "check", "--query", str(query), "--registry", "acorns", "--json")
    assert code == 1
    assert json.loads(out)["query"]["measurements_text"] == "61 cm"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{\n  "title": "Acorn",\n}', "q.json:3:1: not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"titel": "Acorn"}', "field titel: Extra inputs are not permitted"),
        ("{}", "nothing to check"),
    ],
)
def test_bad_query_files_get_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    query = tmp_path / "q.json"
    query.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "check", "--query", str(query), "--registry", "acorns")
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_missing_image_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "--image", "nowhere.jpg", "--registry", "acorns")
    assert code == 2
    assert err.strip() == "provcheck: error: --image nowhere.jpg: no such file"


def test_unknown_register_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "--title", "x", "--registry", "alr")
    assert code == 2
    assert "no register named 'alr' is installed" in err and "provcheck-alr" in err


def test_registries_lists_access_and_settings_without_secrets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "registries")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "ACCESS", "SETTINGS", "VERSION", "TITLE"]
    assert any(
        line.startswith("acorns") and "local" in line and "complete" in line for line in lines
    )
    assert any(line.startswith("sample-api") and "incomplete" in line for line in lines)
    assert "PROVCHECK_SAMPLE_API_API_KEY" in out

    monkeypatch.setenv("PROVCHECK_SAMPLE_API_API_KEY", SECRET)
    code, out, _ = run(capsys, "registries", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["sample-api"]["settings"] == "complete"
    assert rows["sample-api"]["access"] == "api"
    assert SECRET not in out


def test_verify(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    run(
        capsys,
        "check",
        "--title",
        "Acorn",
        "--maker",
        "Tiffany",
        "--registry",
        "acorns",
        "--out",
        str(target),
    )
    code, out, _ = run(capsys, "verify", str(target))
    assert code == 0 and "digest verified" in out
    data = json.loads(target.read_text(encoding="utf-8"))
    data["conclusion"] = "incomplete"
    target.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run(capsys, "verify", str(target))
    assert code == 1 and "MISMATCH" in err
    target.write_text("garbage", encoding="utf-8")
    code, _, err = run(capsys, "verify", str(target))
    assert code == 2 and "not valid JSON" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("model", ["report", "query", "record"])
def test_schema(capsys: pytest.CaptureFixture[str], model: str) -> None:
    code, out, _ = run(capsys, "schema", model)
    assert code == 0
    assert json.loads(out)["type"] == "object"


def test_report_schema_names_the_contract_fields(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "schema")
    schema = json.loads(out)
    assert {"conclusion", "outcomes", "created_at", "versions", "digest"} <= set(
        schema["properties"]
    )


def test_demo_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the demo writes its reports under ./provcheck-demo
    code, out, _ = run(capsys, "demo")
    assert code == 0 and out
    assert (tmp_path / "provcheck-demo" / "dealer-photo.json").is_file()


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["check", "--limit", "many"])
    assert raised.value.code == 2
    assert "is not a whole number" in capsys.readouterr().err
