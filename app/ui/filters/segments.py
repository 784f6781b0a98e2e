"""The Segments menu: apply a saved filter, save the current one, rename or delete them.

Segments live in the cache (app/core/search/segments.py), read and written on the worker;
the button keeps the list it last read to build its menu at once. The segment applied (or
saved) last is the button's text, marked "edited" once the filters move away from it, when
the menu offers to save the changes into it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.core.cache.named_rows import NAME_LIMIT
from app.core.search.conditions import SessionFilter
from app.core.search.segments import (
    SegmentError,
    SegmentInfo,
    create_segment,
    delete_segment,
    list_segments,
    rename_segment,
    update_segment,
)
from app.ui.filters.editor import ERROR_STYLE
from app.ui.filters.summary import summary
from app.ui.tasks import TaskContext, TaskManager

BUTTON_NAME_WIDTH = 220  # a longer segment name is elided on the button
Change = Callable[[Session], SegmentInfo | None]


class SegmentNameDialog(QDialog):
    """Asks for a segment's name; stays open with the reason when the name is refused."""

    nameChosen = Signal(str)

    def __init__(self, title: str, prompt: str, name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.name_edit = QLineEdit(name)
        self.name_edit.setMaxLength(NAME_LIMIT)
        self.name_edit.selectAll()
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        layout.addWidget(self.name_edit)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(360)

    def accept(self) -> None:
        """Hand the name on; `finish` or `show_error` answers once it is saved or refused."""
        self.buttons.setEnabled(False)
        self.nameChosen.emit(self.name_edit.text())

    def finish(self) -> None:
        super().accept()

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self.buttons.setEnabled(True)
        self.name_edit.setFocus()


class SegmentsButton(QPushButton):
    """Menu button of the saved segments; `applyRequested` carries the filter to show."""

    applyRequested = Signal(object)  # SessionFilter

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._segments: list[SegmentInfo] = []
        self._current: SegmentInfo | None = None
        self._filter = SessionFilter()
        self.segment_menu = QMenu(self)
        self.segment_menu.setToolTipsVisible(True)
        self._menu_parts: list[QObject] = []
        self.setMenu(self.segment_menu)
        self._update()

    @property
    def segments(self) -> list[SegmentInfo]:
        return list(self._segments)

    @property
    def current(self) -> SegmentInfo | None:
        """The segment applied or saved last, if the filters started from it."""
        return self._current

    @property
    def edited(self) -> bool:
        return self._current is not None and self._current.filter != self._filter

    def reload(self) -> None:
        """Read the segments again (the cache opened or changed)."""
        self._tasks.run("Read the segments", _read, self._listed)

    def set_filter(self, search: SessionFilter) -> None:
        """The filters shown now; cleared filters leave the segment they came from."""
        self._filter = search
        if not search:
            self._current = None
        self._update()

    def apply(self, segment: SegmentInfo) -> None:
        self._current = segment
        self._update()
        self.applyRequested.emit(segment.filter)

    # Changing segments ------------------------------------------------------------------

    def save_as(self) -> SegmentNameDialog:
        """Ask for a name, then save the current filters under it."""
        search = self._filter
        dialog = SegmentNameDialog("Save segment", "Save the current filters as a segment "
                                   "named:", parent=self.window())
        dialog.nameChosen.connect(lambda name: self._change(
            "Save the segment", lambda session: create_segment(session, name, search), dialog,
            becomes_current=True))
        dialog.open()
        return dialog

    def save_changes(self) -> None:
        current, search = self._current, self._filter
        assert current is not None
        self._change("Save the segment",
                     lambda session: update_segment(session, current.id, search),
                     becomes_current=True)

    def rename(self, segment: SegmentInfo) -> SegmentNameDialog:
        dialog = SegmentNameDialog("Rename segment", f"New name for “{segment.name}”:",
                                   segment.name, parent=self.window())
        dialog.nameChosen.connect(lambda name: self._change(
            "Rename the segment", lambda session: rename_segment(session, segment.id, name),
            dialog))
        dialog.open()
        return dialog

    def delete(self, segment: SegmentInfo) -> QMessageBox:
        """Ask first; the filters shown stay as they are."""
        box = QMessageBox(QMessageBox.Icon.Question, "Delete segment",
                          f"Delete the segment “{segment.name}”?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self.window())
        box.setInformativeText("Its filters are forgotten; sessions are not touched.")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(_result: int) -> None:
            if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
                self._change("Delete the segment",
                             lambda session: delete_segment(session, segment.id))

        box.finished.connect(answered)
        box.open()
        return box

    def _change(self, title: str, change: Change, dialog: SegmentNameDialog | None = None,
                becomes_current: bool = False) -> None:
        """Write on the worker, then show the segments as they are now. A refused name is
        said in the dialog, which stays open; a segment saved becomes the current one."""

        def work(context: TaskContext) -> tuple[SegmentInfo | None, list[SegmentInfo]]:
            with context.cache.session() as session:
                changed = change(session)
            return changed, _read(context)

        def done(result: tuple[SegmentInfo | None, list[SegmentInfo]]) -> None:
            changed, segments = result
            if becomes_current:
                self._current = changed
            self._listed(segments)
            if dialog is not None:
                dialog.finish()

        def failed(error: Exception) -> None:
            if dialog is not None and isinstance(error, SegmentError):
                dialog.show_error(str(error))
                return
            if dialog is not None:
                dialog.reject()
            self._tasks.report_error(title, error)
            self.reload()

        self._tasks.run(title, work, done, failed)

    # Showing ----------------------------------------------------------------------------

    def _listed(self, segments: list[SegmentInfo]) -> None:
        self._segments = segments
        if self._current is not None:  # renamed, changed or deleted (here or elsewhere)
            self._current = next((s for s in segments if s.id == self._current.id), None)
        self._update()

    def _update(self) -> None:
        current = self._current
        if current is None:
            self.setText("Segments")
            self.setToolTip("Apply a saved segment, or save the filters as one")
        else:
            name = self.fontMetrics().elidedText(current.name, Qt.TextElideMode.ElideRight,
                                                 BUTTON_NAME_WIDTH).replace("&", "&&")
            self.setText(f"Segment: {name}{' (edited)' if self.edited else ''}")
            self.setToolTip(f"Segment “{current.name}”"
                            + (": the filters were changed since it was applied; Segments → "
                               "Save changes keeps them in it" if self.edited else ""))
        self._build_menu()

    def _build_menu(self) -> None:
        menu = self.segment_menu
        menu.clear()
        for part in self._menu_parts:  # clear() leaves submenus and groups behind
            part.deleteLater()
        group = QActionGroup(menu)
        self._menu_parts = [group]
        for segment in self._segments:
            action = menu.addAction(segment.name.replace("&", "&&"))
            action.setCheckable(True)
            action.setChecked(self._current is not None and segment.id == self._current.id)
            action.setToolTip("\n".join(summary(c) for c in segment.filter.conditions)
                              or "No conditions: every session")
            action.triggered.connect(lambda _checked=False, s=segment: self.apply(s))
            group.addAction(action)
        if not self._segments:
            menu.addAction("No saved segments yet").setEnabled(False)
        menu.addSeparator()
        save = menu.addAction("Save Filters as Segment…")
        save.setEnabled(bool(self._filter))
        save.triggered.connect(self.save_as)
        if self._current is not None and self.edited:
            update = menu.addAction(f"Save Changes to “{self._current.name}”")
            update.triggered.connect(self.save_changes)
        for title, act in (("Rename Segment", self.rename), ("Delete Segment", self.delete)):
            submenu = menu.addMenu(title)
            submenu.setEnabled(bool(self._segments))
            self._menu_parts.append(submenu)
            for segment in self._segments:
                action = QAction(segment.name.replace("&", "&&"), submenu)
                action.triggered.connect(lambda _checked=False, s=segment, act=act: act(s))
                submenu.addAction(action)


def _read(context: TaskContext) -> list[SegmentInfo]:
    with context.cache.read_session() as session:
        return list_segments(session)
