"""`provcheck demo`: provcheck's real job on bundled data, with no network and no set-up.

It builds the sample register in a temporary store (never the user's own), runs the sample checks
-- a dealer's new photograph of a registered painting, a registered lamp described in other words,
an object in no register -- against it and against the mock services of the installed register
plugins (in-process), prints each report, writes each as JSON, and says what to try next.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.resources
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from provcheck.cli.common import Commands, add_command
from provcheck.engine import acheck
from provcheck.errors import InputError, ProvcheckError
from provcheck.model.description import ObjectDescription
from provcheck.model.report import CheckReport
from provcheck.registers.discovery import registry_class
from provcheck.registers.registry import Registry
from provcheck.reports.terminal import render_report
from provcheck.store.importing import import_file
from provcheck.store.local_register import LocalRegistry
from provcheck.store.sqlite import LocalStore
from provcheck.testing.mocks import Faults, in_process, installed_mocks, load_mock
from provcheck.userfiles import writable_folder, write_atomically

__all__ = ["DEMO_CHECKS", "add_commands", "demo_data_dir", "run_demo"]


@dataclass(frozen=True)
class DemoCheck:
    name: str  # the query file's name in queries/, and the report's in the output folder
    heading: str


DEMO_CHECKS = (
    DemoCheck("dealer-photo", "A dealer's photograph of a registered painting (cropped, resized)"),
    DemoCheck("reworded", "A registered lamp, described in other words, no photograph"),
    DemoCheck(
        "not-registered",
        "An object that is in no register (the FBI's API is searched by words only: its photograph"
        " is not compared there)",
    ),
)


def add_commands(commands: Commands) -> None:
    """`demo`."""
    demo = add_command(
        commands,
        "demo",
        "run sample checks on bundled data (no network, no set-up)",
        "provcheck demo --out /tmp/provcheck-demo",
        description="Build a sample register in a temporary store and run three sample checks.",
    )
    demo.add_argument(
        "--out", default="provcheck-demo", metavar="DIR", help="where to write the reports"
    )
    demo.set_defaults(run=_command_demo)


def _command_demo(args: argparse.Namespace) -> int:
    run_demo(writable_folder(Path(args.out), "--out"))
    return 0


def demo_data_dir() -> Path:
    """The sample register and queries: inside an installed wheel, or a source checkout's fixtures/."""
    packaged = Path(str(importlib.resources.files("provcheck"))) / "demo"
    checkout = Path(__file__).resolve().parents[3] / "fixtures"
    for folder in (packaged, checkout):
        if (folder / "sample-register" / "records.jsonl").is_file():
            return folder
    raise InputError(
        "the demo's sample data is missing from this installation; reinstall provcheck"
    )


def run_demo(out: Path, *, echo: Callable[[str], None] = print) -> list[CheckReport]:
    """Run the demo, writing one JSON report per check into `out`; returns the reports."""
    data = demo_data_dir()
    with tempfile.TemporaryDirectory(prefix="provcheck-demo-") as folder:
        store = LocalStore(Path(folder) / "demo.sqlite3")
        try:
            summary = import_file(store, data / "sample-register" / "records.jsonl")
            stats = store.stats()
            counts = ", ".join(f"{n} from {r}" for r, n in stats.records_by_registry.items())
            echo(
                f"Sample register: {summary.added} records ({counts}), {stats.images} photographs,"
                " in a temporary store."
            )
            # Plugins that look into the local store (for a mirror) see the demo's, not yours.
            with _environment(PROVCHECK_LOCAL_PATH=str(store.path)):
                reports = asyncio.run(_run_checks(data, LocalRegistry(store=store), out, echo))
        finally:
            store.close()
    echo("Summary:")
    for demo, report in zip(DEMO_CHECKS, reports, strict=True):
        best = report.candidates[0] if report.candidates else None
        found = f"best {best.record.key} ({best.score:.2f})" if best else "no candidates"
        echo(f"  {demo.name:<15} {report.conclusion.value:<15} {found}")
    first = out / f"{DEMO_CHECKS[0].name}.json"
    # Files of a source checkout are suggested only where they are: an installed wheel has none.
    nsaf = Path("adapters/provcheck-fbi/src/provcheck_fbi/seed/nsaf_data.csv")
    catalogue = Path("fixtures/catalogue/catalogue.csv")
    lines = [
        f"  provcheck verify {first}              # prove the report was not changed",
        f"  provcheck local import {nsaf} --mapping nsaf   # 4,523 FBI records"
        if nsaf.is_file()
        else "",
        '  provcheck check --title "Hysterical Venus" --maker Dali --registry local',
        "  provcheck check --image photo.jpg --title ... --out report.json",
        f"  provcheck batch {catalogue} --registry local   # a whole sale"
        if catalogue.is_file()
        else "",
        '  provcheck case new "The painting offered by X"   # a case file for one object',
        "  provcheck mock serve alr --port 8081  # a register's mock service, over real HTTP",
        "  provcheck registries                  # what is installed, and its settings",
    ]
    echo("\nTry next:\n" + "\n".join(line for line in lines if line))
    return reports


@contextlib.contextmanager
def _environment(**variables: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def _run_checks(
    data: Path, local: Registry, out: Path, echo: Callable[[str], None]
) -> list[CheckReport]:
    mocks = _mock_registers(echo)
    reports: list[CheckReport] = []
    try:
        for number, demo in enumerate(DEMO_CHECKS, start=1):
            query = ObjectDescription.from_file(data / "queries" / f"{demo.name}.json")
            report = await acheck(query, [local, *mocks])
            reports.append(report)
            target = out / f"{demo.name}.json"
            write_atomically(target, report.to_json() + "\n")
            echo(f"━━ Check {number} of {len(DEMO_CHECKS)}: {demo.heading} ━━")
            echo(render_report(report))
            echo(f"Saved: {target}\n")
    finally:
        await asyncio.gather(*(registry.aclose() for registry in mocks))
    return reports


def _mock_registers(echo: Callable[[str], None]) -> list[Registry]:
    """Every installed register that ships a mock of its service, connected to that mock in
    this process: the demo meets their real workflow (submission, review, answer) offline."""
    registers: list[Registry] = []
    for name in installed_mocks():
        try:
            mock = load_mock(name)(Faults(), {})
            register = registry_class(name)(transport=in_process(mock.app), **mock.client_settings)
        except ProvcheckError as error:
            echo(f"(the {name} mock is left out: {error})")
            continue
        echo(f"Mock service, in-process: {mock.about}")
        registers.append(register)
    echo("")
    return registers
