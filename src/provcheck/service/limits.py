"""Per-key rate limits: a bucket of requests per key, filled at the rate allowed a minute.

Kept in the process: with several workers each keeps its own, so a key may make up to the limit
in each of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """`per_minute` requests a minute per key, up to `per_minute` at once after a pause."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("a rate limit is at least 1 request a minute")
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (requests left, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Count a request of `key`: None if it may go ahead, else the seconds until it may."""
        rate = self.per_minute / 60.0
        with self._lock:
            now = self._clock()
            left, at = self._buckets.get(key, (float(self.per_minute), now))
            left = min(float(self.per_minute), left + (now - at) * rate)
            if left < 1.0:
                self._buckets[key] = (left, now)
                return (1.0 - left) / rate
            self._buckets[key] = (left - 1.0, now)
            return None
