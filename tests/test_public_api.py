from __future__ import annotations

import subprocess
import sys
import types

import provcheck


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(provcheck).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(provcheck.__all__) == public | {"__version__"}
    assert len(provcheck.__all__) == len(set(provcheck.__all__))


def test_the_contract_names_are_exported() -> None:
    for name in (
        "check",
        "acheck",
        "open_registry",
        "verify_report",
        "Registry",
        "ObjectDescription",
        "Record",
        "CheckReport",
    ):
        assert name in provcheck.__all__


def test_import_prints_the_public_api() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import provcheck; print(provcheck.__all__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "'check'" in done.stdout and "'Registry'" in done.stdout


def test_the_runtime_needs_no_test_dependency() -> None:
    # An installed wheel has no pytest: the demo and `provcheck mock serve` import the mock
    # toolkit from provcheck.testing, whose suites must load only when a test asks for them.
    import subprocess
    import sys

    code = (
        "import sys, provcheck, provcheck.cli, provcheck.cli.demo, provcheck.mocks, "
        "provcheck.testing.mocks; print(sorted({'pytest', 'respx', 'hypothesis'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
