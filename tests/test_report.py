from __future__ import annotations

import json
from pathlib import Path

import pytest
from sample_registries import MemoryRegistry

import provcheck
from provcheck import CheckReport, InputError, verify_report
from provcheck.model.canonical import canonical_json


@pytest.fixture
def report() -> CheckReport:
    register = MemoryRegistry([{"description": {"title": "Acorn", "maker": "Tiffany"}}])
    return provcheck.check({"title": "Acorn", "maker": "Tiffany"}, [register])


def test_a_fresh_report_verifies(report: CheckReport) -> None:
    result = verify_report(report)
    assert result.ok and bool(result)
    assert result.recorded == result.computed == report.digest


def test_the_digest_covers_everything_but_itself(report: CheckReport) -> None:
    import hashlib

    data = json.loads(report.to_json())
    del data["digest"]
    assert report.digest == "sha256:" + hashlib.sha256(canonical_json(data)).hexdigest()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.update(conclusion="no-match-found"),
        lambda d: d["outcomes"][0]["candidates"][0].update(score=0.1),
        lambda d: d["query"].update(title="Oak"),
        lambda d: d.update(created_at="2020-01-01T00:00:00Z"),
        lambda d: d.update(note="added later"),
        lambda d: d["outcomes"].pop(),
    ],
    ids=["conclusion", "score", "query", "time", "new-field", "outcome-removed"],
)
def test_any_change_is_detected(report: CheckReport, tamper: object, tmp_path: Path) -> None:
    data = json.loads(report.to_json())
    tamper(data)  # type: ignore[operator]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    result = verify_report(path)
    assert not result.ok
    assert result.recorded == report.digest
    assert verify_report(json.dumps(data)).ok is False


def test_formatting_does_not_matter(report: CheckReport, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(json.loads(report.to_json()), indent=None), encoding="utf-8")
    assert verify_report(path).ok


def test_unreadable_input_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.json:1:2: not valid JSON"):
        verify_report(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="no 'digest'"):
        verify_report(tmp_path / "other.json")
    with pytest.raises(InputError, match="no such report file"):
        verify_report(tmp_path / "missing.json")
