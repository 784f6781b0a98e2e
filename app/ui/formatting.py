"""How session values read on screen, shared by the session list and the details pane."""

from __future__ import annotations

from PySide6.QtCore import QLocale
from sqlalchemy.engine import make_url

from app.core.cache.queries import SessionInfo

# The window shows times as the shell does (re-exported for the widgets that format here).
from app.core.display import MISSING as MISSING
from app.core.display import duration as duration
from app.core.display import local_time as local_time
from app.core.display import utc_time as utc_time


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


def time_ago(ms: int, now_ms: int) -> str:
    """"just now", "12 min ago", "3 h ago", else the local date and time."""
    seconds = max(0, now_ms - ms) // 1000
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86_400:
        return f"{seconds // 3600} h ago"
    return local_time(ms)


def sentence(message: str) -> str:
    """An error message from the core ("an event named … is already defined") as a sentence
    of its own, its names' case kept."""
    message = message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith((".", "?", "!")) else ".")
