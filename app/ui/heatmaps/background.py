"""The page under a heatmap: a recorded full snapshot of it, laid out whole and drawn offscreen.

The page is rebuilt by the player's own engine (`HeadlessReplay`) at the moment just after
a full snapshot of the URL, then given a viewport as tall as its document (a ViewportResize
event handed to the replayer, as if the visitor's window had grown), so one grab shows the
whole scrollable page rather than the first screen. Content sized by the viewport (100vh
sections, fixed headers) is laid out for that tall viewport: a fixed header shows once, at
the top, which is where a heatmap of the page wants it.

The engine draws at most `MAX_SIDE` (2048) px a side, so a page taller than that is drawn in
tiles: the view is one tile tall, the player's viewport (the whole page laid out) is moved up
by a tile at a time, pixel for pixel, and the grabs are stitched. A page wider than that (a
recorded viewport over 2048 px) is drawn scaled down to fit in one grab instead, and scaled up
again by whoever draws over it: it loses detail, never its proportions, and positions stay in
page px. The page is as wide as the recorded viewport: content overflowing it sideways is cut
off, as the visitor's window cut it.

The same layout engine measures the clicks' target elements (`placement.layouts_needed`): at
each viewport width clicks were made at (the visitor's layout) and on the background itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from PySide6.QtGui import QImage, QPainter

from app.core.cache.assets import load_asset
from app.core.cache.database import Cache
from app.core.heatmaps.placement import Box
from app.core.recording.rrweb import EventType, Source
from app.core.replay.session import ReplaySession
from app.core.search.conditions import UrlRule
from app.core.search.urls import url_matches
from app.ui.player.headless import MAX_SIDE, HeadlessReplay, wait_for
from app.ui.render_commands import CommandError, open_replay

# Boxes of `selectors` in the replayed document, in page px (scroll added), as a JSON array
# of [selector, left, top, width, height] (an array: text starting with "{" is taken for the
# player's state by the web view). A selector the page cannot parse or lacks is left out.
MEASURE_SCRIPT = """(function (selectors) {
  const frame = document.getElementById('frame');
  const view = frame.contentWindow, doc = frame.contentDocument;
  const found = [];
  for (const selector of selectors) {
    let element = null;
    try { element = doc.querySelector(selector); } catch (error) { continue; }
    if (!element) continue;
    const r = element.getBoundingClientRect();
    found.push([selector, r.left + view.scrollX, r.top + view.scrollY, r.width, r.height]);
  }
  return JSON.stringify(found);
})(%s)"""
PAGE_HEIGHT_SCRIPT = """(function () {
  const doc = document.getElementById('frame').contentDocument;
  return Math.max(doc.documentElement.scrollHeight, doc.body ? doc.body.scrollHeight : 0);
})()"""


@dataclass(frozen=True)
class PageBackground:
    """A whole page as one image, and where the clicks' targets are on it."""

    image: QImage  # the page, scaled down where larger than the engine draws
    width: int  # the page in page px: the recorded viewport width ...
    height: int  # ... and the document's scrollHeight laid out at it
    session_id: str  # the session whose snapshot it is
    offset_ms: int  # ... and when, from the session's start
    boxes: dict[str, Box]  # targets on this page
    measured: dict[int, dict[str, Box]]  # targets at each viewport width clicks were made at


def find_snapshot(replay: ReplaySession, url: str, rule: UrlRule) -> int | None:
    """When (from the session's start) the first full snapshot of a page matching `url` by
    `rule` was taken, or None."""
    href = None
    for _index, event in replay.events():
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        kind = event.get("type")
        if kind == EventType.META:
            href = data.get("href")
        elif kind == EventType.FULL_SNAPSHOT and isinstance(href, str) \
                and url_matches(rule, url, href):
            return int(event["timestamp"]) - replay.start_ms
    return None


def render_background(cache: Cache, session_ids: Iterable[str], url: str, rule: UrlRule,
                      layouts: Mapping[int, list[str]]) -> PageBackground:
    """The page of the first of `session_ids` with a full snapshot of it, whole, with the
    boxes of `layouts` (`placement.layouts_needed`) measured. Needs a QApplication."""
    tried: list[str] = []
    for session_id in session_ids:
        info, replay = open_replay(cache, session_id)
        offset_ms = find_snapshot(replay, url, rule)
        if offset_ms is not None:
            return _render(cache, info.id, replay, offset_ms, layouts)
        tried.append(info.id)
    which = f"session {tried[0]}" if len(tried) == 1 else f"none of the {len(tried)} sessions"
    raise CommandError(f"{which} has no full snapshot of a page matching {url!r} ({rule}) to "
                       "draw the page from")


def _render(cache: Cache, session_id: str, replay: ReplaySession, offset_ms: int,
            layouts: Mapping[int, list[str]]) -> PageBackground:
    renderer = HeadlessReplay(replay, 1280, 800,
                              lambda url, deliver: deliver(load_asset(cache, url)))
    try:
        renderer.seek(offset_ms)
        width, height = int(renderer.state["width"]), int(renderer.state["height"])
        stamp = replay.start_ms + offset_ms
        measured = {}
        for viewport_width, selectors in sorted(layouts.items()):
            _lay_out(renderer, viewport_width, height, stamp)
            measured[viewport_width] = _measure(renderer, selectors)
        _lay_out(renderer, width, height, stamp)
        page_height = max(height, int(_evaluate(renderer, PAGE_HEIGHT_SCRIPT)))
        _lay_out(renderer, width, page_height, stamp)
        wanted = sorted({selector for selectors in layouts.values() for selector in selectors})
        boxes = _measure(renderer, wanted)
        if width <= MAX_SIDE < page_height:
            image = _tiles(renderer, width, page_height)
        else:
            renderer.resize(width, page_height)
            image = _page_only(renderer.grab(), width, page_height)
    finally:
        renderer.close()
    return PageBackground(image, width, page_height, session_id, offset_ms, boxes, measured)


def _tiles(renderer: HeadlessReplay, width: int, height: int) -> QImage:
    """The page grabbed `MAX_SIDE` px at a time, at its size, stitched (the last tile
    overlaps the one before it, so every grab is the view's full size)."""
    renderer.resize(width, MAX_SIDE)
    page = QImage(width, height, QImage.Format.Format_RGB888)
    painter = QPainter(page)
    try:
        for top in [*range(0, height - MAX_SIDE, MAX_SIDE), height - MAX_SIDE]:
            _evaluate(renderer, f"tapeview.showStrip({top}); true")
            painter.drawImage(0, top, renderer.grab())
    finally:
        painter.end()
    return page


def _page_only(frame: QImage, width: int, height: int) -> QImage:
    """The page without the player's stage around it: the player centres the page scaled to
    fit, and when the view's size was rounded the page falls short of an edge by a fraction
    of a pixel (a grey line once scaled back up). Partly covered pixels are cut off."""
    scale = min(frame.width() / width, frame.height() / height)
    left, top = (frame.width() - width * scale) / 2, (frame.height() - height * scale) / 2
    x, y = math.ceil(left), math.ceil(top)
    return frame.copy(x, y, math.floor(left + width * scale) - x,
                      math.floor(top + height * scale) - y)


def _lay_out(renderer: HeadlessReplay, width: int, height: int, stamp: int) -> None:
    """Give the replayed page a viewport of `width` x `height`."""
    renderer.apply([{"type": EventType.INCREMENTAL_SNAPSHOT, "timestamp": stamp,
                     "data": {"source": Source.VIEWPORT_RESIZE, "width": width,
                              "height": height}}])


def _measure(renderer: HeadlessReplay, selectors: list[str]) -> dict[str, Box]:
    if not selectors:
        return {}
    found = orjson.loads(_evaluate(renderer, MEASURE_SCRIPT % orjson.dumps(selectors).decode()))
    return {selector: Box(left, top, width, height)
            for selector, left, top, width, height in found}


def _evaluate(renderer: HeadlessReplay, script: str) -> Any:
    return wait_for(lambda done: renderer.view.evaluate(script, done),
                    "the replayed page did not answer")
