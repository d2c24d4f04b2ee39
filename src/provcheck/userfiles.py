"""Reading and writing the user's files: one clear line when a file is wrong, nothing half-written."""

from __future__ import annotations

import json
import math
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from provcheck.errors import InputError

__all__ = ["load_json", "read_bounded", "read_text", "write_atomically"]


# The largest text file provcheck reads whole (a query, a report, a catalogue, an import file).
MAX_TEXT_BYTES = 512 * 1024 * 1024


def read_text(path: Path, *, what: str, limit: int = MAX_TEXT_BYTES) -> str:
    """The file's UTF-8 text (newlines as Python reads them), at most `limit` bytes of it, or an
    `InputError` naming the file and what it was meant to be."""
    data = read_bounded(path, limit, what=what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: {what} is not UTF-8 text (byte {error.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_bounded(path: Path, limit: int, *, what: str) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them, or one `InputError`.

    The size is bounded by what is read, not by what `stat` says: `/dev/zero` or a FIFO reports
    size 0 and would otherwise be read until memory runs out. Anything that is not a regular file
    (a device, a FIFO, a socket, a folder) is refused before a byte is read; `what` ("image",
    "attachment") names the file in messages ("no such image file").
    """
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        noun = what if what.endswith("file") else f"{what} file"
        raise InputError(f"{path}: no such {noun}") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file ({what})") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the {what}: {error.strerror or error}") from None
    except ValueError:  # a NUL character in the name: no file can have it
        raise InputError(f"{str(path)!r}: not a possible file name (it holds a NUL)") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        if stat.S_ISDIR(mode):
            raise InputError(f"{path}: is a folder, not a file ({what})")
        raise InputError(
            f"{path}: is not a regular file (a device, FIFO or socket); "
            f"give the {what} as an ordinary file"
        )
    with os.fdopen(descriptor, "rb") as file:
        try:
            data = file.read(limit + 1)
        except OSError as error:
            raise InputError(f"{path}: cannot read the {what}: {error.strerror or error}") from None
    if len(data) > limit:
        raise InputError(f"{path}: the {what} is larger than the limit of {limit:,} bytes")
    return data


# No query, record, mapping or report nests deeper (a report holding a register's raw record
# nests some 15 levels); deeper JSON is refused before anything recurses through it.
MAX_JSON_DEPTH = 100
# Digits of an integer beyond any float (1.8e308), which many JSON readers cannot keep.
_MAX_JSON_DIGITS = 300


class _NotJson(ValueError):
    """What `json` accepts but JSON is not: NaN, Infinity, numbers no reader can keep."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number; write null, or the value as a string")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"the number {text[:20]}{'...' if len(text) > 20 else ''} is too large")
    return value


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > _MAX_JSON_DIGITS:
        raise _NotJson(f"a number of {digits:,} digits is too large")
    return int(text)


def _deeper_than(value: Any, limit: int) -> bool:
    """Does `value` nest lists and objects more than `limit` deep? (Without recursing.)"""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def load_json(text: str, *, source: str, line_offset: int = 0) -> Any:
    """Parsed JSON, or an `InputError` saying `source:line:column` and what is wrong there.

    Refused too, in one line: NaN and Infinity (Python writes them; JSON has no such numbers),
    numbers too large for a float, and nesting deeper than `MAX_JSON_DEPTH`.
    """
    # Where a problem found by value is: the line of a one-line text; else the file.
    where = f"{source}:{line_offset + 1}" if "\n" not in text.rstrip("\n") else source
    too_deep = f"{where}: not valid JSON (nested more than {MAX_JSON_DEPTH} deep)"
    try:
        data = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int
        )
    except json.JSONDecodeError as error:
        line = error.lineno + line_offset
        raise InputError(f"{source}:{line}:{error.colno}: not valid JSON ({error.msg})") from None
    except _NotJson as error:
        raise InputError(f"{where}: not valid JSON ({error})") from None
    except RecursionError:
        raise InputError(too_deep) from None
    if isinstance(data, dict | list) and _deeper_than(data, MAX_JSON_DEPTH):
        raise InputError(too_deep)
    return data


def write_atomically(path: Path, text: str) -> None:
    """Write the whole file or nothing: a reader never sees half a report. A file that cannot
    be written is one `InputError` naming it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name[:64]}.", suffix=".tmp"
        )
    except OSError as error:
        raise InputError(f"{path}: cannot write here: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write the file: {error.strerror or error}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
