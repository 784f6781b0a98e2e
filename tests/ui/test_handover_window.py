"""Links to a moment and steps to reproduce, from the window as a QA engineer uses them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.core.cache.database import Cache
from app.core.demo import load_demo_sessions
from app.ui.main_window import MainWindow
from tests.ui.conftest import MainWindowFactory

OPEN_MS = 30_000


def error_text(window: MainWindow) -> str | None:
    boxes = [box for box in window.findChildren(QMessageBox) if box.isVisible()]
    return boxes[0].informativeText() if boxes else None


def demo_session(cache_path: Path) -> str:
    cache = Cache(cache_path)
    try:
        return load_demo_sessions(cache, 1)[0].session_id
    finally:
        cache.close()


def test_a_link_opens_the_session_at_its_moment_and_share_copies_it_back(
        main_window: MainWindowFactory, qtbot: QtBot, tmp_path: Path) -> None:
    session_id = demo_session(tmp_path / "cache.sqlite3")
    window = main_window()
    assert window.open_link(f"tapeview://session/{session_id[:8]}?t=42")
    qtbot.waitUntil(lambda: bool(window.players()) and
                    window.players()[0].controller.offset_ms > 0, timeout=OPEN_MS)
    player = window.players()[0]
    assert player.info.id == session_id
    assert abs(player.session_offset_ms() - 42_000) < 100

    player.share_button.copy_link()
    assert QGuiApplication.clipboard().text() == f"tapeview://session/{session_id}?t=42"
    assert window.statusBar().currentMessage().startswith("Copied tapeview://")

    QGuiApplication.clipboard().clear()
    player.share_button.copy_steps()
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text().startswith(
        "**Steps to reproduce**"), timeout=OPEN_MS)
    steps = QGuiApplication.clipboard().text()
    assert "1. Open https://shop.example.com/" in steps
    assert steps.rstrip().endswith(f"tapeview://session/{session_id}?t=42")
    assert "Sunny-" not in steps  # typed passwords never reach the steps (nor the cache)
    assert "step(s) to reproduce" in window.statusBar().currentMessage()


def test_bad_and_unknown_links_say_what_is_wrong(main_window: MainWindowFactory,
                                                 qtbot: QtBot) -> None:
    window = main_window()
    assert not window.open_link("https://example.com/session/1")
    assert "not a session link" in (error_text(window) or "")
    for box in window.findChildren(QMessageBox):
        box.close()
    assert window.open_link("tapeview://session/0123456789ab?t=1")
    qtbot.waitUntil(lambda: error_text(window) is not None, timeout=OPEN_MS)
    assert "No session in this cache has the id '0123456789ab'" in (error_text(window) or "")
    assert window.players() == []
