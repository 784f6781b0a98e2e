"""The inspector beside the player: events, console, network, errors and the visitor, as tabs
whose titles count what each holds. The network tab is shown only for recordings with
network data; everything else says plainly when it is empty."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTabWidget, QWidget

from app.core.cache.queries import SessionInfo
from app.core.cache.visitors import VisitorSessions
from app.core.replay.inspection import Inspection
from app.ui.player.console_panel import ConsolePanel
from app.ui.player.inspector_models import ERROR_COLOUR
from app.ui.player.inspector_panels import ErrorsPanel, FeedPanel, NetworkPanel
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
        self.feed = FeedPanel()
        self.console = ConsolePanel()
        self.network = NetworkPanel()
        self.errors = ErrorsPanel()
        self.visitor = VisitorPanel(info)
        self._titles: dict[QWidget, str] = {self.feed: "Events", self.console: "Console",
                                            self.network: "Network", self.errors: "Errors",
                                            self.visitor: "Visitor"}
        for panel, title in self._titles.items():
            self.addTab(panel, title)
            if isinstance(panel, TimedPanel):
                panel.seekRequested.connect(self.seekRequested)
        self.setTabVisible(self.indexOf(self.network), False)
        self.visitor.sessionRequested.connect(self.sessionRequested)

    def timed_panels(self) -> tuple[TimedPanel, ...]:
        return self.feed, self.console, self.network, self.errors

    def show_inspection(self, inspection: Inspection) -> None:
        self.inspection = inspection
        self.feed.set_entries(inspection.feed)
        self.console.set_entries(inspection.console)
        self.network.set_entries(inspection.network)
        self.errors.set_entries(inspection.errors)
        self.visitor.show_identity(inspection.identity)
        self.setTabVisible(self.indexOf(self.network), bool(inspection.network))
        for panel in self.timed_panels():
            index = self.indexOf(panel)
            self.setTabText(index, f"{self._titles[panel]} {panel.model.total:,}")
        # An invalid colour gives the tab its usual one back (another window may have none).
        self.tabBar().setTabTextColor(self.indexOf(self.errors),
                                      ERROR_COLOUR if inspection.errors else QColor())

    def show_visitor(self, result: VisitorSessions) -> None:
        self.visitor.show_visitor(result)

    def set_position(self, offset_ms: int) -> None:
        for panel in self.timed_panels():
            panel.set_position(offset_ms)
