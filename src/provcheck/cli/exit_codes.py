"""The exit codes (DESIGN.md): what a script reads a command's conclusion from."""

from __future__ import annotations

from provcheck.model.report import Conclusion

__all__ = [  # `exit_code` is the commands' own, not the package's
    "EXIT_INCOMPLETE",
    "EXIT_INTERNAL_ERROR",
    "EXIT_NO_MATCH",
    "EXIT_POSSIBLE_MATCH",
    "EXIT_USAGE",
]

EXIT_NO_MATCH = 0
EXIT_POSSIBLE_MATCH = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERNAL_ERROR = 70  # sysexits' EX_SOFTWARE: a bug in provcheck, whatever the input
_EXIT_FOR = {
    Conclusion.NO_MATCH_FOUND: EXIT_NO_MATCH,
    Conclusion.POSSIBLE_MATCH: EXIT_POSSIBLE_MATCH,
    Conclusion.INCOMPLETE: EXIT_INCOMPLETE,
}


def exit_code(conclusion: Conclusion) -> int:
    """The exit code that says `conclusion`."""
    return _EXIT_FOR[conclusion]
