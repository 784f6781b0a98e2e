"""The window's funnel tab: define the steps, count them over the cache, and open the visitors
behind a bar.

Counting runs in the database on the cache worker (app/core/funnels); the tab only shows the
answer: bars with counts and shares, the drop-off between steps, medians, and a breakdown by
device type or browser. A click on a bar lists who reached the step (or, on its drop-off,
who stopped before it); a double-click replays that session at the moment of its last step.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.core.cache.interrupt import interruptible
from app.core.cache.queries import SessionQuery
from app.core.display import duration, local_time, offset
from app.core.funnels.compute import compute_funnel, funnel_actors
from app.core.funnels.export import write_funnel_csv
from app.core.funnels.results import FunnelActor, FunnelQuery, FunnelResult
from app.core.funnels.steps import Funnel, FunnelError, parse_window, window_text
from app.core.funnels.store import SavedFunnel, delete_funnel, list_funnels, save_funnel
from app.core.heatmaps.pages import pages_shown
from app.core.search.conditions import SessionFilter
from app.core.search.grammar import shell_filters
from app.ui.choice_box import choice_box
from app.ui.date_range import DateRange
from app.ui.export_file import export_file
from app.ui.filters.editor import read_event_choices
from app.ui.funnels.chart import BarChoice, FunnelChart
from app.ui.funnels.steps_editor import StepsEditor
from app.ui.list_scope import ListScope
from app.ui.replay_list import ReplayList, ReplayRow
from app.ui.row_tables import configure_row_table
from app.ui.task_progress import TaskProgress
from app.ui.tasks import Task, TaskContext, TaskManager, describe_error

T = TypeVar("T")
WINDOWS = ("30m", "1h", "1d", "7d", "14d", "30d")
ACTORS_SHOWN = 500
STEP_COLUMNS = ("Step", "Reached", "% of first", "% of previous", "Dropped off",
                "Median time from previous")
ACTOR_HINT = "Click a bar to list who reached that step, or its pale top to list who " \
             "dropped off before it."


class FunnelView(QWidget):
    replayRequested = Signal(str, int)  # a session id, the offset (ms) to start it at
    messageShown = Signal(str)
    counted = Signal()  # a result is shown
    actorsListed = Signal()

    def __init__(self, tasks: TaskManager, list_query: Callable[[], SessionQuery],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._query: FunnelQuery | None = None
        self._result: FunnelResult | None = None
        self._actors: list[FunnelActor] = []
        self._generation = 0
        self._task: Task | None = None
        self.list_filter = ListScope(list_query)
        self._build()
        self.steps.add_step("pageview")
        self.steps.add_step("pageview")
        self._load_saved()
        self._tasks.run("Read the pages and events", _suggestions, self.steps.set_suggestions)

    @property
    def result(self) -> FunnelResult | None:
        return self._result

    @property
    def actors(self) -> list[FunnelActor]:
        return self._actors

    # Asking ------------------------------------------------------------------------------

    def funnel(self) -> Funnel:
        """The funnel the inputs describe; FunnelError says what is wrong."""
        return Funnel(self.steps.steps(), parse_window(self.window_box.currentText()),
                      self.by_box.currentData())

    def scope(self) -> tuple[int | None, SessionFilter]:
        """The project and conditions to count within: the saved funnel's own conditions
        (if one is chosen) and, when ticked, the session list's."""
        project_id, search = self.list_filter.scope()
        saved: SavedFunnel | None = self.saved_box.currentData()
        if saved is not None:
            search = saved.filter.joining(search)
        return project_id, search

    def calculate(self) -> None:
        try:
            funnel = self.funnel()
            project_id, search = self.scope()
            query = FunnelQuery(funnel, self.dates.after_ms(), self.dates.before_ms(), search,
                                project_id)
        except FunnelError as exc:
            self._say(str(exc), problem=True)
            return
        breakdown = self.breakdown_box.currentData()
        self._say("")
        self._read("Counting the funnel…", "Count the funnel",
                   lambda session: compute_funnel(session, query, breakdown),
                   lambda generation, result: self._counted(generation, query, result))

    def list_actors(self, choice: BarChoice) -> None:
        query, result = self._query, self._result
        if query is None or result is None:
            return
        breakdown = result.breakdown if choice.grouped else None
        self._read("Finding the visitors…", "List the funnel's visitors",
                   lambda session: funnel_actors(session, query, choice.step,
                                                 dropped=choice.dropped, breakdown=breakdown,
                                                 group=choice.group, limit=ACTORS_SHOWN),
                   lambda generation, actors: self._show_actors(generation, choice, actors))

    def cancel(self) -> None:
        """Stop counting (or listing); what was shown stays."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._generation += 1
        self._idle()
        self._say("Stopped.")

    def _read(self, busy: str, title: str, read: Callable[[Session], T],
              done: Callable[[int, T], None]) -> None:
        """Run `read` on a connection of its own beside the cache worker (a large cache
        takes seconds), with Cancel; `done(generation, result)` unless replaced."""
        if self._task is not None:
            self._task.cancel()
        self._generation += 1
        generation = self._generation
        self.progress.start()
        self.progress.update_progress(0, 0, busy)
        self.calculate_button.setEnabled(False)

        def work(context: TaskContext) -> T:
            with context.cache.read_session() as session, \
                    interruptible(session, context.cancel):
                return read(session)

        def finished(result: T) -> None:
            if generation == self._generation:
                self._task = None
                self._idle()
                done(generation, result)

        self._task = self._tasks.run_reading(
            title, work, finished, lambda error: self._failed(generation, describe_error(error)))

    def _idle(self) -> None:
        self.progress.hide()
        self.calculate_button.setEnabled(True)

    def export_csv(self, path: Path | None = None) -> QFileDialog | None:
        result = self._result
        if result is None:
            return None

        def write(chosen: Path) -> str:
            with chosen.open("w", encoding="utf-8", newline="") as out:
                write_funnel_csv(result, out)
            return f"Wrote {chosen}"

        return export_file(self, self._tasks, path, "Export Funnel as CSV", "CSV files (*.csv)",
                           "funnel.csv", write, self.messageShown.emit,
                           lambda why: self._say(why, problem=True))

    def shutdown(self) -> None:
        """Work under way is stopped; answers still on their way are dropped."""
        if self._task is not None:
            self._task.cancel()
        self._generation += 1

    # Saved funnels -----------------------------------------------------------------------

    def save_as(self, name: str | None = None) -> QInputDialog | None:
        try:
            funnel = self.funnel()
        except FunnelError as exc:
            self._say(str(exc), problem=True)
            return None
        if name is not None:
            self._save(name, funnel)
            return None
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Save Funnel")
        dialog.setLabelText("Name:")
        dialog.setTextValue(self.saved_box.currentText() if self.saved_box.currentIndex() > 0
                            else "")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(lambda text: self._save(text, funnel))
        dialog.open()
        return dialog

    def _save(self, name: str, funnel: Funnel) -> None:
        """Saved with the conditions it is counted within, so it counts the same when opened
        again, whatever the list shows then."""
        _project, search = self.scope()

        def work(context: TaskContext) -> SavedFunnel:
            with context.cache.session() as session:
                return save_funnel(session, name, funnel, search)

        self._tasks.run("Save the funnel", work, lambda saved: (
            self.messageShown.emit(f"Saved the funnel {saved.name!r}"),
            self._load_saved(saved.name)),
            lambda error: self._say(describe_error(error), problem=True))

    def delete_saved(self) -> None:
        saved = self.saved_box.currentData()
        if saved is None:
            return

        def work(context: TaskContext) -> None:
            with context.cache.session() as session:
                delete_funnel(session, saved.id)

        self._tasks.run("Delete the funnel", work, lambda _none: self._load_saved(),
                        lambda error: self._say(describe_error(error), problem=True))

    def _load_saved(self, select: str | None = None) -> None:
        def work(context: TaskContext) -> list[SavedFunnel]:
            with context.cache.read_session() as session:
                return list_funnels(session)

        self._tasks.run("List the saved funnels", work,
                        lambda saved: self._saved_listed(saved, select))

    def _saved_listed(self, saved: list[SavedFunnel], select: str | None) -> None:
        self.saved_box.blockSignals(True)
        self.saved_box.clear()
        self.saved_box.addItem("Unsaved funnel", None)
        for funnel in saved:
            self.saved_box.addItem(funnel.name, funnel)
        if select is not None:
            self.saved_box.setCurrentIndex(max(0, self.saved_box.findText(select)))
        self.saved_box.blockSignals(False)
        self._show_saved_filter()

    def _saved_chosen(self) -> None:
        saved: SavedFunnel | None = self.saved_box.currentData()
        self._show_saved_filter()
        if saved is None:
            return
        self.steps.set_steps(saved.funnel.steps)
        self.window_box.setCurrentText(window_text(saved.funnel.window_ms))
        self.by_box.setCurrentIndex(self.by_box.findData(saved.funnel.by))
        self.calculate()

    def _show_saved_filter(self) -> None:
        saved: SavedFunnel | None = self.saved_box.currentData()
        self.delete_button.setEnabled(saved is not None)
        conditions = shell_filters(saved.filter) if saved is not None else []
        self.saved_filter.setText("Saved with sessions where " + ", ".join(conditions))
        self.saved_filter.setVisible(bool(conditions))

    # Showing -----------------------------------------------------------------------------

    def _counted(self, generation: int, query: FunnelQuery, result: FunnelResult) -> None:
        if generation != self._generation:
            return
        self._query, self._result = query, result
        noun = "visitors" if query.funnel.by == "visitor" else "sessions"
        self.chart.show_result(result, noun)
        self.step_table.setRowCount(len(result.steps))
        for row, step in enumerate(result.steps):
            cells = (f"{row + 1}. {step.label}", f"{step.actors:,}", _share(step.of_first),
                     _share(step.of_previous),
                     f"{step.dropped:,}" if row + 1 < len(result.steps) else "",
                     _time(step.median_from_previous_ms))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.step_table.setItem(row, column, item)
        conversion = _share(result.conversion) or "none"
        self._say(f"{result.entered:,} {noun} entered, {result.converted:,} converted "
                  f"({conversion}) within {window_text(query.funnel.window_ms)}; median time "
                  f"to convert {_time(result.median_to_convert_ms) or 'unknown'}.")
        self.export_button.setEnabled(True)
        self._show_actors(generation, None, [])
        self.counted.emit()

    def _show_actors(self, generation: int, choice: BarChoice | None,
                     actors: list[FunnelActor]) -> None:
        if generation != self._generation:
            return
        self._actors = actors
        rows = [ReplayRow((actor.visitor or "(no visitor)", actor.session_id[:12],
                           local_time(actor.ts_ms), offset(actor.offset_ms),
                           f"{actor.furthest_step + 1}"), actor.session_id, actor.offset_ms,
                          f"Session {actor.session_id}: double-click to replay it at "
                          f"{offset(actor.offset_ms)}") for actor in actors]
        if choice is None or self._result is None:
            self.actor_list.show_rows("Visitors behind a bar", [], ACTOR_HINT)
            return
        label = self._result.steps[choice.step].label
        group = f" ({choice.group or 'unknown'})" if choice.grouped else ""
        what = (f"Dropped off after step {choice.step + 1}, {label}{group}: at their last step"
                if choice.dropped else
                f"Reached step {choice.step + 1}, {label}{group}: when they took it")
        shown = f" (the first {ACTORS_SHOWN})" if len(actors) == ACTORS_SHOWN else ""
        self.actor_list.show_rows(f"{what}{shown}", rows, "Nobody.")
        self.actorsListed.emit()

    def _failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self._task = None
            self._idle()
            self._say(message, problem=True)

    def _say(self, text: str, problem: bool = False) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet("color: #b00020;" if problem else "")

    # Building ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.saved_box = QComboBox()
        self.saved_box.currentIndexChanged.connect(self._saved_chosen)
        self.save_button = QPushButton("Save…")
        self.save_button.clicked.connect(lambda: self.save_as())
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_saved)
        saved_row = QHBoxLayout()
        saved_row.addWidget(self.saved_box, stretch=1)
        saved_row.addWidget(self.save_button)
        saved_row.addWidget(self.delete_button)
        self.saved_filter = QLabel()
        self.saved_filter.setWordWrap(True)
        self.saved_filter.setToolTip("A saved funnel counts within the conditions it was "
                                     "saved with, and the list's when that box is ticked.")
        self.saved_filter.hide()

        self.steps = StepsEditor()
        self.window_box = QComboBox()
        self.window_box.setEditable(True)
        self.window_box.addItems(WINDOWS)
        self.window_box.setCurrentText("1d")
        self.window_box.setToolTip("How long after the first step the last may come: 90s, "
                                   "30m, 1h, 1d, 7d …")
        self.by_box = choice_box((("visitor", "Visitors (across sessions)"),
                                  ("session", "Sessions")))
        self.breakdown_box = choice_box(((None, "None"), ("device", "Device type"),
                                         ("browser", "Browser")))
        self.dates = DateRange()
        form = QFormLayout()
        form.addRow("Conversion window", self.window_box)
        form.addRow("Count", self.by_box)
        form.addRow("Break down by", self.breakdown_box)
        form.addRow("Entered", self.dates.layout)
        self.calculate_button = QPushButton("Calculate")
        self.calculate_button.setDefault(True)
        self.calculate_button.clicked.connect(self.calculate)

        definition = QWidget()
        left = QVBoxLayout(definition)
        left.setContentsMargins(0, 0, 6, 0)
        left.addLayout(saved_row)
        left.addWidget(self.saved_filter)
        left.addWidget(QLabel("<b>Steps</b>, in order"))
        left.addWidget(self.steps)
        left.addLayout(form)
        left.addWidget(self.list_filter)
        left.addWidget(self.calculate_button)
        left.addStretch(1)

        self.summary = QLabel("Add two to ten steps and press Calculate.")
        self.summary.setWordWrap(True)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.progress = TaskProgress("Counting…", "Stop counting; what is shown stays",
                                     "Stopping…")
        self.progress.cancelRequested.connect(self.cancel)
        top = QHBoxLayout()
        top.addWidget(self.summary, stretch=1)
        top.addWidget(self.progress)
        top.addWidget(self.export_button)
        self.chart = FunnelChart()
        self.chart.barClicked.connect(self.list_actors)
        self.step_table = QTableWidget(0, len(STEP_COLUMNS))
        self.step_table.setHorizontalHeaderLabels(STEP_COLUMNS)
        configure_row_table(self.step_table, 6)
        self.step_table.horizontalHeader().setStretchLastSection(True)
        self.step_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.step_table.setColumnWidth(0, 260)

        self.actor_list = ReplayList("Visitors behind a bar", ("Visitor", "Session", "At",
                                     "In session", "Furthest step"), ACTOR_HINT,
                                     "Replay at That Step")
        self.actor_list.replayRequested.connect(self.replayRequested.emit)

        results = QSplitter(Qt.Orientation.Vertical)
        results.addWidget(self.chart)
        results.addWidget(self.step_table)
        results.addWidget(self.actor_list)
        results.setSizes([380, 150, 200])
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 0, 0, 0)
        right_layout.addLayout(top)
        right_layout.addWidget(results, stretch=1)

        splitter = QSplitter()
        splitter.addWidget(definition)
        splitter.addWidget(right)
        splitter.setSizes([440, 840])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)


def _suggestions(context: TaskContext) -> dict[str, list[str]]:
    """What the cache holds for each kind of step, to complete as it is typed."""
    with context.cache.read_session() as session:
        events = read_event_choices(session)
        pages = [choice.page for choice in pages_shown(session)]
    return {"pageview": pages, "event": events.custom,
            "defined": events.defined}


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _time(ms: float | None) -> str:
    return "" if ms is None else duration(round(ms))
