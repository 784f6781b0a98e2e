"""The funnel tab: steps typed as a person would, counted over the demo sessions, the bars and
table showing what the cache counted, a click on a bar's drop-off listing who stopped and a
double-click replaying one of them at its last step; breakdown, saving, CSV, bad input."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from pytestqt.qtbot import QtBot

from app.core.cache.database import Cache
from app.core.funnels.compute import compute_funnel, funnel_actors
from app.core.funnels.results import Breakdown, FunnelActor, FunnelQuery, FunnelResult
from app.core.funnels.steps import ClickStep, Funnel, PageviewStep
from app.core.search.conditions import AttributeIs, SessionFilter
from app.ui.funnels.view import FunnelView
from app.ui.main_window import MainWindow
from tests.ui.annotation_helpers import LOAD_MS, demo_cache
from tests.ui.conftest import MainWindowFactory

SHOP = "shop.example.com/"
STEPS = (PageviewStep(SHOP), ClickStep(text="Add to cart"), PageviewStep("/cart"))


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "cache.sqlite3"
    demo_cache(path, 24)
    return path


EVERY_SESSION = SessionFilter()
QUERY = FunnelQuery(Funnel(STEPS, 86_400_000, "visitor"))


def expected(path: Path, breakdown: Breakdown | None = None,
             search: SessionFilter = EVERY_SESSION) -> FunnelResult:
    """What the cache counts for the funnel the tests type in."""
    cache = Cache(path)
    try:
        with cache.read_session() as session:
            return compute_funnel(session, replace(QUERY, filter=search), breakdown)
    finally:
        cache.close()


def dropped_after(path: Path, step: int) -> list[FunnelActor]:
    cache = Cache(path)
    try:
        with cache.read_session() as session:
            return funnel_actors(session, QUERY, step, dropped=True)
    finally:
        cache.close()


def open_funnel(qtbot: QtBot, window: MainWindow) -> FunnelView:
    view = window.open_funnel()
    assert view is not None
    rows = view.steps.rows
    # The cache's pages complete a pageview step as it is typed.
    qtbot.waitUntil(lambda: SHOP in rows[0].value.completer().model().stringList(),
                    timeout=LOAD_MS)
    rows[0].value.setText(SHOP)
    rows[1].kind.setCurrentIndex(rows[1].kind.findData("click-text"))
    qtbot.keyClicks(rows[1].value, "Add to cart")
    qtbot.mouseClick(view.steps.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(view.steps.rows[2].value, "/cart")
    return view


def calculate(qtbot: QtBot, view: FunnelView) -> None:
    with qtbot.waitSignal(view.counted, timeout=LOAD_MS):
        qtbot.mouseClick(view.calculate_button, Qt.MouseButton.LeftButton)


def chart_point(view: FunnelView, x: float, y: float) -> QPoint:
    scene = view.chart.plot.vb.mapViewToScene(QPointF(x, y))
    return view.chart.mapFromScene(scene)


def test_a_funnel_is_counted_and_a_dropped_visitor_replays_at_the_last_step(
        qtbot: QtBot, main_window: MainWindowFactory, demo: Path) -> None:
    counted = expected(demo)
    window = main_window(demo)
    view = open_funnel(qtbot, window)
    calculate(qtbot, view)

    result = view.result
    assert result is not None and result.steps == counted.steps
    assert counted.entered > counted.steps[1].actors > 0, "the demo must drop some visitors"
    assert [view.step_table.item(row, 1).text() for row in range(3)] == [
        f"{step.actors:,}" for step in counted.steps]
    assert f"{counted.entered:,} visitors entered" in view.summary.text()

    # The pale part stacked on bar 2: visitors who took step 1 and not step 2.
    top = counted.steps[0].actors - (counted.steps[0].actors - counted.steps[1].actors) / 2
    with qtbot.waitSignal(view.actorsListed, timeout=LOAD_MS):
        qtbot.mouseClick(view.chart.viewport(), Qt.MouseButton.LeftButton,
                         pos=chart_point(view, 1, top))
    assert "Dropped off after step 1" in view.actor_list.title.text()
    assert [actor.session_id for actor in view.actors] == [
        actor.session_id for actor in dropped_after(demo, 0)]

    # The blue bar 2: who reached step 2.
    with qtbot.waitSignal(view.actorsListed, timeout=LOAD_MS):
        qtbot.mouseClick(view.chart.viewport(), Qt.MouseButton.LeftButton,
                         pos=chart_point(view, 1, counted.steps[1].actors / 2))
    assert "Reached step 2" in view.actor_list.title.text()
    assert len(view.actors) == counted.steps[1].actors

    first = view.actors[0]
    table = view.actor_list.table
    rect = table.visualRect(table.model().index(0, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: bool(window.players()), timeout=LOAD_MS)
    player = window.players()[0]
    assert player.info.id == first.session_id
    qtbot.waitUntil(lambda: abs(player.controller.offset_ms - first.offset_ms) <= 1_000,
                    timeout=LOAD_MS)


def test_breakdown_saving_export_and_bad_input(
        qtbot: QtBot, main_window: MainWindowFactory, demo: Path, tmp_path: Path) -> None:
    counted = expected(demo, "device")
    window = main_window(demo)
    view = open_funnel(qtbot, window)
    view.breakdown_box.setCurrentIndex(view.breakdown_box.findData("device"))
    calculate(qtbot, view)
    assert view.result is not None and view.result.groups == counted.groups
    assert set(view.chart.groups) == {group.value for group in counted.groups}
    shown = {group.value: group.actors for group in counted.groups}
    assert view.chart.labels == [  # each group's bars: its count, then its share of it
        f"{count:,}" if step == 0 else f"{count / shown[value][0]:.0%}"
        for value in view.chart.groups for step, count in enumerate(shown[value])]

    out = tmp_path / "funnel.csv"
    with qtbot.waitSignal(view.messageShown, timeout=LOAD_MS):
        view.export_csv(out)
    with out.open(newline="") as rows:
        table = list(csv.reader(rows))
    assert [int(row[2]) for row in table[1:]] == [step.actors for step in counted.steps]

    with qtbot.waitSignal(view.messageShown, timeout=LOAD_MS):
        view.save_as("Shop to cart")
    qtbot.waitUntil(lambda: view.saved_box.currentText() == "Shop to cart", timeout=LOAD_MS)

    # A second tab opens the saved funnel and counts it at once.
    other = window.open_funnel()
    assert other is not None
    qtbot.waitUntil(lambda: other.saved_box.count() == 2, timeout=LOAD_MS)
    with qtbot.waitSignal(other.counted, timeout=LOAD_MS):
        other.saved_box.setCurrentIndex(1)
    assert [row.step() for row in other.steps.rows] == list(STEPS)
    assert other.result is not None and other.result.steps == view.result.steps

    # Cancel stops the count; what was shown stays and nothing arrives late.
    window.tabs.setCurrentWidget(view)
    shown = view.result
    qtbot.mouseClick(view.calculate_button, Qt.MouseButton.LeftButton)
    assert view.progress.isVisible() and not view.calculate_button.isEnabled()
    qtbot.mouseClick(view.progress.cancel_button, Qt.MouseButton.LeftButton)
    assert view.summary.text() == "Stopped." and not view.progress.isVisible()
    qtbot.wait(1_000)
    assert view.result is shown and view.calculate_button.isEnabled()

    # Bad input is named, and nothing is counted.
    view.steps.rows[2].value.clear()
    qtbot.mouseClick(view.calculate_button, Qt.MouseButton.LeftButton)
    assert view.summary.text().startswith("Step 3:")
    view.steps.rows[2].value.setText("/cart")
    view.window_box.setCurrentText("soon")
    qtbot.mouseClick(view.calculate_button, Qt.MouseButton.LeftButton)
    assert "bad window 'soon'" in view.summary.text()
    view.window_box.setCurrentText("1d")
    while len(view.steps.rows) > 1:
        view.steps.rows[-1].remove.click()
    qtbot.mouseClick(view.calculate_button, Qt.MouseButton.LeftButton)
    assert "2 to 10 steps" in view.summary.text()
    for _ in range(9):
        view.steps.add_button.click()
    assert len(view.steps.rows) == 10 and not view.steps.add_button.isEnabled()


def test_the_list_filters_keep_the_sessions_counted_unless_unticked(
        qtbot: QtBot, main_window: MainWindowFactory, demo: Path) -> None:
    mobile = SessionFilter((AttributeIs("device", ("mobile",)),))
    everyone, on_phones = expected(demo), expected(demo, search=mobile)
    assert 0 < on_phones.entered < everyone.entered
    window = main_window(demo)
    window.filter_bar.set_filter(mobile)
    view = open_funnel(qtbot, window)
    calculate(qtbot, view)
    assert view.result is not None and view.result.steps == on_phones.steps
    view.list_filter.setChecked(False)
    calculate(qtbot, view)
    assert view.result.steps == everyone.steps

    # Saved with the list's conditions, a funnel counts within them when opened again,
    # whatever the list shows then.
    view.list_filter.setChecked(True)
    with qtbot.waitSignal(view.messageShown, timeout=LOAD_MS):
        view.save_as("On phones")
    window.filter_bar.set_filter(EVERY_SESSION)
    other = window.open_funnel()
    assert other is not None
    qtbot.waitUntil(lambda: other.saved_box.count() == 2, timeout=LOAD_MS)
    assert other.saved_filter.isHidden()
    with qtbot.waitSignal(other.counted, timeout=LOAD_MS):
        other.saved_box.setCurrentIndex(1)
    assert other.result is not None and other.result.steps == on_phones.steps
    assert other.saved_filter.isVisible() and "device=mobile" in other.saved_filter.text()
    other.saved_box.setCurrentIndex(0)  # an unsaved funnel: the list's conditions alone
    assert other.saved_filter.isHidden()
    calculate(qtbot, other)
    assert other.result.steps == everyone.steps
