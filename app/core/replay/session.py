"""A session opened for replay: its events on demand, checkpoints, and seek plans.

The recording stays in memory as its compressed chunks; only the few chunks around the
playhead are decoded (a small LRU), so a 60-minute recording costs megabytes, not hundreds
of them, and memory stays flat however often the user seeks. Checkpoints are built in the
background by `build_checkpoints`; until then a seek simply starts from the newest checkpoint
built so far, which is slower but exact.
"""

from __future__ import annotations

import bisect
from array import array
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import zstandard

from app.core.analytics.extract import extract_events
from app.core.recording.chunks import decode_chunk
from app.core.recording.rrweb import EventType
from app.core.replay.inspection import Inspection, inspect_events
from app.core.replay.state import ReplayState
from app.core.replay.timeline import Timeline, build_timeline
from app.core.tasks import CancelToken, ProgressCallback, collector_paused, no_progress

Event = dict[str, Any]
# A checkpoint every this many events of the window (or at each full snapshot) bounds the
# work of any seek to rebuilding one snapshot plus at most this many events.
CHECKPOINT_EVENTS = 800
DECODED_CHUNKS = 6


@dataclass(frozen=True)
class StoredChunk:
    start_ms: int
    end_ms: int
    event_count: int
    data: bytes


@dataclass(frozen=True)
class Checkpoint:
    index: int  # global index of the first event not contained in the checkpoint
    ts: int
    payload: bytes  # zstd-compressed JSON array of restore events

    def events(self) -> list[Event]:
        if not self.payload:
            return []
        return orjson.loads(zstandard.ZstdDecompressor().decompress(self.payload))


@dataclass
class SeekPlan:
    """What the renderer does for a seek: rebuild from `restore`, then apply `forward`."""

    restore: list[Event]
    forward: list[Event]
    next_index: int  # where playback continues


class ReplaySession:
    def __init__(self, session_id: str, chunks: list[StoredChunk], window_ids: list[str],
                 window: int = 0) -> None:
        if not chunks:
            raise ValueError(f"session {session_id} has no recording")
        self.session_id = session_id
        self.chunks = chunks
        self.window_ids = window_ids or [""]
        self.window = window
        self._firsts = [0]
        for chunk in chunks:
            self._firsts.append(self._firsts[-1] + chunk.event_count)
        self._chunk_ends = [c.end_ms for c in chunks]
        self._decoded: OrderedDict[int, tuple[list[Event], list[int] | None]] = OrderedDict()
        self.checkpoints: list[Checkpoint] = [Checkpoint(0, chunks[0].start_ms, b"")]
        self.checkpoints_done = False
        self._first_frame_index: int | None = None
        self._chunk_stamps: dict[int, array[int]] = {}
        self.start_ms = chunks[0].start_ms
        self.end_ms = max(c.end_ms for c in chunks)

    @property
    def event_count(self) -> int:
        return self._firsts[-1]

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    # -- reading events -----------------------------------------------------------------------

    def _chunk(self, number: int) -> tuple[list[Event], list[int] | None]:
        if number in self._decoded:
            self._decoded.move_to_end(number)
            return self._decoded[number]
        decoded = decode_chunk(self.chunks[number].data)
        self._decoded[number] = decoded
        if len(self._decoded) > DECODED_CHUNKS:
            self._decoded.popitem(last=False)
        return decoded

    def events(self, begin: int = 0, end: int | None = None) -> Iterator[tuple[int, Event]]:
        """(global index, event) of this window's events in [begin, end)."""
        end = self.event_count if end is None else min(end, self.event_count)
        number = max(0, bisect.bisect_right(self._firsts, begin) - 1)
        while number < len(self.chunks) and self._firsts[number] < end:
            events, windows = self._chunk(number)
            first = self._firsts[number]
            for offset in range(max(0, begin - first), min(len(events), end - first)):
                if windows is None or windows[offset] == self.window:
                    yield first + offset, events[offset]
            number += 1

    def index_after(self, ts: int) -> int:
        """Global index of the first event later than `ts`."""
        number = bisect.bisect_right(self._chunk_ends, ts)
        if number >= len(self.chunks):
            return self.event_count
        return self._firsts[number] + bisect.bisect_right(self._stamps(number), ts)

    def _stamps(self, number: int) -> array[int]:
        """A chunk's timestamps, kept compactly once seen: finding a moment then needs no
        decoding (8 bytes an event; under a megabyte for an hour)."""
        stamps = self._chunk_stamps.get(number)
        if stamps is None:
            events, _ = self._chunk(number)
            stamps = self._chunk_stamps[number] = array("q", (int(e["timestamp"])
                                                              for e in events))
        return stamps

    # -- planning -----------------------------------------------------------------------------

    def _first_frame_end(self) -> int:
        if self._first_frame_index is None:
            self._first_frame_index = self.first_frame().next_index
        return self._first_frame_index

    def first_frame(self) -> SeekPlan:
        """Up to and including the first full snapshot: what the player shows on open."""
        forward = []
        next_index = 0
        for index, event in self.events():
            forward.append(event)
            next_index = index + 1
            if event.get("type") == EventType.FULL_SNAPSHOT:
                break
        return SeekPlan([], forward, next_index)

    def plan_seek(self, ts: int) -> SeekPlan:
        """Rebuild at the newest checkpoint not after `ts`, then play forward to `ts`.

        Never earlier than the first full snapshot: before it there is no page to show (a
        recorder emits it a moment after the Meta event), as rrweb-player does at 0:00.
        """
        with collector_paused():
            target = max(self.index_after(ts), self._first_frame_end())
            checkpoints = self.checkpoints  # the builder only ever appends
            position = bisect.bisect_right([c.index for c in checkpoints], target) - 1
            checkpoint = checkpoints[max(0, position)]
            forward = [event for _, event in self.events(checkpoint.index, target)]
            return SeekPlan(checkpoint.events(), forward, target)

    def timeline(self) -> Timeline:
        """Markers, idle stretches and activity (streams the chunks: safe on a worker)."""
        events = [event for _, event in self._all_events()]
        return build_timeline(events, self.start_ms, self.end_ms)

    def overview(self, cancel: CancelToken | None = None) -> tuple[Timeline, Inspection]:
        """The timeline and the inspector's lists from one pass: decoding and extracting an
        hour of events is the slow part, so it is done once for both (on a worker)."""
        with collector_paused():
            events = [event for _, event in self._all_events()]
            found = extract_events(events)
        return (build_timeline(events, self.start_ms, self.end_ms, found=found),
                inspect_events(events, self.start_ms, cancel, found=found))

    # -- checkpoints ----------------------------------------------------------------------------

    def build_checkpoints(self, progress: ProgressCallback = no_progress,
                          cancel: CancelToken | None = None,
                          every: int = CHECKPOINT_EVENTS) -> None:
        """Walk the whole window once and leave a checkpoint every `every` events and before
        every full snapshot. Safe to run on a worker thread while the GUI seeks."""
        state = ReplayState()
        compressor = zstandard.ZstdCompressor(level=3)
        since = 0
        with collector_paused():
            for index, event in self._all_events():
                if cancel is not None and cancel.cancelled:
                    return
                if since >= every or (event.get("type") == EventType.FULL_SNAPSHOT and since):
                    restore = state.restore_events(int(event["timestamp"]))
                    self.checkpoints.append(Checkpoint(index, int(event["timestamp"]),
                                                       compressor.compress(orjson.dumps(restore))))
                    since = 0
                    progress(index, self.event_count, "Preparing fast seeking")
                state.apply(event)
                since += 1
        self.checkpoints_done = True
        progress(self.event_count, self.event_count, "Ready")

    def stream_events(self) -> Iterator[Event]:
        """This window's events in order, for a whole-recording pass on a worker: each chunk
        is decoded once and not kept, and the player's decoded chunks are left alone."""
        return (event for _, event in self._all_events())

    def _all_events(self) -> Iterator[tuple[int, Event]]:
        """Like `events()`, without the LRU: the builder streams each chunk exactly once."""
        for number, chunk in enumerate(self.chunks):
            events, windows = decode_chunk(chunk.data)
            first = self._firsts[number]
            for offset, event in enumerate(events):
                if windows is None or windows[offset] == self.window:
                    yield first + offset, event

