"""The session list's model: a window onto the cache, fetched a page at a time.

A cache can hold 100,000 sessions, so the model never loads them all: it counts the matches,
loads the first page, and loads further pages when the view scrolls near the end
(`canFetchMore`/`fetchMore`). Sorting and filtering re-run the query in SQL on the worker
thread. Every query bumps a generation number, and results that arrive for an older generation
(the user typed on meanwhile) are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from app.core.cache.database import Cache
from app.core.cache.queries import (
    SessionInfo,
    SessionQuery,
    SortKey,
    count_sessions,
    list_sessions,
)
from app.core.search.conditions import SessionFilter
from app.core.search.errors import FilterError
from app.ui import formatting
from app.ui.tasks import TaskManager

PAGE_SIZE = 200
FILTER_DELAY_MS = 200
SESSION_ROLE = Qt.ItemDataRole.UserRole
ERROR_COLOR = QColor("#c62828")

ModelIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str
    sort: SortKey
    sample: str  # typical text, to size the column before any row is loaded
    text: Callable[[SessionInfo], str]
    numeric: bool = False
    tooltip: Callable[[SessionInfo], str | None] | None = None


COLUMNS: tuple[Column, ...] = (
    Column("Start", "start", "2026-12-31 23:59:59", lambda s: formatting.local_time(s.start_ms),
           tooltip=lambda s: formatting.utc_time(s.start_ms)),
    Column("Duration", "duration", "0:00:00", lambda s: formatting.duration(s.duration_ms),
           numeric=True),
    Column("Active", "active", "0:00:00", lambda s: formatting.duration(s.active_ms),
           numeric=True),
    Column("Pages", "pages", "000", lambda s: formatting.count(s.page_count), numeric=True),
    Column("Events", "events", "00,000", lambda s: formatting.count(s.event_count),
           numeric=True),
    Column("Clicks", "clicks", "0,000", lambda s: formatting.count(s.click_count), numeric=True),
    Column("Errors", "errors", "000", lambda s: formatting.count(s.error_count), numeric=True),
    Column("Device", "device", "desktop", lambda s: s.device_type or formatting.MISSING,
           tooltip=lambda s: f"{formatting.device(s)}, viewport {formatting.viewport(s)}"),
    Column("Visitor", "visitor", "anon-0123456789", formatting.visitor,
           tooltip=lambda s: s.visitor),
    Column("Landing page", "landing", "https://example.com/pricing/plans#team",
           lambda s: s.landing_page or formatting.MISSING, tooltip=lambda s: s.landing_page),
    Column("Project", "project", "Imported", lambda s: s.project,
           tooltip=lambda s: f"{s.organization} / {s.project}"),
)
COLUMN_OF_SORT = {column.sort: number for number, column in enumerate(COLUMNS)}


def load_first_page(cache: Cache, query: SessionQuery) -> tuple[int, list[SessionInfo]]:
    """How many sessions match, and the first page of them (runs on the worker)."""
    with cache.read_session() as session:
        return count_sessions(session, query), list_sessions(session, query, 0, PAGE_SIZE)


def load_page(cache: Cache, query: SessionQuery, offset: int) -> list[SessionInfo]:
    with cache.read_session() as session:
        return list_sessions(session, query, offset, PAGE_SIZE)


class SessionTableModel(QAbstractTableModel):
    """Sessions matching a `SessionQuery`, loaded lazily from the cache by the worker."""

    # Matching sessions in the cache (not just the loaded rows), after each query.
    totalChanged = Signal(int)
    # True while a new query runs; the rows shown still belong to the previous one.
    loadingChanged = Signal(bool)
    # The filter cannot run (it names an event no longer defined): why, for the user. The
    # list is emptied rather than left showing the previous filter's sessions.
    queryFailed = Signal(str)

    def __init__(self, tasks: TaskManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._query = SessionQuery()
        self._rows: list[SessionInfo] = []
        self._total = 0
        self._generation = 0
        self._loading = False
        self._fetching = False
        self._filter_text = ""
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self._apply_filter)

    @property
    def query(self) -> SessionQuery:
        return self._query

    @property
    def total(self) -> int:
        return self._total

    @property
    def loading(self) -> bool:
        return self._loading

    def session_at(self, row: int) -> SessionInfo:
        return self._rows[row]

    def row_of(self, session_id: str) -> int | None:
        """The row of a loaded session, to keep it selected across a refresh."""
        return next((row for row, info in enumerate(self._rows) if info.id == session_id), None)

    # Changing what is shown -------------------------------------------------------------

    def refresh(self) -> None:
        """Run the current query again (after an import changed the cache)."""
        self._start_query(self._query)

    def set_project(self, project_id: int | None) -> None:
        self._change(replace(self._query, project_id=project_id))

    def set_filter(self, search: SessionFilter) -> None:
        self._change(replace(self._query, filter=search))

    def set_filter_text(self, text: str) -> None:
        """Filter after a short pause in typing, not on every key."""
        self._filter_text = text
        self._filter_timer.start()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(COLUMNS):
            self._change(replace(self._query, sort=COLUMNS[column].sort,
                                 descending=order == Qt.SortOrder.DescendingOrder))

    def _apply_filter(self) -> None:
        self._change(replace(self._query, text=self._filter_text))

    def _change(self, query: SessionQuery) -> None:
        if query != self._query:
            self._start_query(query)

    def _start_query(self, query: SessionQuery) -> None:
        self._query = query
        self._generation += 1
        generation = self._generation
        self._fetching = False
        self._set_loading(True)
        self._tasks.run("Load the session list", lambda context: load_first_page(
                            context.cache, query),
                        lambda result: self._first_page_loaded(generation, *result),
                        on_error=lambda error: self._failed(generation, error))

    def _first_page_loaded(self, generation: int, total: int, rows: list[SessionInfo]) -> None:
        if generation != self._generation:
            return
        self.beginResetModel()
        self._rows = rows
        self._total = total
        self.endResetModel()
        self._set_loading(False)
        self.totalChanged.emit(total)

    def _failed(self, generation: int, error: Exception) -> None:
        current = generation == self._generation
        if current:
            self._fetching = False
        if isinstance(error, FilterError):
            if current:  # a superseded filter's fault no longer matters
                self.beginResetModel()
                self._rows = []
                self._total = 0
                self.endResetModel()
                self._set_loading(False)
                self.queryFailed.emit(str(error))
            return
        if current:
            self._set_loading(False)
        self._tasks.report_error("Load the session list", error)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loadingChanged.emit(loading)

    # Lazy loading -----------------------------------------------------------------------

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._loading and len(self._rows) < self._total

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        if self._fetching or not self.canFetchMore(parent):
            return
        self._fetching = True
        generation, query, offset = self._generation, self._query, len(self._rows)
        self._tasks.run("Load more sessions", lambda context: load_page(
                            context.cache, query, offset),
                        lambda rows: self._page_loaded(generation, offset, rows),
                        on_error=lambda error: self._failed(generation, error))

    def _page_loaded(self, generation: int, offset: int, rows: list[SessionInfo]) -> None:
        if generation != self._generation or offset != len(self._rows):
            return
        self._fetching = False
        if not rows:  # sessions were deleted meanwhile: stop asking for more
            self._total = len(self._rows)
            return
        self.beginInsertRows(QModelIndex(), offset, offset + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    # QAbstractTableModel ----------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(info)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(info)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and column.sort == "errors" \
                and info.error_count:
            return ERROR_COLOR
        if role == SESSION_ROLE:
            return info
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        column = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None
