"""The synthetic recording generator: realistic, self-consistent, and safe to import."""

from __future__ import annotations

import gzip
import itertools
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.core.cache.database import Cache
from app.core.cache.queries import iter_session_events
from app.core.importing import import_raw
from app.core.recording.formats import parse_recording_bytes
from app.core.recording.normalize import normalize
from app.core.recording.rrweb import (
    CONSOLE_PLUGIN,
    EventType,
    MouseInteraction,
    NodeType,
    Source,
)
from app.core.recording.summary import summarize
from app.core.recording.synthetic import (
    DEFAULT_PAGES,
    DEFAULT_START_MS,
    DEFAULT_TYPED,
    TypedValues,
    generate_recording,
    write_recording,
)

BOX_RE = re.compile(
    r"position:absolute;left:(-?\d+)px;top:(-?\d+)px;width:(\d+)px;height:(\d+)px")
FORM_TAGS = {"input", "select", "textarea"}
POINTER_TYPES = {MouseInteraction.MOUSE_DOWN, MouseInteraction.MOUSE_UP, MouseInteraction.CLICK,
                 MouseInteraction.DBL_CLICK, MouseInteraction.TOUCH_START}


# -- a small replayer that checks every event against the DOM it knows ----------------------

@dataclass
class _Node:
    tag: str | None
    parent: int | None
    children: list[int] = field(default_factory=list)
    box: tuple[float, float, float, float] | None = None  # absolute document coordinates
    scrolls: bool = False


class CheckingReplayer:
    """Rebuilds the DOM from snapshots and mutations, tracks scrolling and the viewport, and
    raises AssertionError on anything a replayer could not apply."""

    def __init__(self) -> None:
        self.nodes: dict[int, _Node] = {}
        self.scroll: dict[int, tuple[float, float]] = {}
        self.width = self.height = 0
        self.clicks_checked = 0
        self.positions_checked = 0
        self.snapshot_sizes: list[int] = []

    # DOM

    def _origin(self, parent: int | None) -> tuple[float, float]:
        while parent is not None:
            node = self.nodes[parent]
            if node.box is not None:
                return node.box[0], node.box[1]
            parent = node.parent
        return 0.0, 0.0

    def _add(self, serialized: dict[str, Any], parent: int | None) -> None:
        node_id = serialized["id"]
        assert node_id not in self.nodes, f"node {node_id} added twice"
        tag = serialized.get("tagName") if serialized["type"] == NodeType.ELEMENT else None
        node = _Node(tag, parent)
        self.nodes[node_id] = node
        if parent is not None:
            self.nodes[parent].children.append(node_id)
        self._set_style(node_id, (serialized.get("attributes") or {}).get("style"))
        for child in serialized.get("childNodes") or ():
            self._add(child, node_id)

    def _set_style(self, node_id: int, style: str | None) -> None:
        if not isinstance(style, str):
            return
        node = self.nodes[node_id]
        match = BOX_RE.search(style)
        if match:
            ox, oy = self._origin(node.parent)
            left, top, width, height = (float(v) for v in match.groups())
            node.box = (ox + left, oy + top, width, height)
        node.scrolls = "overflow-x:auto" in style or "overflow:auto" in style

    def _remove(self, node_id: int) -> None:
        node = self.nodes.pop(node_id)
        self.scroll.pop(node_id, None)
        for child in node.children:
            self._remove(child)

    def known(self, node_id: Any) -> bool:
        return isinstance(node_id, int) and node_id in self.nodes

    def client_box(self, node_id: int) -> tuple[float, float, float, float] | None:
        node = self.nodes[node_id]
        if node.box is None:
            return None
        left, top, width, height = node.box
        ancestor = node.parent
        while ancestor is not None:
            if self.nodes[ancestor].scrolls:
                sx, sy = self.scroll.get(ancestor, (0.0, 0.0))
                left, top = left - sx, top - sy
            ancestor = self.nodes[ancestor].parent
        sx, sy = self.scroll.get(1, (0.0, 0.0))
        return left - sx, top - sy, width, height

    def check_point(self, node_id: int, x: float, y: float, what: str) -> None:
        assert 0 <= x < self.width and 0 <= y < self.height, \
            f"{what} at ({x}, {y}) is outside the {self.width}x{self.height} viewport"
        box = self.client_box(node_id)
        if box is None:
            assert self.nodes[node_id].tag in ("body", "html"), \
                f"{what} on node {node_id} <{self.nodes[node_id].tag}> that has no layout box"
            return
        left, top, width, height = box
        assert left <= x < left + width and top <= y < top + height, \
            f"{what} at ({x}, {y}) falls outside node {node_id}'s box {box}"

    # events

    def apply(self, event: dict[str, Any]) -> None:
        kind, data = event["type"], event["data"]
        if kind == EventType.META:
            self.width, self.height = data["width"], data["height"]
        elif kind == EventType.FULL_SNAPSHOT:
            self.nodes, self.scroll = {}, {}
            self._add(data["node"], None)
            self.snapshot_sizes.append(len(self.nodes))
        elif kind == EventType.INCREMENTAL_SNAPSHOT:
            assert self.nodes, "incremental event before any full snapshot"
            self._incremental(data)

    def _incremental(self, data: dict[str, Any]) -> None:
        source = data["source"]
        if source == Source.MUTATION:
            assert set(data) == {"source", "texts", "attributes", "removes", "adds"}
            for remove in data["removes"]:
                assert self.known(remove["parentId"]) and self.known(remove["id"]), remove
                assert self.nodes[remove["id"]].parent == remove["parentId"], remove
                self.nodes[remove["parentId"]].children.remove(remove["id"])
                self._remove(remove["id"])
            for add in data["adds"]:
                assert self.known(add["parentId"]), f"add under unknown parent: {add}"
                assert add["nextId"] is None or self.known(add["nextId"]), add
                self._add(add["node"], add["parentId"])
            for text in data["texts"]:
                assert self.known(text["id"]), f"text change of unknown node: {text}"
            for change in data["attributes"]:
                assert self.known(change["id"]), f"attribute change of unknown node: {change}"
                self._set_style(change["id"], change["attributes"].get("style"))
        elif source in (Source.MOUSE_MOVE, Source.TOUCH_MOVE):
            assert data["positions"]
            for position in data["positions"]:
                assert self.known(position["id"]), position
                assert -5_000 < position["timeOffset"] <= 0, position
                if source == Source.MOUSE_MOVE:
                    self.check_point(position["id"], position["x"], position["y"], "mouse move")
                    self.positions_checked += 1
        elif source == Source.MOUSE_INTERACTION:
            assert self.known(data["id"]), f"interaction with unknown node: {data}"
            if data["type"] == MouseInteraction.TOUCH_END:
                # a touch keeps targeting the element it started on, wherever the finger lifts
                assert 0 <= data["x"] < self.width and 0 <= data["y"] < self.height, data
            elif data["type"] in POINTER_TYPES:
                self.check_point(data["id"], data["x"], data["y"],
                                 f"interaction {MouseInteraction(data['type']).name}")
                self.clicks_checked += 1
            else:
                assert data["type"] in (MouseInteraction.FOCUS, MouseInteraction.BLUR), data
        elif source == Source.SCROLL:
            assert self.known(data["id"]), data
            assert data["id"] == 1 or self.nodes[data["id"]].scrolls, data
            self.scroll[data["id"]] = (data["x"], data["y"])
        elif source == Source.INPUT:
            assert self.known(data["id"]), data
            assert self.nodes[data["id"]].tag in FORM_TAGS, data
            assert isinstance(data["text"], str) and isinstance(data["isChecked"], bool)
        elif source == Source.VIEWPORT_RESIZE:
            self.width, self.height = data["width"], data["height"]
        else:
            raise AssertionError(f"unexpected incremental source {source}")


def replay(events: list[dict[str, Any]]) -> CheckingReplayer:
    mirror = CheckingReplayer()
    for event in events:
        mirror.apply(event)
    return mirror


# -- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hour() -> list[dict[str, Any]]:
    """The 60-minute, 100,000-event recording (generated once for the module)."""
    return generate_recording()


@pytest.fixture(scope="module")
def hour_mirror(hour: list[dict[str, Any]]) -> CheckingReplayer:
    return replay(hour)


# -- shape and consistency ----------------------------------------------------------------------

def test_hour_long_recording_has_100k_events_over_an_hour(hour):
    assert len(hour) >= 100_000
    span_s = (hour[-1]["timestamp"] - hour[0]["timestamp"]) / 1000
    assert 3590 <= span_s <= 3610
    assert hour[0]["timestamp"] == DEFAULT_START_MS


def test_events_are_strictly_time_ordered(hour):
    stamps = [event["timestamp"] for event in hour]
    assert all(isinstance(ts, int) for ts in stamps)
    assert all(a < b for a, b in itertools.pairwise(stamps))


def test_starts_with_meta_then_full_snapshot(hour):
    assert hour[0]["type"] == EventType.META
    assert hour[0]["data"] == {"href": DEFAULT_PAGES[0], "width": 1440, "height": 900}
    assert hour[1]["type"] == EventType.FULL_SNAPSHOT
    assert hour[1]["data"]["initialOffset"] == {"left": 0, "top": 0}
    document = hour[1]["data"]["node"]
    assert document["type"] == NodeType.DOCUMENT and document["id"] == 1


def test_every_page_load_is_meta_followed_by_its_snapshot(hour):
    for index, event in enumerate(hour):
        if event["type"] == EventType.META:
            assert hour[index + 1]["type"] == EventType.FULL_SNAPSHOT
    metas = [e["data"]["href"] for e in hour if e["type"] == EventType.META]
    assert len(metas) >= 5 and len(set(metas)) >= 3
    assert set(metas) <= set(DEFAULT_PAGES)


def test_snapshots_look_like_a_real_shop_page(hour, hour_mirror):
    assert all(300 <= size <= 2000 for size in hour_mirror.snapshot_sizes), \
        hour_mirror.snapshot_sizes
    snapshot = orjson.dumps(hour[1]).decode()
    for needle in ('"tagName":"nav"', '"tagName":"img"', '"tagName":"select"',
                   '"tagName":"textarea"', '"tagName":"button"', '"tagName":"style"',
                   '"type":"email"', '"type":"password"', '"type":"checkbox"',
                   '"isStyle":true', "_cssText", "SCRIPT_PLACEHOLDER"):
        assert needle in snapshot, needle
    assert 40_000 < len(snapshot) < 400_000


def test_every_referenced_node_exists_and_clicks_land_in_their_boxes(hour_mirror):
    # replay() raised on any unknown id, misplaced click or misplaced mouse position
    assert hour_mirror.clicks_checked > 500
    assert hour_mirror.positions_checked > 10_000


@pytest.mark.parametrize(("width", "height"), [(390, 844), (820, 1180), (1280, 720)])
def test_other_viewports_are_consistent_too(width, height):
    events = generate_recording(900, 6_000, seed=7, width=width, height=height)
    mirror = replay(events)
    assert mirror.clicks_checked > 50
    sources = Counter(e["data"]["source"] for e in events
                      if e["type"] == EventType.INCREMENTAL_SNAPSHOT)
    interactions = Counter(e["data"]["type"] for e in events
                           if e["type"] == EventType.INCREMENTAL_SNAPSHOT
                           and e["data"]["source"] == Source.MOUSE_INTERACTION)
    if width < 1024:  # touch devices: taps and swipes, no mouse moves
        assert sources[Source.MOUSE_MOVE] <= 1
        assert sources[Source.TOUCH_MOVE] > 0
        assert interactions[MouseInteraction.TOUCH_START] > 0
        assert interactions[MouseInteraction.MOUSE_DOWN] == 0
    else:
        assert sources[Source.MOUSE_MOVE] > 0
        assert interactions[MouseInteraction.MOUSE_DOWN] > 0


def test_incremental_event_mix(hour):
    sources = Counter(e["data"]["source"] for e in hour
                      if e["type"] == EventType.INCREMENTAL_SNAPSHOT)
    for source in (Source.MUTATION, Source.MOUSE_MOVE, Source.MOUSE_INTERACTION, Source.SCROLL,
                   Source.INPUT, Source.VIEWPORT_RESIZE):
        assert sources[source] > 0, source
    interactions = Counter(e["data"]["type"] for e in hour
                           if e["type"] == EventType.INCREMENTAL_SNAPSHOT
                           and e["data"]["source"] == Source.MOUSE_INTERACTION)
    for kind in (MouseInteraction.MOUSE_DOWN, MouseInteraction.MOUSE_UP, MouseInteraction.CLICK,
                 MouseInteraction.FOCUS, MouseInteraction.BLUR, MouseInteraction.DBL_CLICK):
        assert interactions[kind] > 0, kind
    assert interactions[MouseInteraction.MOUSE_DOWN] == interactions[MouseInteraction.MOUSE_UP]
    # batched moves carry several positions with negative offsets
    moves = [e["data"]["positions"] for e in hour if e["type"] == EventType.INCREMENTAL_SNAPSHOT
             and e["data"]["source"] == Source.MOUSE_MOVE]
    assert sum(len(p) > 1 for p in moves) > len(moves) / 2
    assert any(p["timeOffset"] < 0 for batch in moves for p in batch)
    # element scrolls as well as document scrolls
    scrolled = {e["data"]["id"] for e in hour if e["type"] == EventType.INCREMENTAL_SNAPSHOT
                and e["data"]["source"] == Source.SCROLL}
    assert 1 in scrolled and len(scrolled) > 1


def test_mutations_add_and_remove_change_texts_and_classes(hour):
    mutations = [e["data"] for e in hour if e["type"] == EventType.INCREMENTAL_SNAPSHOT
                 and e["data"]["source"] == Source.MUTATION]
    assert any(m["adds"] for m in mutations) and any(m["removes"] for m in mutations)
    assert any(m["texts"] for m in mutations)
    assert any("class" in change["attributes"] for m in mutations for change in m["attributes"])
    toasts = [add["node"]["id"] for m in mutations for add in m["adds"]
              if add["node"].get("attributes", {}).get("class") == "toast"]
    removed = {remove["id"] for m in mutations for remove in m["removes"]}
    assert toasts and set(toasts) <= removed


def test_typing_is_character_by_character(hour):
    inputs = [e["data"] for e in hour if e["type"] == EventType.INCREMENTAL_SNAPSHOT
              and e["data"]["source"] == Source.INPUT]
    texts = [i["text"] for i in inputs]
    for secret in (DEFAULT_TYPED.email, DEFAULT_TYPED.password, DEFAULT_TYPED.card_number):
        assert secret in texts
        assert secret[:5] in texts  # typed one key at a time, not pasted
    assert {"text": "on", "isChecked": True} in [
        {"text": i["text"], "isChecked": i["isChecked"]} for i in inputs]


def test_custom_and_console_events(hour):
    customs = [e["data"] for e in hour if e["type"] == EventType.CUSTOM]
    assert customs and all(set(c) == {"tag", "payload"} for c in customs)
    assert {"add_to_cart", "checkout_submitted"} <= {c["tag"] for c in customs}
    plugins = [e["data"] for e in hour if e["type"] == EventType.PLUGIN]
    assert plugins and all(p["plugin"] == CONSOLE_PLUGIN for p in plugins)
    levels = Counter(p["payload"]["level"] for p in plugins)
    assert levels["error"] >= 3
    assert all(isinstance(p["payload"]["payload"], list) and p["payload"]["trace"]
               for p in plugins)


def test_idle_gaps_of_minutes_without_any_event(hour):
    gaps = [b["timestamp"] - a["timestamp"] for a, b in itertools.pairwise(hour)]
    long_gaps = [gap for gap in gaps if gap >= 120_000]
    assert 2 <= len(long_gaps) <= 6
    assert all(gap <= 300_000 for gap in long_gaps)


def test_identify_event_and_error_count_are_options():
    identity = {"uid": "u-42", "name": "Ana Lima", "email": "ana.lima@example.org"}
    events = generate_recording(120, 500, seed=3, identity=identity, errors=0)
    customs = [e["data"] for e in events if e["type"] == EventType.CUSTOM]
    assert {"tag": "identify", "payload": identity} in customs
    assert not [e for e in events if e["type"] == EventType.PLUGIN
                and e["data"]["payload"]["level"] == "error"
                and "PaymentError" not in e["data"]["payload"]["payload"][0]]


def test_same_seed_same_events_other_seed_other_events():
    first = generate_recording(300, 2_000, seed=11)
    assert orjson.dumps(first) == orjson.dumps(generate_recording(300, 2_000, seed=11))
    assert orjson.dumps(first) != orjson.dumps(generate_recording(300, 2_000, seed=12))


def test_short_recording_spans_its_duration():
    events = generate_recording(60, 300, seed=5, start_ms=1_750_000_000_000)
    replay(events)
    assert events[0]["timestamp"] == 1_750_000_000_000
    assert 58_000 <= events[-1]["timestamp"] - events[0]["timestamp"] <= 62_000
    assert len(events) >= 300


# -- through the import pipeline ----------------------------------------------------------------

def test_parses_and_normalises_without_dropping_anything(hour, tmp_path: Path):
    raw = parse_recording_bytes(orjson.dumps(hour), "hour.json")
    assert raw.event_count == len(hour) and not raw.synthetic_timestamps
    recording = normalize(raw)
    assert len(recording.events) == len(hour)
    assert (recording.dropped_invalid, recording.dropped_duplicates,
            recording.clamped_outliers) == (0, 0, 0)
    summary = summarize(recording)
    assert summary.duration_ms == hour[-1]["timestamp"] - hour[0]["timestamp"]
    assert summary.viewport_width == 1440 and summary.device_type == "desktop"
    assert summary.error_count >= 3 and summary.click_count > 100
    # inactivity: the idle gaps are not active time
    assert summary.active_ms < summary.duration_ms - 240_000


def test_written_gzip_file_reads_back(tmp_path: Path):
    events = generate_recording(90, 400, seed=2)
    path = tmp_path / "visit.json.gz"
    size = write_recording(path, events)
    data = path.read_bytes()
    assert size == len(data) and data[:2] == b"\x1f\x8b"
    assert orjson.loads(gzip.decompress(data)) == events
    raw = parse_recording_bytes(data, path.name)
    assert raw.event_count == len(events)
    plain = tmp_path / "visit.json"
    write_recording(plain, events)
    assert orjson.loads(plain.read_bytes()) == events


SECRETS = (DEFAULT_TYPED.email, DEFAULT_TYPED.password, DEFAULT_TYPED.card_number,
           DEFAULT_TYPED.card_number.replace(" ", ""), "jane.doe", "Tr0ub4dor")


def test_typed_secrets_never_reach_the_cache_file(cache: Cache, cache_path: Path):
    events = generate_recording(600, 4_000, seed=1)
    plain = orjson.dumps(events)
    for secret in SECRETS[:3]:
        assert secret.encode() in plain  # the recording does hold them in plaintext
    raw = parse_recording_bytes(plain, "secrets.json")
    result = import_raw(cache, raw, len(plain))
    assert result.status == "imported", result.message

    with cache.read_session() as session:
        stored = orjson.dumps([event for event, _ in
                               iter_session_events(session, result.session_id)])
    assert len(orjson.loads(stored)) == len(events)
    for secret in SECRETS:
        assert secret.encode() not in stored, secret
    # masked as asterisks of the same length, spaces kept
    assert b'"text":"**** **** **** ****"' in stored
    assert ('"text":"' + "*" * len(DEFAULT_TYPED.password) + '"').encode() in stored

    cache.close()
    files = [cache_path, cache_path.with_name(cache_path.name + "-wal")]
    blob = b"".join(path.read_bytes() for path in files if path.exists())
    assert len(blob) > 10_000
    for secret in SECRETS:
        assert secret.encode() not in blob, secret
    # and nothing of it in any text column either
    with sqlite3.connect(cache_path) as connection:
        rows = connection.execute("SELECT properties, name, url FROM event").fetchall()
    assert not [row for row in rows for secret in SECRETS if secret in repr(row)]


def test_custom_typed_values_are_used():
    typed = TypedValues(email="max.mustermann@example.de", password="pa55-Word!",
                        card_number="5500 0000 0000 0004")
    events = generate_recording(400, 1_000, seed=4, typed=typed)
    texts = {e["data"]["text"] for e in events if e["type"] == EventType.INCREMENTAL_SNAPSHOT
             and e["data"]["source"] == Source.INPUT}
    assert {typed.email, typed.password, typed.card_number} <= texts
    assert DEFAULT_TYPED.email not in texts


def test_generation_is_fast():
    import time

    started = time.perf_counter()
    events = generate_recording(3600, 100_000, seed=9)
    elapsed = time.perf_counter() - started
    assert len(events) >= 100_000
    assert elapsed < 10, f"60-minute recording took {elapsed:.1f} s"


def test_rejects_a_non_positive_duration():
    with pytest.raises(ValueError):
        generate_recording(0)
