"""Handing the moment on: copy a link to it, or the steps that led to it, for a bug ticket."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from app.core.cache.queries import SessionInfo, list_events
from app.core.cache.reindex import ensure_current_events
from app.core.display import local_time
from app.core.handover import SessionLink, steps_to_reproduce
from app.core.notes import list_notes
from app.ui.tasks import TaskContext, TaskManager


class ShareButton(QToolButton):
    """A "Share" menu; `copied` says what went to the clipboard, for the status line."""

    copied = Signal(str)

    def __init__(self, tasks: TaskManager, info: SessionInfo,
                 moment_ms: Callable[[], int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks, self._info, self._moment_ms = tasks, info, moment_ms
        self.setText("Share")
        self.setToolTip("Copy a link to this moment, or the steps that led to it")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        self.link_action = QAction("Copy Link to This Moment", self)
        self.link_action.triggered.connect(self.copy_link)
        self.steps_action = QAction("Copy Steps to Reproduce", self)
        self.steps_action.triggered.connect(self.copy_steps)
        menu.addAction(self.link_action)
        menu.addAction(self.steps_action)
        self.setMenu(menu)

    def link(self) -> SessionLink:
        return SessionLink(self._info.id, self._moment_ms())

    def copy_link(self) -> None:
        link = str(self.link())
        QGuiApplication.clipboard().setText(link)
        self.copied.emit(f"Copied {link}")

    def copy_steps(self) -> None:
        """The events index is read on the cache worker; the clipboard is set on return."""
        info, until_ms = self._info, self._moment_ms()
        heading = (f"**Steps to reproduce** — session {info.id[:12]}, "
                   f"{local_time(info.start_ms)}, {_device(info)}")

        def build(context: TaskContext) -> str:
            ensure_current_events(context.cache, info.id)
            with context.cache.read_session() as session:
                events = list_events(session, info.id)
                notes = list_notes(session, info.id)
            return steps_to_reproduce(info.id, events, until_ms, heading, notes)

        def done(markdown: str) -> None:
            QGuiApplication.clipboard().setText(markdown)
            steps = sum(1 for line in markdown.splitlines() if line[:1].isdigit())
            self.copied.emit(f"Copied {steps} step(s) to reproduce, as Markdown")

        self._tasks.run("Copy the steps to reproduce", build, done)


def _device(info: SessionInfo) -> str:
    parts = [part for part in (info.browser, info.os, info.device_type) if part]
    if info.viewport_width and info.viewport_height:
        parts.append(f"{info.viewport_width} \N{MULTIPLICATION SIGN} {info.viewport_height}")
    return ", ".join(parts) or "device unknown"
