"""Who clicked a hot spot: the sessions with clicks in an area, each with the moment of its
first click there, so one more click replays the session right at it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.heatmaps.collect import HeatmapPoints


@dataclass(frozen=True)
class SpotSession:
    session_id: str
    clicks: int  # its clicks in the spot
    ts_ms: int  # the first of them
    offset_ms: int  # ... from the session's start: where the player seeks to


def sessions_clicked_near(points: HeatmapPoints, x: float, y: float,
                          radius_px: float) -> list[SpotSession]:
    """Sessions with clicks within `radius_px` of page point (x, y)."""
    clicks = points.clicks
    dx, dy = clicks.x - np.float32(x), clicks.y - np.float32(y)
    return _sessions(points, dx * dx + dy * dy <= np.float32(radius_px) ** 2)


def _sessions(points: HeatmapPoints, chosen: np.ndarray) -> list[SpotSession]:
    """Most clicks in the spot first, then the earliest."""
    sessions = points.clicks.session[chosen]
    times = points.clicks.ts_ms[chosen]
    order = np.lexsort((times, sessions))  # by session, then time: the first is its first
    sessions, times = sessions[order], times[order]
    unique, first, counts = np.unique(sessions, return_index=True, return_counts=True)
    found = [SpotSession(points.session_ids[number], int(count), int(ts),
                         int(ts - points.session_start_ms[number]))
             for number, count, ts in zip(unique.tolist(), counts.tolist(),
                                          times[first].tolist(), strict=True)]
    found.sort(key=lambda spot: (-spot.clicks, spot.ts_ms, spot.session_id))
    return found
