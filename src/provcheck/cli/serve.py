"""`provcheck serve` (the web service) and `provcheck api-key ...` (who may use it)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from provcheck.cli.common import STORE_HELP, Commands, add_command, store_location
from provcheck.errors import InputError
from provcheck.service.app import (
    ENV_JOBS_FOLDER,
    ENV_MAX_BODY,
    ENV_RATE_LIMIT,
    ENV_REGISTRIES,
    ENV_STORE,
)
from provcheck.service.keys import Role, make_key, revoke_key
from provcheck.store.interface import Store
from provcheck.store.opening import STORE_URL_ENV, a_folder_for_a_store, open_store, store_exists

__all__ = ["add_commands"]


def add_commands(commands: Commands) -> None:
    """`serve` and `api-key`."""
    serve = add_command(
        commands,
        "serve",
        "run the checks, reports and registers as a web service (with an OpenAPI document)",
        "provcheck serve --port 8000",
        "provcheck serve --host 0.0.0.0 --workers 2 --store /srv/provcheck/store.sqlite3",
        description=(
            "Serve checks over HTTP for collections software and scripts in any language. Every"
            " request but /health and /docs needs an API key (provcheck api-key new); the"
            " document is at /openapi.json, the interactive docs at /docs."
        ),
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument("--port", type=_port, default=8000, help="port (default: %(default)s)")
    serve.add_argument("--workers", type=_positive, default=1, help="processes (default: 1)")
    serve.add_argument("--store", metavar="STORE", help=STORE_HELP)
    serve.add_argument(
        "--registry",
        action="append",
        metavar="NAME",
        help="a register a check asks when it names none (repeatable; default: all installed)",
    )
    serve.add_argument(
        "--rate-limit",
        type=_positive,
        default=600,
        metavar="N",
        help="requests a minute each key may make, per worker (default: %(default)s)",
    )
    serve.add_argument(
        "--max-upload-mb",
        type=_positive,
        default=64,
        metavar="MB",
        help="the largest request body, photographs included (default: %(default)s)",
    )
    serve.add_argument(
        "--jobs-folder",
        metavar="DIR",
        help="where batch jobs keep their catalogues and reports (default: beside a store file;"
        " for a database, the user's data folder): a folder every machine's workers share",
    )
    serve.set_defaults(run=_command_serve)

    api_key = commands.add_parser("api-key", help="the keys that may use the web service")
    key_commands = api_key.add_subparsers(dest="api_key_command", required=True, metavar="COMMAND")
    new = add_command(
        key_commands,
        "new",
        "make an API key (shown once; the store keeps only its digest)",
        'provcheck api-key new --holder "Registrar, Musée Exemple" --role check',
    )
    new.add_argument("--holder", required=True, metavar="NAME", help="who will use it")
    new.add_argument(
        "--role",
        choices=[r.value for r in Role],
        default=Role.CHECK.value,
        help="read: see reports; check: and check objects; administer: and manage keys"
        " (default: %(default)s)",
    )
    new.add_argument("--store", metavar="STORE", help=STORE_HELP)
    new.add_argument("--json", action="store_true", help="print as JSON")
    new.set_defaults(run=_command_new)
    listing = add_command(
        key_commands, "list", "the keys, revoked ones too", "provcheck api-key list"
    )
    listing.add_argument("--store", metavar="STORE", help=STORE_HELP)
    listing.add_argument("--json", action="store_true", help="print as JSON")
    listing.set_defaults(run=_command_list)
    revoke = add_command(
        key_commands,
        "revoke",
        "revoke a key: refused from then on",
        "provcheck api-key revoke 3f2a9c01b7de",
    )
    revoke.add_argument("key_id", metavar="ID", help="the key's id (api-key list)")
    revoke.add_argument("--store", metavar="STORE", help=STORE_HELP)
    revoke.set_defaults(run=_command_revoke)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r}: give a port from 1 to 65535")
    return int(text)


def _positive(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number from 1 to 1000000")
    return int(text)


def _command_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from provcheck.registers.discovery import installed_registries

    path = store_location(args)
    unknown = sorted(set(args.registry or ()) - set(installed_registries()))
    if unknown:
        raise InputError(
            f"--registry {unknown[0]}: not installed (installed: "
            f"{', '.join(installed_registries())}; see `provcheck registries`)"
        )
    # Each worker is its own process: its settings travel in the environment.
    os.environ[ENV_STORE] = str(path)
    os.environ.pop(STORE_URL_ENV, None)  # the store is the one resolved here, which ENV_STORE names
    os.environ[ENV_RATE_LIMIT] = str(args.rate_limit)
    if args.jobs_folder:
        os.environ[ENV_JOBS_FOLDER] = str(Path(args.jobs_folder).resolve())
    os.environ[ENV_MAX_BODY] = str(args.max_upload_mb * 1024 * 1024)
    if args.registry:
        os.environ[ENV_REGISTRIES] = ",".join(args.registry)
    if args.signing_key:
        os.environ["PROVCHECK_SIGNING_KEY"] = str(args.signing_key)
    with open_store(path) as store:  # made now if there is none; refused now if not a store
        keys = [k for k in store.api_keys() if k.revoked_at is None]
        where = store.location  # never a password
    if not keys:
        print(
            "provcheck: no API keys yet, so every request will be refused; make one with "
            f"`provcheck api-key new --holder NAME --role check --store {where}`",
            file=sys.stderr,
        )
    print(
        f"provcheck serve: http://{args.host}:{args.port}/ (store {where}; docs at /docs)",
        file=sys.stderr,
    )
    uvicorn.run(
        "provcheck.service.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        server_header=False,
        # Longer than a client keeps an idle connection (httpx: 5 s): a server that closed it
        # first races the client's next request on it, which then fails to read an answer.
        timeout_keep_alive=30,
    )
    return 0


def _command_new(args: argparse.Namespace) -> int:
    with open_store(store_location(args)) as store:
        kept, key = make_key(store, args.holder, args.role)
    if args.json:
        print(
            json.dumps(
                {"key_id": kept.key_id, "holder": kept.holder, "role": kept.role, "key": key}
            )
        )
        return 0
    print(key)
    print(
        f"API key {kept.key_id} for {kept.holder} ({kept.role}). It is shown this once: the store "
        "keeps only its digest. Send it as `Authorization: Bearer <key>`.",
        file=sys.stderr,
    )
    return 0


def _existing_store(args: argparse.Namespace) -> Store:
    """The store the keys are in; never one made by asking."""
    location = store_location(args)
    if not store_exists(location):
        raise InputError(
            a_folder_for_a_store(location)
            or f"there is no store at {location}, so no keys; give --store PATH"
        )
    return open_store(location)


def _command_list(args: argparse.Namespace) -> int:
    with _existing_store(args) as store:
        keys = store.api_keys()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "key_id": k.key_id,
                        "holder": k.holder,
                        "role": k.role,
                        "created_at": k.created_at,
                        "revoked_at": k.revoked_at,
                    }
                    for k in keys
                ],
                indent=2,
            )
        )
        return 0
    if not keys:
        print("No API keys. Make one with `provcheck api-key new --holder NAME`.")
    for k in keys:
        state = f"revoked {k.revoked_at}" if k.revoked_at else "active"
        print(f"{k.key_id}  {k.role:<10} {state:<28} {k.created_at}  {k.holder}")
    return 0


def _command_revoke(args: argparse.Namespace) -> int:
    with _existing_store(args) as store:
        revoked = revoke_key(store, args.key_id)
    print(f"API key {revoked.key_id} ({revoked.holder}) revoked at {revoked.revoked_at}")
    return 0
