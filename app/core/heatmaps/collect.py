"""The points a heatmap is drawn from: every cached page visit matching a `HeatmapQuery`.

One SELECT over `page_points`: the URL rule is one LIKE on each visit's page key (the same
key and pattern the session list's URL filter uses, search/urls.py), the device class and
dates test the visit's own columns, and a session filter adds its WHERE clauses on the
joined session (search/clauses.py). Only the blobs a heatmap needs are read: a scroll map
reads none.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import orjson
import zstandard
from sqlalchemy import Row, Text, cast, null, select
from sqlalchemy.orm import Session

from app.core.cache.models import PagePoints, RecordedSession
from app.core.heatmaps.extract import CLICK_DTYPE, MOVE_DTYPE, NO_TARGET
from app.core.search.clauses import filter_clauses
from app.core.search.conditions import (
    DEVICE_TYPES,
    SessionFilter,
    StartedBetween,
    UrlRule,
    VisitedUrl,
)
from app.core.search.errors import FilterError
from app.core.search.urls import LIKE_ESCAPE, like_pattern

Kind = Literal["click", "move", "scroll"]
KINDS: tuple[Kind, ...] = ("click", "move", "scroll")
# A grid fitted to the points stops here: a recording can claim any scroll depth.
MAX_PAGE_WIDTH = 16_384
MAX_PAGE_HEIGHT = 131_072


@dataclass(frozen=True)
class HeatmapQuery:
    """A page (a URL by rule) at a device class (by the viewport width it was shown at;
    any when None), shown between `after_ms` (inclusive) and `before_ms`, in the sessions
    of a project (any when None) that match `filter`."""

    url: str
    rule: UrlRule = "simple"
    device: str | None = None
    after_ms: int | None = None
    before_ms: int | None = None
    filter: SessionFilter = field(default_factory=SessionFilter)
    project_id: int | None = None

    def __post_init__(self) -> None:
        VisitedUrl(self.rule, self.url)  # checks the rule and the URL as a filter would
        if self.device is not None and self.device not in DEVICE_TYPES:
            raise FilterError(f"unknown device type {self.device!r}; device types are "
                              f"{', '.join(DEVICE_TYPES)}")
        if self.after_ms is not None or self.before_ms is not None:
            StartedBetween(self.after_ms, self.before_ms)


@dataclass(frozen=True)
class Clicks:
    """Clicks in page px, with who made them, when, on what, and at which viewport width."""

    x: np.ndarray  # float32
    y: np.ndarray  # float32
    ts_ms: np.ndarray  # int64
    session: np.ndarray  # int32, into `HeatmapPoints.session_ids`
    target: np.ndarray  # int32, into `selectors`; -1 where the target is unknown
    viewport_width: np.ndarray  # int32; 0 where unknown
    selectors: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.x)

    def moved_to(self, x: np.ndarray, y: np.ndarray) -> Clicks:
        """The same clicks at other positions (placed on their elements, say)."""
        return replace(self, x=np.asarray(x, np.float32), y=np.asarray(y, np.float32))


@dataclass(frozen=True)
class HeatmapPoints:
    """What a heatmap of one page is drawn from. Sessions are those that showed the page
    (matching the query), whether or not they clicked or moved on it."""

    session_ids: tuple[str, ...]
    session_start_ms: np.ndarray  # int64, per session
    scroll_depth: np.ndarray  # float32, per session: deepest bottom edge over its visits
    viewport_height: np.ndarray  # float32, per session: its tallest viewport (0: unknown)
    viewport_width: np.ndarray  # int32, per session: its widest viewport (0: unknown)
    page_width: int  # the widest viewport the page was shown at (0: unknown)
    visits: int
    clicks: Clicks
    move_x: np.ndarray  # float32
    move_y: np.ndarray  # float32

    @property
    def session_count(self) -> int:
        return len(self.session_ids)

    def page_size(self) -> tuple[int, int]:
        """Width and height (px) that hold the points and the deepest scroll, bounded."""
        width = self.page_width
        height = float(self.scroll_depth.max(initial=0.0))
        for x, y in ((self.clicks.x, self.clicks.y), (self.move_x, self.move_y)):
            if len(x):
                width = max(width, int(x.max()) + 1)
                height = max(height, float(y.max()) + 1)
        return min(max(width, 1), MAX_PAGE_WIDTH), min(max(int(height), 1), MAX_PAGE_HEIGHT)

    def backgrounds(self) -> tuple[str, ...]:
        """The sessions in the order to draw the page from: those at the viewport width
        most sessions had first (the layout most visitors saw), then the next most common
        width, and so on; sessions of one width in their order here."""
        _widths, number, counts = np.unique(self.viewport_width, return_inverse=True,
                                            return_counts=True)
        rank = np.argsort(np.argsort(-counts, kind="stable"), kind="stable")
        order = np.argsort(rank[number], kind="stable")
        return tuple(self.session_ids[index] for index in order.tolist())

    def with_clicks(self, clicks: Clicks) -> HeatmapPoints:
        return replace(self, clicks=clicks)


def collect_points(session: Session, query: HeatmapQuery,
                   kinds: Collection[Kind] = KINDS) -> HeatmapPoints:
    """The points of every cached visit to the page that `query` matches; only the kinds
    asked for are read (the others come back empty). Run `store.update_points` first
    for a cache that may hold sessions from before heatmaps."""
    want_clicks, want_moves = "click" in kinds, "move" in kinds
    # Selectors as the stored JSON text: orjson reads it several times faster.
    columns = [PagePoints.session_id, RecordedSession.start_ms, PagePoints.viewport_width,
               PagePoints.viewport_height, PagePoints.scroll_depth, PagePoints.click_count,
               cast(PagePoints.selectors, Text) if want_clicks else null(),
               PagePoints.move_count, PagePoints.clicks if want_clicks else null(),
               PagePoints.moves if want_moves else null()]
    statement = (select(*columns)
                 .join(RecordedSession, RecordedSession.id == PagePoints.session_id)
                 .where(PagePoints.page_key.like(like_pattern(query.rule, query.url),
                                                 escape=LIKE_ESCAPE)))
    if query.device is not None:
        statement = statement.where(PagePoints.device == query.device)
    if query.after_ms is not None:
        statement = statement.where(PagePoints.ts_ms >= query.after_ms)
    if query.before_ms is not None:
        statement = statement.where(PagePoints.ts_ms < query.before_ms)
    if query.project_id is not None:
        statement = statement.where(RecordedSession.project_id == query.project_id)
    statement = statement.where(*filter_clauses(session, query.filter, counting=True))
    statement = statement.order_by(PagePoints.id)  # the table's own order: no sort in SQLite
    # Core rows, not the ORM's: tens of thousands of them are read in one go.
    return _gather(session.connection().execute(statement).all())


def _gather(rows: Sequence[Row[Any]]) -> HeatmapPoints:
    """Per-visit columns as numpy arrays, every visit's blob joined into one array per
    kind, per-visit values spread over its points with `np.repeat`: the Python work per
    visit is a few list operations, for the tens of thousands a heatmap can read."""
    (session_ids, starts, widths, heights, depths, click_counts, selector_texts, move_counts,
     click_blobs, move_blobs) = zip(*rows, strict=True) if rows else ((),) * 10
    index = {session_id: n for n, session_id in enumerate(dict.fromkeys(session_ids))}
    visit_session = np.fromiter(map(index.__getitem__, session_ids), np.int64, len(rows))
    width = _known(widths).astype(np.int32)
    session_start = np.zeros(len(index), np.int64)
    session_start[visit_session] = starts
    deepest, tallest = np.zeros((2, len(index)), np.float32)
    widest = np.zeros(len(index), np.int32)
    np.maximum.at(widest, visit_session, width)
    np.maximum.at(deepest, visit_session, np.asarray(depths, np.float32))
    np.maximum.at(tallest, visit_session, _known(heights))
    decompress = zstandard.ZstdDecompressor().decompress
    clicked = [n for n, count in enumerate(click_counts) if count and click_blobs[n]]
    clicks, click_counts_read = _records([click_blobs[n] for n in clicked], CLICK_DTYPE,
                                         decompress)
    selector_lists = [orjson.loads(selector_texts[n]) for n in clicked]
    selectors: dict[str, int] = {}
    numbers = [selectors.setdefault(selector, len(selectors))
               for selector in itertools.chain.from_iterable(selector_lists)]
    first = np.cumsum([0, *map(len, selector_lists)])[:-1]
    numbered = np.array([*numbers, NO_TARGET], np.int32)  # the last: where a click has none
    local = clicks["target"].astype(np.int64)
    spread = np.repeat(np.stack([visit_session[clicked], width[clicked], first])
                       if clicked else np.empty((3, 0), np.int64), click_counts_read, axis=1)
    moved = [move_blobs[n] for n, count in enumerate(move_counts) if count and move_blobs[n]]
    moves = _records(moved, MOVE_DTYPE, decompress)[0]
    return HeatmapPoints(
        session_ids=tuple(index), session_start_ms=session_start, scroll_depth=deepest,
        viewport_height=tallest, viewport_width=widest,
        page_width=int(width.max(initial=0)), visits=len(rows),
        clicks=Clicks(_native(clicks["x"], np.float32), _native(clicks["y"], np.float32),
                      _native(clicks["ts"], np.int64), spread[0].astype(np.int32),
                      numbered[np.where(local >= 0, spread[2] + local, len(numbers))],
                      spread[1].astype(np.int32), tuple(selectors)),
        move_x=_native(moves["x"], np.float32), move_y=_native(moves["y"], np.float32))


def _records(blobs: list[bytes], dtype: np.dtype, decompress: Callable[[bytes], bytes],
             ) -> tuple[np.ndarray, np.ndarray]:
    """The records of compressed blobs as one array, and how many came from each."""
    parts = [decompress(blob) for blob in blobs]
    counts = np.fromiter(map(len, parts), np.int64, len(parts)) // dtype.itemsize
    return np.frombuffer(b"".join(parts), dtype), counts


def _known(sizes: Sequence[int | None]) -> np.ndarray:
    """Viewport sizes as float32, 0 where unknown."""
    return np.nan_to_num(np.array(sizes, np.float32))  # None became NaN


def _native(column: np.ndarray, dtype: type[np.generic]) -> np.ndarray:
    """A contiguous copy in native byte order (the blobs are little-endian records)."""
    return np.ascontiguousarray(column, dtype)
