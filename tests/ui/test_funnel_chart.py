"""The funnel chart's labels stay readable: the count and share over each bar, and over
grouped bars however many groups there are."""

from __future__ import annotations

import itertools

import pyqtgraph as pg
import pytest
from pytestqt.qtbot import QtBot

from app.core.funnels.results import FunnelResult, GroupResult, StepResult
from app.core.funnels.steps import CustomEventStep, Funnel
from app.ui.funnels.chart import FunnelChart

STEPS = (CustomEventStep("view"), CustomEventStep("cart"), CustomEventStep("buy"))


def result(groups: int) -> FunnelResult:
    counts = (111_588, 73_000, 14_000)
    return FunnelResult(
        Funnel(STEPS), tuple(StepResult(step.label(), count, count / counts[0], None, 0, None)
                             for step, count in zip(STEPS, counts, strict=True)),
        None, "browser" if groups else None,
        tuple(GroupResult(f"Browser {n}", tuple(count // (n + 1) for count in counts))
              for n in range(groups)))


@pytest.mark.parametrize("groups", [0, 3, 6])
def test_labels_over_the_bars_do_not_overlap(qtbot: QtBot, groups: int) -> None:
    chart = FunnelChart()
    qtbot.addWidget(chart)
    chart.resize(820, 330)
    chart.show()
    chart.show_result(result(groups), "visitors")
    qtbot.wait(50)
    labels = [item for item in chart.plot.items if isinstance(item, pg.TextItem)]
    assert len(labels) == 3 * max(groups, 1)
    boxes = [label.mapRectToScene(label.boundingRect()) for label in labels]
    plot = chart.plot.vb.sceneBoundingRect()
    for box in boxes:
        assert plot.contains(box), "a label runs out of the plot"
    for one, other in itertools.combinations(boxes, 2):
        assert not one.intersects(other), "two labels overlap"
