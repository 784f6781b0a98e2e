"""The heatmap tab: Analyze → Heatmap draws the most visited page with its clicks, the pointer
tells a spot's count, a click on a hot spot lists the sessions that clicked there and one
more opens the replay at that click; moves, scroll depth, exports, bad input and Cancel.

The page is drawn for real: a child process replays the snapshot in QtWebEngine."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from app.core.cache.database import Cache, resolve_cache_url
from app.core.heatmaps.pages import pages_shown
from app.ui.heatmaps.background_process import BackgroundRenderer, BackgroundRequest
from app.ui.heatmaps.view import SPOT_RADIUS_PX, HeatmapView
from app.ui.main_window import MainWindow
from app.ui.tasks import TaskManager
from tests.ui.annotation_helpers import demo_cache, open_session
from tests.ui.conftest import MainWindowFactory

DRAW_MS = 90_000


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "cache.sqlite3"
    demo_cache(path, 12)
    return path


def open_heatmap(qtbot: QtBot, window: MainWindow) -> HeatmapView:
    with qtbot.waitSignal(window.tabs.currentChanged, timeout=DRAW_MS):
        view = window.open_heatmap()
    assert view is not None
    with qtbot.waitSignal(view.drawn, timeout=DRAW_MS):
        pass
    return view


def redraw(qtbot: QtBot, view: HeatmapView, kind_index: int) -> None:
    with qtbot.waitSignal(view.drawn, timeout=DRAW_MS):
        view.kind_box.setCurrentIndex(kind_index)


def widget_point(view: HeatmapView, x: float, y: float) -> QPoint:
    """Where page point (x, y) is on the plot widget."""
    scene = view.plot.view.mapViewToScene(QPointF(x, y))
    return view.plot.mapFromScene(scene)


def hottest_point(view: HeatmapView) -> tuple[float, float]:
    assert view.heatmap is not None and view.heatmap.grid is not None
    grid = view.heatmap.grid
    row, col = np.unravel_index(np.argmax(grid.image), grid.image.shape)
    return (col + 0.5) * grid.bin_px, (row + 0.5) * grid.bin_px


def test_the_most_visited_page_is_drawn_and_a_hot_spot_replays_at_its_click(
        qtbot: QtBot, main_window: MainWindowFactory, demo: Path) -> None:
    window = main_window(demo)
    view = open_heatmap(qtbot, window)
    cache = Cache(demo)
    with cache.read_session() as session:
        assert view.page_edit.currentText() == pages_shown(session)[0].page
    cache.close()

    heatmap, page = view.heatmap, view.background
    assert heatmap is not None and page is not None and heatmap.kind == "click"
    assert heatmap.grid is not None and heatmap.grid.points > 0
    assert page.rgb.shape == (page.height, page.width, 3)
    assert page.rgb.std() > 10, "the page behind the map is blank"
    assert "session(s)" in view.counts_label.text() and "clicks on the page" in \
        view.counts_label.text()

    # The mouse over the hottest spot: its count. A click on it: the sessions that clicked.
    x, y = hottest_point(view)
    view.plot.view.setRange(xRange=(x - 200, x + 200), yRange=(y - 150, y + 150), padding=0)
    qtbot.mouseMove(view.plot.viewport(), widget_point(view, x, y))
    qtbot.waitUntil(lambda: view.plot.tip.isVisible(), timeout=5_000)
    assert "clicks here" in view.plot.tip.textItem.toPlainText()
    qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton,
                     pos=widget_point(view, x, y))
    qtbot.waitUntil(lambda: bool(view.spot_sessions), timeout=10_000)

    clicks = heatmap.points.clicks
    spot = view.plot.spot.data[0]
    near = (clicks.x - spot["x"]) ** 2 + (clicks.y - spot["y"]) ** 2 <= SPOT_RADIUS_PX ** 2
    assert sum(found.clicks for found in view.spot_sessions) == int(near.sum())
    assert {found.session_id for found in view.spot_sessions} == {
        heatmap.points.session_ids[number] for number in np.unique(clicks.session[near])}
    assert view.spot_list.table.rowCount() == len(view.spot_sessions)

    first = view.spot_sessions[0]
    row_rect = view.spot_list.table.visualRect(view.spot_list.table.model().index(0, 0))
    # A double click as a person makes it: a click, then the second press.
    qtbot.mouseClick(view.spot_list.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=row_rect.center())
    qtbot.mouseDClick(view.spot_list.table.viewport(), Qt.MouseButton.LeftButton,
                      pos=row_rect.center())
    qtbot.waitUntil(lambda: bool(window.players()), timeout=DRAW_MS)
    player = window.players()[0]
    assert player.info.id == first.session_id
    qtbot.waitUntil(lambda: player.controller.offset_ms > 0 or first.offset_ms == 0,
                    timeout=DRAW_MS)
    assert abs(player.controller.offset_ms - first.offset_ms) <= 1_000


def test_move_and_scroll_maps_and_the_exports(
        qtbot: QtBot, main_window: MainWindowFactory, demo: Path, tmp_path: Path) -> None:
    view = open_heatmap(qtbot, main_window(demo))
    click_map = view.heatmap
    assert click_map is not None and click_map.grid is not None

    csv_path = tmp_path / "bins.csv"
    with qtbot.waitSignal(view.messageShown, timeout=10_000):
        view.export_csv(csv_path)
    with csv_path.open(newline="") as rows:
        bins = list(csv.DictReader(rows))
    assert bins and list(bins[0]) == ["x", "y", "count"]
    assert sum(int(row["count"]) for row in bins) == click_map.grid.points

    redraw(qtbot, view, 1)
    assert view.heatmap is not None and view.heatmap.kind == "move"
    assert view.heatmap.grid is not None and view.heatmap.grid.points > 0
    assert view.background is not None
    page_size = (view.background.width, view.background.height)

    redraw(qtbot, view, 2)
    assert view.heatmap is not None and view.heatmap.scroll is not None
    assert not view.export_csv_button.isEnabled()  # a scroll map has no bins
    assert "half of them saw the page down to" in view.counts_label.text()
    png_path = tmp_path / "scroll.png"
    with qtbot.waitSignal(view.messageShown, timeout=10_000):
        view.export_png(png_path)
    image = QImage(str(png_path))
    assert (image.width(), image.height()) == page_size

    # The page is drawn once: changing the kind of map reuses it.
    assert view.background.width == page_size[0] and not view.renderer.running


def test_another_session_draws_the_background(
        qtbot: QtBot, main_window: MainWindowFactory, demo: Path) -> None:
    view = open_heatmap(qtbot, main_window(demo))
    assert view.background is not None
    first = view.background.session_id
    assert view.other_button.isEnabled()
    with qtbot.waitSignal(view.drawn, timeout=DRAW_MS):
        view.other_button.click()
    assert view.background.session_id != first
    assert view.background.session_id[:8] in view.background_label.text()


def test_bad_input_says_what_is_wrong_and_cancel_stops(
        qtbot: QtBot, main_window: MainWindowFactory, demo: Path) -> None:
    window = main_window(demo)
    view = open_heatmap(qtbot, window)
    shown = view.heatmap

    view.page_edit.setEditText("")
    view.show_button.click()
    assert "Choose a page" in view.message_label.text()

    view.page_edit.setEditText("/no-such-page")
    view.show_button.click()
    qtbot.waitUntil(lambda: "No cached session showed a page matching" in
                    view.message_label.text(), timeout=10_000)

    view.page_edit.setEditText(view.page_edit.itemText(0))
    view.show_button.click()
    assert view.progress.isVisible()
    view.progress.cancel_button.click()
    assert view.message_label.text() == "Stopped."
    assert not view.progress.isVisible() and not view.renderer.running
    qtbot.wait(500)
    assert view.heatmap is shown  # nothing arrived late


def test_a_page_that_cannot_be_drawn_is_reported(qtbot: QtBot, demo: Path) -> None:
    tasks = TaskManager()
    try:
        with qtbot.waitCallback(timeout=10_000) as opened:
            tasks.open_cache(str(demo), opened, opened)
        renderer = BackgroundRenderer(tasks, tasks)
        with qtbot.waitSignal(renderer.failed, timeout=DRAW_MS) as failure:
            renderer.start(BackgroundRequest(resolve_cache_url(demo), ("no-such-session",),
                                             "/", "simple", {}))
        assert "no session with id 'no-such-session'" in failure.args[0]
    finally:
        tasks.shutdown()


def test_the_player_opens_the_heatmap_of_the_page_it_shows(
        qtbot: QtBot, main_window: MainWindowFactory, tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    ids = demo_cache(path, 3)
    window = main_window(path)
    player = open_session(qtbot, window, ids[0])
    qtbot.waitUntil(lambda: player.url_label.toolTip().startswith("http"), timeout=DRAW_MS)
    shown = player.url_label.toolTip()
    qtbot.mouseClick(player.heatmap_button, Qt.MouseButton.LeftButton)
    view = window.tabs.currentWidget()
    assert isinstance(view, HeatmapView)
    with qtbot.waitSignal(view.drawn, timeout=DRAW_MS):
        pass
    assert view.page_edit.currentText() == shown
    assert view.heatmap is not None and view.heatmap.points.session_count >= 1
    assert view.background is not None and view.background.session_id == ids[0]
