"""How times and durations read for people, in the shell and in the window alike."""

from __future__ import annotations

from datetime import UTC, datetime

MISSING = "—"


def local_time(ms: int) -> str:
    """Times in the viewer's own time zone, to the second, sortable as text."""
    try:
        return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):  # recordings are untrusted: odd clocks happen
        return MISSING


def utc_time(ms: int) -> str:
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return MISSING


def duration(ms: int) -> str:
    """m:ss, or h:mm:ss from an hour on, as video players show lengths."""
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def offset(ms: int) -> str:
    """A moment in a session, m:ss.s from its start (negative for what came before it, such
    as a request the page started loading with)."""
    sign = "-" if ms < 0 else ""
    tenths = round(abs(ms) / 100)
    minutes, tenths = divmod(tenths, 600)
    return f"{sign}{minutes}:{tenths // 10:02}.{tenths % 10}"
