"""The `provcheck` command: one module per command group; `main` is the entry point."""

from provcheck.cli import exit_codes as _exit_codes
from provcheck.cli.app import main
from provcheck.cli.exit_codes import *  # noqa: F403 -- the exit codes are exit_codes.py's

__all__ = ["main", *_exit_codes.__all__]
