"""The main window: project picker, filter, session list and details over the local cache.

The window only ever asks the cache worker for things and shows the answers; opening the
cache, counting, paging and importing all happen on the worker (see `app.ui.tasks`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QModelIndex, Qt, Signal, qVersion
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabBar,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.core.cache.database import Cache, resolve_cache_url
from app.core.cache.queries import ProjectInfo, SessionInfo, find_session, list_projects
from app.core.credentials import TokenStore
from app.core.handover import SCHEME as LINK_SCHEME
from app.core.handover import LinkError, parse_session_link
from app.core.sync.choice import SyncedServer
from app.ui import formatting
from app.ui.connect_dialog import ConnectDialog
from app.ui.defined_events_dialog import DefinedEventsDialog, show_defined_events
from app.ui.details_pane import DetailsPane
from app.ui.empty_state import EmptyState
from app.ui.filters.bar import FilterBar
from app.ui.import_controller import (
    FILE_DIALOG_FILTERS,
    ImportController,
    ImportOutcome,
    paths_from_mime,
)
from app.ui.import_widgets import ImportSummaryDialog
from app.ui.player.player_widget import PlayerWidget
from app.ui.project_picker import ProjectPicker
from app.ui.row_tables import configure_row_table
from app.ui.session_model import COLUMN_OF_SORT, COLUMNS, SessionTableModel
from app.ui.sync_controller import SyncController, SyncOutcome, default_demo_folder
from app.ui.task_progress import TaskProgress
from app.ui.tasks import TaskContext, TaskManager, describe_error

if TYPE_CHECKING:
    from app.ui.funnels.view import FunnelView
    from app.ui.heatmaps.view import HeatmapView

TITLE = "Tapeview"
FILTER_PLACEHOLDER = "Filter by session id, page URL, visitor or file name"
STATUS_MESSAGE_MS = 15_000
AnalysisView = TypeVar("AnalysisView", bound=QWidget)


def _runs_work(tab: QWidget) -> bool:
    """Whether a tab (a replay, a heatmap, a funnel) has work to stop when it closes."""
    return callable(getattr(tab, "shutdown", None))


def load_projects(cache: Cache) -> list[ProjectInfo]:
    """The projects with their session counts (runs on the worker)."""
    with cache.read_session() as session:
        return list_projects(session)


class MainWindow(QMainWindow):
    """Browse the cached sessions; import recordings by menu, button or drag and drop."""

    cacheFailed = Signal(str)  # why the cache cannot be opened, for the user
    refreshed = Signal(int)  # sessions in the cache, after the projects were (re)read

    def __init__(self, cache_location: str | None = None, *,
                 tokens: TokenStore | None = None, demo_folder: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self._cache_location = cache_location
        self._cache_description: str | None = None
        self._files_on_open: list[Path] = []
        self._links_on_open: list[str] = []
        self.import_summary: ImportSummaryDialog | None = None

        self.tasks = TaskManager(self)
        self.tasks.failed.connect(self._show_error)
        self.sessions = SessionTableModel(self.tasks, self)
        self.importer = ImportController(self.tasks, self)
        self.syncer = SyncController(self.tasks, tokens or TokenStore(),
                                     demo_folder or default_demo_folder(), self)
        self._last_server_url = ""

        self._pages = QStackedWidget()
        self._opening = QLabel("Opening the cache…")
        self._opening.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._opening.setWordWrap(True)
        self.empty_state = EmptyState()
        self._pages.addWidget(self._opening)
        self._pages.addWidget(self.empty_state)
        self._browser = self._build_browser()
        self._pages.addWidget(self._browser)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.addTab(self._pages, "Sessions")
        self.tabs.tabBar().setTabButton(0, QTabBar.ButtonPosition.RightSide, None)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.setCentralWidget(self.tabs)
        self._build_menus()
        self._build_status_bar()
        self._connect()

    # Starting -----------------------------------------------------------------------------

    def start(self, files: Sequence[Path] = (), links: Sequence[str] = ()) -> None:
        """Open the cache on the worker, then show it (import `files` into it, open the
        session `links`)."""
        self._files_on_open = list(files)
        self._links_on_open = list(links)
        self.tasks.open_cache(self._cache_location, self._cache_opened, self._cache_not_opened)

    @property
    def browsing(self) -> bool:
        """Whether the session list (not the empty state or the opening page) is shown."""
        return self._pages.currentWidget() is self._browser

    @property
    def showing_empty_state(self) -> bool:
        return self._pages.currentWidget() is self.empty_state

    def _cache_opened(self, description: str) -> None:
        self._cache_description = description
        self._update_cache_label(None)
        self.refresh()
        if self._files_on_open:
            self.import_paths(self._files_on_open)
            self._files_on_open = []
        for link in self._links_on_open:
            self.open_link(link)
        self._links_on_open = []

    def _cache_not_opened(self, error: Exception) -> None:
        message = describe_error(error)
        self._opening.setText(f"The cache could not be opened.\n\n{message}")
        self.cacheFailed.emit(message)

    def refresh(self) -> None:
        """Re-read projects and the session list, after the cache changed."""
        self.tasks.run("Read the projects", lambda context: load_projects(context.cache),
                       self._projects_loaded)
        self.sessions.refresh()
        self.filter_bar.segments.reload()
        self._refresh_sync_status()

    def _refresh_sync_status(self) -> None:
        self.syncer.servers(self._show_sync_status)

    def _show_sync_status(self, servers: list[SyncedServer]) -> None:
        if not servers:
            self.sync_label.setText("Not synced")
            self.sync_label.setToolTip("Connect to a server with File → Connect to Server…")
            return
        self._last_server_url = servers[0].server_url
        last = max((s.last_sync_ms for s in servers if s.last_sync_ms), default=None)
        when = formatting.time_ago(last, int(time.time() * 1000)) if last else "never"
        self.sync_label.setText(f"Synced {when}")
        self.sync_label.setToolTip("\n".join(
            f"{server.server_url}: {len(server.chosen_project_ids)} project(s) chosen"
            for server in servers))

    def _projects_loaded(self, projects: list[ProjectInfo]) -> None:
        self.project_picker.set_projects(projects)
        total = sum(project.session_count for project in projects)
        self._update_cache_label(total)
        self._pages.setCurrentWidget(self._browser if total else self.empty_state)
        self.refreshed.emit(total)

    # Importing ----------------------------------------------------------------------------

    def open_import_dialog(self) -> QFileDialog:
        """Ask for recordings without blocking: the import starts when files are chosen."""
        dialog = QFileDialog(self, "Import recordings")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilters(list(FILE_DIALOG_FILTERS))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(lambda files: self.import_paths([Path(f) for f in files]))
        dialog.open()
        return dialog

    def import_paths(self, paths: Sequence[Path]) -> bool:
        """Import files and folders; what menus, drops and the command line all call."""
        if not paths:
            return False
        if self._cache_description is None:
            self.statusBar().showMessage("The cache is not open; nothing was imported.",
                                         STATUS_MESSAGE_MS)
            return False
        if not self.importer.start(paths):
            self.statusBar().showMessage("An import is already running: drop the files again "
                                         "when it has finished.", STATUS_MESSAGE_MS)
            return False
        return True

    def load_demo(self) -> bool:
        """Fill the cache with the demo sessions (a first run with nothing to import)."""
        if self._cache_description is None or not self.importer.start_demo():
            self.statusBar().showMessage("Wait for the cache to open and any import to finish.",
                                         STATUS_MESSAGE_MS)
            return False
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if paths_from_mime(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if paths_from_mime(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.import_paths(paths_from_mime(event.mimeData())):
            event.acceptProposedAction()

    def _import_finished(self, outcome: ImportOutcome) -> None:
        self.statusBar().showMessage(outcome.summary(), STATUS_MESSAGE_MS)
        if outcome.rejected:
            self.import_summary = ImportSummaryDialog(outcome, self)
            self.import_summary.show()

    # Syncing ------------------------------------------------------------------------------

    def open_connect_dialog(self) -> ConnectDialog:
        """Sign in to a server and choose its projects; the sync starts when they are chosen."""
        dialog = ConnectDialog(self.syncer, self._last_server_url, self)
        dialog.syncRequested.connect(lambda request: self._start_sync(
            lambda: self.syncer.start([request])))
        dialog.demoRequested.connect(self.start_demo_server)
        dialog.open()
        return dialog

    def sync_now(self) -> bool:
        return self._start_sync(self.syncer.sync_now)

    def start_demo_server(self) -> bool:
        return self._start_sync(self.syncer.start_demo)

    def _start_sync(self, start: Callable[[], bool]) -> bool:
        if self._cache_description is None or not start():
            self.statusBar().showMessage("Wait for the cache to open and the sync running now "
                                         "to finish.", STATUS_MESSAGE_MS)
            return False
        return True

    def _sync_finished(self, outcome: SyncOutcome) -> None:
        self.statusBar().showMessage(outcome.summary(), STATUS_MESSAGE_MS)

    def _sync_failed(self, message: str) -> None:
        self._show_error("Sync", message)

    # Showing ------------------------------------------------------------------------------

    def _show_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.details.show_session(
            self.sessions.session_at(current.row()) if current.isValid() else None)

    def _keep_selection(self) -> None:
        """After the list was re-queried, select the session shown before if it is loaded."""
        shown = self.details.session
        row = self.sessions.row_of(shown.id) if shown is not None else None
        if row is None:
            self.details.show_session(None)
        else:
            self.view.selectRow(row)

    def _update_count(self) -> None:
        if self.sessions.loading:
            self.count_label.setText("Loading…")
        else:
            self.count_label.setText(formatting.sessions_count(self.sessions.total))

    def _update_cache_label(self, total: int | None) -> None:
        description = formatting.cache_location(self._cache_description or "")
        elided = self.cache_label.fontMetrics().elidedText(
            description, Qt.TextElideMode.ElideMiddle, 420)
        suffix = "" if total is None else f" · {formatting.sessions_count(total)}"
        self.cache_label.setText(f"Cache: {elided}{suffix}")
        self.cache_label.setToolTip(description)

    def _show_error(self, title: str, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, TITLE, f"{title} failed.",
                          QMessageBox.StandardButton.Ok, self)
        box.setInformativeText(message)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def show_about(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Information, f"About {TITLE}",
                          f"<h3>{TITLE} {__version__}</h3>"
                          "<p>Replays recorded user sessions (rrweb recordings) offline, "
                          "from a local cache.</p>"
                          f"<p>Qt {qVersion()}, PySide6 {pyside_version}</p>",
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def open_defined_events(self) -> DefinedEventsDialog:
        """Events → Defined Events…: list, rename and delete the events defined in the cache."""
        dialog = show_defined_events(self.tasks, self)
        # The list's filter may name an event renamed or deleted there: run it again.
        dialog.finished.connect(self.sessions.refresh)
        return dialog

    # Replaying ---------------------------------------------------------------------------

    def players(self) -> list[PlayerWidget]:
        return [w for i in range(self.tabs.count())
                if isinstance(w := self.tabs.widget(i), PlayerWidget)]

    def open_replay(self, info: SessionInfo | None = None) -> PlayerWidget | None:
        """Replay a session in a tab of its own (the selected one by default)."""
        info = info or self.details.session
        if info is None:
            return None
        for player in self.players():
            if player.info.id == info.id:
                self.tabs.setCurrentWidget(player)
                return player
        player = PlayerWidget(self.tasks, info)
        player.sessionRequested.connect(self.open_replay)  # the visitor's other sessions
        player.heatmapRequested.connect(lambda url: self.open_heatmap(url, info.id))
        player.messageShown.connect(
            lambda message: self.statusBar().showMessage(message, STATUS_MESSAGE_MS))
        index = self.tabs.addTab(player, f"Replay {info.id[:8]}")
        self.tabs.setTabToolTip(index, f"{info.landing_page or info.id}\n"
                                       f"{formatting.local_time(info.start_ms)}")
        self.tabs.setCurrentIndex(index)
        player.view.setFocus()
        return player

    def open_link(self, text: str) -> bool:
        """Open a `tapeview://session/ID?t=SECONDS` link: the session, at that moment."""
        try:
            link = parse_session_link(text)
        except LinkError as exc:
            self._show_error("Open the link", str(exc))
            return False

        self.open_session_at(link.session_id, link.offset_ms, "Open the link")
        return True

    def open_session_at(self, session_id: str, offset_ms: int,
                        title: str = "Replay the session") -> None:
        """Replay a session (by id or unique prefix) from `offset_ms` after its start."""
        def find(context: TaskContext) -> SessionInfo | None:
            with context.cache.read_session() as session:
                return find_session(session, session_id)

        def found(info: SessionInfo | None) -> None:
            if info is None:
                self._show_error(title, f"No session in this cache has the id "
                                 f"{session_id!r} (or it is the start of several). Sync "
                                 "or import the session first.")
                return
            player = self.open_replay(info)
            if player is not None:
                player.seek_to_session_offset(offset_ms)

        self.tasks.run(title, find, found)

    def handle_arguments(self, arguments: Sequence[str]) -> None:
        """What a later start of the app passed on: links to open, files to import."""
        self.showNormal()
        self.raise_()
        self.activateWindow()
        links = [a for a in arguments if a.startswith(f"{LINK_SCHEME}://")]
        files = [Path(a) for a in arguments if not a.startswith(f"{LINK_SCHEME}://")]
        if self._cache_description is None:
            self._links_on_open += links
            self._files_on_open += files
            return
        for link in links:
            self.open_link(link)
        if files:
            self.import_paths(files)

    def open_heatmap(self, page: str | None = None,
                     prefer: str | None = None) -> HeatmapView | None:
        """Analyze → Heatmap: a tab with the heatmap of `page` (a URL; drawn from session
        `prefer` if it can be), else of the most visited page."""
        # The analysis tabs load pyqtgraph (~0.3 s): on first use, not at every start.
        from app.ui.heatmaps.view import HeatmapView

        return self._open_analysis(lambda: HeatmapView(self.tasks, resolve_cache_url(
            self._cache_location), lambda: self.sessions.query, page, prefer), "Heatmap")

    def open_funnel(self) -> FunnelView | None:
        """Analyze → Funnel: a tab to define and count a funnel."""
        from app.ui.funnels.view import FunnelView

        return self._open_analysis(lambda: FunnelView(self.tasks, lambda: self.sessions.query),
                                   "Funnel")

    def _open_analysis(self, make: Callable[[], AnalysisView],
                       title: str) -> AnalysisView | None:
        """A tab of `make()`'s, whose sessions replay in tabs of their own."""
        if self._cache_description is None:
            self.statusBar().showMessage("Wait for the cache to open.", STATUS_MESSAGE_MS)
            return None
        view = make()
        view.replayRequested.connect(lambda session_id, offset_ms: self.open_session_at(
            session_id, offset_ms))
        view.messageShown.connect(
            lambda message: self.statusBar().showMessage(message, STATUS_MESSAGE_MS))
        self.tabs.setCurrentIndex(self.tabs.addTab(view, title))
        return view

    def close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if _runs_work(widget):
            self.tabs.removeTab(index)
            widget.shutdown()
            widget.deleteLater()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the worker with the window: cancel work, close the cache, join the thread."""
        for dialog in self.findChildren(QDialog):
            dialog.close()
        for index in range(self.tabs.count()):
            widget = self.tabs.widget(index)
            if _runs_work(widget):
                widget.shutdown()
        self.tasks.shutdown()
        self.syncer.shutdown()
        super().closeEvent(event)

    # Building -----------------------------------------------------------------------------

    def _build_browser(self) -> QWidget:
        self.project_picker = ProjectPicker()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(FILTER_PLACEHOLDER)
        self.filter_edit.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self.count_label.setMinimumWidth(self.count_label.fontMetrics().horizontalAdvance(
            "000,000 sessions"))
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar = QHBoxLayout()
        bar.addWidget(self.project_picker)
        bar.addWidget(self.filter_edit, stretch=1)
        bar.addWidget(self.count_label)
        self.filter_bar = FilterBar(self.tasks)

        self.view = QTableView()
        self.view.setModel(self.sessions)
        self._configure_view()
        self.details = DetailsPane()

        sessions = QWidget()
        layout = QVBoxLayout(sessions)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.addLayout(bar)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.view)
        splitter = QSplitter()
        splitter.addWidget(sessions)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 380])
        splitter.setChildrenCollapsible(False)
        return splitter

    def _configure_view(self) -> None:
        view = self.view
        configure_row_table(view, 8)
        view.setAlternatingRowColors(True)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        metrics = view.fontMetrics()
        for number, column in enumerate(COLUMNS):
            widest = max(metrics.horizontalAdvance(column.sample),
                         metrics.horizontalAdvance(column.title))
            header.resizeSection(number, widest + 22)  # room for padding and the sort arrow
        # The landing page takes the width left over, so the list fits without scrolling.
        header.setSectionResizeMode(COLUMN_OF_SORT["landing"], QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(COLUMN_OF_SORT["start"], Qt.SortOrder.DescendingOrder)
        view.setSortingEnabled(True)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        import_action = QAction("&Import Recordings…", self)
        import_action.setShortcut(QKeySequence.StandardKey.Open)
        import_action.triggered.connect(self.open_import_dialog)
        file_menu.addAction(import_action)
        demo_action = QAction("Load &Demo Sessions", self)
        demo_action.triggered.connect(self.load_demo)
        file_menu.addAction(demo_action)
        file_menu.addSeparator()
        connect_action = QAction("&Connect to Server…", self)
        connect_action.triggered.connect(self.open_connect_dialog)
        file_menu.addAction(connect_action)
        sync_action = QAction("&Sync Now", self)
        sync_action.setShortcut(QKeySequence.StandardKey.Refresh)
        sync_action.triggered.connect(self.sync_now)
        file_menu.addAction(sync_action)
        demo_server_action = QAction("Start D&emo Server", self)
        demo_server_action.setToolTip("Run a server with a demo organization on this computer "
                                      "and sync its sessions")
        demo_server_action.triggered.connect(self.start_demo_server)
        file_menu.addAction(demo_server_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        find_action = QAction("Filter Sessions", self)
        find_action.setShortcut(QKeySequence.StandardKey.Find)
        find_action.triggered.connect(lambda: self.filter_edit.setFocus())
        self.addAction(find_action)

        events_menu = self.menuBar().addMenu("&Events")
        defined_action = QAction("&Defined Events…", self)
        defined_action.triggered.connect(self.open_defined_events)
        events_menu.addAction(defined_action)

        analyze_menu = self.menuBar().addMenu("&Analyze")
        heatmap_action = QAction("&Heatmap", self)
        heatmap_action.setShortcut(QKeySequence("Ctrl+Shift+H"))
        heatmap_action.setToolTip("Where visitors clicked, moved or scrolled on a page, over "
                                  "the page")
        heatmap_action.triggered.connect(lambda: self.open_heatmap())
        analyze_menu.addAction(heatmap_action)
        funnel_action = QAction("&Funnel", self)
        funnel_action.setShortcut(QKeySequence("Ctrl+Shift+U"))
        funnel_action.setToolTip("How many visitors take a series of steps, and where they "
                                 "drop off")
        funnel_action.triggered.connect(self.open_funnel)
        analyze_menu.addAction(funnel_action)

        help_menu = self.menuBar().addMenu("&Help")
        about_action = QAction(f"&About {TITLE}", self)
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(self.show_about)
        help_menu.addAction(about_action)

    def _build_status_bar(self) -> None:
        self.import_progress = TaskProgress("Importing…", "Stop after the file being imported "
                                            "now", "Cancelling after this file…")
        self.sync_progress = TaskProgress("Syncing…", "Stop after the session being written now;"
                                          " what was synced stays", "Cancelling the sync…")
        self.sync_label = QLabel()
        self.cache_label = QLabel()
        self.statusBar().addPermanentWidget(self.import_progress)
        self.statusBar().addPermanentWidget(self.sync_progress)
        self.statusBar().addPermanentWidget(self.sync_label)
        self.statusBar().addPermanentWidget(self.cache_label)

    def _connect(self) -> None:
        self.project_picker.projectChanged.connect(self.sessions.set_project)
        self.filter_edit.textChanged.connect(self.sessions.set_filter_text)
        self.filter_bar.filterChanged.connect(self.sessions.set_filter)
        self.sessions.queryFailed.connect(self.filter_bar.show_failure)
        self.sessions.totalChanged.connect(self.filter_bar.clear_failure)
        self.sessions.totalChanged.connect(self._update_count)
        self.sessions.loadingChanged.connect(self._update_count)
        self.sessions.modelReset.connect(self._keep_selection)
        self.view.selectionModel().currentRowChanged.connect(self._show_current)
        self.view.activated.connect(lambda index: self.open_replay(
            self.sessions.session_at(index.row())))
        self.details.replayRequested.connect(self.open_replay)
        self.empty_state.importRequested.connect(self.open_import_dialog)
        self.empty_state.demoRequested.connect(self.load_demo)
        self.importer.started.connect(self.import_progress.start)
        self.importer.progressed.connect(self.import_progress.update_progress)
        self.importer.finished.connect(self._import_finished)
        self.importer.stopped.connect(self.import_progress.hide)
        self.importer.stopped.connect(self.refresh)
        self.import_progress.cancelRequested.connect(self.importer.cancel)
        self.empty_state.connectRequested.connect(self.open_connect_dialog)
        self.syncer.started.connect(self.sync_progress.start)
        self.syncer.progressed.connect(self.sync_progress.update_progress)
        self.syncer.finished.connect(self._sync_finished)
        self.syncer.failed.connect(self._sync_failed)
        self.syncer.stopped.connect(self.sync_progress.hide)
        self.syncer.stopped.connect(self.refresh)
        self.sync_progress.cancelRequested.connect(self.syncer.cancel)
