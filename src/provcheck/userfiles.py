"""Reading and writing the user's files: one clear line when a file is wrong, nothing half-written."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from provcheck.errors import InputError

__all__ = ["load_json", "read_text", "write_atomically"]


def read_text(path: Path, *, what: str) -> str:
    """The file's UTF-8 text, or an `InputError` naming the file and what it was meant to be."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: {what} is not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the {what}: {error.strerror or error}") from None


def load_json(text: str, *, source: str, line_offset: int = 0) -> Any:
    """Parsed JSON, or an `InputError` saying `source:line:column` and what is wrong there."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        line = error.lineno + line_offset
        raise InputError(f"{source}:{line}:{error.colno}: not valid JSON ({error.msg})") from None


def write_atomically(path: Path, text: str) -> None:
    """Write the whole file or nothing: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
