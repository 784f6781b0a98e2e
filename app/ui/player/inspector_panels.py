"""The inspector's event feed, network and errors lists (the console has a module of its own)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QMenu, QPushButton, QToolButton, QWidget

from app.core.definitions.suggest import can_define_from
from app.core.replay.inspection import FeedEntry, NetworkEntry
from app.ui.player.inspector_models import ErrorsModel, FeedModel, NetworkModel, type_name
from app.ui.player.timed_panel import TimedPanel

CLICK_KINDS = frozenset({"click", "dblclick", "contextmenu", "rage_click", "dead_click"})
FEED_FILTERS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("All events", None),
    ("Page views", frozenset({"pageview"})),
    ("Clicks", CLICK_KINDS),
    ("Rage and dead clicks", frozenset({"rage_click", "dead_click"})),
    ("Inputs and forms", frozenset({"input", "submit"})),
    ("Errors", frozenset({"error"})),
    ("Custom events", frozenset({"custom", "identify"})),
    ("Defined events", frozenset({"defined"})),
)
DEFINE_TEXT = "Define Event from This Click…"
DEFINE_TIP = ("Name clicks on this element (or with this text) as an event, found in every "
              "cached session")
ALL_TYPES = "All types"


class FeedPanel(TimedPanel):
    """Everything that happened, in order: click a row to watch it happen. A click's row
    (its context menu, or the button under its details) defines an event from it."""

    defineRequested = Signal(object)  # the FeedEntry of a click

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(FeedModel(), "No events were found in this recording.",
                         "Search events", parent)
        self.kind_box = QComboBox()
        self.kind_box.setToolTip("Which events to list")
        for label, kinds in FEED_FILTERS:
            self.kind_box.addItem(label, kinds)
        self.kind_box.currentIndexChanged.connect(self.refilter)
        self.add_filter(self.kind_box, beside_search=True)
        self.define_button = QPushButton(DEFINE_TEXT)
        self.define_button.setToolTip(DEFINE_TIP)
        self.define_button.hide()
        self.define_button.clicked.connect(self._define_current)
        self.add_detail_action(self.define_button)
        self.define_action = QAction(DEFINE_TEXT, self)
        self.define_action.setToolTip(DEFINE_TIP)
        self.define_action.triggered.connect(self._define_current)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_menu)
        self.currentEntryChanged.connect(self._entry_chosen)

    def entry_filter(self) -> Callable[[FeedEntry], bool] | None:
        kinds = self.kind_box.currentData()
        return None if kinds is None else lambda entry: entry.event.kind in kinds

    def _entry_chosen(self, entry: FeedEntry | None) -> None:
        definable = entry is not None and can_define_from(entry.event)
        self.define_button.setVisible(definable)
        self.define_action.setEnabled(definable)

    def _show_menu(self, where: QPoint) -> None:
        index = self.view.indexAt(where)
        if not index.isValid():
            return
        self.view.setCurrentIndex(index)  # the menu is about the row under the pointer
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction(self.define_action)
        menu.popup(self.view.viewport().mapToGlobal(where))

    def _define_current(self) -> None:
        entry = self.current_entry()
        if entry is not None and can_define_from(entry.event):
            self.defineRequested.emit(entry)


class NetworkPanel(TimedPanel):
    """The page's requests; failed ones in red."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(NetworkModel(), "No requests were recorded in this session.",
                         "Filter by URL", parent)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.type_box = QComboBox()
        self.type_box.setToolTip("Which kinds of request to list")
        self.type_box.addItem(ALL_TYPES, None)
        self.type_box.currentIndexChanged.connect(self.refilter)
        self.failed_button = QToolButton()
        self.failed_button.setText("Failed")
        self.failed_button.setCheckable(True)
        self.failed_button.setToolTip("Only requests that failed or were answered with an error")
        self.failed_button.toggled.connect(self.refilter)
        self.add_filter(self.type_box, beside_search=True)
        self.add_filter(self.failed_button, beside_search=True)

    def set_entries(self, entries: list[NetworkEntry]) -> None:
        self.type_box.blockSignals(True)
        self.type_box.clear()
        self.type_box.addItem(ALL_TYPES, None)
        for initiator in sorted({entry.initiator for entry in entries if entry.initiator}):
            self.type_box.addItem(type_name(initiator), initiator)
        self.type_box.blockSignals(False)
        super().set_entries(entries)

    def entry_filter(self) -> Callable[[NetworkEntry], bool] | None:
        initiator = self.type_box.currentData()
        failed = self.failed_button.isChecked()
        if initiator is None:
            return (lambda entry: entry.failed) if failed else None
        return lambda entry: entry.initiator == initiator and (entry.failed or not failed)


class ErrorsPanel(TimedPanel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(ErrorsModel(), "No errors were recorded in this session.",
                         "Search errors and stack traces", parent)
