"""`provcheck mirror wikidata`, then checks by words and by photograph, against the mock endpoint
served over real HTTP (uvicorn on a free port), as someone would run them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from provcheck_wikidata.service import WikidataService, create_mock, painting

from provcheck.cli import main
from provcheck.testing import served


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[WikidataService]:
    mock = create_mock(None, {"photographs": "4"})
    assert isinstance(mock.state, WikidataService)
    with served(mock.app) as url:
        monkeypatch.setenv("PROVCHECK_WIKIDATA_BASE_URL", f"{url}/sparql")
        monkeypatch.setenv("PROVCHECK_WIKIDATA_MIN_INTERVAL", "0")
        monkeypatch.setenv("PROVCHECK_LOCAL_PATH", str(tmp_path / "store.sqlite3"))
        yield mock.state


def test_mirror_then_check_by_photograph_and_by_words(
    endpoint: WikidataService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mirror", "wikidata"]) == 0
    out = capsys.readouterr().out
    assert "396 records fetched" in out and "images: 4 fetched" in out

    work = endpoint.works[1]
    photo = Image.open(io.BytesIO(painting(work["qid"]))).convert("RGB").rotate(-3)
    photo.crop((50, 40, 960, 760)).save(tmp_path / "photo.jpg", quality=75)
    assert main(["check", "--image", str(tmp_path / "photo.jpg"), "--registry", "wikidata"]) == 1
    out = capsys.readouterr().out
    assert "mirror data as of" in out and f"wikidata:{work['qid']}" in out

    query = ["--title", "The Concert", "--maker", "Johannes Vermeer", "--period", "1664"]
    assert main(["check", *query, "--registry", "wikidata"]) == 1
    assert "wikidata:Q1169395" in capsys.readouterr().out
