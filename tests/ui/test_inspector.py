"""The inspector beside the player: the event feed seeks, the console filters by level, errors
and requests are listed, and the visitor's other sessions open in a click."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView
from pytestqt.qtbot import QtBot

from app.core.analytics.extract import extract_events
from app.core.recording.synthetic import generate_recording, write_recording
from app.core.replay.inspection import ConsoleLine
from app.ui.main_window import MainWindow
from app.ui.player.console_panel import ConsolePanel
from app.ui.player.player_widget import PlayerWidget
from app.ui.player.timed_panel import TimedPanel
from tests.support.inspector_recordings import START_MS, console_recording
from tests.ui.conftest import MainWindowFactory

LOAD_MS = 30_000
ANN = {"uid": "cust-1", "name": "Ann Lee", "email": "ann@example.org", "plan": "pro"}


def write_json(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(events))
    return path


def open_player(qtbot: QtBot, window: MainWindow, row: int = 0) -> PlayerWidget:
    """Replay a listed session and wait until its inspector is filled."""
    qtbot.waitUntil(lambda: window.sessions.rowCount() > row and not window.tasks.busy,
                    timeout=LOAD_MS)
    player = window.open_replay(window.sessions.session_at(row))
    assert player is not None
    qtbot.waitUntil(lambda: player.inspector.inspection is not None, timeout=LOAD_MS)
    return player


def click_row(qtbot: QtBot, panel: TimedPanel, row: int) -> None:
    index = panel.model.index(row, panel.model.columnCount() - 1)
    panel.view.scrollTo(index)
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.view.visualRect(index).center())


def shown(panel: TimedPanel) -> list[Any]:
    return [panel.model.entry(row) for row in range(panel.model.rowCount())]


def test_feed_lists_events_in_time_order_and_a_click_seeks_there(
        qtbot: QtBot, main_window: MainWindowFactory, tmp_path: Path) -> None:
    events = generate_recording(180, 2_000, seed=11, errors=1)
    path = tmp_path / "visit.json"
    write_recording(path, events)
    player = open_player(qtbot, main_window(files=[path]))
    feed = player.inspector.feed

    entries = shown(feed)
    expected = [e for e in extract_events(events) if e.kind != "network"]
    assert [entry.event.kind for entry in entries] == [e.kind for e in expected]
    offsets = [entry.offset_ms for entry in entries]
    assert offsets == sorted(offsets) and offsets[0] == 0
    assert player.inspector.tabText(0) == f"Events {len(entries):,}"

    row = next(number for number, entry in enumerate(entries)
               if entry.event.kind == "click" and entry.offset_ms > 5_000)
    click_row(qtbot, feed, row)
    assert player.controller.offset_ms == entries[row].offset_ms
    assert feed.model.current_row >= row  # the row playback reached is marked
    assert feed.details.toPlainText().startswith(
        f"Click at {feed.model.columns[0].text(entries[row])}")

    player.controller.seek(player.controller.duration_ms)  # far away: the feed follows
    last = feed.model.index(feed.model.rowCount() - 1, 0)
    assert feed.model.current_row == feed.model.rowCount() - 1
    assert feed.view.viewport().rect().intersects(feed.view.visualRect(last))


def test_feed_search_and_kind_filter(qtbot: QtBot, main_window: MainWindowFactory,
                                     tmp_path: Path) -> None:
    path = write_json(tmp_path / "console.json", console_recording())
    feed = open_player(qtbot, main_window(files=[path])).inspector.feed

    feed.kind_box.setCurrentIndex(feed.kind_box.findText("Errors"))
    assert [entry.title for entry in shown(feed)] == ["Error", "Error"]
    feed.kind_box.setCurrentIndex(0)
    qtbot.keyClicks(feed.search, "pay now")
    qtbot.waitUntil(lambda: feed.model.rowCount() < feed.model.total)
    assert {entry.event.kind for entry in shown(feed)} == {"click", "dead_click"}
    feed.search.setText("no such thing")
    feed.refilter()
    assert feed.stack.currentWidget() is feed.message
    assert "Nothing matches" in feed.message.text()


def test_console_filters_by_level(qtbot: QtBot, main_window: MainWindowFactory,
                                  tmp_path: Path) -> None:
    path = write_json(tmp_path / "console.json", console_recording())
    player = open_player(qtbot, main_window(files=[path]))
    console = player.inspector.console
    player.inspector.setCurrentWidget(console)

    assert player.inspector.tabText(player.inspector.indexOf(console)) == "Console 8"
    assert [button.text() for button in console.level_buttons.values()] \
        == ["Log 3", "Info 1", "Warnings 1", "Errors 2", "Debug 1"]
    qtbot.mouseClick(console.level_buttons["error"], Qt.MouseButton.LeftButton)
    assert "error" not in {line.group for line in shown(console)}
    assert len(shown(console)) == 6
    qtbot.mouseClick(console.level_buttons["log"], Qt.MouseButton.LeftButton)
    assert [line.level for line in shown(console)] == ["info", "debug", "warn"]

    console.show_levels("error")
    assert [line.level for line in shown(console)] == ["error", "assert"]
    console.show_levels("warn", "debug")
    assert [line.level for line in shown(console)] == ["debug", "warn"]
    console.show_levels()
    console.search.setText("RENDERED")  # any case; traces are searched too
    console.refilter()
    assert [line.message for line in shown(console)] == ["Order list rendered"]

    console.search.clear()
    console.refilter()
    click_row(qtbot, console, 3)  # the warning: seeks there and shows its stack trace
    assert player.controller.offset_ms == 2_500
    assert "Deprecated API" in console.details.toPlainText()
    assert "OrderList.render" in console.details.toPlainText()


def test_errors_panel_shows_a_console_error_with_its_stack_trace(
        qtbot: QtBot, main_window: MainWindowFactory, tmp_path: Path) -> None:
    path = write_json(tmp_path / "console.json", console_recording())
    player = open_player(qtbot, main_window(files=[path]))
    errors = player.inspector.errors

    assert player.inspector.tabText(player.inspector.indexOf(errors)) == "Errors 2"
    first, second = shown(errors)
    assert first.message == "TypeError: Cannot read properties of undefined (reading 'total')"
    assert (first.kind, second.kind) == ("console.error", "console.assert")
    player.inspector.setCurrentWidget(errors)
    click_row(qtbot, errors, 0)
    assert player.controller.offset_ms == 4_000
    assert "Stack trace:\n    OrderList.render" in errors.details.toPlainText()


def test_a_session_without_errors_or_console_says_so(
        qtbot: QtBot, main_window: MainWindowFactory, rrweb_fixtures: Path) -> None:
    window = main_window(files=[rrweb_fixtures / "rrweb-io__rrweb" / "events.json"])
    player = open_player(qtbot, window)

    for panel in (player.inspector.console, player.inspector.errors):
        assert panel.stack.currentWidget() is panel.message
        assert "No " in panel.message.text()
    assert player.inspector.feed.model.rowCount() > 0  # the demo's clicks


def test_switching_windows_lists_the_other_windows_events(
        qtbot: QtBot, main_window: MainWindowFactory, rrweb_fixtures: Path) -> None:
    posthog = rrweb_fixtures / "PostHog__posthog" / "recording_snapshots.jsonl"
    window = main_window(files=[posthog])
    player = open_player(qtbot, window)
    first = player.inspector.inspection
    assert first is not None and player.window_box.count() == 2

    player.window_box.setCurrentIndex(1)
    qtbot.waitUntil(lambda: player.inspector.inspection is not first, timeout=LOAD_MS)
    second = player.inspector.inspection
    assert second is not None and second.feed != first.feed
    assert shown(player.inspector.feed) == second.feed
    # Timed from the session's start, as the timeline is: this window opened 7 s in.
    opened = second.feed[0]
    assert opened.title == "Page view" and opened.offset_ms > 0
    assert player.replay is not None
    assert opened.offset_ms == opened.event.ts_ms - player.replay.start_ms


@pytest.mark.parametrize("with_network", [True, False])
def test_network_panel_appears_only_with_network_data(
        qtbot: QtBot, main_window: MainWindowFactory, tmp_path: Path,
        with_network: bool) -> None:
    path = write_json(tmp_path / "console.json", console_recording(with_network))
    inspector = open_player(qtbot, main_window(files=[path])).inspector
    network = inspector.network

    assert inspector.isTabVisible(inspector.indexOf(network)) is with_network
    if not with_network:
        return
    assert inspector.tabText(inspector.indexOf(network)) == "Network 3"
    assert [network.model.columns[1].text(entry) for entry in shown(network)] \
        == ["app.js", "orders?page=1", "POST pay"]
    network.failed_button.click()
    assert [entry.status for entry in shown(network)] == [502]
    network.failed_button.click()
    network.type_box.setCurrentIndex(network.type_box.findText("fetch"))
    assert [entry.initiator for entry in shown(network)] == ["fetch"]


def test_visitor_panel_lists_the_visitors_other_sessions_and_opens_one(
        qtbot: QtBot, main_window: MainWindowFactory, tmp_path: Path) -> None:
    paths = []
    for seed, identity in ((1, ANN), (2, ANN), (3, {"uid": "cust-2"})):
        path = tmp_path / f"visit-{seed}.json"
        write_recording(path, generate_recording(
            60, 400, seed=seed, start_ms=START_MS + seed * 86_400_000, identity=identity))
        paths.append(path)
    window = main_window(files=paths)
    qtbot.waitUntil(lambda: window.sessions.rowCount() == 3, timeout=LOAD_MS)
    # Newest first: the session list's row 1 is Ann's second visit.
    player = open_player(qtbot, window, row=1)
    visitor = player.inspector.visitor
    qtbot.waitUntil(lambda: visitor.sessions.rowCount() == 1, timeout=LOAD_MS)

    assert visitor.name_label.text() == "Ann Lee"
    assert "pro" in [visitor.form.itemAt(row, visitor.form.ItemRole.FieldRole).widget().text()
                     for row in range(visitor.form.rowCount())]
    assert visitor.sessions_title.text() == "Other sessions (1)"
    other = visitor.sessions.sessions[0]
    assert other.visitor == "cust-1" and other.id != player.info.id

    player.inspector.setCurrentWidget(visitor)
    rect = visitor.view.visualRect(visitor.sessions.index(0, 4))
    qtbot.mouseClick(visitor.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    opened = window.tabs.currentWidget()
    assert isinstance(opened, PlayerWidget) and opened.info.id == other.id
    assert len(window.players()) == 2
    qtbot.waitUntil(lambda: opened.inspector.visitor.sessions.rowCount() == 1, timeout=LOAD_MS)
    assert opened.inspector.visitor.sessions.sessions[0].id == player.info.id


def test_the_inspector_can_be_hidden_and_shown_again(
        qtbot: QtBot, main_window: MainWindowFactory, tmp_path: Path) -> None:
    path = write_json(tmp_path / "console.json", console_recording())
    player = open_player(qtbot, main_window(files=[path]))

    assert player.inspector.isVisible()
    qtbot.mouseClick(player.inspector_button, Qt.MouseButton.LeftButton)
    assert not player.inspector.isVisible()
    qtbot.mouseClick(player.inspector_button, Qt.MouseButton.LeftButton)
    assert player.inspector.isVisible() and player.splitter.sizes()[1] > 0


def test_a_hundred_thousand_console_lines_stay_quick(qtbot: QtBot) -> None:
    levels = ("log", "info", "warn", "error", "debug")
    lines = [ConsoleLine(n * 36, levels[n % 5], levels[n % 5], f"line {n}", (), None,
                         f"{levels[n % 5]}\nline {n}") for n in range(100_000)]
    panel = ConsolePanel()
    qtbot.addWidget(panel)
    panel.resize(400, 600)
    panel.show()

    started = time.perf_counter()
    panel.set_entries(lines)
    panel.search.setText("line 9999")
    panel.refilter()
    panel.set_position(3_600_000)
    elapsed = time.perf_counter() - started

    assert panel.model.rowCount() == 11  # 9999 and 99990-99999
    assert panel.view.verticalHeader().sectionResizeMode(0) == QHeaderView.ResizeMode.Fixed
    assert elapsed < 1.0, f"filtering 100,000 lines took {elapsed:.2f} s"
    assert panel.view.selectionMode() == QAbstractItemView.SelectionMode.SingleSelection
    assert panel.view.indexAt(QPoint(5, 5)).isValid()
