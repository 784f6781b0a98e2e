"""The inspector's Notes tab and the note editor: what reviewers wrote at moments of the
session, kept in the cache. Click a note to go to its moment."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.display import local_time, offset
from app.core.notes import TEXT_LIMIT, NoteInfo
from app.ui.player.timed_model import Column, TimedTableModel, time_column
from app.ui.player.timed_panel import TimedPanel

EMPTY_TEXT = ("No notes yet. Press N or “Add Note” to write down what you see at this "
              "moment; notes are kept with the session in the cache.")


@dataclass(frozen=True, slots=True)
class NoteEntry:
    """A note as the player shows it: timed from the replay's first event, as rows are."""

    offset_ms: int
    note: NoteInfo
    search: str


def note_entry(note: NoteInfo, offset_ms: int) -> NoteEntry:
    return NoteEntry(offset_ms, note, note.text.lower())


class NotesModel(TimedTableModel):
    columns = (time_column(),
               Column("Note", lambda entry: " ".join(entry.note.text.split()), None))

    def tooltip(self, entry: NoteEntry) -> str:
        return entry.note.text[:1_000]

    def details(self, entry: NoteEntry) -> str:
        note = entry.note
        edited = f", edited {local_time(note.updated_ms)}" \
            if note.updated_ms != note.created_ms else ""
        return f"Note at {offset(entry.offset_ms)} (written {local_time(note.created_ms)}" \
               f"{edited})\n\n{note.text}"


class NotesPanel(TimedPanel):
    addRequested = Signal()
    editRequested = Signal(object)  # a NoteEntry
    deleteRequested = Signal(object)  # a NoteEntry

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(NotesModel(), EMPTY_TEXT, "Search notes", parent)
        self.message.setText("Reading the notes…")
        self.add_button = _button("Add Note", "Add a note at this moment (N)")
        self.add_button.clicked.connect(self.addRequested)
        self.edit_action = QAction("Edit…", self)
        self.edit_action.setToolTip("Change the chosen note's text")
        self.edit_action.triggered.connect(lambda: self._request(self.editRequested))
        self.delete_action = QAction("Delete", self)
        self.delete_action.setToolTip("Delete the chosen note")
        self.delete_action.triggered.connect(lambda: self._request(self.deleteRequested))
        self.edit_button, self.delete_button = QToolButton(), QToolButton()
        self.edit_button.setDefaultAction(self.edit_action)
        self.delete_button.setDefaultAction(self.delete_action)
        for button in (self.add_button, self.edit_button, self.delete_button):
            self.add_filter(button)
        self._filter_row.addStretch(1)
        self.view.doubleClicked.connect(lambda _index: self._request(self.editRequested))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_menu)
        delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.view)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.activated.connect(self.delete_action.trigger)
        self.currentEntryChanged.connect(self._entry_chosen)
        self._entry_chosen(None)

    def _entry_chosen(self, entry: NoteEntry | None) -> None:
        self.edit_action.setEnabled(entry is not None)
        self.delete_action.setEnabled(entry is not None)

    def _request(self, signal: Signal) -> None:
        entry = self.current_entry()
        if entry is not None:
            signal.emit(entry)  # type: ignore[attr-defined]

    def _show_menu(self, where: QPoint) -> None:
        index = self.view.indexAt(where)
        if not index.isValid():
            return
        self.view.setCurrentIndex(index)
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addActions([self.edit_action, self.delete_action])
        menu.popup(self.view.viewport().mapToGlobal(where))


class NoteDialog(QDialog):
    """Write or change one note; Ctrl+Enter saves."""

    def __init__(self, title: str, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumSize(420, 220)
        heading = QLabel(title)
        heading.setStyleSheet("font-weight: bold")
        self.editor = QPlainTextEdit(text)
        self.editor.setPlaceholderText("What happens here? (e.g. “The Pay button does "
                                       "nothing; the console shows a TypeError”)")
        self.editor.setTabChangesFocus(True)
        self.limit_label = QLabel()
        self.limit_label.setStyleSheet("color: #d93025")
        self.limit_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip("Save the note (Ctrl+Enter)")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.editor, stretch=1)
        layout.addWidget(self.limit_label)
        layout.addWidget(self.buttons)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self._save_if_valid)
        self.editor.textChanged.connect(self._check)
        self.editor.moveCursor(QTextCursor.MoveOperation.End)
        self._check()

    def text(self) -> str:
        return self.editor.toPlainText().strip()

    def _check(self) -> None:
        length = len(self.text())
        too_long = length > TEXT_LIMIT
        self.limit_label.setText(f"{length:,} characters: a note holds at most {TEXT_LIMIT:,}.")
        self.limit_label.setVisible(too_long)
        self.save_button.setEnabled(0 < length <= TEXT_LIMIT)

    def _save_if_valid(self) -> None:
        if self.save_button.isEnabled():
            self.accept()


def _button(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    return button
