"""Store an event stream as ordered, independently compressed chunks.

A 60-minute recording is never loaded as one blob: the player reads the chunk around the
moment it needs. Every full snapshot starts a new chunk, so a chunk that begins with one is a
natural point to start replaying from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import zstandard

from app.core.recording.rrweb import EventType

MAX_CHUNK_EVENTS = 2_000
MAX_CHUNK_BYTES = 1 << 20
ZSTD_LEVEL = 6


@dataclass
class Chunk:
    seq: int
    start_ms: int
    end_ms: int
    event_count: int
    starts_with_full_snapshot: bool
    raw_size: int
    data: bytes  # zstd-compressed JSON: {"e": [events], "w": [window index per event] | null}


@dataclass
class ChunkedRecording:
    chunks: list[Chunk]
    # SHA-256 of the uncompressed payloads: the same events give the same digest, whatever
    # the compressor's version, so a recording imported twice is recognised.
    digest: str
    # Whether any event carries an inlined image (rrweb's inlineImages): only then is it
    # worth walking the snapshots for the asset store.
    has_inlined_images: bool = False


def build_chunks(events: list[dict[str, Any]], windows: list[int]) -> ChunkedRecording:
    # Each event is serialised exactly once; chunk payloads are joined from those bytes.
    encoded = [orjson.dumps(event) for event in events]
    digest = hashlib.sha256()
    multi_window = any(windows)
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    chunks: list[Chunk] = []
    start = 0
    while start < len(events):
        end, size = start, 0
        while end < len(events):
            starts_snapshot = events[end]["type"] == EventType.FULL_SNAPSHOT
            if end > start and (starts_snapshot or end - start >= MAX_CHUNK_EVENTS
                                or size + len(encoded[end]) > MAX_CHUNK_BYTES):
                break
            size += len(encoded[end])
            end += 1
        window_part = orjson.dumps(windows[start:end]) if multi_window else b"null"
        payload = b'{"e":[' + b",".join(encoded[start:end]) + b'],"w":' + window_part + b"}"
        digest.update(payload)
        chunks.append(Chunk(
            seq=len(chunks),
            start_ms=int(events[start]["timestamp"]),
            end_ms=int(events[end - 1]["timestamp"]),
            event_count=end - start,
            starts_with_full_snapshot=events[start]["type"] == EventType.FULL_SNAPSHOT,
            raw_size=len(payload),
            data=compressor.compress(payload),
        ))
        start = end
    inlined = any(b'"rr_dataURL"' in event for event in encoded)
    return ChunkedRecording(chunks, digest.hexdigest(), inlined)


def decode_chunk(data: bytes) -> tuple[list[dict[str, Any]], list[int] | None]:
    payload = orjson.loads(zstandard.ZstdDecompressor().decompress(data))
    return payload["e"], payload["w"]


def iter_chunk_events(blobs: Iterator[bytes]) -> Iterator[tuple[dict[str, Any], int]]:
    """Yield (event, window index) from chunk blobs in order."""
    for blob in blobs:
        events, windows = decode_chunk(blob)
        if windows is None:
            for event in events:
                yield event, 0
        else:
            yield from zip(events, windows, strict=True)
