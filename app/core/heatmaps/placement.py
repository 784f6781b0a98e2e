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
    viewport width; `background[selector]`: its box on the background as shown."""
    if not len(clicks):
        return clicks, 0
    # One group per (viewport width, target); each group's two boxes, as arrays.
    keys = clicks.viewport_width.astype(np.int64) * (len(clicks.selectors) + 1) \
        + clicks.target + 1
    groups, member = np.unique(keys, return_inverse=True)
    boxes = np.zeros((len(groups), 8), np.float64)
    usable = np.zeros(len(groups), bool)
    for number, key in enumerate(groups.tolist()):
        width, target = divmod(key, len(clicks.selectors) + 1)
        if target == 0:
            continue
        selector = clicks.selectors[target - 1]
        before, after = measured.get(width, {}).get(selector), background.get(selector)
        if before is not None and after is not None and before.width > 0 \
                and before.height > 0:
            boxes[number] = (before.left, before.top, before.width, before.height,
                             after.left, after.top, after.width, after.height)
            usable[number] = True
    box = boxes[member]
    fx = (clicks.x - box[:, 0]) / np.where(usable[member], box[:, 2], 1.0)
    fy = (clicks.y - box[:, 1]) / np.where(usable[member], box[:, 3], 1.0)
    slack_x, slack_y = TOLERANCE_PX / np.maximum(box[:, 2], 1), TOLERANCE_PX / np.maximum(
        box[:, 3], 1)
    moved = usable[member] & (fx >= -slack_x) & (fx <= 1 + slack_x) & (fy >= -slack_y) \
        & (fy <= 1 + slack_y)
    x = np.where(moved, box[:, 4] + np.clip(fx, 0, 1) * box[:, 6], clicks.x)
    y = np.where(moved, box[:, 5] + np.clip(fy, 0, 1) * box[:, 7], clicks.y)
    return clicks.moved_to(x, y), int(moved.sum())
