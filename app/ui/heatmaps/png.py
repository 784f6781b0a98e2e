"""A heatmap drawn over its page as one image: blending in numpy, the file written by QImage.

Everything is in page px: the background (drawn scaled down where the page is larger than the
engine draws, `background`) is scaled back to the page's size, so a point of the PNG is
the same point of the page as in the CSV of bins.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from app.core.heatmaps.grid import DEFAULT_BIN_PX, Density, ScrollMap
from app.core.heatmaps.layers import Heatmap
from app.ui.player.headless import image_to_rgb

# Cold to hot: blue, cyan, green, yellow, red, at these shares of the densest bin.
COLOUR_STOPS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
COLOURS = np.array([[0, 0, 255], [0, 255, 255], [0, 255, 0], [255, 255, 0], [255, 0, 0]],
                   np.float32)
MAX_ALPHA = 0.8
FADE_IN = 0.5  # opacity grows up to this share of the densest bin, then stays at MAX_ALPHA
CLEAR_BELOW = 0.02  # bins this faint leave the page clear, not tinted blue all over
SCROLL_SHADE = 0.65  # how dark the part of the page no session saw is drawn
SCROLL_LABELS = (0.75, 0.5, 0.25)


def draw(page: np.ndarray, heatmap: Heatmap) -> QImage:
    """The heatmap over the page (`page_rgb`) as one image in page px: what a PNG holds."""
    scroll = heatmap.scroll
    if scroll is not None:
        image = to_image(shade_scroll(page, scroll, DEFAULT_BIN_PX))
        label_scroll(image, scroll)
        return image
    assert heatmap.grid is not None
    return to_image(blend(page, colorize(heatmap.grid, heatmap.width, heatmap.height)))


def page_rgb(image: QImage, width: int, height: int) -> np.ndarray:
    """The background at page size, (height, width, 3) uint8."""
    scaled = image.scaled(width, height, Qt.AspectRatioMode.IgnoreAspectRatio,
                          Qt.TransformationMode.SmoothTransformation)
    return image_to_rgb(scaled)


def colorize(grid: Density, width: int, height: int) -> np.ndarray:
    """The smoothed density as RGBA float32 (height, width, 4), alpha in 0..1."""
    image = grid.image
    peak = float(image.max(initial=0.0))
    share = image / peak if peak > 0 else np.zeros_like(image)
    rgba = np.empty((*share.shape, 4), np.float32)
    for channel in range(3):
        rgba[..., channel] = np.interp(share, COLOUR_STOPS, COLOURS[:, channel])
    rgba[..., 3] = np.where(share < CLEAR_BELOW, 0.0,
                            MAX_ALPHA * np.clip(share / FADE_IN, 0.0, 1.0))
    bins = grid.bin_px
    return np.repeat(np.repeat(rgba, bins, axis=0), bins, axis=1)[:height, :width]


def blend(rgb: np.ndarray, rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[..., 3:4]
    out = rgb.astype(np.float32) * (1.0 - alpha) + rgba[..., :3] * alpha
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def shade_scroll(rgb: np.ndarray, scroll: ScrollMap, bin_px: int) -> np.ndarray:
    """The page darkened by the share of sessions that did not see each row."""
    height = rgb.shape[0]
    shares = np.repeat(scroll.shares(height, bin_px), bin_px)[:height]
    factor = 1.0 - SCROLL_SHADE * (1.0 - shares)
    return np.clip(rgb.astype(np.float32) * factor[:, None, None] + 0.5, 0, 255).astype(
        np.uint8)


def to_image(rgb: np.ndarray) -> QImage:
    height, width, _ = rgb.shape
    data = np.ascontiguousarray(rgb)
    return QImage(data.tobytes(), width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def label_scroll(image: QImage, scroll: ScrollMap) -> None:
    """A line and a percentage where the share of sessions that saw the page falls below
    75, 50 and 25 %."""
    painter = QPainter(image)
    try:
        font = QFont()
        font.setPixelSize(14)
        font.setBold(True)
        painter.setFont(font)
        drawn: set[float] = set()
        for share in SCROLL_LABELS:
            y = scroll.depth_reached_by(share)  # where the shading steps
            if y is None or y in drawn or not 0 < y < image.height():
                continue  # one label a line: the larger share, drawn first
            drawn.add(y)
            painter.setPen(QPen(QColor(255, 255, 255), 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(0, y), QPointF(image.width(), y))
            painter.fillRect(4, int(y) - 20, 48, 18, QColor(0, 0, 0, 170))
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(QPointF(8, y - 6), f"{share:.0%}")
    finally:
        painter.end()
