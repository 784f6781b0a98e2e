"""Points into an image: binning and Gaussian smoothing in numpy, scroll maps, CSV of bins.

Binning is one `np.bincount` over flattened bin numbers, points off the page going to one
extra bin that is dropped (no compaction of the arrays): ~20 ns a point, 10,000,000 moves in
~0.2 s (tests/benchmarks/bench_heatmaps.py). Smoothing is a
separable Gaussian (two passes of 1-D convolution written as shifted sums, no scipy),
padded by mirroring the grid's edges, which keeps every point's weight on the page: the
smoothed image sums to the same total as the counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TextIO

import numpy as np

DEFAULT_BIN_PX = 8
DEFAULT_SIGMA_PX = 12.0


@dataclass(frozen=True)
class Density:
    """Points per bin over a page (row 0 at the top) and the same counts smoothed."""

    counts: np.ndarray  # int64 (rows, cols)
    image: np.ndarray  # float32 (rows, cols); sums to `points`
    bin_px: int
    points: int  # the points that fell on the page

    @property
    def width(self) -> int:
        return self.counts.shape[1] * self.bin_px

    @property
    def height(self) -> int:
        return self.counts.shape[0] * self.bin_px

    def count_near(self, x: float, y: float, radius_px: float) -> int:
        """The points in the bins whose centres lie within `radius_px` of a page point:
        about the clicks a spot that size holds, without going through every point."""
        size, (rows, cols) = self.bin_px, self.counts.shape
        top, bottom = max(0, math.floor((y - radius_px) / size)), min(
            rows, math.floor((y + radius_px) / size) + 1)
        left, right = max(0, math.floor((x - radius_px) / size)), min(
            cols, math.floor((x + radius_px) / size) + 1)
        if top >= bottom or left >= right:
            return 0
        dy = (np.arange(top, bottom) + 0.5) * size - y
        dx = (np.arange(left, right) + 0.5) * size - x
        near = dy[:, None] ** 2 + dx[None, :] ** 2 <= radius_px ** 2
        return int(self.counts[top:bottom, left:right][near].sum())


def density(x: np.ndarray, y: np.ndarray, width: int, height: int,
            bin_px: int = DEFAULT_BIN_PX, sigma_px: float = DEFAULT_SIGMA_PX) -> Density:
    """Bin page points into `bin_px` squares over a `width` x `height` page and smooth them
    with a Gaussian of `sigma_px` (0: no smoothing)."""
    counts = bin_counts(x, y, width, height, bin_px)
    return Density(counts, smooth(counts, sigma_px / bin_px), bin_px, int(counts.sum()))


def bin_counts(x: np.ndarray, y: np.ndarray, width: int, height: int,
               bin_px: int) -> np.ndarray:
    if bin_px < 1 or width < 1 or height < 1:
        raise ValueError("a grid needs a positive size and bin size")
    cols, rows = -(-width // bin_px), -(-height // bin_px)
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    scale = np.float32(1 / bin_px)
    # NaN and points off the page are cast to anything; `inside` sends them to the last bin.
    with np.errstate(invalid="ignore"):
        flat = (y * scale).astype(np.int64) * cols + (x * scale).astype(np.int64)
    flat = np.where(inside, flat, rows * cols)
    return np.bincount(flat, minlength=rows * cols + 1)[:-1].reshape(rows, cols)


def gaussian_kernel(sigma_bins: float) -> np.ndarray:
    radius = max(1, math.ceil(3 * sigma_bins))
    steps = np.arange(-radius, radius + 1, dtype=np.float64) / sigma_bins
    kernel = np.exp(-0.5 * steps * steps)
    return (kernel / kernel.sum()).astype(np.float32)


def smooth(counts: np.ndarray, sigma_bins: float) -> np.ndarray:
    """A Gaussian blur of a grid that keeps its total (edges mirrored)."""
    image = counts.astype(np.float32)
    if sigma_bins <= 0 or image.size == 0:
        return image
    kernel = gaussian_kernel(sigma_bins)
    return _blur_columns(_blur_columns(image, kernel).T, kernel).T.copy()


def _blur_columns(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """1-D convolution along axis 0 as a sum of shifted, weighted copies."""
    radius, rows = len(kernel) // 2, image.shape[0]
    padded = np.pad(image, ((radius, radius), (0, 0)), mode="symmetric")
    out = np.zeros_like(image)
    for shift, weight in enumerate(kernel):
        out += weight * padded[shift:shift + rows]
    return out


def write_bins_csv(grid: Density, out: TextIO) -> int:
    """Write the bins holding points as `x,y,count` (bin centre in page px, raw count), row
    by row from the top; how many rows."""
    rows, cols = np.nonzero(grid.counts)
    half = grid.bin_px / 2
    # Each column's and row's centre formatted once, not once per bin.
    xs = [f"{col * grid.bin_px + half:g}," for col in range(grid.counts.shape[1])]
    ys = [f"{row * grid.bin_px + half:g}," for row in range(grid.counts.shape[0])]
    out.write("x,y,count\n")
    out.writelines(f"{xs[col]}{ys[row]}{count}\n" for row, col, count in zip(
        rows.tolist(), cols.tolist(), grid.counts[rows, cols].tolist(), strict=True))
    return len(rows)


@dataclass(frozen=True)
class ScrollMap:
    """How deep sessions saw a page: each session's deepest bottom edge (scroll + viewport
    height), sorted."""

    depths: np.ndarray  # float64, ascending
    fold_px: float  # the median viewport height: where the first screen ends

    @property
    def sessions(self) -> int:
        return len(self.depths)

    def share_at(self, y: float | np.ndarray) -> float | np.ndarray:
        """The share of sessions that saw page y (their bottom edge reached it); 0 if none."""
        if not len(self.depths):
            return np.zeros_like(y, dtype=np.float64) if np.ndim(y) else 0.0
        reached = len(self.depths) - np.searchsorted(self.depths, y, side="left")
        share = reached / len(self.depths)
        return share if np.ndim(y) else float(share)

    def depth_reached_by(self, share: float) -> float | None:
        """The deepest page y that at least `share` (over 0) of sessions saw; None if none."""
        if not len(self.depths):
            return None
        return float(self.depths[len(self.depths) - math.ceil(share * len(self.depths))])

    def shares(self, height: int, bin_px: int = DEFAULT_BIN_PX) -> np.ndarray:
        """The share that saw each `bin_px` row of a `height` page, at the row's centre."""
        centres = (np.arange(-(-height // bin_px)) + 0.5) * bin_px
        return np.asarray(self.share_at(centres), np.float32)


def scroll_map(depths: np.ndarray, viewport_heights: np.ndarray) -> ScrollMap:
    """The scroll map of sessions' deepest bottom edges and viewport heights (0: unknown)."""
    known = viewport_heights[viewport_heights > 0]
    return ScrollMap(np.sort(np.asarray(depths, np.float64)),
                     float(np.median(known)) if len(known) else 0.0)
