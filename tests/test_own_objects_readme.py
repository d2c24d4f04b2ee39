"""The README's commands for one's own objects, run as written (the ALR mock served over real
HTTP on loopback, as the README points provcheck at it), against SQLite and PostgreSQL alike."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import pypdfium2
import pytest
from conftest import readme_commands
from provcheck_alr.service import AlrService, create_mock

from provcheck.cli import main
from provcheck.store.opening import open_store
from provcheck.testing import served

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def alr_mock(monkeypatch: pytest.MonkeyPatch) -> Iterator[AlrService]:
    """`provcheck mock serve alr`, and the environment the README sets to use it."""
    mock = create_mock(None, {"review_seconds": "0", "min_poll_interval": "0"})
    assert isinstance(mock.state, AlrService)
    with served(mock.app) as url:
        monkeypatch.setenv("PROVCHECK_ALR_BASE_URL", url)
        monkeypatch.setenv("PROVCHECK_ALR_API_KEY", "alr-demo-key")
        monkeypatch.setenv("PROVCHECK_ALR_POLL_INTERVAL", "0.05")
        yield mock.state


def test_the_readme_commands_for_ones_own_objects(
    any_store: str,
    alr_mock: AlrService,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PROVCHECK_STORE_URL", any_store)
    said: dict[str, str] = {}
    for words in readme_commands("## Your own objects, out to the registers"):
        given = [str(ROOT / w) if (ROOT / w).exists() and "/" in w else w for w in words]
        code = main(given)
        out, err = capsys.readouterr()
        assert code == 0, f"provcheck {shlex.join(words)}: exit {code}\n{out}{err}"
        said[" ".join(words[:2])] = out + err
    assert "local:LOSS-2001" in said["local list"]
    assert said["local search"].startswith("local:LOSS-2001")
    history = said["local history"]
    assert "measurements: None -> '42 x 31 cm'" in history and "history intact" in history
    # The card: a page a person would file, with the photograph and the checklist.
    pdf = pypdfium2.PdfDocument((tmp_path / "LOSS-2001.pdf").read_bytes())
    page = pdf[0]
    text = page.get_textpage().get_text_range()
    assert "Portret van Desiderius Erasmus" in text and "Missing for identification" in text
    grey = page.render(scale=0.5).to_pil().convert("L")
    dark = grey.point(lambda p: 255 if p < 200 else 0).histogram()[255]
    assert dark > grey.width * grey.height * 0.05  # not a blank page
    assert "Erasmus" in (tmp_path / "stolen.html").read_text(encoding="utf-8")
    # The loss: registered with the ALR (its number kept), documents prepared for the others.
    number = next(iter(alr_mock.registrations.values())).number
    assert f"registered registration number {number}" in said["loss report"]
    with open_store(any_store) as store:
        record = store.get("local", "LOSS-2003")
        assert record is not None and record.same_as == (f"alr:{number}",)
    # Exported and imported back: the same records, with their photographs.
    with open_store(tmp_path / "copy.sqlite3") as copy, open_store(any_store) as store:
        # The records found by checks went (the alert came after the export).
        assert copy.count("local") == store.count("local") - 1
        assert copy.get("local", "LOSS-2001") is not None
    assert "Added local:ALERT-" in said["local alert"]
