"""Page points in the cache: extracted once when a session is written, read by every heatmap.

Reading points out of the recordings on demand would decompress and parse every matching
session's chunks: ~35 ms a session, six minutes for 10,000 (tests/benchmarks/
bench_heatmaps.py). Extracted at write time (~8 ms a session more per import), a heatmap
reads one row per page visit: 16 bytes a click and 8 a move, zstd-compressed to about half,
~11 % on top of the session's chunks; the clicks of a page in 10,000 sessions come back in
a few hundred milliseconds.

Every session written (import, sync) or extracted again (reindex) gets its rows with its
events index, whose selectors name the clicks' targets. Sessions cached before this
(`session.points_version` below `POINTS_VERSION`: all of them in a cache upgraded to schema
0009) get theirs from `update_points`, which reads the chunks and the click rows the cache
already holds; whatever draws a heatmap runs it first, so heatmaps cover all cached
history. It commits a batch of sessions at a time: an interrupted update keeps what it
finished.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import zstandard
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.core.analytics.events import IndexedEvent
from app.core.cache.database import Cache
from app.core.cache.models import Event, PagePoints, RecordedSession
from app.core.cache.queries import read_session_events
from app.core.cache.sweep import sweep_sessions
from app.core.heatmaps.extract import (
    PageVisit,
    click_targets,
    extract_visits,
    targets_of,
)
from app.core.recording.summary import device_type_for_width
from app.core.search.urls import page_keys
from app.core.tasks import CancelToken, ProgressCallback, no_progress

# Bump when extraction finds other points: older sessions are extracted again.
POINTS_VERSION = 1
BATCH = 50  # sessions per transaction of `update_points`
ZSTD_LEVEL = 3


@dataclass
class PointsReport:
    sessions: int = 0
    visits: int = 0
    seconds: float = 0.0
    cancelled: bool = False

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def store_points(session: Session, session_id: str, events: Sequence[dict[str, Any]],
                 windows: Sequence[int] | None, found: Sequence[IndexedEvent]) -> int:
    """Replace one session's page points, from its events and the events index `found` in
    them (the caller owns the transaction); how many page visits it has."""
    return _replace(session, session_id, extract_visits(events, windows, targets_of(found)))


def stale_points_count(session: Session) -> int:
    """How many sessions `update_points` would extract: what a caller shows progress for."""
    return session.scalar(select(func.count()).select_from(RecordedSession).where(
        RecordedSession.points_version < POINTS_VERSION)) or 0


def update_points(cache: Cache, progress: ProgressCallback = no_progress,
                  cancel: CancelToken | None = None) -> PointsReport:
    """Extract the page points of the sessions cached before them (or by an older version)."""
    with cache.read_session() as session:
        ids = list(session.scalars(select(RecordedSession.id).where(
            RecordedSession.points_version < POINTS_VERSION).order_by(RecordedSession.id)))
    sweep = sweep_sessions(cache, ids, _points_from_cache, progress, cancel,
                           lambda done, total, _next: f"Finding heatmap points: {done:,} of "
                                                      f"{total:,} sessions",
                           "Heatmap points found", BATCH)
    return PointsReport(sweep.sessions, sweep.found, sweep.seconds, sweep.cancelled)


def _points_from_cache(session: Session, session_id: str) -> int:
    events, windows = read_session_events(session, session_id)
    targets = click_targets(session.execute(
        select(Event.window_index, Event.ts_ms, Event.node_id, Event.x, Event.y, Event.selector)
        .where(Event.session_id == session_id, Event.kind == "click")))
    return _replace(session, session_id, extract_visits(events, windows, targets))


def _replace(session: Session, session_id: str, visits: list[PageVisit]) -> int:
    session.execute(delete(PagePoints).where(PagePoints.session_id == session_id))
    if visits:
        compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
        session.execute(insert(PagePoints), [
            {"session_id": session_id, "window_index": v.window, "ts_ms": v.ts_ms,
             "url": v.url, "page_key": page_keys([v.url]), "viewport_width": v.viewport_width,
             "viewport_height": v.viewport_height,
             "device": device_type_for_width(v.viewport_width),
             "scroll_depth": round(v.scroll_depth), "click_count": len(v.clicks),
             "move_count": len(v.moves), "selectors": v.selectors,
             "clicks": compressor.compress(v.clicks.tobytes()),
             "moves": compressor.compress(v.moves.tobytes())} for v in visits])
    session.execute(update(RecordedSession).where(RecordedSession.id == session_id)
                    .values(points_version=POINTS_VERSION))
    return len(visits)
