"""`provcheck mirror fbi`, then a check by photograph, against the mock API served over real HTTP
(uvicorn on a free port), as someone would run them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from provcheck_fbi.service import FbiService, create_mock, picture

from provcheck.cli import main
from provcheck.testing import served


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FbiService]:
    mock = create_mock(None, {"photographs": "5"})
    assert isinstance(mock.state, FbiService)
    with served(mock.app) as url:
        monkeypatch.setenv("PROVCHECK_FBI_BASE_URL", url)
        monkeypatch.setenv("PROVCHECK_FBI_MIN_INTERVAL", "0")
        monkeypatch.setenv("PROVCHECK_LOCAL_PATH", str(tmp_path / "store.sqlite3"))
        yield mock.state


def test_mirror_then_check_by_photograph(
    api: FbiService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mirror", "fbi"]) == 0
    out = capsys.readouterr().out
    assert "4,523 records fetched" in out and "images: 5 fetched" in out

    item = next(i for i in api.items if "seal-fbi" not in str(i["images"][0]["original"]))
    photo = Image.open(io.BytesIO(picture(item["uid"], 1024))).convert("RGB").rotate(3)
    photo.crop((40, 30, 980, 740)).save(tmp_path / "photo.jpg", quality=75)
    assert main(["check", "--image", str(tmp_path / "photo.jpg"), "--registry", "fbi"]) == 1
    out = capsys.readouterr().out
    assert "mirror data as of" in out and f"fbi:{item['uid']}" in out

    assert main(["mirror", "fbi"]) == 0
    assert "(incremental" in capsys.readouterr().out


def test_mirroring_a_register_without_bulk_access_is_one_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["mirror", "local", "--store", str(tmp_path / "s.sqlite3")]) == 2
    assert capsys.readouterr().err == "provcheck: error: local offers no bulk access to mirror\n"
