"""Everything needed to put a replayed page back as it was at one moment.

`ReplayState` follows a window's events and can say, at any point, which few events rebuild
that moment from nothing: a Meta and a FullSnapshot of the current DOM (from the mirror), then
the changes a snapshot cannot hold — stylesheet rules added through the CSSOM, adopted sheets,
canvas drawing, fonts, element scroll positions, media state, the pointer and the selection.
"""

from __future__ import annotations

from typing import Any

from app.core.recording.mirror import DomMirror
from app.core.recording.rrweb import EventType, Source

Event = dict[str, Any]

# Changes that live outside the DOM tree: kept and re-applied after a rebuilt snapshot.
STICKY_SOURCES = frozenset({Source.STYLE_SHEET_RULE, Source.STYLE_DECLARATION,
                            Source.ADOPTED_STYLE_SHEET, Source.CANVAS_MUTATION, Source.FONT})
POINTER_SOURCES = frozenset({Source.MOUSE_MOVE, Source.TOUCH_MOVE, Source.DRAG})
MAX_CANVAS_EVENTS = 500  # per canvas: a canvas animation must not grow a checkpoint forever


class ReplayState:
    def __init__(self) -> None:
        self.mirror = DomMirror()
        self.href: str | None = None
        self.width: int | None = None
        self.height: int | None = None
        self.has_snapshot = False
        self.sticky: list[Event] = []
        self.media: dict[int, Event] = {}
        self.pointer: Event | None = None
        self.selection: Event | None = None

    def apply(self, event: Event) -> None:
        kind, data = event.get("type"), event.get("data")
        if not isinstance(data, dict):
            return
        if kind == EventType.META:
            self.href = data.get("href", self.href)
            self.width = data.get("width", self.width)
            self.height = data.get("height", self.height)
        elif kind == EventType.FULL_SNAPSHOT:
            self.mirror.load_snapshot(data)
            self.has_snapshot = True
            self.sticky.clear()
            self.media.clear()
            self.selection = None
        elif kind == EventType.INCREMENTAL_SNAPSHOT:
            self._apply_incremental(event, data)

    def _apply_incremental(self, event: Event, data: dict[str, Any]) -> None:
        source = data.get("source")
        if source == Source.MUTATION:
            self._forget_restyled(data)
            self.mirror.apply_mutation(data)
        elif source in (Source.INPUT, Source.SCROLL):
            self.mirror.apply(event)
        elif source == Source.VIEWPORT_RESIZE:
            self.width, self.height = data.get("width", self.width), data.get("height",
                                                                              self.height)
        elif source in STICKY_SOURCES:
            self.sticky.append(event)
            if source == Source.CANVAS_MUTATION:
                self._trim_canvas(data.get("id"))
        elif source == Source.MEDIA_INTERACTION and isinstance(data.get("id"), int):
            self.media[data["id"]] = event
        elif source in POINTER_SOURCES or source == Source.MOUSE_INTERACTION:
            self.pointer = event
        elif source == Source.SELECTION:
            self.selection = event

    def _forget_restyled(self, data: dict[str, Any]) -> None:
        """A <style> whose text changes or that is removed starts from its new text: the CSSOM
        rules added to it before are gone in the browser too."""
        touched: set[int] = set()
        for change in data.get("texts") or ():
            if isinstance(change, dict):
                parent = self.mirror.parents.get(change.get("id"))  # type: ignore[arg-type]
                if parent is not None:
                    touched.add(parent)
        for item in [*(data.get("adds") or ()), *(data.get("removes") or ())]:
            if isinstance(item, dict):
                touched.add(item.get("parentId"))  # type: ignore[arg-type]
                touched.add(item.get("id"))  # type: ignore[arg-type]
        if touched and self.sticky:
            self.sticky = [e for e in self.sticky
                           if e["data"].get("source") == Source.CANVAS_MUTATION
                           or e["data"].get("id") not in touched]

    def _trim_canvas(self, canvas_id: Any) -> None:
        mine = [i for i, e in enumerate(self.sticky) if e["data"].get("id") == canvas_id
                and e["data"].get("source") == Source.CANVAS_MUTATION]
        if len(mine) > MAX_CANVAS_EVENTS:
            drop = set(mine[: len(mine) - MAX_CANVAS_EVENTS])
            self.sticky = [e for i, e in enumerate(self.sticky) if i not in drop]

    def restore_events(self, ts: int) -> list[Event]:
        """Events that rebuild this moment from an empty player, all stamped `ts`."""
        events: list[Event] = []
        if self.href is not None or self.width is not None:
            meta: dict[str, Any] = {"href": self.href or "about:blank"}
            if self.width and self.height:
                meta.update(width=self.width, height=self.height)
            events.append({"type": EventType.META, "data": meta, "timestamp": ts})
        if not self.has_snapshot:
            return events
        root = self.mirror.serialize()
        document_scroll = self.mirror.scroll.get(root["id"], (0, 0)) if root else (0, 0)
        events.append({"type": EventType.FULL_SNAPSHOT, "timestamp": ts, "data": {
            "node": root, "initialOffset": {"left": document_scroll[0],
                                            "top": document_scroll[1]}}})
        live = self.mirror.nodes
        events.extend(e for e in self.sticky if e["data"].get("id") in live
                      or e["data"].get("styleId") is not None
                      or e["data"].get("source") == Source.FONT)
        for node_id, (x, y) in self.mirror.scroll.items():
            if root is not None and node_id != root.get("id") and node_id in live:
                events.append(_incremental(ts, Source.SCROLL, id=node_id, x=x, y=y))
        for node_id, media in self.media.items():
            if node_id in live:
                events.append(_media_at(media, ts))
        for last in (self.selection, self.pointer):
            if last is not None:
                events.append({**last, "timestamp": ts})
        return events


def _incremental(ts: int, source: Source, **data: Any) -> Event:
    return {"type": EventType.INCREMENTAL_SNAPSHOT, "data": {"source": int(source), **data},
            "timestamp": ts}


def _media_at(event: Event, ts: int) -> Event:
    """The last media event, moved to `ts`: a playing video has moved on since."""
    data = dict(event["data"])
    if data.get("type") == 0 and isinstance(data.get("currentTime"), int | float):
        rate = data.get("playbackRate") if isinstance(data.get("playbackRate"), int | float) \
            else 1
        data["currentTime"] += (ts - int(event["timestamp"])) / 1000 * rate
    return {**event, "data": data, "timestamp": ts}
