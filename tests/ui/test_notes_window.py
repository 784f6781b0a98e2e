"""Notes on the timeline: added at the moment shown (button or N), listed in the Notes tab,
edited and deleted there, drawn as pins that tell their text and seek to their moment, and
kept in the cache across reopening the replay."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.core.cache.database import Cache
from app.core.notes import add_note, list_notes
from app.ui.main_window import MainWindow
from app.ui.player.notes_panel import NoteDialog
from app.ui.player.player_widget import PlayerWidget
from tests.ui.annotation_helpers import LOAD_MS, demo_cache, open_session
from tests.ui.conftest import MainWindowFactory
from tests.ui.test_inspector import click_row, shown


def note_dialog(player: PlayerWidget) -> NoteDialog:
    dialogs = [dialog for dialog in player.findChildren(NoteDialog) if dialog.isVisible()]
    assert len(dialogs) == 1
    return dialogs[0]


def save(qtbot: QtBot, dialog: NoteDialog, text: str) -> None:
    dialog.editor.selectAll()
    for number, line in enumerate(text.split("\n")):
        if number:
            qtbot.keyClick(dialog.editor, Qt.Key.Key_Return)
        qtbot.keyClicks(dialog.editor, line)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


def note_texts(player: PlayerWidget) -> list[str]:
    return [entry.note.text for entry in shown(player.inspector.notes)]


def stored_notes(cache_path: Path, session_id: str) -> list[tuple[int, str]]:
    cache = Cache(cache_path)
    try:
        with cache.read_session() as session:
            return [(note.offset_ms, note.text) for note in list_notes(session, session_id)]
    finally:
        cache.close()


def reopen(qtbot: QtBot, window: MainWindow, player: PlayerWidget) -> PlayerWidget:
    session_id = player.info.id
    window.close_tab(window.tabs.indexOf(player))
    assert window.players() == []
    return open_session(qtbot, window, session_id)


def test_notes_are_added_edited_deleted_and_kept(qtbot: QtBot, main_window: MainWindowFactory,
                                                 tmp_path: Path) -> None:
    cache_path = tmp_path / "cache.sqlite3"
    ids = demo_cache(cache_path, 1)
    window = main_window()
    player = open_session(qtbot, window, ids[0])
    notes = player.inspector.notes
    assert notes.stack.currentWidget() is notes.message and "No notes yet" in notes.message.text()
    assert player.inspector.tabText(player.inspector.indexOf(notes)) == "Notes 0"

    player.controller.seek(30_000)
    moment = player.session_offset_ms()
    qtbot.keyClick(player.view.focusProxy() or player.view, Qt.Key.Key_N)
    dialog = note_dialog(player)
    assert not player.controller.playing and not dialog.save_button.isEnabled()
    save(qtbot, dialog, "Cart badge did not update")
    qtbot.waitUntil(lambda: note_texts(player) == ["Cart badge did not update"],
                    timeout=LOAD_MS)
    assert window.statusBar().currentMessage() == "Note added at 0:30.0"
    assert player.inspector.tabText(player.inspector.indexOf(notes)) == "Notes 1"
    [marker] = player.timeline_bar.layers["note"]
    assert (marker.offset_ms, marker.label) == (30_000, "Cart badge did not update")
    assert stored_notes(cache_path, ids[0]) == [(moment, "Cart badge did not update")]

    player.controller.seek(10_000)
    qtbot.mouseClick(player.note_button, Qt.MouseButton.LeftButton)
    save(qtbot, note_dialog(player), "Landing page\nloads slowly")
    qtbot.waitUntil(lambda: len(note_texts(player)) == 2, timeout=LOAD_MS)
    assert note_texts(player) == ["Landing page\nloads slowly", "Cart badge did not update"]

    player.inspector.setCurrentWidget(notes)
    click_row(qtbot, notes, 1)  # seeks to the note
    assert player.controller.offset_ms == 30_000
    assert "Cart badge did not update" in notes.details.toPlainText()
    qtbot.mouseClick(notes.edit_button, Qt.MouseButton.LeftButton)
    dialog = note_dialog(player)
    assert dialog.editor.toPlainText() == "Cart badge did not update"
    save(qtbot, dialog, "Cart badge stays at 0 after Add to cart")
    qtbot.waitUntil(lambda: "Cart badge stays at 0 after Add to cart" in note_texts(player),
                    timeout=LOAD_MS)
    assert stored_notes(cache_path, ids[0])[1] == (moment,
                                                   "Cart badge stays at 0 after Add to cart")

    click_row(qtbot, notes, 0)
    qtbot.mouseClick(notes.delete_button, Qt.MouseButton.LeftButton)
    [box] = [box for box in player.findChildren(QMessageBox) if box.isVisible()]
    assert "Landing page" in box.informativeText()
    [delete] = [button for button in box.buttons() if button.text() == "Delete"]
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: note_texts(player) == ["Cart badge stays at 0 after Add to cart"],
                    timeout=LOAD_MS)
    assert [m.offset_ms for m in player.timeline_bar.layers["note"]] == [30_000]

    player = reopen(qtbot, window, player)  # kept in the cache
    qtbot.waitUntil(lambda: note_texts(player) == ["Cart badge stays at 0 after Add to cart"],
                    timeout=LOAD_MS)
    assert [m.offset_ms for m in player.timeline_bar.layers["note"]] == [30_000]


def test_a_note_pin_tells_its_text_and_seeks_to_its_moment(
        qtbot: QtBot, main_window: MainWindowFactory, tmp_path: Path) -> None:
    cache_path = tmp_path / "cache.sqlite3"
    ids = demo_cache(cache_path, 1)
    cache = Cache(cache_path)
    with cache.session() as session:
        add_note(session, ids[0], 42_300, "The Pay button does nothing")
    cache.close()
    player = open_session(qtbot, main_window(), ids[0])
    bar = player.timeline_bar
    qtbot.waitUntil(lambda: bar.timeline is not None and bool(bar.layers["note"]),
                    timeout=LOAD_MS)

    x = round(bar._x_of(42_300))
    assert bar.markers_at(x + 2)[0].label == "The Pay button does nothing"
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(x + 2, 3))
    assert player.controller.offset_ms == 42_300  # the note's moment, not the pointer's
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(x + 40, 20))
    assert player.controller.offset_ms != 42_300  # elsewhere, the bar seeks as before


def test_the_note_editor_refuses_empty_and_overlong_notes(qtbot: QtBot) -> None:
    dialog = NoteDialog("Note at 0:01.0")
    qtbot.addWidget(dialog)
    assert not dialog.save_button.isEnabled()
    dialog.editor.setPlainText("   \n ")
    assert not dialog.save_button.isEnabled()
    dialog.editor.setPlainText("x" * 5_001)
    assert not dialog.save_button.isEnabled() and not dialog.limit_label.isHidden()
    dialog.editor.setPlainText("  fine  ")
    assert dialog.save_button.isEnabled() and dialog.text() == "fine"


def test_the_steps_to_reproduce_carry_the_notes_up_to_the_moment(
        qtbot: QtBot, main_window: MainWindowFactory, tmp_path: Path) -> None:
    cache_path = tmp_path / "cache.sqlite3"
    ids = demo_cache(cache_path, 1)
    cache = Cache(cache_path)
    with cache.session() as session:
        add_note(session, ids[0], 8_000, "Banner covers the menu")
        add_note(session, ids[0], 50_000, "Later, not in the steps")
    cache.close()
    player = open_session(qtbot, main_window(), ids[0])
    player.controller.seek(20_000)

    QGuiApplication.clipboard().clear()
    player.share_button.copy_steps()
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text().startswith(
        "**Steps to reproduce**"), timeout=LOAD_MS)
    steps = QGuiApplication.clipboard().text()
    assert "Note: Banner covers the menu (0:08)" in steps
    assert "Later" not in steps
