"""A heatmap ready to draw: the points of a page turned into what lies over the background.

The shell command and the window both draw from a `Heatmap`, so the PNG one writes and the
image the other shows are made of the same bins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from app.core.heatmaps.collect import HeatmapPoints, Kind
from app.core.heatmaps.grid import DEFAULT_BIN_PX, Density, ScrollMap, density, scroll_map
from app.core.heatmaps.placement import Box, place_clicks


@dataclass(frozen=True)
class Heatmap:
    """One kind of map of a page `width` x `height` px: a density of clicks or moves
    (`grid`), or a scroll map (`scroll`). `points` has the clicks where they were drawn
    (placed on their elements)."""

    kind: Kind
    points: HeatmapPoints
    width: int
    height: int
    grid: Density | None
    scroll: ScrollMap | None
    placed: int  # clicks moved onto their elements

    @property
    def total(self) -> int:
        """Points of the kind collected, on the page or not."""
        if self.kind == "click":
            return len(self.points.clicks)
        return len(self.points.move_x) if self.kind == "move" else 0

    def summary(self) -> str:
        sessions = f"{self.points.session_count:,} session(s)"
        if self.scroll is not None:
            half = self.scroll.depth_reached_by(0.5)
            return sessions + (f"; half of them saw the page down to {half:,.0f} px"
                               if half is not None else "")
        if self.grid is None:
            return sessions
        text = f"{sessions}, {self.grid.points:,} of {self.total:,} {self.kind}s on the page"
        return text + (f", {self.placed:,} placed on their elements"
                       if self.kind == "click" else "")


def build_heatmap(points: HeatmapPoints, kind: Kind, width: int, height: int,
                  measured: Mapping[int, Mapping[str, Box]] | None = None,
                  boxes: Mapping[str, Box] | None = None,
                  bin_px: int = DEFAULT_BIN_PX) -> Heatmap:
    """The `kind` map of `points` over a page of `width` x `height` px; clicks are placed
    on their elements where `measured` and `boxes` (the background's) know them."""
    if kind == "scroll":
        return Heatmap(kind, points, width, height, None,
                       scroll_map(points.scroll_depth, points.viewport_height), 0)
    placed = 0
    if kind == "click":
        clicks, placed = place_clicks(points.clicks, measured or {}, boxes or {})
        points = points.with_clicks(clicks)
        x, y = clicks.x, clicks.y
    else:
        x, y = points.move_x, points.move_y
    return Heatmap(kind, points, width, height,
                   density(np.asarray(x), np.asarray(y), width, height, bin_px), None, placed)
