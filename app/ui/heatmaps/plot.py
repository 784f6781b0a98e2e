"""The heatmap drawn with pyqtgraph: the page as an image, the bins over it with a colour bar.

Page px are the plot's units, y growing downwards as on the page, with the aspect locked:
the axes read as page coordinates (how far down a spot is). The wheel scrolls the page, as
in a browser; Ctrl+wheel zooms.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QResizeEvent
from PySide6.QtWidgets import QGraphicsSceneWheelEvent

from app.core.heatmaps.grid import Density, ScrollMap
from app.ui.heatmaps.png import (
    CLEAR_BELOW,
    COLOUR_STOPS,
    COLOURS,
    FADE_IN,
    MAX_ALPHA,
    SCROLL_LABELS,
)

# The density's colours as a lookup table: clear where few, opaque from FADE_IN of the peak
# on (the PNG's blend, heatmaps/png.py). Opacity is the slider's.
HEAT_STOPS = np.array([0.0, CLEAR_BELOW, FADE_IN, *COLOUR_STOPS[COLOUR_STOPS > FADE_IN]])
HEAT_ALPHA = np.array([0.0, CLEAR_BELOW / FADE_IN, *[1.0] * (len(HEAT_STOPS) - 2)])
# Lighter than the density's: the whole page is covered.
SCROLL_COLOURS = pg.ColorMap(COLOUR_STOPS, np.hstack([COLOURS, np.full((5, 1), 140)]))
WHEEL_STEP_PX = 0.5  # page px scrolled per 1/8 degree of wheel: 60 px a notch
DEFAULT_OPACITY = MAX_ALPHA
FIRST_SCREEN_PX = 900


def heat_colours() -> pg.ColorMap:
    colours = np.stack([np.interp(HEAT_STOPS, COLOUR_STOPS, COLOURS[:, channel])
                        for channel in range(3)], axis=1)
    return pg.ColorMap(HEAT_STOPS, np.hstack([colours, 255 * HEAT_ALPHA[:, None]]))


class PageViewBox(pg.ViewBox):
    """A view of a page: the wheel scrolls, Ctrl+wheel zooms about the pointer."""

    def wheelEvent(self, ev: QGraphicsSceneWheelEvent, axis: int | None = None) -> None:
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(ev, axis)
            return
        scale = self.viewPixelSize()[1] / max(self.viewPixelSize()[0], 1e-9)
        self.translateBy(y=-ev.delta() * WHEEL_STEP_PX * scale)
        self.sigRangeChangedManually.emit(self.state["mouseEnabled"])
        ev.accept()


class HeatmapPlot(pg.GraphicsLayoutWidget):
    """The page, the map over it, its colour bar, and what the pointer is over."""

    # Class defaults: the base class's constructor already calls resizeEvent.
    _size = (0, 0)  # the page shown, px
    _untouched = True  # the view is where a new page put it

    hovered = Signal(float, float)  # page px under the pointer
    spotClicked = Signal(float, float)  # page px clicked (not dragged)

    def __init__(self) -> None:
        super().__init__()
        self.setBackground(QColor(246, 246, 246))
        self.view = PageViewBox(invertY=True, lockAspect=True)
        self.plot = self.addPlot(viewBox=self.view)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        for side in ("left", "bottom"):
            self.plot.getAxis(side).setTextPen(QColor(60, 60, 60))
            self.plot.getAxis(side).setPen(QColor(140, 140, 140))
        self.plot.setLabel("left", "page y (px)")
        self.plot.setLabel("bottom", "page x (px)")
        self.page = pg.ImageItem(axisOrder="row-major")
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setOpacity(DEFAULT_OPACITY)
        self.plot.addItem(self.page)
        self.plot.addItem(self.heat)
        self.colour_bar = pg.ColorBarItem(values=(0, 1), colorMap=heat_colours(),
                                          interactive=False, width=16, pen=QColor(90, 90, 90),
                                          colorMapMenu=False)
        self.colour_bar.setImageItem(self.heat, insert_in=self.plot)
        self.colour_bar.axis.setTextPen(QColor(60, 60, 60))
        self.spot = pg.ScatterPlotItem(size=1, pxMode=False, brush=None,
                                       pen=pg.mkPen(QColor(20, 20, 20), width=2))
        self.plot.addItem(self.spot)
        self.tip = pg.TextItem(color=QColor(255, 255, 255), fill=QColor(0, 0, 0, 190),
                               anchor=(0, 1))
        font = QFont()
        font.setBold(True)
        self.tip.setFont(font)
        self.tip.setZValue(10)
        self.plot.addItem(self.tip, ignoreBounds=True)
        self.tip.hide()
        self._lines: list[pg.InfiniteLine] = []
        self.view.sigRangeChangedManually.connect(self._touched)
        self.scene().sigMouseMoved.connect(self._moved)
        self.scene().sigMouseClicked.connect(self._clicked)

    # What is drawn ------------------------------------------------------------------------

    def show_page(self, rgb: np.ndarray) -> None:
        """A new page (height, width, 3): the view starts at its top, as wide as it is."""
        height, width = rgb.shape[:2]
        self.page.setImage(rgb, autoLevels=False, levels=(0, 255))
        self.page.setRect(QRectF(0, 0, width, height))
        if (width, height) != self._size:
            self._size = (width, height)
            margin = width * 0.02
            # Room beside a narrow (phone) page, so a whole first screen of it fits the plot.
            beside = max(margin, FIRST_SCREEN_PX - width / 2)
            self.view.setLimits(xMin=-beside, xMax=width + beside, yMin=-margin,
                                yMax=height + margin)
            self._untouched = True
            self._show_top()

    def _show_top(self) -> None:
        """The page's whole width and its first screen or so (a phone's page is not blown
        up to the plot's width); again on resizing until the user has moved the view."""
        width, height = self._size
        shown = min(height, FIRST_SCREEN_PX)
        box_width, box_height = max(self.view.width(), 1.0), max(self.view.height(), 1.0)
        # The aspect is locked: a range that fits it exactly is kept as given, where pyqtgraph
        # would otherwise keep the width and cut the height around its middle.
        scale = min(box_width / width, box_height / shown)
        span_x, span_y = box_width / scale, box_height / scale
        self.view.setRange(xRange=(width / 2 - span_x / 2, width / 2 + span_x / 2),
                           yRange=(0, span_y), padding=0)

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        if self._untouched and self._size[0]:
            self._show_top()

    def show_density(self, grid: Density, label: str, scale: float = 1.0) -> None:
        """The smoothed bins times `scale` (to read as `label` on the colour bar)."""
        image = grid.image * np.float32(scale)
        peak = float(image.max(initial=0.0)) or 1.0
        self._clear_lines()
        self.tip.hide()
        self.colour_bar.setColorMap(heat_colours())
        self.heat.setImage(image, autoLevels=False, levels=(0, peak))
        self.heat.setRect(QRectF(0, 0, grid.width, grid.height))
        self.colour_bar.setLevels((0, peak))
        self.colour_bar.setLabel("left", label)
        self.spot.clear()

    def show_scroll(self, scroll: ScrollMap, width: int, height: int, bin_px: int) -> None:
        """Each row coloured by the share of sessions that saw it, with lines where that
        share falls below 75, 50 and 25 %."""
        self._clear_lines()
        self.tip.hide()
        shares = 100 * scroll.shares(height, bin_px)
        self.colour_bar.setColorMap(SCROLL_COLOURS)
        self.heat.setImage(shares[:, None], autoLevels=False, levels=(0, 100))
        self.heat.setRect(QRectF(0, 0, width, len(shares) * bin_px))
        self.colour_bar.setLevels((0, 100))
        self.colour_bar.setLabel("left", "% of sessions that saw it")
        self.spot.clear()
        for share in SCROLL_LABELS:
            reached = scroll.depth_reached_by(share)
            if reached is None or not 0 < reached < height:
                continue
            line = pg.InfiniteLine(pos=reached, angle=0, movable=False,
                                   pen=pg.mkPen(QColor(255, 255, 255), width=2,
                                                style=Qt.PenStyle.DashLine),
                                   label=f"{share:.0%} of sessions",
                                   labelOpts={"position": 0.06, "color": QColor(255, 255, 255),
                                              "fill": QColor(0, 0, 0, 170)})
            self.plot.addItem(line)
            self._lines.append(line)

    def clear_map(self) -> None:
        self.heat.clear()
        self.spot.clear()
        self._clear_lines()
        self.tip.hide()

    def set_opacity(self, opacity: float) -> None:
        self.heat.setOpacity(opacity)

    def mark_spot(self, x: float, y: float, radius: float) -> None:
        self.spot.setData([x], [y], size=2 * radius)

    def show_tip(self, x: float, y: float, text: str) -> None:
        if text:
            self.tip.setText(text)
            self.tip.setPos(x, y)
            self.tip.show()
        else:
            self.tip.hide()

    def _touched(self, *_changed: object) -> None:
        self._untouched = False

    def _clear_lines(self) -> None:
        for line in self._lines:
            self.plot.removeItem(line)
        self._lines.clear()

    # The pointer --------------------------------------------------------------------------

    def _page_point(self, scene_pos: QPointF) -> QPointF | None:
        if not self._size[0] or not self.view.sceneBoundingRect().contains(scene_pos):
            return None
        return self.view.mapSceneToView(scene_pos)

    def _moved(self, scene_pos: QPointF) -> None:
        point = self._page_point(scene_pos)
        if point is None:
            self.tip.hide()
        else:
            self.hovered.emit(point.x(), point.y())

    def _clicked(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        point = self._page_point(event.scenePos())  # type: ignore[attr-defined]
        if point is not None:
            self.spotClicked.emit(point.x(), point.y())
