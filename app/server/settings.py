"""Limits of one server process; defaults suit a small team's server."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerSettings:
    # An ingest request's body as sent (compressed or not) ...
    max_body_bytes: int = 10 * 1024 * 1024
    # ... and after gzip is undone, so a small "zip bomb" cannot blow up in memory.
    max_decompressed_bytes: int = 64 * 1024 * 1024
    # Ingest requests per second per project key, with bursts up to `rate_burst`.
    rate_per_second: float = 20.0
    rate_burst: int = 200
