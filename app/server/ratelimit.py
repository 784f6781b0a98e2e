"""Token buckets for ingest: per project key, so a flood cannot fill the database, and per
visitor, so one runaway tracker (or a loop in someone's page) is told to slow down with 429
while the site's other visitors go on. Kept in memory, per server process; the visitor's
bucket is named by the visitor id the batch carries, never by an IP address."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class RateLimiter:
    def __init__(self, per_second: float, burst: int, max_keys: int = 100_000) -> None:
        self.per_second, self.burst, self.max_keys = per_second, burst, max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float | None:
        """Take one request's worth; None if allowed, else seconds until one is."""
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - stamp) * self.per_second)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)  # the longest idle key
        return None if allowed else (1 - tokens) / self.per_second
