"""The seek bar: activity over time, idle stretches, markers, and the playhead.

Besides what the recording holds (pages, clicks, errors, custom events), two layers come
from the cache and change while the player is open: defined events found in the session and
the reviewers' notes, drawn as pins above the track so they are easy to find and to click."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.core.replay.timeline import Marker, Timeline
from app.ui import formatting

MARKER_COLOURS = {"click": QColor("#2f80ed"), "page": QColor("#27ae60"),
                  "error": QColor("#eb5757"), "custom": QColor("#9b51e0"),
                  "defined": QColor("#e67e22"), "note": QColor("#f2b01e")}
MARKER_NAMES = {"click": "Click", "page": "Page", "error": "Error", "custom": "Event",
                "defined": "Defined event", "note": "Note"}
LAYER_KINDS = ("defined", "note")  # markers set after the timeline, from the cache
NOTE_OUTLINE = QColor("#9a6b00")
TOOLTIP_MARKERS = 5
TOOLTIP_LABEL = 160
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
        self.layers: dict[str, list[Marker]] = {kind: [] for kind in LAYER_KINDS}
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

    def set_layer(self, kind: str, markers: list[Marker]) -> None:
        """Replace the defined-event or note markers (offsets from the first event)."""
        self.layers[kind] = markers
        self.update()

    def markers(self) -> list[Marker]:
        recorded = self.timeline.markers if self.timeline is not None else []
        return [*recorded, *(marker for kind in LAYER_KINDS for marker in self.layers[kind])]

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

    def markers_at(self, x: float) -> list[Marker]:
        """The markers under `x`: notes first, then defined events, each nearest first."""
        if self.timeline is None:
            return []
        near = [m for m in self.markers() if abs(self._x_of(m.offset_ms) - x) <= HOVER_RADIUS_PX]
        order = {"note": 0, "defined": 1}
        return sorted(near, key=lambda m: (order.get(m.kind, 2), abs(self._x_of(m.offset_ms) - x)))

    def marker_at(self, x: float) -> Marker | None:
        near = self.markers_at(x)
        return near[0] if near else None

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
            self._paint_layers(painter, track)
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

    def _paint_layers(self, painter: QPainter, track: QRectF) -> None:
        """Defined events as lines with a diamond head, notes as pins above the track."""
        colour = MARKER_COLOURS["defined"]
        painter.setPen(QPen(colour, 2))
        for marker in self.layers["defined"]:
            x = self._x_of(marker.offset_ms)
            painter.drawLine(QPointF(x, track.top() + 3), QPointF(x, track.bottom()))
            painter.setBrush(colour)
            painter.drawPolygon(QPolygonF([QPointF(x, track.top()), QPointF(x + 3, track.top() + 3),
                                           QPointF(x, track.top() + 6),
                                           QPointF(x - 3, track.top() + 3)]))
        painter.setPen(QPen(NOTE_OUTLINE, 1))
        painter.setBrush(MARKER_COLOURS["note"])
        for marker in self.layers["note"]:
            x = self._x_of(marker.offset_ms)
            painter.drawLine(QPointF(x, track.top()), QPointF(x, track.bottom()))
            painter.drawPolygon(QPolygonF([QPointF(x - 5, 0), QPointF(x + 5, 0),
                                           QPointF(x, track.top() + 1)]))
        painter.setBrush(Qt.BrushStyle.NoBrush)

    # -- interaction ---------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            x = event.position().x()
            marker = self.marker_at(x)  # a note's or defined event's pin: its very moment
            self.seekRequested.emit(marker.offset_ms if marker is not None
                                    and marker.kind in LAYER_KINDS else self._offset_at(x))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        x = event.position().x()
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.seekRequested.emit(self._offset_at(x))
            return
        near = self.markers_at(x)[:TOOLTIP_MARKERS]
        text = "\n".join(map(_describe, near)) if near else formatting.duration(self._offset_at(x))
        QToolTip.showText(event.globalPosition().toPoint(), text, self)


def _describe(marker: Marker) -> str:
    label = " ".join(marker.label.split())
    if len(label) > TOOLTIP_LABEL:
        label = label[:TOOLTIP_LABEL - 1] + "…"
    return f"{MARKER_NAMES[marker.kind]} at {formatting.duration(marker.offset_ms)}" \
        + (f": {label}" if label else "")
