"""Playback without a clock of its own: the GUI's timer says what time it is, this says what
to apply.

rrweb batches mouse positions: a MouseMove event stamped t carries positions at t + offset
(offsets are negative). Played at the event's stamp, the pointer would jump once a batch;
played at their own times, it moves as the visitor moved it. So each batch is split into
one-position moves at their own moments, with a small look-ahead to catch them in time.
"""

from __future__ import annotations

import heapq
import itertools
from typing import Any

from app.core.recording.rrweb import EventType, Source
from app.core.replay.session import ReplaySession

Event = dict[str, Any]
POSITION_SOURCES = frozenset({Source.MOUSE_MOVE, Source.TOUCH_MOVE, Source.DRAG})
# Batches are flushed every 500 ms by rrweb's default sampling; a little more covers jitter.
LOOKAHEAD_MS = 1_000


class PlaybackCursor:
    """Walks a replay session forward in time, yielding events when they are due."""

    def __init__(self, replay: ReplaySession, next_index: int, now_ms: int) -> None:
        self.replay = replay
        self.next_index = next_index  # first session event not yet queued
        self.now_ms = now_ms
        self._queue: list[tuple[int, int, Event]] = []  # (due time, order, event)
        self._order = itertools.count()

    def advance(self, to_ms: int) -> list[Event]:
        """Events due in (now, to_ms], in order; moves `now_ms` to `to_ms`."""
        horizon = to_ms + LOOKAHEAD_MS
        for index, event in self.replay.events(self.next_index):
            if event["timestamp"] > horizon:
                break
            self.next_index = index + 1
            for due, piece in split_positions(event):
                heapq.heappush(self._queue, (due, next(self._order), piece))
        else:
            self.next_index = self.replay.event_count
        due_events = []
        while self._queue and self._queue[0][0] <= to_ms:
            due_events.append(heapq.heappop(self._queue)[2])
        self.now_ms = to_ms
        return due_events

    @property
    def finished(self) -> bool:
        return self.next_index >= self.replay.event_count and not self._queue


def split_positions(event: Event) -> list[tuple[int, Event]]:
    """(due time, event) pieces: one per position for pointer batches, else the event."""
    ts = int(event["timestamp"])
    data = event.get("data")
    if event.get("type") != EventType.INCREMENTAL_SNAPSHOT or not isinstance(data, dict) \
            or data.get("source") not in POSITION_SOURCES \
            or not isinstance(data.get("positions"), list) or len(data["positions"]) < 2:
        return [(ts, event)]
    pieces = []
    for position in data["positions"]:
        if not isinstance(position, dict):
            continue
        offset = position.get("timeOffset", 0)
        due = ts + (int(offset) if isinstance(offset, int | float) else 0)
        # The piece is stamped with its own moment, so its offset is now zero.
        pieces.append((min(due, ts), {"type": EventType.INCREMENTAL_SNAPSHOT, "timestamp": due,
                                      "data": {"source": data["source"],
                                               "positions": [{**position, "timeOffset": 0}]}}))
    return pieces or [(ts, event)]
