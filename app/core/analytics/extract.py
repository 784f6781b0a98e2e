"""Pull the events worth indexing (pageviews, clicks, inputs, errors, custom) out of a stream."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from app.core.recording.rrweb import CONSOLE_PLUGIN, EventType, MouseInteraction, Source
from app.core.recording.summary import ERROR_LEVELS

CLICK_KINDS = {MouseInteraction.CLICK: "click", MouseInteraction.DBL_CLICK: "dblclick",
               MouseInteraction.CONTEXT_MENU: "contextmenu"}


@dataclass
class IndexedEvent:
    ts_ms: int
    kind: str
    name: str | None = None
    url: str | None = None
    node_id: int | None = None
    x: float | None = None
    y: float | None = None
    properties: dict[str, Any] | None = None


def extract_events(events: list[dict[str, Any]]) -> Iterator[IndexedEvent]:
    url: str | None = None
    for event in events:
        kind, data, ts = event["type"], event.get("data"), int(event["timestamp"])
        if not isinstance(data, dict):
            continue
        if kind == EventType.META and isinstance(data.get("href"), str):
            url = data["href"]
            yield IndexedEvent(ts, "pageview", url, url)
        elif kind == EventType.INCREMENTAL_SNAPSHOT:
            source = data.get("source")
            if source == Source.MOUSE_INTERACTION and data.get("type") in CLICK_KINDS:
                yield IndexedEvent(ts, CLICK_KINDS[data["type"]], None, url, _int(data.get("id")),
                                   _num(data.get("x")), _num(data.get("y")))
            elif source == Source.INPUT:
                yield IndexedEvent(ts, "input", None, url, _int(data.get("id")))
        elif kind == EventType.CUSTOM:
            tag = data.get("tag")
            payload = data.get("payload")
            yield IndexedEvent(ts, "identify" if tag == "identify" else "custom",
                               str(tag) if tag is not None else None, url,
                               properties=payload if isinstance(payload, dict) else None)
        elif kind == EventType.PLUGIN and data.get("plugin") == CONSOLE_PLUGIN:
            payload = data.get("payload") if isinstance(data.get("payload"), dict) else {}
            if payload.get("level") in ERROR_LEVELS:
                message = " ".join(console_text(part) for part in payload.get("payload") or [])
                yield IndexedEvent(ts, "error", message[:500] or None, url,
                                   properties={"level": payload.get("level")})


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def console_text(part: Any) -> str:
    """rrweb's console plugin sends each argument as JSON text (`'"Uncaught Error: x"'`):
    show the value, not its quotes."""
    if isinstance(part, str):
        try:
            value = orjson.loads(part)
        except orjson.JSONDecodeError:
            return part
        return value if isinstance(value, str) else part
    return str(part)
