"""Events → Defined Events…: the events defined in this cache, how often each was found, and
renaming or deleting them. Open players follow every change (their timelines and feeds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.definitions.rules import DefinitionError
from app.core.definitions.store import (
    DefinitionInfo,
    delete_definition,
    list_definitions,
    rename_definition,
)
from app.ui import formatting
from app.ui.player.annotations import reload_all_defined
from app.ui.tasks import TaskContext, TaskManager

COLUMNS = ("Name", "Finds", "Sessions", "Times")
EMPTY_TEXT = ("No events are defined yet.\n\nDefine one from a click in a replay: choose the "
              "click in the inspector's event feed, then “Define Event from This Click…”. "
              "From the shell: tapeview define-event.")
ERROR_STYLE = "color: #d93025"


class DefinedEventsDialog(QDialog):
    """`on_change` runs after each rename or delete, even once the dialog is closed."""

    def __init__(self, tasks: TaskManager, on_change: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Defined Events")
        self.resize(720, 380)
        self._tasks, self._on_change = tasks, on_change
        self._closed = False  # answers arriving later find no widgets to fill
        self.definitions: list[DefinitionInfo] = []

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 200)
        for column in (2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel("Reading the defined events…")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        self.message = QLabel()
        self.message.setWordWrap(True)

        self.rename_button = QPushButton("Rename")
        self.rename_button.setToolTip("Give the chosen event another name (or double-click "
                                      "its name)")
        self.rename_button.clicked.connect(self.rename_current)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setToolTip("Delete the chosen event; the sessions are untouched")
        self.delete_button.clicked.connect(self.delete_current)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.rename_button)
        row.addWidget(self.delete_button)
        row.addStretch(1)
        row.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, stretch=1)
        layout.addWidget(self.message)
        layout.addLayout(row)

        self.table.itemChanged.connect(self._name_edited)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self._update_buttons()
        self.reload()

    # -- reading -------------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        def read(context: TaskContext) -> list[DefinitionInfo]:
            with context.cache.read_session() as session:
                return list_definitions(session)

        chosen = select or (self.current().name if self.current() else None)
        self._tasks.run("Read the defined events", read,
                        lambda definitions: self._show(definitions, chosen))

    def _show(self, definitions: list[DefinitionInfo], select: str | None) -> None:
        if self._closed:
            return
        self.definitions = definitions
        self.table.blockSignals(True)
        self.table.setRowCount(len(definitions))
        for row, info in enumerate(definitions):
            name = QTableWidgetItem(info.name)
            name.setToolTip("Double-click to rename")
            cells = [name, _cell(info.rule.describe()), _cell(f"{info.sessions:,}", True),
                     _cell(f"{info.hits:,}", True)]
            for column, item in enumerate(cells):
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)
        self.empty.setText(EMPTY_TEXT)
        self.stack.setCurrentWidget(self.table if definitions else self.empty)
        names = [info.name for info in definitions]
        if definitions:
            self.table.selectRow(names.index(select) if select in names else 0)
        self._update_buttons()

    def current(self) -> DefinitionInfo | None:
        row = self.table.currentRow()
        return self.definitions[row] if 0 <= row < len(self.definitions) \
            and self.table.selectionModel().hasSelection() else None

    def _update_buttons(self) -> None:
        chosen = self.current() is not None
        self.rename_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    # -- changing ------------------------------------------------------------------------------

    def rename_current(self) -> None:
        """Edit the chosen name in place; it is saved when the edit ends."""
        row = self.table.currentRow()
        if self.current() is not None:
            self.table.editItem(self.table.item(row, 0))

    def _name_edited(self, item: QTableWidgetItem) -> None:
        if item.column() != 0 or not 0 <= item.row() < len(self.definitions):
            return
        old, new = self.definitions[item.row()].name, item.text()
        if new.strip() == old:
            return
        self._change(f"Rename “{old}”", lambda cache: rename_definition(cache, old, new),
                     f"Renamed “{old}” to “{' '.join(new.split())}”.", " ".join(new.split()))

    def delete_current(self) -> QMessageBox | None:
        """Ask first: the event's name disappears from filters, funnels and timelines."""
        info = self.current()
        if info is None:
            return None
        box = QMessageBox(QMessageBox.Icon.Question, "Delete the Defined Event",
                          f"Delete the defined event “{info.name}”?",
                          QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText(f"It was found {info.hits:,} time(s) in {info.sessions:,} "
                               "session(s). The sessions stay; filters and segments that use "
                               "it will no longer work.")
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: button == delete and self._change(
            f"Delete “{info.name}”", lambda cache: delete_definition(cache, info.name),
            f"Deleted “{info.name}”."))
        box.open()
        return box

    def _change(self, title: str, change: Callable[[Any], None], message: str,
                select: str | None = None) -> None:
        def work(context: TaskContext) -> None:
            change(context.cache)

        def done(_result: None) -> None:
            self._on_change()
            if not self._closed:
                self._say(message)
                self.reload(select)

        def failed(error: Exception) -> None:
            if not isinstance(error, DefinitionError):
                self._tasks.report_error(title, error)
            if self._closed:
                return
            self.reload()  # puts a refused name back as it was
            self._say(formatting.sentence(str(error)) if isinstance(error, DefinitionError)
                      else f"{title} failed.", error=True)

        self._tasks.run(title, work, done, failed)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else "")

    def done(self, result: int) -> None:
        self._closed = True
        super().done(result)


def show_defined_events(tasks: TaskManager, window: QWidget) -> DefinedEventsDialog:
    """Open the dialog over `window`; its open players follow the changes made in it."""
    dialog = DefinedEventsDialog(tasks, lambda: reload_all_defined(window), window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def _cell(text: str, number: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    item.setToolTip(text)
    if number:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item
