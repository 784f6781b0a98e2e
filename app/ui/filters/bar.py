"""The filter bar above the session list: the active conditions as chips, "+ Filter" to add
one, a chip's click to change it, its remove button to drop it, and the saved segments.

The bar owns the list's `SessionFilter` and announces every change (`filterChanged`); the
list runs it on the cache worker. When the cache cannot run it (a segment names an event
that is no longer defined), the bar says why and marks the conditions at fault.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.cache.database import Cache
from app.core.search.clauses import filter_clauses
from app.core.search.conditions import Condition, SessionFilter
from app.core.search.errors import FilterError
from app.ui.filters.editor import ERROR_STYLE, FILTER_KINDS, FilterEditor, FilterKind, kind_of
from app.ui.filters.flow_layout import FlowLayout
from app.ui.filters.segments import SegmentsButton
from app.ui.filters.summary import shell_form, summary
from app.ui.tasks import TaskManager

CHIP_TEXT_WIDTH = 320  # longer summaries (URLs) are elided; the tooltip has them whole
WARNING_SIGN = "\N{WARNING SIGN}"
CHIP_STYLE = """
QFrame#filterChip { border: 1px solid palette(mid); border-radius: 11px;
                    background: palette(base); }
QFrame#filterChip[problem="true"] { border: 1px solid #c62828; }
QFrame#filterChip[problem="true"] QToolButton#chipText { color: #c62828; }
QFrame#filterChip QToolButton { border: none; background: transparent; padding: 1px 2px; }
QFrame#filterChip QToolButton:hover { color: palette(highlight); }
"""


def conditions_at_fault(cache: Cache, search: SessionFilter) -> dict[Condition, str]:
    """The conditions the cache cannot run, each with why (runs on the worker)."""
    problems = {}
    with cache.read_session() as session:
        for condition in search.conditions:
            try:
                filter_clauses(session, SessionFilter((condition,)))
            except FilterError as exc:
                problems[condition] = str(exc)
    return problems


class FilterChip(QFrame):
    """One active condition: its summary (click to change it) and a button to remove it."""

    editRequested = Signal()
    removeRequested = Signal()

    def __init__(self, condition: Condition, editable: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterChip")
        self.setStyleSheet(CHIP_STYLE)
        self.condition = condition
        self.editable = editable
        self.text_button = QToolButton()
        self.text_button.setObjectName("chipText")
        self.text_button.setAutoRaise(True)
        self.text_button.clicked.connect(self.editRequested)
        if not editable:
            self.text_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.remove_button = QToolButton()
        self.remove_button.setText("\N{MULTIPLICATION SIGN}")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setToolTip("Remove this filter")
        self.remove_button.setAccessibleName(f"Remove the filter {summary(condition)}")
        self.remove_button.clicked.connect(self.removeRequested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 1, 3, 1)
        layout.setSpacing(0)
        layout.addWidget(self.text_button)
        layout.addWidget(self.remove_button)
        self.set_problem(None)

    @property
    def text(self) -> str:
        return summary(self.condition)

    @property
    def problem(self) -> str | None:
        return self._problem

    def set_problem(self, problem: str | None) -> None:
        """Mark the chip (red, with the reason in its tooltip) or clear the mark."""
        self._problem = problem
        text = f"{WARNING_SIGN} {self.text}" if problem else self.text
        metrics = self.text_button.fontMetrics()
        self.text_button.setText(metrics.elidedText(text, Qt.TextElideMode.ElideMiddle,
                                                    CHIP_TEXT_WIDTH).replace("&", "&&"))
        lines = [self.text, *([problem] if problem else []),
                 f"In the shell: tapeview sessions {shell_form(self.condition)}"]
        if self.editable:
            lines.append("Click to change it.")
        self.text_button.setToolTip("\n".join(lines))
        self.setProperty("problem", problem is not None)
        self.style().unpolish(self)
        self.style().polish(self)


class FilterBar(QWidget):
    """Chips for the conditions of the session list's filter, with "+ Filter" and Segments."""

    filterChanged = Signal(object)  # SessionFilter

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._filter = SessionFilter()
        self.chips: list[FilterChip] = []
        self.editor: FilterEditor | None = None

        self.segments = SegmentsButton(tasks)
        self.segments.applyRequested.connect(self.set_filter)
        self.add_button = QPushButton("+ Filter")
        self.add_button.setToolTip("Add a condition the listed sessions must meet")
        self.add_menu = QMenu(self.add_button)
        self._kind_actions: dict[str, QAction] = {}
        for group in ([k for k in FILTER_KINDS if k.form], [k for k in FILTER_KINDS if k.fixed]):
            if self._kind_actions:
                self.add_menu.addSeparator()  # the conditions added as they are
            for kind in group:
                action = self.add_menu.addAction(f"{kind.title}…" if kind.form else kind.title)
                action.triggered.connect(lambda _checked=False, kind=kind: self.add_kind(kind))
                self._kind_actions[kind.key] = action
        self.add_menu.aboutToShow.connect(self._update_menu)
        self.add_button.setMenu(self.add_menu)
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.setToolTip("Remove every condition (a saved segment stays saved)")
        self.clear_button.clicked.connect(lambda: self.set_filter(SessionFilter()))

        row = QWidget()
        self._flow = FlowLayout(row)
        for widget in (self.segments, self.add_button, self.clear_button):
            self._flow.addWidget(widget)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(ERROR_STYLE)
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(row)
        layout.addWidget(self.problem_label)
        self._show_chips()

    @property
    def filter(self) -> SessionFilter:
        return self._filter

    # Changing the conditions ------------------------------------------------------------

    def set_filter(self, search: SessionFilter) -> None:
        """Show `search` as chips and have the list run it."""
        if search == self._filter:
            return
        self._filter = search
        self._show_chips()
        self.segments.set_filter(search)
        self.filterChanged.emit(search)

    def add_condition(self, condition: Condition) -> None:
        if condition not in self._filter.conditions:
            self.set_filter(self._filter.adding(condition))

    def replace_condition(self, old: Condition, new: Condition) -> None:
        """Put `new` where `old` was (dropping it if it is already elsewhere); add it if
        `old` went meanwhile (a segment was applied while its editor was open)."""
        if old not in self._filter.conditions:
            self.add_condition(new)
        elif new != old:
            self.set_filter(SessionFilter(tuple(new if c == old else c
                                                for c in self._filter.conditions if c != new)))

    def remove_condition(self, condition: Condition) -> None:
        self.set_filter(self._filter.removing(condition))

    def add_kind(self, kind: FilterKind) -> FilterEditor | None:
        """What "+ Filter" does with a menu entry: add it, or ask for its details."""
        if kind.fixed is not None:
            self.add_condition(kind.fixed)
            return None
        return self._open_editor(kind, None, self.add_button)

    def edit_chip(self, chip: FilterChip) -> FilterEditor | None:
        if not chip.editable:
            return None
        return self._open_editor(kind_of(chip.condition), chip, chip)

    def _open_editor(self, kind: FilterKind, chip: FilterChip | None,
                     anchor: QWidget) -> FilterEditor:
        if self.editor is not None:
            self.editor.close()
        condition = chip.condition if chip is not None else None
        editor = FilterEditor(self._tasks, kind, condition,
                              chip.problem if chip is not None else None, self)
        if condition is None:
            editor.applied.connect(self.add_condition)
        else:
            editor.applied.connect(lambda new: self.replace_condition(condition, new))
        editor.finished.connect(lambda _result: self._editor_closed(editor))
        self.editor = editor
        editor.popup_at(anchor)
        return editor

    def _editor_closed(self, editor: FilterEditor) -> None:
        if self.editor is editor:
            self.editor = None

    def _update_menu(self) -> None:
        for kind in FILTER_KINDS:
            if kind.fixed is not None:
                self._kind_actions[kind.key].setEnabled(kind.fixed not in
                                                        self._filter.conditions)

    def _show_chips(self) -> None:
        for chip in self.chips:
            self._flow.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        for position, condition in enumerate(self._filter.conditions):
            chip = FilterChip(condition, kind_of(condition).form is not None)
            chip.editRequested.connect(lambda chip=chip: self.edit_chip(chip))
            chip.removeRequested.connect(lambda condition=condition:
                                         self.remove_condition(condition))
            self._flow.insertWidget(1 + position, chip)
            self.chips.append(chip)
        self.clear_button.setVisible(bool(self._filter))
        self.problem_label.hide()

    # When the list cannot run the filter ----------------------------------------------

    def show_failure(self, message: str) -> None:
        """Say why the list is empty, then find and mark the conditions at fault."""
        self.problem_label.setText(f"{WARNING_SIGN} No sessions can be listed: {message}. "
                                   "Change or remove the marked filter.")
        self.problem_label.show()
        search = self._filter
        self._tasks.run("Check the filters",
                        lambda context: conditions_at_fault(context.cache, search),
                        lambda problems: self._mark(search, problems))

    def clear_failure(self) -> None:
        """The list ran the filter: nothing is at fault any more."""
        self.problem_label.hide()
        for chip in self.chips:
            if chip.problem is not None:
                chip.set_problem(None)

    def _mark(self, search: SessionFilter, problems: dict[Condition, str]) -> None:
        if search != self._filter or self.problem_label.isHidden():
            return  # changed meanwhile: the list runs the new filter
        for chip in self.chips:
            chip.set_problem(problems.get(chip.condition))
