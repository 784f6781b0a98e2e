"""The seek bar: activity over time, idle stretches, markers, and the playhead."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.core.replay.timeline import Marker, Timeline
from app.ui import formatting

MARKER_COLOURS = {"click": QColor("#2f80ed"), "page": QColor("#27ae60"),
                  "error": QColor("#eb5757"), "custom": QColor("#9b51e0")}
MARKER_NAMES = {"click": "Click", "page": "Page", "error": "Error", "custom": "Event"}
ACTIVITY_COLOUR = QColor("#b9c4d0")
IDLE_COLOUR = QColor(0, 0, 0, 28)
PLAYED_COLOUR = QColor("#2f80ed")
HOVER_RADIUS_PX = 4


class TimelineBar(QWidget):
    """Click or drag to seek; hover a marker to see what it is."""

    seekRequested = Signal(int)  # offset in ms from the first event

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline: Timeline | None = None
        self.position_ms = 0
        self.setMouseTracking(True)
        self.setMinimumHeight(46)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click or drag to seek")

    def sizeHint(self) -> QSize:
        return QSize(600, 46)

    def set_timeline(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.update()

    def set_position(self, offset_ms: int) -> None:
        self.position_ms = offset_ms
        self.update()

    # -- geometry ------------------------------------------------------------------------------

    def _x_of(self, offset_ms: int) -> float:
        duration = self.timeline.duration_ms if self.timeline else 0
        return 4 + (self.width() - 8) * (offset_ms / duration if duration else 0)

    def _offset_at(self, x: float) -> int:
        duration = self.timeline.duration_ms if self.timeline else 0
        fraction = min(1.0, max(0.0, (x - 4) / max(1, self.width() - 8)))
        return round(fraction * duration)

    def marker_at(self, x: float) -> Marker | None:
        if self.timeline is None:
            return None
        near = [m for m in self.timeline.markers
                if abs(self._x_of(m.offset_ms) - x) <= HOVER_RADIUS_PX]
        return min(near, key=lambda m: abs(self._x_of(m.offset_ms) - x)) if near else None

    # -- painting ------------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = QRectF(4, 8, self.width() - 8, self.height() - 20)
        painter.fillRect(track, self.palette().base())
        if self.timeline is not None and self.timeline.duration_ms > 0:
            self._paint_idle(painter, track)
            self._paint_activity(painter, track)
            self._paint_markers(painter, track)
            played = QRectF(track.left(), track.bottom() + 3,
                            self._x_of(self.position_ms) - track.left(), 4)
            painter.fillRect(QRectF(track.left(), track.bottom() + 3, track.width(), 4),
                             self.palette().mid())
            painter.fillRect(played, PLAYED_COLOUR)
        x = self._x_of(self.position_ms)
        painter.setPen(QPen(PLAYED_COLOUR, 2))
        painter.drawLine(QPointF(x, 2), QPointF(x, self.height() - 2))
        painter.end()

    def _paint_idle(self, painter: QPainter, track: QRectF) -> None:
        assert self.timeline is not None
        for span in self.timeline.idle:
            left, right = self._x_of(span.start_ms), self._x_of(span.end_ms)
            painter.fillRect(QRectF(left, track.top(), right - left, track.height()), IDLE_COLOUR)

    def _paint_activity(self, painter: QPainter, track: QRectF) -> None:
        assert self.timeline is not None
        activity = self.timeline.activity
        peak = max(activity) if activity else 0
        if not peak:
            return
        width = track.width() / len(activity)
        for index, value in enumerate(activity):
            if value:
                height = max(1.5, (track.height() - 2) * value / peak)
                painter.fillRect(QRectF(track.left() + index * width, track.bottom() - height,
                                        max(1.0, width - 0.5), height), ACTIVITY_COLOUR)

    def _paint_markers(self, painter: QPainter, track: QRectF) -> None:
        assert self.timeline is not None
        for kind in ("page", "custom", "click", "error"):  # errors drawn last, on top
            painter.setPen(QPen(MARKER_COLOURS[kind], 2 if kind in ("error", "page") else 1))
            for marker in self.timeline.markers:
                if marker.kind == kind:
                    x = self._x_of(marker.offset_ms)
                    top = track.top() if kind != "click" else track.top() + track.height() / 2
                    painter.drawLine(QPointF(x, top), QPointF(x, track.bottom()))

    # -- interaction ---------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.seekRequested.emit(self._offset_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        x = event.position().x()
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.seekRequested.emit(self._offset_at(x))
            return
        marker = self.marker_at(x)
        text = formatting.duration(self._offset_at(x))
        if marker is not None:
            label = f": {marker.label}" if marker.label else ""
            text = f"{MARKER_NAMES[marker.kind]} at {formatting.duration(marker.offset_ms)}{label}"
        QToolTip.showText(event.globalPosition().toPoint(), text, self)
