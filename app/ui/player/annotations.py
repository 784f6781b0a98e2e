"""What the cache adds to a replay: the reviewers' notes and the defined events found in it.

Both live in the cache, not in the recording, and change while the player is open (a note
written, an event defined here or renamed in another window), so they are read on the cache
worker whenever they change and laid over the timeline, the event feed and the Notes tab.
Notes count from the session's start (what links and steps use); the player counts from its
replay window's first event: the conversion happens here, in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget
from sqlalchemy.orm import Session

from app.core.cache.queries import SessionInfo
from app.core.cache.reindex import ensure_current_events
from app.core.definitions.store import DefinitionInfo, SessionHit, session_hits
from app.core.display import offset
from app.core.notes import NoteInfo, add_note, delete_note, edit_note, list_notes
from app.core.replay.inspection import FeedEntry, defined_entries
from app.core.replay.timeline import Marker
from app.ui.player.define_dialog import DefineEventDialog
from app.ui.player.inspector import Inspector
from app.ui.player.notes_panel import NoteDialog, NoteEntry, note_entry
from app.ui.player.timeline_bar import TimelineBar
from app.ui.tasks import TaskContext, TaskManager

T = TypeVar("T")
W = TypeVar("W", bound=QWidget)


class Annotations(QObject):
    """One player's notes and defined events: read, written and shown."""

    messageShown = Signal(str)  # for the window's status line

    def __init__(self, tasks: TaskManager, info: SessionInfo, timeline_bar: TimelineBar,
                 inspector: Inspector, moment_ms: Callable[[], int], player: QWidget) -> None:
        super().__init__(player)
        self._tasks, self._info, self._player = tasks, info, player
        self._timeline_bar, self._inspector, self._moment_ms = timeline_bar, inspector, moment_ms
        self._replay_start_ms = info.start_ms
        self._window = 0
        self._generation = 0  # answers about a window no longer shown are dropped
        self._closed = False

    def open_window(self, replay_start_ms: int, window: int) -> None:
        """A replay window is shown: read what belongs on its timeline and feed."""
        self._replay_start_ms, self._window = replay_start_ms, window
        self._generation += 1
        self._show_defined(self._generation, [])
        self.reload_notes()
        self.reload_defined()

    def shutdown(self) -> None:
        self._closed = True

    # -- notes ---------------------------------------------------------------------------------

    def reload_notes(self) -> None:
        session_id, generation = self._info.id, self._generation

        def read(context: TaskContext) -> list[NoteInfo]:
            with context.cache.read_session() as session:
                return list_notes(session, session_id)

        self._run("Read the notes", read, lambda notes: self._show_notes(generation, notes))

    def _show_notes(self, generation: int, notes: list[NoteInfo]) -> None:
        if generation != self._generation:
            return
        shift = self._info.start_ms - self._replay_start_ms
        entries = [note_entry(note, note.offset_ms + shift) for note in notes]
        self._inspector.show_notes(entries)
        self._timeline_bar.set_layer("note", [Marker(entry.offset_ms, "note", entry.note.text)
                                              for entry in entries])

    def add_note_here(self) -> NoteDialog:
        """Ask for a note at the moment shown now (from the session's start)."""
        at_ms = self._moment_ms()
        dialog = self._dialog(NoteDialog(f"Note at {offset(at_ms)}", parent=self._player))
        session_id = self._info.id
        # The text is read here, on the GUI thread, while the dialog still exists.
        dialog.accepted.connect(lambda: self._write_text(
            "Add a note", dialog.text(),
            lambda session, text: add_note(session, session_id, at_ms, text),
            f"Note added at {offset(at_ms)}"))
        dialog.open()
        return dialog

    def edit_note(self, entry: NoteEntry) -> NoteDialog:
        note = entry.note
        dialog = self._dialog(NoteDialog(f"Edit the Note at {offset(note.offset_ms)}",
                                         note.text, self._player))
        dialog.accepted.connect(lambda: self._write_text(
            "Edit a note", dialog.text(),
            lambda session, text: edit_note(session, note.id, text),
            f"Note at {offset(note.offset_ms)} changed"))
        dialog.open()
        return dialog

    def delete_note(self, entry: NoteEntry) -> QMessageBox:
        """Ask first: a deleted note is gone from the cache."""
        note = entry.note
        box = self._dialog(QMessageBox(QMessageBox.Icon.Question, "Delete the Note",
                                       f"Delete the note at {offset(note.offset_ms)}?",
                                       QMessageBox.StandardButton.Cancel, self._player))
        box.setInformativeText(note.text if len(note.text) <= 300 else note.text[:299] + "…")
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(lambda button: button == delete and self._write(
            "Delete a note", lambda session: delete_note(session, note.id),
            f"Note at {offset(note.offset_ms)} deleted"))
        box.open()
        return box

    def _write_text(self, title: str, text: str, change: Callable[[Session, str], Any],
                    message: str) -> None:
        """Write what a dialog said: its text, taken now, goes to the worker, not the
        dialog (deleted once closed, and a widget is the GUI thread's alone)."""
        self._write(title, lambda session: change(session, text), message)

    def _write(self, title: str, change: Callable[[Session], Any], message: str) -> None:
        def work(context: TaskContext) -> None:
            with context.cache.session() as session:
                change(session)

        def done(_result: None) -> None:
            self.messageShown.emit(message)
            self.reload_notes()

        self._run(title, work, done)

    # -- defined events ------------------------------------------------------------------------

    def reload_defined(self) -> None:
        session_id, window, generation = self._info.id, self._window, self._generation

        def read(context: TaskContext) -> list[SessionHit]:
            ensure_current_events(context.cache, session_id)  # hits need the current index
            with context.cache.read_session() as session:
                return session_hits(session, session_id, window)

        self._run("Find the defined events", read,
                  lambda hits: self._show_defined(generation, defined_entries(
                      hits, self._replay_start_ms)))

    def _show_defined(self, generation: int, entries: list[FeedEntry]) -> None:
        if generation != self._generation:
            return
        self._inspector.show_defined(entries)
        self._timeline_bar.set_layer("defined", [Marker(entry.offset_ms, "defined", entry.detail)
                                                 for entry in entries])

    def define_from(self, entry: FeedEntry) -> DefineEventDialog:
        """The dialog for an event defined from a click of the feed, filled in from it."""
        dialog = self._dialog(DefineEventDialog(self._tasks, entry.event, self._player))
        dialog.defined.connect(self._defined)
        dialog.cancelled.connect(lambda: self.messageShown.emit(
            "Cancelled: no event was defined."))
        dialog.open()
        return dialog

    def _defined(self, info: DefinitionInfo) -> None:
        self.messageShown.emit(f"Defined “{info.name}”: found {info.hits:,} time(s) in "
                               f"{info.sessions:,} cached session(s).")
        reload_all_defined(self._player.window())

    # -- helpers -------------------------------------------------------------------------------

    def _run(self, title: str, work: Callable[[TaskContext], T],
             on_done: Callable[[T], None]) -> None:
        """Cache work whose answer is dropped once the player has closed."""
        self._tasks.run(title, work, lambda result: None if self._closed else on_done(result))

    @staticmethod
    def _dialog(dialog: W) -> W:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return dialog


def reload_all_defined(window: QWidget) -> None:
    """Every player of the window shows the defined events as the cache now has them."""
    for layer in window.findChildren(Annotations):
        layer.reload_defined()
