"""Clicks placed on their target element as the background page lays it out.

A page point is right only for the layout it was made in: on a responsive page a button sits
elsewhere at another viewport width, and content above it may be taller. rrweb records no
layout, so the renderer measures it (see the package's doc): `layouts_needed` says which
targets' boxes to measure at which viewport widths, and `place_clicks` moves each click by
its offset within its target's box at its own width (a fraction of the box's size) into the
target's box on the background. A click keeps its page point where its target is unknown,
was not found in either layout, or the point lies outside the box measured at its width
(the background's page differs there from the one clicked).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from app.core.heatmaps.collect import Clicks

TOLERANCE_PX = 2.0  # recorded coordinates are rounded; boxes are fractional


@dataclass(frozen=True)
class Box:
    """An element's border box in page px (scroll included), as `getBoundingClientRect()`
    plus the page's scroll gives it."""

    left: float
    top: float
    width: float
    height: float


def layouts_needed(clicks: Clicks) -> dict[int, list[str]]:
    """For each viewport width clicks were made at, the selectors of their targets."""
    known = clicks.target >= 0
    pairs = np.unique(np.stack([clicks.viewport_width[known], clicks.target[known]]), axis=1)
    needed: dict[int, list[str]] = {}
    for width, target in pairs.T.tolist():
        needed.setdefault(width, []).append(clicks.selectors[target])
    return needed


def place_clicks(clicks: Clicks, measured: Mapping[int, Mapping[str, Box]],
                 background: Mapping[str, Box]) -> tuple[Clicks, int]:
    """The clicks moved onto their targets' boxes on the background; how many moved.

    `measured[width][selector]`: a target's box with the background laid out at that
    viewport width; `background[selector]`: its box on the background as shown.

    Clicks are grouped by (viewport width, target) without sorting: the widths present
    are found by counting (they are small integers), so a group's number is computed per
    click and the groups present are counted too. Each group's two boxes are looked up
    once; per click, eight 1-D gathers from that small table (1,000,000 clicks: ~0.1 s,
    bench_heatmaps.py)."""
    if not len(clicks) or not clicks.selectors:
        return clicks, 0
    width = np.maximum(clicks.viewport_width, 0)
    widths = np.flatnonzero(np.bincount(width))
    slot = np.zeros(int(widths[-1]) + 1, np.int64)
    slot[widths] = np.arange(len(widths))
    per_width = len(clicks.selectors) + 1  # number 0: no known target
    group = slot[width] * per_width + (clicks.target.astype(np.int64) + 1)
    present = np.flatnonzero(np.bincount(group))
    row = np.zeros(int(present[-1]) + 1, np.int64)
    row[present] = np.arange(len(present))
    table = np.zeros((8, len(present)), np.float32)  # before: l, t, w, h; after: l, t, w, h
    usable = np.zeros(len(present), bool)
    for number, key in enumerate(present.tolist()):
        at, target = divmod(key, per_width)
        if target == 0:
            continue
        selector = clicks.selectors[target - 1]
        before = measured.get(int(widths[at]), {}).get(selector)
        after = background.get(selector)
        if before is not None and after is not None and before.width > 0 \
                and before.height > 0:
            table[:, number] = (before.left, before.top, before.width, before.height,
                                after.left, after.top, after.width, after.height)
            usable[number] = True
    member = row[group]
    if not usable.any():
        return clicks, 0
    left, top, box_width, box_height, new_left, new_top, new_width, new_height = (
        np.take(column, member) for column in table)
    ok = np.take(usable, member)
    fx = (clicks.x - left) / np.where(ok, box_width, 1)
    fy = (clicks.y - top) / np.where(ok, box_height, 1)
    slack_x = np.float32(TOLERANCE_PX) / np.maximum(box_width, 1)
    slack_y = np.float32(TOLERANCE_PX) / np.maximum(box_height, 1)
    moved = ok & (fx >= -slack_x) & (fx <= 1 + slack_x) & (fy >= -slack_y) \
        & (fy <= 1 + slack_y)
    x = np.where(moved, new_left + np.clip(fx, 0, 1) * new_width, clicks.x)
    y = np.where(moved, new_top + np.clip(fy, 0, 1) * new_height, clicks.y)
    return clicks.moved_to(x, y), int(moved.sum())
