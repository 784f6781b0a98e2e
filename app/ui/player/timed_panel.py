"""One list of the inspector: a search box and filters over a time-ordered table, with the
details of the chosen row underneath.

Clicking a row seeks the replay there; while the replay plays, the row it has reached is
marked and, with "Follow" on, kept in view, as PostHog's and Smartlook's feeds do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.player.timed_model import TimedTableModel
from app.ui.row_tables import configure_row_table, message_or_table

SEARCH_DELAY_MS = 150  # filter once typing pauses, not on every key of a 100,000-row list
NOTHING_MATCHES = "Nothing matches the search and filters."
LOADING = "Reading the recording…"
DETAILS_HINT = "Click a row to go to that moment and see its details here."


class TimedPanel(QWidget):
    """A `TimedTableModel` in a table; subclasses add filter widgets and `entry_filter`."""

    seekRequested = Signal(int)  # offset from the replay's start, ms
    currentEntryChanged = Signal(object)  # the chosen row's entry, None when none is

    def __init__(self, model: TimedTableModel, empty_text: str, search_hint: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        model.setParent(self)
        self.empty_text = empty_text
        self.search = QLineEdit()
        self.search.setPlaceholderText(search_hint)
        self.search.setClearButtonEnabled(True)
        self.follow_button = QToolButton()
        self.follow_button.setText("Follow")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Keep the row the replay has reached in view")
        self._top_row = QHBoxLayout()
        self._top_row.addWidget(self.search, stretch=1)
        self._top_row.addWidget(self.follow_button)
        self._filter_row = QHBoxLayout()

        self.view = QTableView()
        self.view.setModel(model)
        self._configure_view()
        self.stack, self.message = message_or_table(self.view, LOADING)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText(DETAILS_HINT)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self._detail_actions = QHBoxLayout()
        self._detail_actions.setContentsMargins(0, 0, 0, 0)
        self._detail_actions.addStretch(1)
        below = QWidget()
        below_layout = QVBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.setSpacing(2)
        below_layout.addWidget(self.details, stretch=1)
        below_layout.addLayout(self._detail_actions)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.stack)
        splitter.addWidget(below)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 130])
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._top_row)
        layout.addLayout(self._filter_row)
        layout.addWidget(splitter, stretch=1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refilter)
        self.search.textChanged.connect(self._search_timer.start)
        self.view.clicked.connect(self._seek_to)
        self.view.activated.connect(self._seek_to)
        self.view.selectionModel().currentRowChanged.connect(self._show_details)
        self.follow_button.toggled.connect(lambda on: on and self._scroll_to_current())

    def _configure_view(self) -> None:
        view = self.view
        configure_row_table(view, 6, fit_width=True)
        header = view.horizontalHeader()
        header.setStretchLastSection(False)
        metrics = view.fontMetrics()
        for number, column in enumerate(self.model.columns):
            if column.sample is None:
                header.setSectionResizeMode(number, QHeaderView.ResizeMode.Stretch)
                continue
            header.setSectionResizeMode(number, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(number, max(metrics.horizontalAdvance(column.sample),
                                             metrics.horizontalAdvance(column.title)) + 16)

    def add_filter(self, widget: QWidget, beside_search: bool = False) -> None:
        """Put a filter widget beside the search box, or on the row under it."""
        if beside_search:
            self._top_row.insertWidget(self._top_row.count() - 1, widget)
        else:
            self._filter_row.addWidget(widget)

    def add_detail_action(self, widget: QWidget) -> None:
        """Put a button for the chosen row under its details."""
        self._detail_actions.addWidget(widget)

    # -- content -------------------------------------------------------------------------------

    def set_entries(self, entries: list[Any]) -> None:
        self.model.set_entries(entries, self._accept())
        self._after_reset()

    def entry_filter(self) -> Callable[[Any], bool] | None:
        """What the panel's own filters let through (None: everything)."""
        return None

    def refilter(self) -> None:
        self._search_timer.stop()
        self.model.set_filter(self._accept())
        self._after_reset()

    def _accept(self) -> Callable[[Any], bool] | None:
        needle = self.search.text().strip().lower()
        extra = self.entry_filter()
        if needle and extra is not None:
            return lambda entry: needle in entry.search and extra(entry)
        if needle:
            return lambda entry: needle in entry.search
        return extra

    def current_entry(self) -> Any | None:
        index = self.view.currentIndex()
        return self.model.entry(index.row()) if index.isValid() else None

    def _after_reset(self) -> None:
        self.details.clear()
        self.currentEntryChanged.emit(None)
        if self.model.rowCount():
            self.stack.setCurrentWidget(self.view)
            self._scroll_to_current()
        else:
            self.message.setText(NOTHING_MATCHES if self.model.total else self.empty_text)
            self.stack.setCurrentWidget(self.message)

    # -- following playback --------------------------------------------------------------------

    def set_position(self, offset_ms: int) -> None:
        if self.model.set_position(offset_ms):
            self._scroll_to_current()

    def _scroll_to_current(self) -> None:
        """Centre the reached row when it leaves the view, so what comes next shows too;
        while it stays in view, the list holds still."""
        if not self.follow_button.isChecked() or self.model.current_row < 0:
            return
        index = self.model.index(self.model.current_row, 0)
        if not self.view.viewport().rect().contains(self.view.visualRect(index)):
            self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    # -- rows ----------------------------------------------------------------------------------

    def _seek_to(self, index: QModelIndex) -> None:
        if index.isValid():
            self.seekRequested.emit(max(0, self.model.entry(index.row()).offset_ms))

    def _show_details(self, current: QModelIndex, _previous: QModelIndex) -> None:
        entry = self.model.entry(current.row()) if current.isValid() else None
        if entry is not None:
            self.details.setPlainText(self.model.details(entry))
        else:
            self.details.clear()
        self.currentEntryChanged.emit(entry)
