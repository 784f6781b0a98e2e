"""A recording's clicks, mouse moves and scroll depth in page coordinates.

rrweb records pointer positions in the viewport (clientX/Y) and the page's scroll apart
from them: IncrementalSnapshot source 3 names the scrolled node (the snapshot's document
for the page; the <html> or <body> element where one of them is the scroll container) and a
full snapshot carries the scroll it was taken at (`initialOffset`). A point on the page is
the viewport point plus the page's scroll at that moment. Mouse moves arrive in batches sent
every ~500 ms, each position with a negative `timeOffset`: a position takes the scroll of
its own moment, looked up in the window's scroll history, not the scroll when its batch was
sent (the page may have scrolled in between).

One `PageVisit` per (window, URL, viewport width): what heatmaps of a page at a device class
read. A page shown again later in the session joins its first visit; a resize to another
width starts a new one, since the page is laid out anew. Scroll depth is the deepest bottom
edge shown, scroll y + viewport height, so a visitor who never scrolled saw one screen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.core.analytics.custom_tags import navigation_href
from app.core.analytics.events import IndexedEvent
from app.core.recording.rrweb import EventType, MouseInteraction, NodeType, Source

# Stored as is in `page_points` blobs: little-endian, so a cache moves between machines.
CLICK_DTYPE = np.dtype([("x", "<f4"), ("y", "<f4"), ("ts", "<i8"), ("target", "<i4")])
MOVE_DTYPE = np.dtype([("x", "<f4"), ("y", "<f4")])
NO_TARGET = -1
# Recordings are untrusted: coordinates beyond this (px) are not a page, and would blow up
# a grid sized to fit them.
MAX_COORDINATE = 1_000_000.0

# (window, timestamp, node id, x, y) of a click, as the events index keeps it.
ClickKey = tuple[int, int, int | None, float | None, float | None]

_INCREMENTAL, _META, _FULL_SNAPSHOT, _CUSTOM = map(int, (
    EventType.INCREMENTAL_SNAPSHOT, EventType.META, EventType.FULL_SNAPSHOT, EventType.CUSTOM))
_MOVE, _INTERACTION, _SCROLL, _RESIZE = map(int, (
    Source.MOUSE_MOVE, Source.MOUSE_INTERACTION, Source.SCROLL, Source.VIEWPORT_RESIZE))
_CLICK = int(MouseInteraction.CLICK)


@dataclass
class PageVisit:
    """A page as one window of a session showed it at one viewport width."""

    window: int
    url: str
    viewport_width: int | None
    viewport_height: int | None
    ts_ms: int  # first shown
    scroll_depth: float  # deepest bottom edge shown, page px
    clicks: np.ndarray  # CLICK_DTYPE; `target` indexes `selectors`
    moves: np.ndarray  # MOVE_DTYPE
    selectors: list[str]


def click_targets(rows: Iterable[tuple[int, int, int | None, float | None, float | None,
                                       str | None]]) -> dict[ClickKey, str]:
    """Selectors of clicks by `ClickKey`, from (window, ts, node id, x, y, selector) rows."""
    return {(window, ts, node, x, y): selector
            for window, ts, node, x, y, selector in rows if selector}


def targets_of(found: Iterable[IndexedEvent]) -> dict[ClickKey, str]:
    """`click_targets` of an events index as extraction found it."""
    return click_targets((e.window, e.ts_ms, e.node_id, e.x, e.y, e.selector)
                         for e in found if e.kind == "click")


@dataclass
class _Visit:
    window: int
    url: str
    width: int | None
    height: int | None
    ts: int
    depth: float = 0.0
    clicks: list[tuple[float, float, int, int]] = field(default_factory=list)
    moves: list[tuple[Any, Any, Any, Any]] = field(default_factory=list)  # ts, offset, x, y
    selectors: dict[str, int] = field(default_factory=dict)


class _Window:
    """One window's page, viewport and scroll as the recording goes on."""

    __slots__ = ("height", "page_ids", "scroll_t", "scroll_x", "scroll_y", "url", "visit",
                 "width")

    def __init__(self) -> None:
        self.url: str | None = None
        self.width: int | None = None
        self.height: int | None = None
        self.page_ids: frozenset[int] = frozenset()
        # The scroll history, for moves: (time, x, y) from the start, in time order.
        self.scroll_t: list[int] = [-(1 << 62)]
        self.scroll_x: list[float] = [0.0]
        self.scroll_y: list[float] = [0.0]
        self.visit: _Visit | None = None


def extract_visits(events: Sequence[dict[str, Any]], windows: Sequence[int] | None = None,
                   targets: Mapping[ClickKey, str] | None = None) -> list[PageVisit]:
    """The page visits of a time-ordered stream; `windows` gives each event's window,
    `targets` the clicks' selectors (see `click_targets`)."""
    targets = targets or {}
    states: dict[int, _Window] = {}
    visits: dict[tuple[int, str, int | None], _Visit] = {}
    for position, event in enumerate(events):
        data = event.get("data")
        if not isinstance(data, dict):
            continue
        window = windows[position] if windows is not None else 0
        state = states.get(window)
        if state is None:
            state = states[window] = _Window()
        kind, ts = event.get("type"), int(event["timestamp"])
        if kind == _INCREMENTAL:
            source = data.get("source")
            if source == _MOVE:
                _moves(state, data, ts)
            elif source == _INTERACTION:
                if data.get("type") == _CLICK:
                    _click(state, data, ts, window, targets)
            elif source == _SCROLL:
                if _is_int(data.get("id")) and data["id"] in state.page_ids:
                    _scrolled(state, data, ts)
            elif source == _RESIZE:
                state.width = _size(data.get("width"), state.width)
                state.height = _size(data.get("height"), state.height)
                _show(state, visits, window, ts)
        elif kind == _META:  # a page (re)loads: at the top, unless its snapshot says not
            if isinstance(data.get("href"), str) and data["href"]:
                state.url = data["href"]
            _scrolled(state, {"x": 0, "y": 0}, ts)
            state.width = _size(data.get("width"), state.width)
            state.height = _size(data.get("height"), state.height)
            _show(state, visits, window, ts)
        elif kind == _FULL_SNAPSHOT:
            state.page_ids = _page_ids(data.get("node"))
            offset = data.get("initialOffset")
            if isinstance(offset, dict):
                _scrolled(state, {"x": offset.get("left"), "y": offset.get("top")}, ts)
            _show(state, visits, window, ts)
        elif kind == _CUSTOM:
            href = navigation_href(data.get("tag"), data.get("payload"), state.url)
            if href is not None and href != state.url:
                state.url = href
                _show(state, visits, window, ts)
    return [_finish(visit, states[visit.window]) for visit in visits.values()]


def _show(state: _Window, visits: dict[tuple[int, str, int | None], _Visit], window: int,
          ts: int) -> None:
    """The window shows its page (again, or at a new size): points go to its visit."""
    if state.url is None:
        state.visit = None
        return
    key = (window, state.url, state.width)
    visit = visits.get(key)
    if visit is None:
        visit = visits[key] = _Visit(window, state.url, state.width, state.height, ts)
    state.visit = visit
    _deepen(state)


def _deepen(state: _Window) -> None:
    if state.visit is not None and state.height is not None:
        state.visit.depth = max(state.visit.depth, state.scroll_y[-1] + state.height)


def _scrolled(state: _Window, data: dict[str, Any], ts: int) -> None:
    x, y = _coordinate(data.get("x")), _coordinate(data.get("y"))
    if x is None and y is None:
        return
    state.scroll_t.append(ts)
    state.scroll_x.append(state.scroll_x[-1] if x is None else x)
    state.scroll_y.append(state.scroll_y[-1] if y is None else y)
    _deepen(state)


def _click(state: _Window, data: dict[str, Any], ts: int, window: int,
           targets: Mapping[ClickKey, str]) -> None:
    visit = state.visit
    x, y = _coordinate(data.get("x")), _coordinate(data.get("y"))
    if visit is None or x is None or y is None:
        return
    node = data.get("id")
    selector = targets.get((window, ts, node if _is_int(node) else None, x, y))
    target = NO_TARGET
    if selector is not None:
        target = visit.selectors.setdefault(selector, len(visit.selectors))
    visit.clicks.append((x + state.scroll_x[-1], y + state.scroll_y[-1], ts, target))


def _moves(state: _Window, data: dict[str, Any], ts: int) -> None:
    """Kept raw: `_finish` checks and places a visit's positions all at once in numpy."""
    visit = state.visit
    positions = data.get("positions")
    if visit is None or not isinstance(positions, list):
        return
    append = visit.moves.append
    for position in positions:
        if isinstance(position, dict):
            append((ts, position.get("timeOffset", 0), position.get("x"), position.get("y")))


def _finish(visit: _Visit, state: _Window) -> PageVisit:
    clicks = np.array(visit.clicks, dtype=CLICK_DTYPE) if visit.clicks \
        else np.empty(0, CLICK_DTYPE)
    t, x, y = _move_numbers(visit.moves)
    # Each position takes the latest scroll at or before its own moment.
    at = np.searchsorted(np.asarray(state.scroll_t, np.float64), t, side="right") - 1
    moves = np.empty(len(t), MOVE_DTYPE)
    moves["x"] = x + np.asarray(state.scroll_x)[at]
    moves["y"] = y + np.asarray(state.scroll_y)[at]
    return PageVisit(visit.window, visit.url, visit.width, visit.height, visit.ts,
                     visit.depth, clicks, moves, list(visit.selectors))


def _move_numbers(moves: list[tuple[Any, Any, Any, Any]],
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, x and y of the positions that have usable coordinates."""
    try:
        table = np.array(moves, dtype=np.float64).reshape(-1, 4)
    except (TypeError, ValueError):  # something that is no number: check one by one
        table = np.array([(ts, _coordinate(offset) or 0.0, _coordinate(x), _coordinate(y))
                          for ts, offset, x, y in moves], dtype=np.float64).reshape(-1, 4)
    ts, offset, x, y = table.T
    usable = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= MAX_COORDINATE) \
        & (np.abs(y) <= MAX_COORDINATE)
    offset = np.where(np.isfinite(offset) & (np.abs(offset) <= MAX_COORDINATE), offset, 0.0)
    return (ts + offset)[usable], x[usable], y[usable]


def _page_ids(node: Any) -> frozenset[int]:
    """The ids a page scroll is recorded against: the document, its <html> and <body>."""
    if not isinstance(node, dict) or not _is_int(node.get("id")):
        return frozenset()
    ids = {node["id"]}
    for html in _elements(node, "html"):
        ids.add(html["id"])
        ids.update(body["id"] for body in _elements(html, "body"))
    return frozenset(ids)


def _elements(parent: dict[str, Any], tag: str) -> list[dict[str, Any]]:
    children = parent.get("childNodes")
    return [child for child in children if isinstance(child, dict)
            and child.get("type") == NodeType.ELEMENT and _is_int(child.get("id"))
            and str(child.get("tagName", "")).lower() == tag] \
        if isinstance(children, list) else []


def _coordinate(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value) and abs(value) <= MAX_COORDINATE:
        return float(value)
    return None


def _size(value: Any, previous: int | None) -> int | None:
    size = _coordinate(value)
    return int(size) if size is not None and size >= 1 else previous


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
