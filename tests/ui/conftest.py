"""Fixtures for GUI tests: a main-window factory that checks nothing is left behind."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.credentials import TokenStore
from app.ui.main_window import MainWindow
from app.ui.tasks import (
    COMPUTE_THREAD_PREFIX,
    ONLINE_THREAD_PREFIX,
    READER_THREAD_PREFIX,
    WORKER_THREAD_PREFIX,
)

WINDOW_READY_MS = 10_000



def worker_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate()
            if thread.name.startswith((WORKER_THREAD_PREFIX, COMPUTE_THREAD_PREFIX,
                                       ONLINE_THREAD_PREFIX, READER_THREAD_PREFIX))
            and thread.is_alive()]


MainWindowFactory = Callable[..., MainWindow]


@pytest.fixture
def main_window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindowFactory]:
    """Build main windows on a temp cache (napari's `make_napari_viewer` pattern).

    `main_window(cache_location=None, files=(), ready=True)` shows a window and, when `ready`,
    waits until its cache is open and the first list is loaded. Afterwards every window is
    closed and deleted, and the test fails if a worker thread survived, a top-level widget
    leaked, or a task failed without the test expecting it (`factory.task_failures`).
    """
    windows: list[MainWindow] = []
    failures: list[tuple[str, str]] = []
    top_level_before = set(QApplication.topLevelWidgets())

    def make(cache_location: Path | str | None = None, files: Sequence[Path] = (),
             ready: bool = True) -> MainWindow:
        window = MainWindow(str(cache_location or tmp_path / "cache.sqlite3"),
                            tokens=TokenStore(tmp_path / "tokens.json"),
                            demo_folder=tmp_path / "demo-server")
        window.tasks.failed.connect(lambda title, message: failures.append((title, message)))
        windows.append(window)
        window.show()
        if not ready:
            window.start(files)
            return window
        with qtbot.waitSignal(window.refreshed, timeout=WINDOW_READY_MS):
            window.start(files)
        qtbot.waitUntil(lambda: not window.tasks.busy, timeout=WINDOW_READY_MS)
        return window

    make.task_failures = failures  # type: ignore[attr-defined]
    yield make

    for window in windows:
        window.close()
        window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    # Widgets Python owns (pyqtgraph's menus) go with their owner, which a reference cycle
    # (an exception's traceback, say) may keep until the collector runs: not a leak.
    gc.collect()
    assert not worker_threads(), "a cache worker thread outlived its window"
    leaked = set(QApplication.topLevelWidgets()) - top_level_before
    assert not leaked, f"top-level widgets left behind: {leaked}"
    assert not failures, f"tasks failed: {failures}"


@pytest.fixture
def drop_files() -> Callable[[MainWindow, Sequence[Path]], QDropEvent]:
    """Drag files onto a window and drop them, as a file manager does.

    Qt delivers a drop only to a widget that accepted the drag's enter event, so the enter
    event goes first, exactly as in a real drag.
    """

    def drop(window: MainWindow, paths: Sequence[Path]) -> QDropEvent:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
        where = QPointF(window.width() / 2, window.height() / 2)
        arguments = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier)
        enter = QDragEnterEvent(where.toPoint(), *arguments)
        QApplication.sendEvent(window, enter)
        assert enter.isAccepted(), "the window refused the drag"
        event = QDropEvent(where, *arguments)
        QApplication.sendEvent(window, event)
        return event

    return drop


@pytest.fixture
def fixture_recordings(rrweb_fixtures: Path) -> list[Path]:
    """Every shared fixture recording (one of them is invalid JSON on purpose)."""
    return sorted(path for path in rrweb_fixtures.glob("*/*") if path.suffix != ".md")
