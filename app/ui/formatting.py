"""How session values read on screen, shared by the session list and the details pane."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QLocale
from sqlalchemy.engine import make_url

from app.core.cache.queries import SessionInfo

MISSING = "—"


def local_time(ms: int) -> str:
    """Start times in the viewer's own time zone, to the second, sortable as text."""
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


def count(value: int) -> str:
    return f"{value:,}"


def data_size(size: int) -> str:
    return QLocale().formattedDataSize(size)


def visitor(info: SessionInfo) -> str:
    """The most human name we know: identify() name, then e-mail, then the visitor id."""
    return info.visitor_name or info.visitor_email or info.visitor or MISSING


def viewport(info: SessionInfo) -> str:
    if info.viewport_width and info.viewport_height:
        return f"{info.viewport_width} × {info.viewport_height}"  # noqa: RUF001
    return MISSING


def device(info: SessionInfo) -> str:
    """Device class with OS and browser when the recording told us them."""
    parts = [part for part in (info.device_type, info.os, info.browser) if part]
    return ", ".join(parts) or "unknown"


def sessions_count(value: int) -> str:
    return f"{value:,} session" + ("" if value == 1 else "s")


def cache_location(description: str) -> str:
    """A SQLite cache as its file path; any other database as its URL (password hidden)."""
    if not description:
        return description
    url = make_url(description)
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return description
