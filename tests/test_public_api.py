from __future__ import annotations

import subprocess
import sys
import types

import provcheck


def test_all_lists_exactly_the_public_names() -> None:
    # The public API loads when first used: what the package offers is what `dir` names.
    public = {
        name
        for name in dir(provcheck)
        if not name.startswith("_") and not isinstance(getattr(provcheck, name), types.ModuleType)
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


def test_the_model_is_read_without_the_whole_house() -> None:
    # The layers hold when the code runs, not only in the import contract: the model loads no
    # HTTP client, database, image library, template engine or workflow.
    import subprocess
    import sys

    heavy = {"httpx", "sqlite3", "cv2", "numpy", "PIL", "jinja2", "rich", "provcheck.engine"}
    code = (
        "import sys, provcheck.model.report, provcheck.model.case; "
        f"print(sorted(set({sorted(heavy)!r}) & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
