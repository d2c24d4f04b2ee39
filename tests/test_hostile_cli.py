"""The CLI tried from outside, in processes of its own, with hostile and careless input: every
case of `benchmarks/hostile_inputs.py` holds (right exit code, one clear line, no traceback, its
own check). Slow: some forty runs of the command, a few seconds each."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "hostile_inputs.py"


@pytest.mark.slow
def test_every_hostile_input_gets_what_it_should(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("hostile_inputs", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hostile_inputs"] = module
    spec.loader.exec_module(module)
    rows = module.run_campaign(tmp_path)
    failed = [f"{row.case.name}: {row.problem}" for row in rows if row.problem is not None]
    assert not failed, "\n".join(failed)
    assert len(rows) >= 40
