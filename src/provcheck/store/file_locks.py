"""A lock held in a file while a long piece of work runs (a batch writing into a folder, a mirror's
sync into a SQLite store): a second program -- or a second opening in the same one -- asking for
it is told at once who holds it, and a program that dies lets it go with its open files."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["LockTaken", "held_file_lock"]


class LockTaken(Exception):
    """The lock is held by another: `holder` is the process id it wrote, or "?"."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"held by process {holder}")
        self.holder = holder


@contextmanager
def held_file_lock(path: Path) -> Iterator[None]:
    """Hold the lock of the file at `path` (made if absent; never through a symbolic link) for
    the block, without waiting: `LockTaken` if another holds it, `OSError` if the file cannot be
    opened. The holder's process id is written in the file while it holds it."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags, 0o644)
    try:
        if not _try_lock(descriptor):
            holder = os.read(descriptor, 32).decode("ascii", "replace").strip() or "?"
            raise LockTaken(holder)
        try:
            os.ftruncate(descriptor, 0)
            os.lseek(descriptor, 0, os.SEEK_SET)
            os.write(descriptor, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.ftruncate(descriptor, 0)
            _unlock(descriptor)
    finally:
        os.close(descriptor)  # closing releases the lock, whatever happened


if sys.platform == "win32":  # pragma: no cover -- CI runs on Linux
    import msvcrt

    # A lock on a byte far past the holder's id, which others must still be able to read.
    _LOCKED_BYTE = 1 << 20

    def _try_lock(descriptor: int) -> bool:
        os.lseek(descriptor, _LOCKED_BYTE, os.SEEK_SET)
        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        finally:
            os.lseek(descriptor, 0, os.SEEK_SET)
        return True

    def _unlock(descriptor: int) -> None:
        os.lseek(descriptor, _LOCKED_BYTE, os.SEEK_SET)
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    # flock, not fcntl's record locks: those belong to the process, so a second opening in the
    # same program would be given the lock it already holds.
    def _try_lock(descriptor: int) -> bool:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
