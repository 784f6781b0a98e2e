"""Recognise the shapes rrweb recordings come in and pull out their events.

Shapes seen in the wild (see the fixtures' SOURCES.md): a bare event array, JSONL of events,
PostHog's per-window ``{window_id, data}`` lines and ``{snapshot_data_by_window_id}`` API
responses, Highlight's ``{events: {events: [...]}}`` payload, a lone event object, the bare
``{node, initialOffset}`` data of a full snapshot, and any of these gzip-compressed.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from app.core.recording.errors import RecordingError
from app.core.recording.rrweb import EventType

Event = dict[str, Any]

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass
class Window:
    """The events of one browser window (PostHog records each tab separately)."""

    window_id: str | None
    events: list[Event]


@dataclass
class RawRecording:
    """Events as found in a source, before normalisation."""

    source: str
    windows: list[Window]
    # True when the source had no timestamps and they had to be supplied.
    synthetic_timestamps: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def event_count(self) -> int:
        return sum(len(w.events) for w in self.windows)


def read_recording_file(path: Path, fallback_timestamp_ms: int | None = None) -> RawRecording:
    """Read one file from disk; raise `RecordingError` naming the file on any problem."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordingError(name, f"cannot read file ({exc.strerror or exc})") from exc
    if fallback_timestamp_ms is None:
        fallback_timestamp_ms = int(path.stat().st_mtime * 1000)
    return parse_recording_bytes(data, name, fallback_timestamp_ms)


def parse_recording_bytes(data: bytes, source: str, fallback_timestamp_ms: int = 0) -> RawRecording:
    """Parse bytes in any supported shape into a `RawRecording`."""
    data = _decompress(data, source)
    if not data.strip():
        raise RecordingError(source, "the file is empty")
    document = _parse_json_or_jsonl(data, source)
    return _from_document(document, source, fallback_timestamp_ms)


def _decompress(data: bytes, source: str) -> bytes:
    if data[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise RecordingError(source, f"damaged gzip data ({exc})") from exc
    if data[:4] == ZSTD_MAGIC:
        import zstandard

        try:
            return zstandard.ZstdDecompressor().decompressobj().decompress(data)
        except zstandard.ZstdError as exc:
            raise RecordingError(source, f"damaged zstd data ({exc})") from exc
    return data


def _parse_json_or_jsonl(data: bytes, source: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as whole_error:
        lines = [line for line in data.splitlines() if line.strip()]
        if len(lines) < 2:
            raise RecordingError(source, _describe_json_error(whole_error, data)) from None
        items = []
        for number, line in enumerate(lines, start=1):
            try:
                items.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                # Not JSONL either: report the error of the whole document, which is what a
                # truncated or hand-edited JSON file needs to hear.
                raise RecordingError(source, _describe_json_error(whole_error, data)) from None
            if not isinstance(items[-1], dict | list):
                raise RecordingError(source, f"line {number} is not a JSON object") from None
        return _JsonLines(items)


class _JsonLines(list):
    """Marks a document that came as one JSON value per line."""


def _describe_json_error(error: orjson.JSONDecodeError, data: bytes) -> str:
    if error.pos >= len(data.rstrip()):
        return "not valid JSON: the data ends too early (truncated file?)"
    if b"\x00" in data[:4096] or not _looks_like_text(data[:4096]):
        return "not a recording: binary data, not JSON"
    return f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"


def _looks_like_text(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sample's end is still text.
        return exc.start >= len(sample) - 3
    return True


def _from_document(document: Any, source: str, fallback_ts: int) -> RawRecording:
    if isinstance(document, _JsonLines):
        return _from_lines(list(document), source, fallback_ts)
    if isinstance(document, list):
        if document and all(_is_window_item(item) for item in document):
            windows = [Window(str(item["window_id"]), _event_list(item["data"], source))
                       for item in document]
            return _finish(source, windows, fallback_ts)
        return _finish(source, [Window(None, _event_list(document, source))], fallback_ts)
    if isinstance(document, dict):
        return _from_object(document, source, fallback_ts)
    raise RecordingError(source, f"not a recording: top level is a JSON {_json_kind(document)}")


def _from_lines(items: list[Any], source: str, fallback_ts: int) -> RawRecording:
    windows: dict[str | None, list[Event]] = {}
    for item in items:
        if _is_window_item(item):
            windows.setdefault(str(item["window_id"]), []).extend(
                _event_list(item["data"], source))
        elif isinstance(item, dict):
            windows.setdefault(None, []).append(item)
        else:
            windows.setdefault(None, []).extend(_event_list(item, source))
    return _finish(source, [Window(k, v) for k, v in windows.items()], fallback_ts)


def _from_object(obj: dict[str, Any], source: str, fallback_ts: int) -> RawRecording:
    by_window = obj.get("snapshot_data_by_window_id")
    if isinstance(by_window, dict):
        windows = [Window(str(k), _event_list(v, source)) for k, v in by_window.items()]
        return _finish(source, windows, fallback_ts)
    events = obj.get("events")
    if isinstance(events, dict) and isinstance(events.get("events"), list):  # Highlight
        return _finish(source, [Window(None, _event_list(events["events"], source))], fallback_ts)
    if isinstance(events, list):  # {"events": [...]} exports (rrweb-player, our own)
        return _finish(source, [Window(None, _event_list(events, source))], fallback_ts)
    if _is_window_item(obj):
        return _finish(source, [Window(str(obj["window_id"]), _event_list(obj["data"], source))],
                       fallback_ts)
    if "type" in obj and "data" in obj:  # one event on its own
        return _finish(source, [Window(None, [obj])], fallback_ts)
    if isinstance(obj.get("node"), dict) and "initialOffset" in obj:
        # The bare data of a full snapshot (Highlight's capacitor sample): give it an event
        # wrapper so it replays as a one-frame recording.
        event = {"type": int(EventType.FULL_SNAPSHOT), "data": obj}
        recording = _finish(source, [Window(None, [event])], fallback_ts)
        recording.notes.append("bare full-snapshot data: wrapped as one FullSnapshot event")
        return recording
    keys = ", ".join(sorted(obj)[:6]) or "none"
    raise RecordingError(source,
                         f"not a recording: a JSON object with no rrweb events (keys: {keys})")


def _is_window_item(item: Any) -> bool:
    return isinstance(item, dict) and "window_id" in item and isinstance(item.get("data"), list)


def _event_list(value: Any, source: str) -> list[Event]:
    if not isinstance(value, list):
        raise RecordingError(source, f"expected a list of events, found a JSON {_json_kind(value)}")
    return value


def _json_kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean",
            type(None): "null"}.get(type(value), "number")


def _finish(source: str, windows: list[Window], fallback_ts: int) -> RawRecording:
    recording = RawRecording(source, [w for w in windows if w.events])
    if recording.event_count == 0:
        raise RecordingError(source, "not a recording: it holds no events")
    # Timestamps are supplied only when a source has none at all (bare snapshot data); events
    # that lack one among timestamped events are dropped later, in normalisation.
    if not any(_has_timestamp(e) for w in recording.windows for e in w.events):
        for w in recording.windows:
            for offset, event in enumerate(w.events):
                if isinstance(event, dict):
                    event["timestamp"] = fallback_ts + offset
        recording.synthetic_timestamps = True
        recording.notes.append("no timestamps in the source: the file's time was used")
    return recording


def _has_timestamp(event: Any) -> bool:
    return isinstance(event, dict) and isinstance(event.get("timestamp"), int | float) \
        and not isinstance(event.get("timestamp"), bool)
