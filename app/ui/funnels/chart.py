"""A counted funnel drawn with pyqtgraph: a bar per step with its count and share of the first,
the drop-off from the step before stacked on it in a paler colour, or grouped bars per device
type or browser, each with its count at the first step and its share of it after. A click
on a bar (or its drop-off) says which step and which part."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor

from app.core.funnels.results import FunnelResult, GroupResult

BAR_WIDTH = 0.6
REACHED = QColor(52, 120, 200)
DROPPED = QColor(232, 150, 140)
GROUP_COLOURS = (QColor(52, 120, 200), QColor(240, 150, 40), QColor(60, 170, 110),
                 QColor(200, 70, 90), QColor(130, 100, 190), QColor(120, 120, 120))
MAX_GROUPS = len(GROUP_COLOURS)
LABEL_CHARS = 26
UPRIGHT_FROM = 3  # more groups than this: their bars are too narrow for level labels


@dataclass(frozen=True)
class BarChoice:
    """What a click on the chart chose: the actors that reached `step` (0-based), or with
    `dropped` those that reached it and not the next; of one breakdown group if `grouped`."""

    step: int
    dropped: bool = False
    grouped: bool = False
    group: str | None = None


class CountAxis(pg.AxisItem):
    """Whole counts with their thousands separated, as over the bars (no fractions of a
    visitor where few are drawn)."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [f"{round(value * scale):,}" if float(value * scale).is_integer() else ""
                for value in values]


class FunnelChart(pg.PlotWidget):
    barClicked = Signal(object)  # BarChoice

    def __init__(self) -> None:
        super().__init__(background=QColor(252, 252, 252),
                         axisItems={"left": CountAxis("left")})
        self.plot = self.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.showGrid(y=True, alpha=0.15)
        for side in ("left", "bottom"):
            self.plot.getAxis(side).setTextPen(QColor(50, 50, 50))
            self.plot.getAxis(side).setPen(QColor(150, 150, 150))
        self.legend: pg.LegendItem | None = None
        self._result: FunnelResult | None = None
        self._groups: list[str | None] = []
        self._labels: list[str] = []
        self.scene().sigMouseClicked.connect(self._clicked)

    @property
    def groups(self) -> list[str | None]:
        """The breakdown groups drawn, in order (the largest first)."""
        return self._groups

    @property
    def labels(self) -> list[str]:
        """The texts over the bars, in the order drawn."""
        return self._labels

    def show_result(self, result: FunnelResult, actor_noun: str) -> None:
        self.plot.clear()
        self._labels = []
        if self.legend is not None:
            self.legend.scene().removeItem(self.legend)
            self.legend = None
        self._result = result
        steps = result.steps
        x = np.arange(len(steps), dtype=float)
        groups = result.groups[:MAX_GROUPS]  # the largest first
        # Side by side, narrow bars' labels would overlap: they stand upright, and are taller.
        upright = len(groups) > UPRIGHT_FROM
        if groups:
            self._draw_groups(groups, x, upright=upright)
        else:
            self._groups = []
            counts = np.array([step.actors for step in steps], float)
            previous = np.concatenate([[counts[0]], counts[:-1]])
            self.plot.addItem(pg.BarGraphItem(x=x, height=counts, width=BAR_WIDTH,
                                              brush=REACHED, pen=None))
            self.plot.addItem(pg.BarGraphItem(x=x, y0=counts, height=previous - counts,
                                              width=BAR_WIDTH, brush=DROPPED, pen=None))
            for index, step in enumerate(steps):
                share = "" if step.of_first is None else f"\n{step.of_first:.1%}"
                self._label(f"{step.actors:,}{share}", index, previous[index])
        drawn = [count for group in groups for count in group.actors] \
            if groups else [step.actors for step in steps]
        peak = max(drawn, default=0) or 1
        self.plot.setXRange(-0.6, len(steps) - 0.4, padding=0)
        # Room for the labels over the highest bar.
        self.plot.setYRange(0, peak * (1.32 if upright else 1.22), padding=0)
        self.plot.getAxis("bottom").setTicks([[
            (index, _short(f"{index + 1}. {step.label}")) for index, step in enumerate(steps)]])
        self.plot.setLabel("left", actor_noun)

    def _draw_groups(self, groups: tuple[GroupResult, ...], x: np.ndarray, *,
                     upright: bool) -> None:
        self._groups = [group.value for group in groups]
        width = BAR_WIDTH / len(groups)
        self.legend = self.plot.addLegend(offset=(-10, 10))
        for number, group in enumerate(groups):
            offset = (number - (len(groups) - 1) / 2) * width
            self.plot.addItem(pg.BarGraphItem(
                x=x + offset, height=np.array(group.actors, float), width=width * 0.92,
                brush=GROUP_COLOURS[number], pen=None, name=group.value or "unknown"))
            # The group's own conversion, so groups of different sizes compare at a glance.
            entered = group.actors[0]
            for index, count in enumerate(group.actors):
                text = f"{count:,}" if index == 0 or not entered else f"{count / entered:.0%}"
                self._label(text, index + offset, count, small=True, upright=upright)

    def _label(self, text: str, x: float, y: float, *, small: bool = False,
               upright: bool = False) -> None:
        """`text` over the bar at `x` whose top is `y`; `upright`: read from below, rising
        from the bar (narrow bars)."""
        label = pg.TextItem(text, color=QColor(30, 30, 30),
                            anchor=(-0.05, 0.5) if upright else (0.5, 1.0),
                            angle=90 if upright else 0)
        if small:
            font = label.textItem.font()
            font.setPointSizeF(font.pointSizeF() * 0.8)
            label.setFont(font)
        document = label.textItem.document()  # each line centred over the bar
        option = document.defaultTextOption()
        option.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        document.setDefaultTextOption(option)
        document.setTextWidth(document.idealWidth())
        label.setPos(x, y)
        self.plot.addItem(label)
        self._labels.append(text)

    def _clicked(self, event: object) -> None:
        result = self._result
        if result is None or not self.plot.vb.sceneBoundingRect().contains(
                event.scenePos()):  # type: ignore[attr-defined]
            return
        point: QPointF = self.plot.vb.mapSceneToView(event.scenePos())  # type: ignore[attr-defined]
        step = round(point.x())
        if not 0 <= step < len(result.steps) or abs(point.x() - step) > BAR_WIDTH / 2:
            return
        if self._groups:
            width = BAR_WIDTH / len(self._groups)
            number = min(len(self._groups) - 1, max(0, int(
                (point.x() - step + BAR_WIDTH / 2) // width)))
            self.barClicked.emit(BarChoice(step, grouped=True, group=self._groups[number]))
            return
        reached = result.steps[step].actors
        if point.y() > reached and step > 0:
            # The drop-off stacked on a bar: who reached the step before and not this one.
            self.barClicked.emit(BarChoice(step - 1, dropped=True))
        elif point.y() >= 0:
            self.barClicked.emit(BarChoice(step))


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"
