"""The `provcheck` command: one module per command group; `main` is the entry point."""

from provcheck.cli.app import (
    main,
)

__all__ = [
    "main",
]
