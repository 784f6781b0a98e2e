"""Every shape rrweb recordings come in, and the clear refusals of what is not one."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from app.core.recording.errors import RecordingError
from app.core.recording.formats import parse_recording_bytes, read_recording_file
from app.core.recording.normalize import normalize

META = {"type": 4, "data": {"href": "https://shop.test/", "width": 1280, "height": 720},
        "timestamp": 1000}
SNAP = {"type": 2, "data": {"node": {"type": 0, "childNodes": [], "id": 1},
                            "initialOffset": {"left": 0, "top": 0}}, "timestamp": 1001}
MOVE = {"type": 3, "data": {"source": 1, "positions": [{"x": 1, "y": 2, "id": 1,
                                                        "timeOffset": -5}]}, "timestamp": 1500}
EVENTS = [META, SNAP, MOVE]


def parse(value: object) -> list[dict]:
    data = value if isinstance(value, bytes) else json.dumps(value).encode()
    raw = parse_recording_bytes(data, "test.json")
    return [e for w in raw.windows for e in w.events]


def test_bare_array() -> None:
    assert parse(EVENTS) == EVENTS


def test_jsonl_of_events() -> None:
    data = b"\n".join(json.dumps(e).encode() for e in EVENTS)
    assert parse(data) == EVENTS


def test_posthog_window_lines_keep_windows_apart() -> None:
    lines = [{"window_id": "w1", "data": EVENTS[:2]}, {"window_id": "w2", "data": EVENTS[2:]}]
    raw = parse_recording_bytes(b"\n".join(json.dumps(x).encode() for x in lines), "ph.jsonl")
    assert [(w.window_id, len(w.events)) for w in raw.windows] == [("w1", 2), ("w2", 1)]


def test_posthog_api_response() -> None:
    raw = parse_recording_bytes(json.dumps({"next": None, "snapshot_data_by_window_id": {
        "a": EVENTS}}).encode(), "api.json")
    assert raw.windows[0].window_id == "a" and raw.event_count == 3


def test_highlight_payload() -> None:
    assert parse({"session_secure_id": "x", "messages": "{}", "events": {"events": EVENTS}}) \
        == EVENTS


def test_events_object_export() -> None:
    assert parse({"events": EVENTS}) == EVENTS


def test_gzip_compressed() -> None:
    assert parse(gzip.compress(json.dumps(EVENTS).encode())) == EVENTS


def test_single_event_object() -> None:
    assert parse(SNAP) == [SNAP]


def test_bare_snapshot_data_gets_a_wrapper_and_the_files_time(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(SNAP["data"]))
    raw = read_recording_file(path, fallback_timestamp_ms=42)
    assert raw.synthetic_timestamps
    assert raw.windows[0].events == [{"type": 2, "data": SNAP["data"], "timestamp": 42}]


@pytest.mark.parametrize(("data", "problem"), [
    (b"", "empty"),
    (json.dumps(EVENTS).encode()[:-40], "ends too early"),
    (bytes(range(256)) * 8, "binary data"),
    (b'{"hello": "world"}', "no rrweb events (keys: hello)"),
    (b"[]", "holds no events"),
    (b'"just a string"', "top level is a JSON string"),
    (b"\x1f\x8b\x08\x00garbage", "damaged gzip"),
    (b'{"a": 1,\n "b": [timestamp]}', "not valid JSON (line 2"),
])
def test_not_a_recording_is_refused_with_the_problem(data: bytes, problem: str) -> None:
    with pytest.raises(RecordingError) as info:
        parse_recording_bytes(data, "bad.json")
    assert str(info.value).startswith("bad.json: ")
    assert problem in str(info.value)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"^gone\.json: cannot read file"):
        read_recording_file(tmp_path / "gone.json")


def test_sentry_privacy_snapshot_is_refused(rrweb_fixtures: Path) -> None:
    with pytest.raises(RecordingError, match=r"privacy\.json: not valid JSON \(line \d+"):
        read_recording_file(rrweb_fixtures / "getsentry__sentry-javascript" / "privacy.json")


# Event counts and spans as SOURCES.md states them.
FIXTURES = [
    ("PostHog__posthog/recording_snapshots.jsonl", 49, 1682952392745 - 1682952380877, 2),
    ("rrweb-io__rrweb/events.json", 272, 1544756847830 - 1544756766750, 1),
    ("rrweb-io__rrweb/iframe.json", 13, None, 1),
    ("rrweb-io__rrweb/canvas-in-iframe.json", 6, None, 1),
    ("rrweb-io__rrweb/shadow-dom.json", 8, None, 1),
    ("rrweb-io__rrweb/input.json", 11, None, 1),
    ("rrweb-io__rrweb/scroll.json", 8, None, 1),
    ("rrweb-io__rrweb/selection.json", 7, None, 1),
    ("rrweb-io__rrweb/style-sheet-rule-events.json", 10, None, 1),
    ("rrweb-io__rrweb/video-playback.json", 43, 1900039448 - 1900000001, 1),
    ("highlight__highlight/dom-with-scripts.json", 3, None, 1),
    ("highlight__highlight/capacitor.json", 1, 0, 1),
]


@pytest.mark.parametrize(("name", "count", "span", "windows"), FIXTURES)
def test_fixture_reads_and_normalises(rrweb_fixtures: Path, name: str, count: int,
                                      span: int | None, windows: int) -> None:
    recording = normalize(read_recording_file(rrweb_fixtures / name))
    assert len(recording.events) == count
    assert len(recording.window_ids) == windows
    if span is not None:
        assert recording.end_ms - recording.start_ms == span
    timestamps = [e["timestamp"] for e in recording.events]
    assert timestamps == sorted(timestamps)
