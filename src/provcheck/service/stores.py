"""A store used by the service's tasks from worker threads (a store's work must not hold up the event
loop), one thread at a time, and closed only when no thread uses it: a task cancelled from
outside gives up waiting at once, while its thread goes on to its end, and a connection closed
under it would crash the process."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from provcheck.store.interface import Store
from provcheck.store.opening import open_store

__all__ = ["StoreInThreads"]

T = TypeVar("T")


class StoreInThreads:
    """The store at `path`, opened now."""

    def __init__(self, path: str | Path) -> None:
        self.store = open_store(path)
        self._using = threading.Lock()

    async def run(self, work: Callable[[Store], T]) -> T:
        """`work(store)` on a worker thread, when no other thread is using the store."""

        def locked() -> T:
            with self._using:
                return work(self.store)

        return await asyncio.to_thread(locked)

    def now(self, work: Callable[[Store], T]) -> T:
        """`work(store)` on this thread (for quick work where no await is possible)."""
        with self._using:
            return work(self.store)

    def close(self) -> None:
        with self._using:
            self.store.close()
