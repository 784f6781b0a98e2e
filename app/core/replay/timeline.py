"""What the player's timeline shows: activity over time, idle stretches, and markers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from app.core.analytics.events import IndexedEvent
from app.core.analytics.extract import extract_events
from app.core.recording.rrweb import USER_ACTIVITY_SOURCES, EventType

# Like rrweb-player: a gap of more than this between user actions is inactivity to skip.
IDLE_THRESHOLD_MS = 10_000
ACTIVITY_BINS = 240


@dataclass(frozen=True)
class Marker:
    offset_ms: int
    kind: str  # click | page | error | custom
    label: str


@dataclass(frozen=True)
class IdleSpan:
    start_ms: int  # offsets from the first event
    end_ms: int


@dataclass
class Timeline:
    start_ms: int  # wall-clock time of the first event
    duration_ms: int
    markers: list[Marker] = field(default_factory=list)
    idle: list[IdleSpan] = field(default_factory=list)
    activity: list[int] = field(default_factory=list)  # user actions per bin

    def idle_span_at(self, offset_ms: int) -> IdleSpan | None:
        for span in self.idle:
            if span.start_ms <= offset_ms < span.end_ms:
                return span
        return None

    @property
    def active_ms(self) -> int:
        return self.duration_ms - sum(s.end_ms - s.start_ms for s in self.idle)


MARKER_KINDS = {"pageview": "page", "click": "click", "error": "error", "custom": "custom",
                "identify": "custom"}


def build_timeline(events: list[dict[str, Any]], start_ms: int, end_ms: int,
                   bins: int = ACTIVITY_BINS,
                   found: list[IndexedEvent] | None = None) -> Timeline:
    """`found`: the events' extraction, when the caller has it already (it is the slow part)."""
    duration = max(0, end_ms - start_ms)
    timeline = Timeline(start_ms, duration, activity=[0] * bins)
    timeline.markers = [Marker(e.ts_ms - start_ms, MARKER_KINDS[e.kind],
                               e.name or e.text or e.selector or "")
                        for e in (extract_events(events) if found is None else found)
                        if e.kind in MARKER_KINDS]
    activity_times = [int(e["timestamp"]) - start_ms for e in events
                      if e.get("type") == EventType.INCREMENTAL_SNAPSHOT
                      and isinstance(e.get("data"), dict)
                      and e["data"].get("source") in USER_ACTIVITY_SOURCES]
    for offset in activity_times:
        index = min(bins - 1, offset * bins // duration) if duration else 0
        timeline.activity[index] += 1
    timeline.idle = idle_spans(activity_times, duration)
    return timeline


def idle_spans(activity_offsets: list[int], duration_ms: int,
               threshold_ms: int = IDLE_THRESHOLD_MS) -> list[IdleSpan]:
    """Stretches longer than the threshold with no user action (a short lead-in is kept so
    playback resumes just before the next action, as rrweb-player does)."""
    points = [0, *sorted(activity_offsets), duration_ms]
    spans = []
    for previous, current in itertools.pairwise(points):
        if current - previous > threshold_ms:
            spans.append(IdleSpan(previous + 1_000, current - 1_000))
    return spans
