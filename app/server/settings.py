"""Limits of one server process; defaults suit a small team's server and a busy site."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerSettings:
    # An ingest request's body as sent (compressed or not) ...
    max_body_bytes: int = 10 * 1024 * 1024
    # ... and after gzip is undone, so a small "zip bomb" cannot blow up in memory.
    max_decompressed_bytes: int = 64 * 1024 * 1024
    # Ingest requests per second per project key, with bursts up to `rate_burst`. Every
    # visitor of a site shares its key: a tab sends a batch every 2 seconds or so.
    rate_per_second: float = 200.0
    rate_burst: int = 400
    # ... and per visitor of a project, so one runaway tab is slowed down without the rest.
    visitor_rate_per_second: float = 5.0
    visitor_rate_burst: int = 60
