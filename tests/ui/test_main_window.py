"""The main window end to end: empty state, importing by drop, browsing, details, errors."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.core.cache.database import Cache
from app.core.importing import import_files
from app.ui.main_window import MainWindow
from app.ui.session_model import COLUMN_OF_SORT, PAGE_SIZE
from tests.ui.conftest import MainWindowFactory
from tests.ui.synthetic_sessions import add_sessions

IMPORT_MS = 20_000
Drop = Callable[[MainWindow, Sequence[Path]], object]


@pytest.fixture
def recordings(fixture_recordings: list[Path]) -> list[Path]:
    """The fixture recordings that import cleanly."""
    return [path for path in fixture_recordings if path.name != "privacy.json"]


def import_by_drop(qtbot: QtBot, window: MainWindow, drop: Drop, paths: Sequence[Path]) -> None:
    with qtbot.waitSignal(window.importer.finished, timeout=IMPORT_MS):
        drop(window, paths)
    qtbot.waitUntil(lambda: not window.tasks.busy and not window.sessions.loading,
                    timeout=IMPORT_MS)


def first_row_duration(window: MainWindow) -> int:
    return window.sessions.session_at(0).duration_ms


def test_empty_cache_offers_to_import(main_window: MainWindowFactory) -> None:
    window = main_window()

    assert window.windowTitle() == "Tapeview"
    assert window.showing_empty_state
    assert window.empty_state.import_button.isVisible()
    assert "0 sessions" in window.cache_label.text()


def test_demo_button_fills_an_empty_cache(main_window: MainWindowFactory, qtbot: QtBot) -> None:
    window = main_window()
    assert window.empty_state.demo_button.isVisible()

    with qtbot.waitSignal(window.importer.finished, timeout=IMPORT_MS) as finished:
        window.empty_state.demo_button.click()
    qtbot.waitUntil(lambda: window.browsing and not window.sessions.loading, timeout=IMPORT_MS)

    outcome = finished.args[0]
    assert [r.status for r in outcome.results] == ["imported"] * 12
    assert window.sessions.total == 12
    assert "Demo / Demo shop (12)" in [window.project_picker.itemText(i)
                                        for i in range(window.project_picker.count())]


def test_file_dialog_import_does_not_block(main_window: MainWindowFactory, qtbot: QtBot,
                                           recordings: list[Path]) -> None:
    window = main_window()
    dialog = window.open_import_dialog()

    assert dialog.isVisible() and not dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
    assert "*.json *.jsonl *.gz" in dialog.nameFilters()[0]
    with qtbot.waitSignal(window.importer.finished, timeout=IMPORT_MS):
        dialog.filesSelected.emit([str(recordings[0])])
    qtbot.waitUntil(lambda: window.browsing and window.sessions.rowCount() == 1)


def test_dropping_files_imports_them(main_window: MainWindowFactory, qtbot: QtBot,
                                     drop_files: Drop, recordings: list[Path]) -> None:
    window = main_window()
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/recording.json")])
    remote = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime,
                             Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, remote)
    assert not remote.isAccepted()  # only local files can be imported

    import_by_drop(qtbot, window, drop_files, recordings)

    assert window.browsing
    assert window.sessions.rowCount() == window.sessions.total == len(recordings)
    assert window.import_summary is None  # nothing was rejected: the status bar says it all
    assert f"{len(recordings)} imported" in window.statusBar().currentMessage()
    assert window.project_picker.itemText(window.project_picker.count() - 1) \
        == f"Local / Imported ({len(recordings)})"
    assert f"{len(recordings)} sessions" in window.cache_label.text()


def test_list_sorts_by_duration_both_ways(main_window: MainWindowFactory, qtbot: QtBot,
                                          drop_files: Drop, recordings: list[Path]) -> None:
    window = main_window()
    import_by_drop(qtbot, window, drop_files, recordings)
    durations = sorted(window.sessions.session_at(row).duration_ms
                       for row in range(window.sessions.rowCount()))
    column = COLUMN_OF_SORT["duration"]

    window.view.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: not window.sessions.loading
                    and window.sessions.query.sort == "duration"
                    and not window.sessions.query.descending)
    assert first_row_duration(window) == durations[0]

    window.view.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: not window.sessions.loading and window.sessions.query.descending)
    assert first_row_duration(window) == durations[-1]


def test_filter_text_narrows_rows(main_window: MainWindowFactory, qtbot: QtBot,
                                  drop_files: Drop, recordings: list[Path]) -> None:
    window = main_window()
    import_by_drop(qtbot, window, drop_files, recordings)

    qtbot.keyClicks(window.filter_edit, "scroll.json")
    qtbot.waitUntil(lambda: window.sessions.rowCount() == 1 and not window.sessions.loading)
    assert window.sessions.session_at(0).source == "scroll.json"
    assert window.count_label.text() == "1 session"

    window.filter_edit.clear()
    qtbot.waitUntil(lambda: window.sessions.rowCount() == len(recordings))


def test_selecting_a_row_fills_the_details(main_window: MainWindowFactory, qtbot: QtBot,
                                           drop_files: Drop, recordings: list[Path]) -> None:
    window = main_window()
    import_by_drop(qtbot, window, drop_files, recordings)
    assert window.details.session is None

    row = next(row for row in range(window.sessions.rowCount())
               if window.sessions.session_at(row).source == "events.json")
    window.view.selectRow(row)

    info = window.sessions.session_at(row)
    details = window.details
    assert details.session == info
    assert details.value("Session") == info.id
    assert details.value("Project") == "Local / Imported"
    assert details.value("Duration") == "1:21"
    assert details.value("Landing page") == "https://demoit.app/e/react#ReactHooks.js"
    assert details.value("Source") == "events.json"
    assert details.value("Events") == "272"
    assert details.value("Interactions") == "3 clicks, 0 inputs"
    assert details.pages() == ["1. https://demoit.app/e/react#ReactHooks.js"]

    details.copy_session_id()
    assert QApplication.clipboard().text() == info.id


def test_selection_survives_a_refresh(main_window: MainWindowFactory, qtbot: QtBot,
                                      drop_files: Drop, recordings: list[Path]) -> None:
    window = main_window()
    import_by_drop(qtbot, window, drop_files, recordings[:3])
    window.view.selectRow(1)
    chosen = window.details.session
    assert chosen is not None

    import_by_drop(qtbot, window, drop_files, recordings[3:])

    assert window.details.session is not None and window.details.session.id == chosen.id
    assert window.sessions.rowCount() == len(recordings)


def test_project_picker_restricts_rows(main_window: MainWindowFactory, qtbot: QtBot,
                                       cache: Cache, recordings: list[Path]) -> None:
    import_files(cache, recordings[:3], project_name="Checkout", organization_name="Acme")
    import_files(cache, recordings[3:], project_name="Imported", organization_name="Local")
    window = main_window()
    picker = window.project_picker
    items = [picker.itemText(index) for index in range(picker.count())]
    assert items == [f"All projects ({len(recordings)})", "", "Acme / Checkout (3)", "",
                     f"Local / Imported ({len(recordings) - 3})"]  # "" are separators

    picker.setCurrentIndex(items.index("Acme / Checkout (3)"))
    qtbot.waitUntil(lambda: window.sessions.rowCount() == 3 and not window.sessions.loading)
    assert {window.sessions.session_at(row).project for row in range(3)} == {"Checkout"}

    picker.setCurrentIndex(0)
    qtbot.waitUntil(lambda: window.sessions.rowCount() == len(recordings))


def test_rejected_file_is_listed_with_its_message(main_window: MainWindowFactory, qtbot: QtBot,
                                                  drop_files: Drop, recordings: list[Path],
                                                  tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.json"
    truncated.write_text('[{"type": 4, "data": {"href": "https://shop.example/"}, "timest')
    window = main_window()

    import_by_drop(qtbot, window, drop_files, [recordings[0], truncated])

    summary = window.import_summary
    assert summary is not None and summary.isVisible() and not summary.isModal()
    rows = summary.rows()
    assert rows[0][:2] == ("Rejected", "truncated.json")
    assert rows[0][2].startswith("truncated.json: ") and "JSON" in rows[0][2]
    assert rows[1][:2] == ("Imported", recordings[0].name)
    assert window.sessions.rowCount() == 1


def test_import_can_be_cancelled(main_window: MainWindowFactory, qtbot: QtBot,
                                 drop_files: Drop, recordings: list[Path]) -> None:
    window = main_window()
    release = threading.Event()
    window.tasks.run("Hold the worker", lambda _context: release.wait(IMPORT_MS / 1000),
                     lambda _result: None)

    drop_files(window, recordings)
    assert window.import_progress.isVisible()
    with qtbot.waitSignal(window.importer.finished, timeout=IMPORT_MS) as finished:
        qtbot.mouseClick(window.import_progress.cancel_button, Qt.MouseButton.LeftButton)
        release.set()

    outcome = finished.args[0]
    assert outcome.cancelled and outcome.results == []
    assert "skipped (cancelled)" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not window.import_progress.isVisible())


def test_second_import_waits_for_the_first(main_window: MainWindowFactory, qtbot: QtBot,
                                           drop_files: Drop, recordings: list[Path]) -> None:
    window = main_window()
    with qtbot.waitSignal(window.importer.finished, timeout=IMPORT_MS):
        drop_files(window, recordings[:1])
        event = drop_files(window, recordings[1:])
        assert not event.isAccepted()
        assert "already running" in window.statusBar().currentMessage()


def test_large_cache_loads_one_page_at_a_time(main_window: MainWindowFactory, qtbot: QtBot,
                                              cache: Cache) -> None:
    add_sessions(cache, 5_000)
    window = main_window()

    assert window.sessions.total == 5_000
    assert window.sessions.rowCount() == PAGE_SIZE
    assert window.count_label.text() == "5,000 sessions"

    window.view.scrollToBottom()
    qtbot.waitUntil(lambda: window.sessions.rowCount() == 2 * PAGE_SIZE)
    assert window.sessions.rowCount() < window.sessions.total


def test_about_box_does_not_block(main_window: MainWindowFactory) -> None:
    box = main_window().show_about()

    assert box.isVisible()
    assert "Tapeview" in box.text()
    box.close()


def test_unusable_cache_is_reported(main_window: MainWindowFactory, qtbot: QtBot,
                                    tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    connection.close()

    window = main_window(other, ready=False)
    with qtbot.waitSignal(window.cacheFailed, timeout=IMPORT_MS) as failed:
        pass

    assert "not a Tapeview cache" in failed.args[0]
    assert not window.browsing and not window.showing_empty_state
    assert window.import_paths([other]) is False  # nothing to import into


def test_task_errors_are_shown_to_the_user(main_window: MainWindowFactory, qtbot: QtBot) -> None:
    window = main_window()

    def fail(_context: object) -> None:
        raise RuntimeError("disk on fire")

    window.tasks.run("Read the cache", fail, lambda _result: None)

    def error_box() -> QMessageBox | None:
        return next((box for box in window.findChildren(QMessageBox) if box.isVisible()), None)

    qtbot.waitUntil(lambda: error_box() is not None)
    box = error_box()
    assert box is not None and box.text() == "Read the cache failed."
    assert box.informativeText() == "RuntimeError: disk on fire"
    assert main_window.task_failures == [("Read the cache", "RuntimeError: disk on fire")]
    main_window.task_failures.clear()  # expected here; any other failure fails the test
    box.close()
