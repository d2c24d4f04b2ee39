from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path

import pytest

from provcheck import plugins

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Pretend these plugins are installed: `entry_points(memory="module:Class", ...)`."""

    def install(**targets: str) -> None:
        points = [
            importlib.metadata.EntryPoint(name=name, value=value, group=plugins.ENTRY_POINT_GROUP)
            for name, value in targets.items()
        ]
        monkeypatch.setattr(plugins, "_entry_points", lambda: points)

    install()  # by default: nothing installed, whatever this machine has
    return install
