"""The filter bar above the session list, driven as a user drives it: "+ Filter", the editor
popover, chips to change or remove, saved segments; the list and its count follow."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import pytest
import shiboken6
from PySide6.QtCore import QDateTime, Qt, QTime
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.core.cache.database import Cache
from app.core.definitions.rules import DefinitionRule
from app.core.definitions.store import define_event, delete_definition
from app.core.search import clauses
from app.core.search.conditions import (
    HAS_ERRORS,
    AttributeIs,
    DefinedEvent,
    EventRule,
    PerformedEvent,
    SessionFilter,
    VisitedUrl,
)
from app.core.search.segments import create_segment, list_segments
from app.ui.filters.bar import FilterBar, FilterChip
from app.ui.filters.editor import (
    AttributeForm,
    DurationForm,
    EventForm,
    FilterEditor,
    StartedForm,
    UrlForm,
    VisitorForm,
)
from app.ui.filters.segments import SegmentNameDialog
from app.ui.filters.summary import RANGE_DASH as DASH
from app.ui.main_window import MainWindow
from tests.ui.conftest import MainWindowFactory
from tests.ui.synthetic_sessions import add_sessions as add_many_sessions
from tests.unit.core.test_search_filters import SESSIONS, add_sessions

BIG_CACHE_MS = 60_000
DEFINED = "Clicked Buy"  # a click on "Buy": anna's session


@pytest.fixture
def shop(cache: Cache) -> Cache:
    """Five sessions that differ in every way a filter asks about (see test_search_filters),
    and one defined event."""
    with cache.session() as session:
        add_sessions(session, SESSIONS)
    define_event(cache, DEFINED, DefinitionRule(text="Buy"))
    return cache


def settle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.tasks.busy and not window.sessions.loading,
                    timeout=BIG_CACHE_MS)


def listed(window: MainWindow) -> set[str]:
    return {window.sessions.session_at(row).source
            for row in range(window.sessions.rowCount())}


def count_text(sessions: int) -> str:
    return f"{sessions} session" + ("" if sessions == 1 else "s")


def open_kind(qtbot: QtBot, window: MainWindow, title: str) -> FilterEditor | None:
    """Choose `title` in the "+ Filter" menu; the editor it opens, its choices read."""
    bar = window.filter_bar
    bar.add_menu.aboutToShow.emit()
    action = next(a for a in bar.add_menu.actions() if a.text().rstrip("…") == title)
    assert action.isEnabled()
    action.trigger()
    settle(qtbot, window)
    return bar.editor


def closed(widget: QWidget) -> bool:
    """Hidden, or deleted already (popovers and dialogs delete themselves on closing)."""
    return not shiboken6.isValid(widget) or not widget.isVisible()


def apply(qtbot: QtBot, window: MainWindow, editor: FilterEditor) -> None:
    qtbot.mouseClick(editor.apply_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)


def chip_texts(bar: FilterBar) -> list[str]:
    return [chip.text for chip in bar.chips]


def chip(bar: FilterBar, text: str) -> FilterChip:
    return next(c for c in bar.chips if c.text == text)


def local_ms(day: str) -> int:
    return int(datetime.fromisoformat(day).timestamp() * 1000)


def fill_started(form: StartedForm) -> None:
    form.after_edit.setDateTime(QDateTime.fromMSecsSinceEpoch(local_ms("2025-03-04")))
    form.before_check.setChecked(True)
    form.before_edit.setDateTime(QDateTime.fromMSecsSinceEpoch(local_ms("2025-03-15")))


def fill_duration(form: DurationForm) -> None:
    form.min_edit.setTime(QTime(0, 1))
    form.max_check.setChecked(True)
    form.max_edit.setTime(QTime(0, 10))


def fill_url(form: UrlForm) -> None:
    form.url_edit.setText("/checkout")


def fill_url_contains(form: UrlForm) -> None:
    form.rule_combo.setCurrentIndex(form.rule_combo.findData("substring"))
    form.url_edit.setText("pricing")


def event_filler(text: str) -> Callable[[EventForm], None]:
    def fill(form: EventForm) -> None:
        form.event_combo.setCurrentIndex(form.event_combo.findText(text,
                                                                   Qt.MatchFlag.MatchContains))

    return fill


def tick(*values: str) -> Callable[[AttributeForm], None]:
    """Tick listed values by clicking their check boxes."""

    def fill(form: AttributeForm) -> None:
        for value in values:
            item = next(form.values_list.item(row) for row in range(form.values_list.count())
                        if form.values_list.item(row).text() == value)
            item.setCheckState(Qt.CheckState.Checked)

    return fill


def type_value(value: str) -> Callable[[AttributeForm], None]:
    """Type a value the list may not offer, and add it."""

    def fill(form: AttributeForm) -> None:
        assert form.add_edit is not None and form.add_button is not None
        form.add_edit.setText(value)
        form.add_button.click()
        assert form.add_edit.text() == ""

    return fill


def fill_visitor(form: VisitorForm) -> None:
    form.text_edit.setText("corp.example")


@pytest.mark.parametrize(("kind", "fill", "chip_text", "expected"), [
    ("Date range", fill_started, f"Started 2025-03-04 {DASH} 2025-03-15", {"bob", "maria"}),
    ("Duration", fill_duration, f"Duration 1:00 {DASH} 10:00", {"bob", "maria"}),
    ("Visited URL", fill_url, "Visited /checkout", {"anna", "bob", "nobody"}),
    ("Visited URL", fill_url_contains, "Visited a URL containing pricing", {"zoe"}),
    ("Performed event", event_filler("Dead click"), "Performed: Dead click", {"maria"}),
    ("Performed event", event_filler("add_to_cart"), "Performed: add_to_cart", {"zoe"}),
    ("Performed event", event_filler(DEFINED), f"Performed: {DEFINED}", {"anna"}),
    ("Device type", tick("mobile", "tablet"), "Device: mobile, tablet",
     {"bob", "maria", "zoe"}),
    ("Operating system", tick("Android"), "OS: Android", {"maria", "zoe"}),
    ("Operating system", type_value("ios"), "OS: iOS", {"bob"}),  # the one listed
    ("Operating system", type_value("Linux"), "OS: Linux", set()),
    ("Browser", tick("Chrome", "Mobile Safari"), "Browser: Chrome, Mobile Safari",
     {"anna", "bob", "maria"}),
    ("Country", type_value("cz"), "Country: CZ", {"anna", "zoe"}),
    ("Visitor", fill_visitor, "Visitor: corp.example", {"bob"}),
])
def test_each_kind_of_filter_narrows_the_list(main_window: MainWindowFactory, qtbot: QtBot,
                                              shop: Cache, kind: str,
                                              fill: Callable[..., None], chip_text: str,
                                              expected: set[str]) -> None:
    window = main_window()
    assert window.count_label.text() == "5 sessions"

    editor = open_kind(qtbot, window, kind)
    assert editor is not None and editor.isVisible()
    fill(editor.form)
    apply(qtbot, window, editor)

    assert closed(editor)
    assert chip_texts(window.filter_bar) == [chip_text]
    assert listed(window) == expected
    assert window.count_label.text() == count_text(len(expected))


@pytest.mark.parametrize(("title", "expected"), [
    ("Has errors", {"bob", "zoe"}),
    ("Has rage clicks", {"bob", "zoe"}),
])
def test_flags_are_added_at_once_and_only_once(main_window: MainWindowFactory, qtbot: QtBot,
                                               shop: Cache, title: str,
                                               expected: set[str]) -> None:
    window = main_window()

    assert open_kind(qtbot, window, title) is None  # nothing to fill in
    assert chip_texts(window.filter_bar) == [title]
    assert listed(window) == expected
    assert window.count_label.text() == count_text(len(expected))
    window.filter_bar.add_menu.aboutToShow.emit()
    assert not next(a for a in window.filter_bar.add_menu.actions()
                    if a.text() == title).isEnabled()


def test_the_choices_come_from_the_cache(main_window: MainWindowFactory, qtbot: QtBot,
                                         shop: Cache) -> None:
    window = main_window()

    browsers = open_kind(qtbot, window, "Browser")
    assert isinstance(browsers, FilterEditor) and isinstance(browsers.form, AttributeForm)
    assert [browsers.form.values_list.item(row).text()
            for row in range(browsers.form.values_list.count())] \
        == ["Chrome", "Chrome Mobile", "Mobile Safari", "Safari"]
    browsers.close()

    events = open_kind(qtbot, window, "Performed event")
    assert isinstance(events, FilterEditor)
    items = [events.form.event_combo.itemData(i) for i in range(events.form.event_combo.count())]
    assert EventRule("custom", "signup") in items and EventRule("rage_click") in items
    assert DefinedEvent(DEFINED) in items
    events.close()


def test_typing_and_enter_apply_the_editor(main_window: MainWindowFactory, qtbot: QtBot,
                                           shop: Cache) -> None:
    window = main_window()

    visitor = open_kind(qtbot, window, "Visitor")
    assert visitor is not None
    qtbot.keyClicks(visitor.form.text_edit, "ANNA")
    qtbot.keyClick(visitor.form.text_edit, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert closed(visitor)
    country = open_kind(qtbot, window, "Country")
    assert country is not None and country.form.add_edit is not None
    qtbot.keyClicks(country.form.add_edit, "cz")
    qtbot.keyClick(country.form.add_edit, Qt.Key.Key_Enter)  # adds the value and applies
    settle(qtbot, window)

    assert closed(country)
    assert chip_texts(window.filter_bar) == ["Visitor: ANNA", "Country: CZ"]
    assert listed(window) == {"anna"}


def test_a_refused_condition_keeps_the_editor_open_with_the_reason(
        main_window: MainWindowFactory, qtbot: QtBot, shop: Cache) -> None:
    window = main_window()

    editor = open_kind(qtbot, window, "Duration")
    assert isinstance(editor, FilterEditor) and isinstance(editor.form, DurationForm)
    editor.form.min_edit.setTime(QTime(0, 5))
    editor.form.max_check.setChecked(True)
    editor.form.max_edit.setTime(QTime(0, 1))
    qtbot.mouseClick(editor.apply_button, Qt.MouseButton.LeftButton)

    assert editor.isVisible()
    assert editor.error_label.text() == "a duration range's minimum is above its maximum"
    assert window.filter_bar.chips == []

    editor.form.min_check.setChecked(False)
    editor.form.max_check.setChecked(False)
    qtbot.mouseClick(editor.apply_button, Qt.MouseButton.LeftButton)
    assert "needs a minimum, a maximum or both" in editor.error_label.text()

    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert closed(editor)
    assert window.filter_bar.chips == [] and listed(window) == {s.label for s in SESSIONS}


def test_a_chip_is_changed_by_clicking_it_and_removed_by_its_button(
        main_window: MainWindowFactory, qtbot: QtBot, shop: Cache) -> None:
    window = main_window()
    bar = window.filter_bar
    editor = open_kind(qtbot, window, "Device type")
    assert editor is not None
    tick("mobile")(editor.form)
    apply(qtbot, window, editor)
    assert listed(window) == {"bob", "zoe"}

    qtbot.mouseClick(chip(bar, "Device: mobile").text_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    editor = bar.editor
    assert isinstance(editor, FilterEditor) and isinstance(editor.form, AttributeForm)
    assert editor.form.checked() == ["mobile"]  # the chip's condition, to change
    assert editor.apply_button.text() == "Apply"
    tick("tablet")(editor.form)
    apply(qtbot, window, editor)

    assert chip_texts(bar) == ["Device: mobile, tablet"]
    assert listed(window) == {"bob", "maria", "zoe"}
    assert window.count_label.text() == "3 sessions"

    qtbot.mouseClick(bar.chips[0].remove_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert bar.chips == [] and not bar.filter
    assert window.count_label.text() == "5 sessions"


def test_conditions_combine_with_and(main_window: MainWindowFactory, qtbot: QtBot,
                                     shop: Cache) -> None:
    window = main_window()
    bar = window.filter_bar

    editor = open_kind(qtbot, window, "Visited URL")
    assert editor is not None
    fill_url(editor.form)
    apply(qtbot, window, editor)
    assert listed(window) == {"anna", "bob", "nobody"}
    open_kind(qtbot, window, "Has errors")
    assert listed(window) == {"bob"}
    assert window.count_label.text() == "1 session"
    editor = open_kind(qtbot, window, "Device type")
    assert editor is not None
    tick("desktop")(editor.form)
    apply(qtbot, window, editor)
    assert listed(window) == set() and window.count_label.text() == "0 sessions"
    assert bar.problem_label.isHidden()  # nothing matches: no fault of the filter

    qtbot.mouseClick(chip(bar, "Visited /checkout").remove_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(chip(bar, "Device: desktop").remove_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert chip_texts(bar) == ["Has errors"] and listed(window) == {"bob", "zoe"}

    qtbot.mouseClick(bar.clear_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert bar.chips == [] and window.count_label.text() == "5 sessions"
    assert bar.clear_button.isHidden()


def test_the_filters_and_the_text_box_and_the_project_all_apply(
        main_window: MainWindowFactory, qtbot: QtBot, shop: Cache) -> None:
    window = main_window()
    open_kind(qtbot, window, "Has errors")
    assert listed(window) == {"bob", "zoe"}

    qtbot.keyClicks(window.filter_edit, "zo")
    qtbot.waitUntil(lambda: window.sessions.query.text == "zo")
    settle(qtbot, window)
    assert listed(window) == {"zoe"}
    assert window.sessions.query.filter == SessionFilter((HAS_ERRORS,))


# Segments -------------------------------------------------------------------------------

def menu_action(window: MainWindow, text: str, submenu: str | None = None) -> QAction:
    menu = window.filter_bar.segments.segment_menu
    if submenu is not None:
        menu = next(a.menu() for a in menu.actions() if a.text() == submenu)
    return next(a for a in menu.actions() if a.text() == text)


def name_dialog(window: MainWindow) -> SegmentNameDialog:
    return next(d for d in window.findChildren(SegmentNameDialog) if d.isVisible())


def test_filters_are_saved_as_a_segment_and_applied_again(main_window: MainWindowFactory,
                                                          qtbot: QtBot, shop: Cache) -> None:
    window = main_window()
    segments = window.filter_bar.segments
    assert segments.text() == "Segments"
    assert not menu_action(window, "Save Filters as Segment…").isEnabled()  # no filters
    open_kind(qtbot, window, "Has rage clicks")
    editor = open_kind(qtbot, window, "Device type")
    assert editor is not None
    tick("mobile")(editor.form)
    apply(qtbot, window, editor)

    menu_action(window, "Save Filters as Segment…").trigger()
    dialog = name_dialog(window)
    qtbot.keyClicks(dialog.name_edit, "Angry mobile")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: closed(dialog))
    settle(qtbot, window)
    assert segments.text() == "Segment: Angry mobile"
    with shop.read_session() as session:
        saved = list_segments(session)
    assert [(s.name, s.filter) for s in saved] == [("Angry mobile", window.filter_bar.filter)]

    qtbot.mouseClick(window.filter_bar.clear_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert segments.text() == "Segments" and window.count_label.text() == "5 sessions"

    menu_action(window, "Angry mobile").trigger()
    settle(qtbot, window)
    assert chip_texts(window.filter_bar) == ["Has rage clicks", "Device: mobile"]
    assert listed(window) == {"bob", "zoe"}
    assert window.count_label.text() == "2 sessions"
    assert menu_action(window, "Angry mobile").isChecked()


def test_a_taken_name_is_refused_in_the_dialog(main_window: MainWindowFactory, qtbot: QtBot,
                                               shop: Cache) -> None:
    with shop.session() as session:
        create_segment(session, "Errors", SessionFilter((HAS_ERRORS,)))
    window = main_window()
    open_kind(qtbot, window, "Has rage clicks")

    menu_action(window, "Save Filters as Segment…").trigger()
    dialog = name_dialog(window)
    qtbot.keyClicks(dialog.name_edit, "errors")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible())

    assert dialog.error_label.text() == "there is already a segment named 'Errors'"
    assert dialog.isVisible() and dialog.buttons.isEnabled()
    dialog.reject()


def test_a_changed_segment_can_be_saved_renamed_and_deleted(main_window: MainWindowFactory,
                                                             qtbot: QtBot, shop: Cache) -> None:
    with shop.session() as session:
        create_segment(session, "Errors", SessionFilter((HAS_ERRORS,)))
        create_segment(session, "Checkout", SessionFilter((VisitedUrl("simple", "/checkout"),)))
    window = main_window()
    segments = window.filter_bar.segments
    assert [s.name for s in segments.segments] == ["Checkout", "Errors"]

    menu_action(window, "Errors").trigger()
    settle(qtbot, window)
    editor = open_kind(qtbot, window, "Device type")
    assert editor is not None
    tick("mobile")(editor.form)
    apply(qtbot, window, editor)
    assert segments.text() == "Segment: Errors (edited)"
    menu_action(window, "Save Changes to “Errors”").trigger()
    settle(qtbot, window)
    assert segments.text() == "Segment: Errors"
    with shop.read_session() as session:
        assert list_segments(session)[1].filter == SessionFilter(
            (HAS_ERRORS, AttributeIs("device", ("mobile",))))

    menu_action(window, "Errors", submenu="Rename Segment").trigger()
    dialog = name_dialog(window)
    assert dialog.name_edit.text() == "Errors"
    dialog.name_edit.setText("Mobile errors")
    qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: closed(dialog))
    settle(qtbot, window)
    assert segments.text() == "Segment: Mobile errors"
    assert [s.name for s in segments.segments] == ["Checkout", "Mobile errors"]

    menu_action(window, "Checkout", submenu="Delete Segment").trigger()
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert "Checkout" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert [s.name for s in segments.segments] == ["Mobile errors"]
    assert segments.text() == "Segment: Mobile errors"  # another one was deleted

    menu_action(window, "Mobile errors", submenu="Delete Segment").trigger()
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert segments.segments == [] and segments.text() == "Segments"
    assert chip_texts(window.filter_bar) == ["Has errors", "Device: mobile"]  # still shown
    assert not menu_action(window, "No saved segments yet").isEnabled()


# When the filter cannot run ----------------------------------------------------------------

def test_a_deleted_defined_event_is_named_not_hidden(main_window: MainWindowFactory,
                                                     qtbot: QtBot, shop: Cache) -> None:
    search = SessionFilter((PerformedEvent(DefinedEvent(DEFINED)), HAS_ERRORS))
    with shop.session() as session:
        create_segment(session, "Buyers with errors", search)
    delete_definition(shop, DEFINED)
    window = main_window()
    bar = window.filter_bar

    menu_action(window, "Buyers with errors").trigger()
    settle(qtbot, window)

    assert window.sessions.rowCount() == 0 and window.count_label.text() == "0 sessions"
    assert bar.problem_label.isVisible()
    assert f"no event is defined as '{DEFINED}'" in bar.problem_label.text()
    broken = chip(bar, f"Performed: {DEFINED}")
    assert broken.problem == f"no event is defined as '{DEFINED}'"
    assert broken.problem in broken.text_button.toolTip()
    assert chip(bar, "Has errors").problem is None
    assert main_window.task_failures == []  # said in the bar, not as a failed task

    qtbot.mouseClick(broken.text_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    editor = bar.editor
    assert isinstance(editor, FilterEditor) and isinstance(editor.form, EventForm)
    assert editor.error_label.text() == broken.problem
    assert editor.form.event_combo.currentText() == f"{DEFINED} (no longer defined)"
    qtbot.mouseClick(editor.apply_button, Qt.MouseButton.LeftButton)
    assert editor.isVisible() and "choose another event" in editor.error_label.text()
    event_filler("Click")(editor.form)
    apply(qtbot, window, editor)

    assert bar.problem_label.isHidden()
    assert chip_texts(bar) == ["Performed: Click", "Has errors"]
    assert all(c.problem is None for c in bar.chips)
    assert listed(window) == set()  # no session has both, but the filter runs


def test_deleting_a_defined_event_in_use_shows_at_once(main_window: MainWindowFactory,
                                                       qtbot: QtBot, shop: Cache) -> None:
    window = main_window()
    editor = open_kind(qtbot, window, "Performed event")
    assert editor is not None
    event_filler(DEFINED)(editor.form)
    apply(qtbot, window, editor)
    assert listed(window) == {"anna"}

    dialog = window.open_defined_events()
    qtbot.waitUntil(lambda: dialog.current() is not None)
    box = dialog.delete_current()
    assert box is not None
    [delete] = [button for button in box.buttons() if button.text() == "Delete"]
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0)
    dialog.close()
    settle(qtbot, window)

    assert listed(window) == set()
    assert f"no event is defined as '{DEFINED}'" in window.filter_bar.problem_label.text()
    assert chip(window.filter_bar, f"Performed: {DEFINED}").problem is not None


# A large cache -----------------------------------------------------------------------------

def test_filters_run_on_the_worker_at_100000_sessions(main_window: MainWindowFactory,
                                                      qtbot: QtBot, cache: Cache,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    add_many_sessions(cache, 100_000)
    window = main_window()
    assert window.count_label.text() == "100,000 sessions"
    threads: list[str] = []
    compile_filter = clauses.filter_clauses

    def on_which_thread(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread().name)
        return compile_filter(*args, **kwargs)

    monkeypatch.setattr("app.core.cache.queries.filter_clauses", on_which_thread)

    editor = open_kind(qtbot, window, "Device type")
    assert editor is not None
    tick("tablet")(editor.form)
    qtbot.mouseClick(editor.apply_button, Qt.MouseButton.LeftButton)
    # The click returned before the answer: the window waits, it does not freeze.
    assert window.sessions.loading and window.count_label.text() == "Loading…"
    settle(qtbot, window)
    assert window.count_label.text() == "33,333 sessions"
    assert {window.sessions.session_at(row).device_type
            for row in range(window.sessions.rowCount())} == {"tablet"}

    open_kind(qtbot, window, "Has errors")  # no events in these sessions
    assert window.count_label.text() == "0 sessions"
    assert threads and all(name.startswith("tapeview-cache") for name in threads)
