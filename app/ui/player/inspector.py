"""The inspector beside the player: events, console, network, errors, the visitor and the
reviewers' notes, as tabs whose titles count what each holds. The network tab is shown only
for recordings with network data; everything else says plainly when it is empty.

The event feed holds what the recording says happened and, merged in at their moments, the
defined events the cache found in the session; both arrive from workers, in either order."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTabWidget, QWidget

from app.core.cache.queries import SessionInfo
from app.core.cache.visitors import VisitorSessions
from app.core.replay.inspection import FeedEntry, Inspection, merge_feed
from app.ui.player.console_panel import ConsolePanel
from app.ui.player.inspector_models import ERROR_COLOUR
from app.ui.player.inspector_panels import ErrorsPanel, FeedPanel, NetworkPanel
from app.ui.player.notes_panel import NoteEntry, NotesPanel
from app.ui.player.timed_panel import TimedPanel
from app.ui.player.visitor_panel import VisitorPanel

MINIMUM_WIDTH = 300


class Inspector(QTabWidget):
    seekRequested = Signal(int)  # offset from the replay's start, ms
    sessionRequested = Signal(object)  # a SessionInfo to open in a tab of its own

    def __init__(self, info: SessionInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.setUsesScrollButtons(True)
        self.setMinimumWidth(MINIMUM_WIDTH)
        self.inspection: Inspection | None = None
        self.defined: list[FeedEntry] = []
        self.feed = FeedPanel()
        self.console = ConsolePanel()
        self.network = NetworkPanel()
        self.errors = ErrorsPanel()
        self.visitor = VisitorPanel(info)
        self.notes = NotesPanel()
        self._titles: dict[QWidget, str] = {self.feed: "Events", self.console: "Console",
                                            self.network: "Network", self.errors: "Errors",
                                            self.visitor: "Visitor", self.notes: "Notes"}
        for panel, title in self._titles.items():
            self.addTab(panel, title)
            if isinstance(panel, TimedPanel):
                panel.seekRequested.connect(self.seekRequested)
        self.setTabVisible(self.indexOf(self.network), False)
        self.visitor.sessionRequested.connect(self.sessionRequested)

    def timed_panels(self) -> tuple[TimedPanel, ...]:
        return self.feed, self.console, self.network, self.errors, self.notes

    def show_inspection(self, inspection: Inspection) -> None:
        self.inspection = inspection
        self.feed.set_entries(merge_feed(inspection.feed, self.defined))
        self.console.set_entries(inspection.console)
        self.network.set_entries(inspection.network)
        self.errors.set_entries(inspection.errors)
        self.visitor.show_identity(inspection.identity)
        self.setTabVisible(self.indexOf(self.network), bool(inspection.network))
        self._count(self.feed, self.console, self.network, self.errors)
        # An invalid colour gives the tab its usual one back (another window may have none).
        self.tabBar().setTabTextColor(self.indexOf(self.errors),
                                      ERROR_COLOUR if inspection.errors else QColor())

    def show_defined(self, entries: list[FeedEntry]) -> None:
        """The defined events found in the shown window, as feed rows."""
        self.defined = entries
        if self.inspection is not None:
            self.feed.set_entries(merge_feed(self.inspection.feed, entries))
            self._count(self.feed)

    def show_notes(self, entries: list[NoteEntry]) -> None:
        self.notes.set_entries(entries)
        self._count(self.notes)

    def _count(self, *panels: TimedPanel) -> None:
        for panel in panels:
            self.setTabText(self.indexOf(panel), f"{self._titles[panel]} {panel.model.total:,}")

    def show_visitor(self, result: VisitorSessions) -> None:
        self.visitor.show_visitor(result)

    def set_position(self, offset_ms: int) -> None:
        for panel in self.timed_panels():
            panel.set_position(offset_ms)
