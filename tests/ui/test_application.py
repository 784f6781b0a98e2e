"""`run_gui`, the entry point `tapeview` calls: exit codes, files to import, clean exit."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.ui.application import EXIT_CACHE_ERROR, run_gui
from app.ui.main_window import MainWindow
from tests.ui.conftest import worker_threads

POLL_MS = 20
GIVE_UP_MS = 20_000
GAVE_UP = 99

Poll = Callable[[Callable[[], bool]], None]


@pytest.fixture
def when(qapp: QApplication) -> Iterator[Poll]:
    """Poll a condition inside the event loop `run_gui` runs; leave it (99) if it never holds."""
    timers: list[QTimer] = []

    def poll(condition: Callable[[], bool]) -> None:
        timer = QTimer()
        timer.setInterval(POLL_MS)
        timer.timeout.connect(lambda: condition() and timer.stop())
        timer.start()
        deadline = QTimer()
        deadline.setSingleShot(True)
        deadline.timeout.connect(lambda: qapp.exit(GAVE_UP))
        deadline.start(GIVE_UP_MS)
        timers.extend((timer, deadline))

    yield poll
    for timer in timers:
        timer.stop()


def visible(kind: type[QWidget]) -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def test_unusable_cache_shows_an_error_and_exits_2(tmp_path: Path, when: Poll) -> None:
    not_a_cache = tmp_path / "notes.sqlite3"
    connection = sqlite3.connect(not_a_cache)
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.close()
    messages: list[str] = []

    def accept_error() -> bool:
        boxes = visible(QMessageBox)
        if boxes:
            box = boxes[0]
            assert isinstance(box, QMessageBox)
            messages.append(box.informativeText())
            box.accept()
        return bool(boxes)

    when(accept_error)
    assert run_gui(str(not_a_cache), []) == EXIT_CACHE_ERROR
    assert "not a Tapeview cache" in messages[0]
    assert not worker_threads()


def test_files_given_on_the_command_line_are_imported(cache_path: Path, when: Poll,
                                                      rrweb_fixtures: Path) -> None:
    files = [rrweb_fixtures / "rrweb-io__rrweb" / "scroll.json",
             rrweb_fixtures / "rrweb-io__rrweb" / "input.json"]
    loaded: list[int] = []

    def close_when_listed() -> bool:
        windows = visible(MainWindow)
        window = windows[0] if windows else None
        if not isinstance(window, MainWindow) or window.tasks.busy \
                or window.sessions.rowCount() < len(files):
            return False
        loaded.append(window.sessions.rowCount())
        window.close()
        return True

    when(close_when_listed)
    assert run_gui(str(cache_path), files) == 0
    assert loaded == [2]
    assert QApplication.applicationName() == "Tapeview"
    assert not worker_threads()
