"""The `provcheck` command: the top parser, each command group's own from its module, and
`main`, which runs a command and turns what went wrong into one line and an exit code.

Exit codes (DESIGN.md): 0 no match found, 1 possible match, 3 incomplete, 2 usage or input error;
70 an internal error (a bug in provcheck).
An expected error prints one line -- what was wrong, where, what to do -- and no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence

from provcheck._version import __version__
from provcheck.cli import (
    batch,
    card,
    case,
    check,
    demo,
    export,
    key,
    local,
    loss,
    mirror,
    mock,
    registries,
    report,
    serve,
    store,
)
from provcheck.cli.exit_codes import EXIT_INTERNAL_ERROR, EXIT_USAGE
from provcheck.errors import ProvcheckError
from provcheck.registers.registry import redact_url
from provcheck.reports.terminal import PrintableStream, printable

__all__ = ["main"]

# The command groups, in the order --help lists their commands.
_GROUPS = (
    demo,
    local,
    check,
    card,
    mock,
    batch,
    case,
    loss,
    export,
    key,
    mirror,
    registries,
    report,
    serve,
    store,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="provcheck",
        description="Check an object against registers of stolen and missing cultural property.",
        epilog="Exit codes: 0 no match found, 1 possible match, 3 incomplete, 2 usage or input error.",
    )
    parser.add_argument("--version", action="version", version=f"provcheck {__version__}")
    parser.add_argument(
        "--signing-key",
        metavar="PATH",
        help="sign reports and case entries with this key (default: $PROVCHECK_SIGNING_KEY, "
        "else the key `provcheck key new` made, if any)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in _GROUPS:
        group.add_commands(commands)
    return parser


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The arguments; an option the command does not know is the command's own error, with its
    usage and the option it was probably meant to be."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command: argparse.ArgumentParser = getattr(args, "command_parser", parser)
        options = [o for action in command._actions for o in action.option_strings]
        close = difflib.get_close_matches(unknown[0].partition("=")[0], options, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        command.error(f"unrecognized arguments: {' '.join(unknown)}{hint}")
    return args


def _internal_error(error: Exception) -> int:
    """A bug, not the user's mistake: say so, keep the details for the report, exit with a code
    of its own (never one a script would read as a conclusion)."""
    details = "".join(traceback.format_exception(error))
    log = None
    with contextlib.suppress(OSError):
        handle, name = tempfile.mkstemp(prefix="provcheck-error-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as file:
            # The command as run, but for the passwords written into addresses (a store's URL).
            command = " ".join(redact_url(word) for word in sys.argv)
            file.write(f"provcheck {__version__}, Python {sys.version}\n{command}\n\n")
            file.write(details)
        log = name
    where = f"; the details are in {log}" if log else ""
    print(
        printable(
            f"provcheck: internal error: {type(error).__name__}: {error}. This is a bug in "
            f"provcheck, not a problem with your input{where}. Please report it to the "
            f"provcheck maintainers (the command you ran, this message and that file)."
        ),
        file=sys.stderr,
    )
    return EXIT_INTERNAL_ERROR


def _not_text(argv: Sequence[str]) -> str | None:
    """Why an argument cannot be taken (bytes that are not UTF-8 reach Python as surrogates,
    which no report, store or terminal can hold), or None."""
    for position, value in enumerate(argv, start=1):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            shown = value.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            return (
                f"argument {position} ({shown[:80]}) is not UTF-8 text (byte {error.start}); "
                "give it in UTF-8, as the terminal's locale should"
            )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    problem = _not_text(given)
    if problem is not None:
        print(f"provcheck: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    # Whatever a report, a register or a file says reaches the terminal as text, never as
    # control sequences (the progress bars write to the real standard error, not through this);
    # argparse's own usage errors quote the arguments too.
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PrintableStream(stdout), PrintableStream(stderr)
    args: argparse.Namespace | None = None
    try:
        args = _parse(given)
        code: int = args.run(args)
    except ProvcheckError as error:
        # One line, whatever the message quotes from a file (a header cell may hold a newline).
        message = str(error).replace("\r", "\\r").replace("\n", "\\n")
        print(printable(f"provcheck: error: {message}"), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        again = (
            ": what is finished is kept; run the same command again to continue"
            if args is not None
            and (
                args.command in ("batch", "mirror")
                or getattr(args, "local_command", None) == "refresh-features"
            )
            else ""
        )
        print(f"provcheck: interrupted{again}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`provcheck ... | head`): nothing is wrong with provcheck.
        sys.stdout = stdout
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as error:
        return _internal_error(error)
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        sys.stdout, sys.stderr = stdout, stderr
    return code


if __name__ == "__main__":
    sys.exit(main())
