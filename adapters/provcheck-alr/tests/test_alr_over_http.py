"""The ALR mock as a real HTTP server (uvicorn on a free local port) and provcheck's CLI pointed at
it through the environment, as someone integrating provcheck would: a check, a pending search
resumed, a wrong key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from provcheck_alr.service import AlrService, create_mock

from provcheck import verify_report
from provcheck.cli import main
from provcheck.mocks import Faults
from provcheck.testing import ManualClock, served

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
KEY = "alr-http-key-93b1d0"


@dataclass
class Served:
    url: str
    service: AlrService
    clock: ManualClock


@pytest.fixture
def alr_service() -> Iterator[Served]:
    clock = ManualClock()
    mock = create_mock(
        Faults(), {"api_key": KEY, "review_seconds": "30", "min_poll_interval": "0"}, clock=clock
    )
    assert isinstance(mock.state, AlrService)
    with served(mock.app) as url:
        yield Served(url, mock.state, clock)


@pytest.fixture
def alr_env(monkeypatch: pytest.MonkeyPatch, alr_service: Served) -> Served:
    monkeypatch.setenv("PROVCHECK_ALR_BASE_URL", alr_service.url)
    monkeypatch.setenv("PROVCHECK_ALR_API_KEY", KEY)
    monkeypatch.setenv("PROVCHECK_ALR_CURRENT_OWNER", "Example Gallery Ltd")
    monkeypatch.setenv("PROVCHECK_ALR_COLLECTION_TYPE", "dealer stock")
    monkeypatch.setenv("PROVCHECK_ALR_POLL_INTERVAL", "0.05")
    monkeypatch.setenv("PROVCHECK_ALR_DEADLINE", "0.3")
    return alr_service


QUERY = ["--query", str(FIXTURES / "queries" / "not-registered.json"), "--registry", "alr"]


def test_a_check_over_http_is_pending_then_resumed_to_a_certificate(
    alr_env: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    assert main(["check", *QUERY, "--out", str(report)]) == 3
    out = capsys.readouterr().out
    assert "pending" in out and f"provcheck resume {report}" in out
    pending = json.loads(report.read_text())
    search_id = pending["outcomes"][0]["pending"]["handle"]["search_id"]

    alr_env.clock.now = 31  # the register's staff have answered
    assert main(["resume", str(report)]) == 0
    out = capsys.readouterr().out
    assert "NO MATCH FOUND" in out and "certificate: number S" in out
    assert json.loads(report.read_text()) == pending  # the report it resumes is kept as it was
    resumed = json.loads((tmp_path / "report.resumed.json").read_text())
    assert resumed["resumes"] == pending["digest"]
    assert resumed["outcomes"][0]["documents"]["search"]["id"] == search_id
    assert verify_report(report) and verify_report(tmp_path / "report.resumed.json")
    assert alr_env.service.charged == 1


def test_a_wrong_key_is_an_authentication_failure_and_never_printed(
    alr_env: Served,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PROVCHECK_ALR_API_KEY", "sk-live-wrong-4242")
    report = tmp_path / "report.json"
    assert main(["check", *QUERY, "--out", str(report)]) == 3
    captured = capsys.readouterr()
    assert "INCOMPLETE" in captured.out
    assert "authentication: alr: HTTP 401" in captured.out
    for text in (captured.out, captured.err, report.read_text()):
        assert "sk-live-wrong-4242" not in text
    assert alr_env.service.charged == 0
