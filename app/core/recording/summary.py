"""Derive a session's metadata (pages, viewport, counts, active time) from its events."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from app.core.analytics.custom_tags import navigation_href
from app.core.recording.normalize import Recording
from app.core.recording.rrweb import (
    CONSOLE_PLUGIN,
    USER_ACTIVITY_SOURCES,
    EventType,
    MouseInteraction,
    Source,
)

# Gaps between user actions longer than this count as idle (rrweb-player skips at 10 s,
# PostHog counts activity in 5 s windows; we follow PostHog).
ACTIVE_GAP_MS = 5_000
ERROR_LEVELS = frozenset({"error", "assert"})


@dataclass
class SessionSummary:
    start_ms: int
    end_ms: int
    event_count: int
    active_ms: int = 0
    pages: list[str] = field(default_factory=list)
    viewport_width: int | None = None
    viewport_height: int | None = None
    click_count: int = 0
    input_count: int = 0
    error_count: int = 0
    custom_count: int = 0
    full_snapshot_count: int = 0

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def landing_page(self) -> str | None:
        return self.pages[0] if self.pages else None

    @property
    def exit_page(self) -> str | None:
        return self.pages[-1] if self.pages else None

    @property
    def device_type(self) -> str | None:
        return device_type_for_width(self.viewport_width)


def device_type_for_width(width: int | None) -> str | None:
    """Smartlook-style device class from the viewport width in CSS pixels."""
    if not width:
        return None
    if width < 768:
        return "mobile"
    if width < 1024:
        return "tablet"
    return "desktop"


def summarize(recording: Recording) -> SessionSummary:
    summary = SessionSummary(recording.start_ms, recording.end_ms, len(recording.events))
    activity: list[int] = []
    for event in recording.events:
        kind, data, ts = event["type"], event.get("data"), event["timestamp"]
        if not isinstance(data, dict):
            continue
        if kind == EventType.META:
            _note_page(summary, data.get("href"))
            if summary.viewport_width is None:
                summary.viewport_width = _as_int(data.get("width"))
                summary.viewport_height = _as_int(data.get("height"))
        elif kind == EventType.FULL_SNAPSHOT:
            summary.full_snapshot_count += 1
        elif kind == EventType.CUSTOM:
            summary.custom_count += 1
            # A single-page app's URL change (its recorder's custom event) is a page too.
            _note_page(summary, navigation_href(data.get("tag"), data.get("payload"),
                                                summary.pages[-1] if summary.pages else None))
        elif kind == EventType.PLUGIN:
            if _is_console_error(data):
                summary.error_count += 1
        elif kind == EventType.INCREMENTAL_SNAPSHOT:
            _note_incremental(summary, data, ts, activity)
    summary.active_ms = active_time(activity)
    return summary


def _note_incremental(summary: SessionSummary, data: dict[str, Any], ts: int,
                      activity: list[int]) -> None:
    source = data.get("source")
    if source not in USER_ACTIVITY_SOURCES:
        return
    if source in (Source.MOUSE_MOVE, Source.TOUCH_MOVE, Source.DRAG) \
            and isinstance(data.get("positions"), list):
        for position in data["positions"]:
            offset = position.get("timeOffset", 0) if isinstance(position, dict) else 0
            activity.append(ts + (offset if isinstance(offset, int | float) else 0))
    else:
        activity.append(ts)
    if source == Source.MOUSE_INTERACTION and data.get("type") == MouseInteraction.CLICK:
        summary.click_count += 1
    elif source == Source.INPUT:
        summary.input_count += 1
    elif source == Source.VIEWPORT_RESIZE and summary.viewport_width is None:
        summary.viewport_width = _as_int(data.get("width"))
        summary.viewport_height = _as_int(data.get("height"))


def _note_page(summary: SessionSummary, href: Any) -> None:
    if isinstance(href, str) and href and (not summary.pages or summary.pages[-1] != href):
        summary.pages.append(href)


def _is_console_error(data: dict[str, Any]) -> bool:
    payload = data.get("payload")
    return (data.get("plugin") == CONSOLE_PLUGIN and isinstance(payload, dict)
            and payload.get("level") in ERROR_LEVELS)


def active_time(activity_ms: list[int]) -> int:
    """Sum the gaps between consecutive user actions that are short enough to be 'active'."""
    if len(activity_ms) < 2:
        return 0
    activity_ms.sort()
    total = 0
    for previous, current in itertools.pairwise(activity_ms):
        gap = current - previous
        if gap <= ACTIVE_GAP_MS:
            total += gap
    return total


def _as_int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
