"""Reading and writing the user's files: one clear line when a file is wrong, nothing half-written."""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from provcheck.errors import InputError

__all__ = [
    "active_cell",
    "inert_cell",
    "load_json",
    "read_bounded",
    "read_text",
    "refuse_links",
    "writable_file",
    "writable_folder",
    "writable_new_file",
    "write_atomically",
    "write_bytes_atomically",
]


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
    # One byte-order mark, as Excel's "CSV UTF-8" and Notepad write: a mark, not text (else it
    # would be the start of the first column's name, or of a JSON file's first token).
    text = text.removeprefix("\ufeff")
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


class _RepeatedKey(_NotJson):
    """An object naming one key twice: readers disagree on which value counts (Python's keeps
    the last, others the first), so a signed report or a query could say two things at once."""

    def __init__(self, key: str) -> None:
        shown = key if len(key) <= 40 else f"{key[:40]}..."
        super().__init__(f"the key {shown!r} is repeated; keep one")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return data


def _repeated_key_line(text: str) -> int | None:
    """The line (1-based, in `text`) of the first object that repeats a key, found by parsing again
    with the pure-Python scanner, which says where each object starts. Only on that error."""

    class Found(Exception):
        def __init__(self, line: int) -> None:
            self.line = line

    parse_pairs = json.decoder.JSONObject  # type: ignore[attr-defined]

    def parse_object(s_and_end: tuple[str, int], *args: Any, **kwargs: Any) -> tuple[Any, int]:
        pairs, end = parse_pairs(s_and_end, *args, **kwargs)
        if len({key for key, _ in pairs}) != len(pairs):
            s, start = s_and_end
            raise Found(s.count("\n", 0, start) + 1)
        return dict(pairs), end

    decoder = json.JSONDecoder(object_pairs_hook=list)
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        decoder.decode(text)
    except Found as found:
        return found.line
    except (ValueError, RecursionError):
        return None
    return None


def load_json(text: str, *, source: str, line_offset: int = 0) -> Any:
    """Parsed JSON, or an `InputError` saying `source:line:column` and what is wrong there.

    Refused too, in one line: NaN and Infinity (Python writes them; JSON has no such numbers),
    numbers too large for a float, an object that repeats a key, and nesting deeper than
    `MAX_JSON_DEPTH`.
    """
    # Where a problem found by value is: the line of a one-line text; else the file.
    where = f"{source}:{line_offset + 1}" if "\n" not in text.rstrip("\n") else source
    too_deep = f"{where}: not valid JSON (nested more than {MAX_JSON_DEPTH} deep)"
    try:
        data = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as error:
        line = error.lineno + line_offset
        raise InputError(f"{source}:{line}:{error.colno}: not valid JSON ({error.msg})") from None
    except _RepeatedKey as error:
        found = _repeated_key_line(text)
        at = f"{source}:{found + line_offset}" if found is not None else where
        raise InputError(f"{at}: not valid JSON ({error})") from None
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
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """`write_atomically` for bytes (an attached file): the whole file or nothing. A link at
    `path` is replaced, never followed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name[:64]}.", suffix=".tmp"
        )
    except OSError as error:
        raise InputError(f"{path}: cannot write here: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write the file: {error.strerror or error}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def refuse_links(
    out: Path,
    files: Iterable[Path],
    *,
    folders: Iterable[Path] = (),
    writer: str,
    instead: str,
) -> None:
    """An `InputError` before anything is written if a symbolic link, or a file where a folder
    must be (or a folder where a file must be), is on the way from the folder `out` to any of
    `files` or `folders`: a link placed there would have `writer` ("a batch", "a dossier")
    overwrite whatever it points to. (`out` itself is the user's choice, link or not.)
    `instead` says what else to do ("choose another --out")."""
    targets = [(file, False) for file in files] + [(folder, True) for folder in folders]
    for target, is_folder in targets:
        parts = target.relative_to(out).parts
        for depth in range(1, len(parts) + 1):
            path = out.joinpath(*parts[:depth])
            if path.is_symlink():
                raise InputError(
                    f"{path} is a symbolic link; {writer} writes nothing through a link in its "
                    f"folder: remove the link, or {instead}"
                )
            folder_expected = depth < len(parts) or is_folder
            if path.exists() and path.is_dir() != folder_expected:
                kind = "a file, not a folder" if folder_expected else "a folder, not a file"
                raise InputError(f"{path}: is {kind}; {writer} needs it: move it, or {instead}")


def writable_folder(folder: Path, option: str, given: Path | None = None) -> Path:
    """`folder` if files can be written in it (made if missing), else one `InputError` naming
    `option` and `given` (what the user gave: the folder, or a file in it) -- checked before any
    work, so that nothing is done whose result could not be kept.

    Refused: a broken link on the way (making the folder would follow it), a file where a folder
    must be, and a folder that exists but cannot be written in.
    """
    shown = f"{option} {given or folder}" if option else str(given or folder)
    existing = folder
    try:
        while not existing.exists():
            if existing.is_symlink():
                raise InputError(
                    f"{shown}: {existing} is a broken link; remove it or choose another place"
                )
            if existing.parent == existing:  # the root of a drive that is not there
                raise InputError(f"{shown}: {existing} does not exist; choose another place")
            existing = existing.parent  # exists() is False under a file, too
        is_folder = existing.is_dir()
    except (OSError, ValueError) as error:  # a name too long, a NUL in it, no permission
        raise InputError(f"{shown}: cannot be used as a folder: {error}") from None
    if not is_folder:
        where = "" if existing == folder else f"{existing} "
        raise InputError(f"{shown}: {where}is a file, not a folder; choose another place")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(
            f"{shown}: {existing} is not writable (permission denied); choose a folder you can "
            "write to"
        )
    return folder


def writable_new_file(path: Path, option: str, *, what: str, example: str) -> Path:
    """`path` if a new file can be written there, else one `InputError` naming `option`: checked
    before any work, so that nothing is done whose result could not be kept. `what` is the kind
    of file ("a report"); `example` a file name to suggest when `path` is a folder.

    Nothing is ever written over: not a file, a folder, a link (even a broken one), or anything
    else already at `path` -- a record someone keeps (maybe signed, maybe cited by a later one)
    may be there.
    """
    shown = f"{option} {path}" if option else str(path)
    writable_file(path, option, example=example)
    if path.exists() or path.is_symlink():
        kind = "a file" if path.is_file() else "something that is not a regular file"
        raise InputError(
            f"{shown}: {kind} is already there, and {what} is never written over anything; "
            "give another name (or move that one away)"
        )
    return path


def writable_file(path: Path, option: str, *, example: str) -> Path:
    """`path` if a file can be written there (a file already there is replaced, whole, when it
    is written), else one `InputError` naming `option`: a folder, a name the system refuses (too
    long), a folder on the way that cannot be made or written in."""
    shown = f"{option} {path}" if option else str(path)
    try:
        folder = path.is_dir()
    except OSError as error:
        raise InputError(f"{shown}: cannot be a file's name ({error.strerror or error})") from None
    if folder:
        raise InputError(f"{shown}: is a folder; give a file name in it, e.g. {path / example}")
    writable_folder(path.parent, option, path)
    return path


# A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab, a carriage return),
# after any `'` already there: such a cell is written with one `'` more, and read with one less.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def inert_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs: catalogue and register data may start
    with `=HYPERLINK(...)`, `@SUM(...)`, `+cmd`, `-2+3`; OWASP's remedy is a leading `'`. A cell
    that starts with `'` before one of those gets one too, so that `active_cell` gives back
    exactly what was written."""
    text = "" if value is None else str(value)
    return f"'{text}" if _FORMULA.match(text) else text


def active_cell(text: str) -> str:
    """A CSV cell's text as it was before `inert_cell` (`'=SUM(A1)` is `=SUM(A1)`)."""
    return text[1:] if text.startswith("'") and _FORMULA.match(text[1:]) else text
