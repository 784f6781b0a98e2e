"""Defined events from the player: two clicks from a click in the event feed to an event
found in every cached session, shown on the timeline and in the feed; cancelling leaves
nothing; Events → Defined Events… renames and deletes them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QMenu, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.core.cache.database import Cache
from app.core.cache.models import DefinedEvent, DefinedEventHit
from app.core.definitions.rules import DefinitionRule
from app.core.definitions.store import define_event, list_definitions
from app.ui.defined_events_dialog import DefinedEventsDialog
from app.ui.main_window import MainWindow
from app.ui.player.define_dialog import DefineEventDialog
from app.ui.player.player_widget import PlayerWidget
from tests.ui.annotation_helpers import LOAD_MS, demo_cache, open_session
from tests.ui.conftest import MainWindowFactory
from tests.ui.test_inspector import click_row, shown

ADD_TO_CART = "Add to cart"
PRODUCT_BUTTON = "body > section.products > ul > li > button"


def choose_add_to_cart(qtbot: QtBot, player: PlayerWidget) -> int:
    """Click the feed's first "Add to cart" click (it seeks there); its row."""
    feed = player.inspector.feed
    row = next(number for number, entry in enumerate(shown(feed))
               if entry.event.kind == "click" and entry.event.text == ADD_TO_CART)
    click_row(qtbot, feed, row)
    return row


def define_dialog(player: PlayerWidget) -> DefineEventDialog:
    dialog = player.findChild(DefineEventDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def hits_by_session(cache_path: Path) -> dict[str, int]:
    cache = Cache(cache_path)
    try:
        with cache.read_session() as session:
            return dict(session.execute(select(DefinedEventHit.session_id, func.count())
                                        .group_by(DefinedEventHit.session_id)).all())
    finally:
        cache.close()


def test_an_event_is_defined_from_a_feed_click_in_two_clicks(
        qtbot: QtBot, main_window: MainWindowFactory, tmp_path: Path) -> None:
    ids = demo_cache(tmp_path / "cache.sqlite3", 6)
    window = main_window()
    player = open_session(qtbot, window, ids[0])
    feed = player.inspector.feed
    events_before = feed.model.total
    row = choose_add_to_cart(qtbot, player)
    clicked = feed.model.entry(row)
    assert feed.define_button.isVisible()

    qtbot.mouseClick(feed.define_button, Qt.MouseButton.LeftButton)  # one
    dialog = define_dialog(player)
    assert dialog.name_edit.text() == "Click: Add to cart"
    assert dialog.selector_edit.text() == PRODUCT_BUTTON  # no :nth-of-type(n)
    assert clicked.event.selector != PRODUCT_BUTTON
    assert (dialog.selector_box.isChecked(), dialog.text_box.isChecked(),
            dialog.url_box.isChecked()) == (True, True, False)
    assert dialog.text_edit.text() == ADD_TO_CART
    assert dialog.url_edit.text() == clicked.event.url.split("?")[0]
    assert dialog.description.text().startswith(
        f"Finds each click on {PRODUCT_BUTTON} with text “Add to cart”")
    assert dialog.define_button.isDefault() and dialog.define_button.isEnabled()
    qtbot.mouseClick(dialog.define_button, Qt.MouseButton.LeftButton)  # two

    qtbot.waitUntil(lambda: bool(player.timeline_bar.layers["defined"]), timeout=LOAD_MS)
    found = hits_by_session(tmp_path / "cache.sqlite3")
    assert len(found) > 1 and set(found) - {ids[0]}, "old sessions were searched too"
    assert window.statusBar().currentMessage() == (
        f"Defined “Click: Add to cart”: found {sum(found.values()):,} time(s) in "
        f"{len(found):,} cached session(s).")
    markers = player.timeline_bar.layers["defined"]
    assert len(markers) == found[ids[0]]
    assert {(marker.offset_ms, marker.label) for marker in markers} >= {
        (clicked.offset_ms, "Click: Add to cart")}
    # The feed lists each find just after the click it was found in.
    qtbot.waitUntil(lambda: feed.model.total == events_before + len(markers), timeout=LOAD_MS)
    entries = shown(feed)
    defined = [number for number, entry in enumerate(entries) if entry.title == "Defined"]
    assert len(defined) == len(markers)
    for number in defined:
        assert entries[number].detail == "Click: Add to cart"
        assert entries[number - 1].event.text == ADD_TO_CART
        assert entries[number - 1].offset_ms == entries[number].offset_ms
    assert player.inspector.tabText(0) == f"Events {events_before + len(markers):,}"
    click_row(qtbot, feed, defined[0])
    assert "Rule: click on body > section.products" in feed.details.toPlainText()
    assert not feed.define_button.isVisible()  # a defined event's row is not a click


# A real popup menu: the offscreen platform says it cannot raise it or grab the keyboard.
@pytest.mark.qt_log_ignore("This plugin does not support raise",
                           "This plugin does not support grabbing the keyboard")
def test_the_feed_context_menu_offers_the_definition_for_clicks_only(
        qtbot: QtBot, main_window: MainWindowFactory, tmp_path: Path) -> None:
    ids = demo_cache(tmp_path / "cache.sqlite3", 1)
    player = open_session(qtbot, main_window(), ids[0])
    feed = player.inspector.feed

    def menu_at(row: int) -> QMenu:
        where = feed.view.visualRect(feed.model.index(row, 1)).center()
        QApplication.sendEvent(feed.view.viewport(), QContextMenuEvent(
            QContextMenuEvent.Reason.Mouse, where, feed.view.viewport().mapToGlobal(where)))
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu)
        return menu

    page_row = next(number for number, entry in enumerate(shown(feed))
                    if entry.event.kind == "pageview")
    menu = menu_at(page_row)
    assert [action.isEnabled() for action in menu.actions()] == [False]
    menu.close()
    click_row_number = next(number for number, entry in enumerate(shown(feed))
                            if entry.event.text == ADD_TO_CART)
    menu = menu_at(click_row_number)
    assert feed.view.currentIndex().row() == click_row_number
    [action] = menu.actions()
    assert action.isEnabled() and action.text() == "Define Event from This Click…"
    action.trigger()
    menu.close()
    assert define_dialog(player).name_edit.text() == "Click: Add to cart"


def test_a_name_in_use_is_refused_in_the_dialog_and_enter_defines(
        qtbot: QtBot, main_window: MainWindowFactory, tmp_path: Path) -> None:
    ids = demo_cache(tmp_path / "cache.sqlite3", 3)
    cache = Cache(tmp_path / "cache.sqlite3")
    define_event(cache, "Click: Add to cart", DefinitionRule(text="Add to cart"))
    cache.close()
    window = main_window()
    player = open_session(qtbot, window, ids[0])
    choose_add_to_cart(qtbot, player)
    qtbot.mouseClick(player.inspector.feed.define_button, Qt.MouseButton.LeftButton)
    dialog = define_dialog(player)

    dialog.selector_box.setChecked(False)
    dialog.text_box.setChecked(False)
    assert not dialog.define_button.isEnabled()
    assert "needs a CSS selector, a text or a URL" in dialog.description.text()
    dialog.url_box.setChecked(True)
    assert dialog.description.text().startswith("Finds each pageview of https://")
    dialog.selector_box.setChecked(True)
    dialog.selector_edit.setText("li:hover > button")
    assert "cannot be used" in dialog.description.text()
    dialog.selector_edit.setText(PRODUCT_BUTTON)
    dialog.url_box.setChecked(False)
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "already defined" in dialog.description.text(), timeout=LOAD_MS)
    assert dialog.isVisible() and dialog.name_edit.isEnabled()

    dialog.name_edit.setText("Add to cart button")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)  # Define is the default button
    qtbot.waitUntil(lambda: "Defined “Add to cart button”"
                    in window.statusBar().currentMessage(), timeout=LOAD_MS)
    qtbot.waitUntil(lambda: {marker.label for marker in player.timeline_bar.layers["defined"]}
                    == {"Click: Add to cart", "Add to cart button"}, timeout=LOAD_MS)


def test_a_cancelled_definition_leaves_nothing(qtbot: QtBot, main_window: MainWindowFactory,
                                              tmp_path: Path) -> None:
    ids = demo_cache(tmp_path / "cache.sqlite3", 4)
    window = main_window()
    player = open_session(qtbot, window, ids[0])
    choose_add_to_cart(qtbot, player)
    qtbot.mouseClick(player.inspector.feed.define_button, Qt.MouseButton.LeftButton)
    dialog = define_dialog(player)
    gate = threading.Event()
    window.tasks.run("Keep the worker busy", lambda _context: gate.wait(LOAD_MS / 1000),
                     lambda _result: None)

    qtbot.mouseClick(dialog.define_button, Qt.MouseButton.LeftButton)
    assert dialog.running and dialog.progress.isVisible()
    assert not dialog.name_edit.isEnabled() and not dialog.define_button.isEnabled()
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.description.text() == "Cancelling…"
    gate.set()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage()
                    == "Cancelled: no event was defined.", timeout=LOAD_MS)
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=LOAD_MS)

    cache = Cache(tmp_path / "cache.sqlite3")
    try:
        with cache.read_session() as session:
            assert session.scalar(select(func.count()).select_from(DefinedEvent)) == 0
            assert session.scalar(select(func.count()).select_from(DefinedEventHit)) == 0
    finally:
        cache.close()
    assert not define_dialog_visible(player)
    assert player.timeline_bar.layers["defined"] == []


def define_dialog_visible(player: PlayerWidget) -> bool:
    dialog = player.findChild(DefineEventDialog)
    return dialog is not None and dialog.isVisible()


def open_from_menu(window: MainWindow) -> DefinedEventsDialog:
    [events_menu] = [action.menu() for action in window.menuBar().actions()
                     if action.text() == "&Events"]
    [action] = [action for action in events_menu.actions()
                if action.text() == "&Defined Events…"]
    action.trigger()
    dialog = window.findChild(DefinedEventsDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_defined_events_are_listed_renamed_and_deleted_and_players_follow(
        qtbot: QtBot, main_window: MainWindowFactory, tmp_path: Path) -> None:
    ids = demo_cache(tmp_path / "cache.sqlite3", 4)
    cache = Cache(tmp_path / "cache.sqlite3")
    define_event(cache, "Add to cart", DefinitionRule(selector=PRODUCT_BUTTON))
    define_event(cache, "Place order", DefinitionRule(text="Place order"))
    with cache.read_session() as session:
        expected = [(info.name, info.sessions, info.hits) for info in list_definitions(session)]
    cache.close()
    window = main_window()
    player = open_session(qtbot, window, ids[0])
    qtbot.waitUntil(lambda: bool(player.timeline_bar.layers["defined"]), timeout=LOAD_MS)

    dialog = open_from_menu(window)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=LOAD_MS)
    assert [(dialog.table.item(row, 0).text(), int(dialog.table.item(row, 2).text()),
             int(dialog.table.item(row, 3).text().replace(",", "")))
            for row in range(2)] == expected
    assert dialog.table.item(0, 1).text() == f"click on {PRODUCT_BUTTON}"

    dialog.table.selectRow(0)
    dialog.rename_current()
    editor = dialog.table.findChild(QLineEdit)
    assert editor is not None and editor.text() == "Add to cart"
    editor.selectAll()
    qtbot.keyClicks(editor, "Added to cart")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: [info.name for info in dialog.definitions]
                    == ["Added to cart", "Place order"], timeout=LOAD_MS)
    assert dialog.message.text() == "Renamed “Add to cart” to “Added to cart”."
    qtbot.waitUntil(lambda: "Added to cart" in {
        marker.label for marker in player.timeline_bar.layers["defined"]}, timeout=LOAD_MS)

    dialog.table.item(0, 0).setText("Place order")  # a name in use: refused, put back
    qtbot.waitUntil(lambda: "already defined" in dialog.message.text(), timeout=LOAD_MS)
    qtbot.waitUntil(lambda: dialog.table.item(0, 0).text() == "Added to cart",
                    timeout=LOAD_MS)

    dialog.table.selectRow(1)
    box = dialog.delete_current()
    assert isinstance(box, QMessageBox) and "“Place order”" in box.text()
    [delete] = [button for button in box.buttons() if button.text() == "Delete"]
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=LOAD_MS)
    qtbot.waitUntil(lambda: {marker.label for marker in player.timeline_bar.layers["defined"]}
                    == {"Added to cart"}, timeout=LOAD_MS)
    assert all(entry.detail != "Place order" for entry in shown(player.inspector.feed)
               if entry.title == "Defined")

    dialog.table.selectRow(0)
    box = dialog.delete_current()
    assert box is not None
    [delete] = [button for button in box.buttons() if button.text() == "Delete"]
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentWidget() is dialog.empty, timeout=LOAD_MS)
    assert "No events are defined yet" in dialog.empty.text()
    qtbot.waitUntil(lambda: player.timeline_bar.layers["defined"] == [], timeout=LOAD_MS)
    dialog.close()
