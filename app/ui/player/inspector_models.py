"""The inspector's lists as table models: the event feed, console lines, requests, errors."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtGui import QColor

from app.core.display import offset
from app.core.replay.inspection import ConsoleLine, ErrorEntry, FeedEntry, NetworkEntry
from app.ui.player.timed_model import Column, TimedTableModel, time_column

ERROR_COLOUR = QColor("#d93025")
WARN_COLOUR = QColor("#a15c00")
DEBUG_COLOUR = QColor("#1a73e8")
ERROR_TINT = QColor(217, 48, 37, 28)
WARN_TINT = QColor(251, 188, 4, 45)
KIND_COLOURS = {"error": ERROR_COLOUR, "rage_click": ERROR_COLOUR, "dead_click": WARN_COLOUR,
                "pageview": QColor("#188038"), "custom": QColor("#8430ce"),
                "identify": QColor("#8430ce"), "defined": QColor("#c0560c")}
LEVEL_COLOURS = {"error": ERROR_COLOUR, "warn": WARN_COLOUR, "debug": DEBUG_COLOUR}
LEVEL_TINTS = {"error": ERROR_TINT, "warn": WARN_TINT}


def _lines(*pairs: tuple[str, Any]) -> str:
    """`Label: value` lines for the details box, leaving out what is unknown."""
    return "\n".join(f"{label}: {value}" for label, value in pairs
                     if value is not None and value != "")


def _trace(frames: tuple[str, ...]) -> str:
    return "\n\nStack trace:\n" + "\n".join(f"    {frame}" for frame in frames) if frames else ""


class FeedModel(TimedTableModel):
    columns = (time_column(),
               Column("Event", lambda entry: entry.title, "Double click"),
               Column("Details", lambda entry: entry.detail, None))

    def colour(self, entry: FeedEntry) -> QColor | None:
        return KIND_COLOURS.get(entry.event.kind)

    def tooltip(self, entry: FeedEntry) -> str:
        event = entry.event
        return "\n".join(part for part in (entry.detail, _lines(
            ("Target", event.selector), ("Page", event.url))) if part)

    def details(self, entry: FeedEntry) -> str:
        event = entry.event
        if event.kind == "defined":
            rule = (event.properties or {}).get("rule")
            return f"Defined event “{event.name}” at {offset(entry.offset_ms)}\n" \
                + _lines(("Rule", rule))
        position = f"{event.x:g}, {event.y:g}" if event.x is not None and event.y is not None \
            else None
        properties = dict(event.properties or {})
        trace = properties.pop("trace", None)  # an error's: shown as a stack trace
        fields = (("Selector", event.selector),
                  ("Value" if event.kind == "input" else "Text", event.text),
                  ("Page", event.url), ("Position", position),
                  ("Properties", json.dumps(properties, indent=2, ensure_ascii=False,
                                            default=str) if properties else None))
        frames = tuple(str(frame) for frame in trace) if isinstance(trace, list) else ()
        return f"{entry.title} at {offset(entry.offset_ms)}\n" + _lines(
            ("What", entry.detail),
            *((label, value) for label, value in fields if value != entry.detail)) \
            + _trace(frames)


class ConsoleModel(TimedTableModel):
    columns = (time_column(),
               Column("Level", lambda line: line.level, "timeLog"),
               Column("Message", lambda line: line.message.partition("\n")[0], None))

    def colour(self, line: ConsoleLine) -> QColor | None:
        return LEVEL_COLOURS.get(line.group)

    def tint(self, line: ConsoleLine) -> QColor | None:
        return LEVEL_TINTS.get(line.group)

    def tooltip(self, line: ConsoleLine) -> str:
        return line.message[:1_000]

    def details(self, line: ConsoleLine) -> str:
        where = f" on {line.url}" if line.url else ""
        return f"console.{line.level} at {offset(line.offset_ms)}{where}\n\n{line.message}" \
            + _trace(line.trace)


def _status(entry: NetworkEntry) -> str:
    if entry.status is None:
        return ""
    return "failed" if entry.status == 0 else str(entry.status)


def _duration(entry: NetworkEntry) -> str:
    return f"{entry.duration_ms:,} ms" if entry.duration_ms is not None else ""


def request_name(entry: NetworkEntry) -> str:
    """What DevTools' Name column shows (the last path segment and the query), after the
    method when it is not a plain GET."""
    path = entry.url.split("#", 1)[0]
    base, _, query = path.partition("?")
    name = base.rstrip("/").rsplit("/", 1)[-1] if base.count("/") > 2 else base
    name = (f"{name}?{query}" if query else name) or entry.url
    return f"{entry.method} {name}" if entry.method not in (None, "GET") else name


def type_name(initiator: str | None) -> str:
    """As DevTools names request types."""
    return {"xmlhttprequest": "xhr", "navigation": "document"}.get(initiator or "",
                                                                    initiator or "")


class NetworkModel(TimedTableModel):
    columns = (time_column(),
               Column("Name", request_name, None),
               Column("Status", _status, "Status"),
               Column("Type", lambda entry: type_name(entry.initiator), "document"),
               Column("Duration", _duration, "1,234 ms", align_right=True))

    def colour(self, entry: NetworkEntry) -> QColor | None:
        return ERROR_COLOUR if entry.failed else None

    def tint(self, entry: NetworkEntry) -> QColor | None:
        return ERROR_TINT if entry.failed else None

    def tooltip(self, entry: NetworkEntry) -> str:
        return entry.url

    def details(self, entry: NetworkEntry) -> str:
        return _lines(("Request", f"{entry.method or 'GET'} {entry.url}"),
                      ("Started at", offset(entry.offset_ms)), ("Status", _status(entry)),
                      ("Type", entry.initiator), ("Duration", _duration(entry)))


class ErrorsModel(TimedTableModel):
    columns = (time_column(),
               Column("Error", lambda entry: entry.message.partition("\n")[0], None),
               Column("Kind", lambda entry: entry.kind, "console.assert"))

    def colour(self, _entry: ErrorEntry) -> QColor:
        return ERROR_COLOUR

    def tooltip(self, entry: ErrorEntry) -> str:
        return entry.message[:1_000]

    def details(self, entry: ErrorEntry) -> str:
        where = f" on {entry.url}" if entry.url else ""
        return f"{entry.kind} at {offset(entry.offset_ms)}{where}\n\n{entry.message}" \
            + _trace(entry.trace)
