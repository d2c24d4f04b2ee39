"""`provcheck mock ...`: the installed register plugins' mock services, served over HTTP for
testing an integration."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence

import httpx

from provcheck.cli.common import Commands, add_command
from provcheck.errors import InputError
from provcheck.registers.registry import env_var_name
from provcheck.testing.mocks import Faults, installed_mocks, load_mock, serve

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    """`mock` and its commands."""
    mock = commands.add_parser("mock", help="mock register services, for testing an integration")
    mock_commands = mock.add_subparsers(dest="mock_command", required=True, metavar="COMMAND")
    serve_parser = add_command(
        mock_commands,
        "serve",
        "run a register's mock service as a real HTTP server",
        "provcheck mock serve alr --port 8081",
        "provcheck mock serve lsad --port 8082 --set review_seconds=30 --fault rate_limited=3",
        description=(
            "Serve the mock of a register's service, with its seed records, on HOST:PORT until"
            " interrupted; print the settings that point provcheck at it."
        ),
    )
    serve_parser.add_argument("name", metavar="NAME", help="the register (see `mock list`)")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8081)
    serve_parser.add_argument(
        "--fault",
        action="append",
        metavar="NAME=VALUE",
        help=f"inject a fault (repeatable): {', '.join(Faults.model_fields)}",
    )
    serve_parser.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="a mock setting (repeatable)"
    )
    serve_parser.set_defaults(run=_command_mock_serve)
    mock_list = add_command(
        mock_commands, "list", "list the installed mock services", "provcheck mock list"
    )
    mock_list.set_defaults(run=_command_mock_list)


def _mock_values(items: Sequence[str] | None, option: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"{option} {item!r}: expected NAME=VALUE")
        values[name.strip()] = value.strip()
    return values


def _command_mock_serve(args: argparse.Namespace) -> int:
    faults = Faults.parse(args.fault or [])
    mock = load_mock(args.name)(faults, _mock_values(args.set, "--set"))
    # The service's own path on its host (Wikidata's /sparql), as the mock's settings give it.
    path = httpx.URL(str(mock.client_settings.get("base_url", ""))).path.rstrip("/")
    address = f"http://{args.host}:{args.port}{path}"
    print(mock.about)
    if faults != Faults():
        print(f"Faults: {faults.model_dump(exclude_defaults=True)}")
    print("Point provcheck (or your collections software) at it:")
    for option, value in {**mock.client_settings, "base_url": address}.items():
        print(f"  export {env_var_name(args.name, option)}={shlex.quote(str(value))}")
    print(f"  provcheck check --title ... --registry {args.name}\n")
    serve(mock.app, host=args.host, port=args.port)
    return 0


def _command_mock_list(args: argparse.Namespace) -> int:
    mocks = installed_mocks()
    if not mocks:
        print("No mock services installed: the register plugins that ship one provide them.")
    for name, target in mocks.items():
        print(f"{name:<10} {target}")
    return 0
