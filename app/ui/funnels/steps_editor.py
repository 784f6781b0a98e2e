"""A funnel's steps as rows of "kind + value", read into steps through the shell's grammar, so
the window and `tapeview funnel --step` accept exactly the same things."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.funnels.steps import MAX_STEPS, FunnelError, Step, parse_step, step_text
from app.ui.choice_box import choice_box

# (the shell's step prefix, its title here, a placeholder for the value)
KINDS = (("pageview", "Page view", "/cart or shop.example/cart"),
         ("pageview=", "Page view, exact URL", "https://shop.example/cart?step=2"),
         ("pageview~", "Page view, URL contains", "checkout"),
         ("click", "Click on element", "CSS selector: #checkout, form.pay button"),
         ("click-text", "Click on text", "Buy now"),
         ("click-text~", "Click on text containing", "buy"),
         ("event", "Custom event", "signup, or signup[plan=pro]"),
         ("defined", "Defined event", "Add to cart"))
PLACEHOLDERS = {prefix: placeholder for prefix, _title, placeholder in KINDS}


class StepRow(QWidget):
    removeRequested = Signal()

    def __init__(self, number: int, prefix: str = "pageview", value: str = "",
                 suggestions: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__()
        self._suggestions = suggestions or {}
        self.number = QLabel()
        self.kind = choice_box((prefix, title) for prefix, title, _ in KINDS)
        self.kind.setCurrentIndex(self.kind.findData(prefix))
        self.value = QLineEdit(value)
        self.remove = QToolButton()
        self.remove.setText("\N{MULTIPLICATION SIGN}")
        self.remove.setToolTip("Remove this step")
        self.remove.clicked.connect(self.removeRequested.emit)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.number)
        layout.addWidget(self.kind)
        layout.addWidget(self.value, stretch=1)
        layout.addWidget(self.remove)
        self.set_number(number)
        self._kind_changed()

    def set_number(self, number: int) -> None:
        self.number.setText(f"{number}.")

    def step(self) -> Step:
        return parse_step(f"{self.kind.currentData()}:{self.value.text()}")

    def set_suggestions(self, suggestions: Mapping[str, Sequence[str]]) -> None:
        self._suggestions = suggestions
        self._kind_changed()

    def _kind_changed(self) -> None:
        """The kind's placeholder, and what the cache holds of it as completions."""
        prefix = self.kind.currentData()
        self.value.setPlaceholderText(PLACEHOLDERS[prefix])
        completer = QCompleter(list(self._suggestions.get(prefix, ())), self.value)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.value.setCompleter(completer)


class StepsEditor(QWidget):
    """Two to ten step rows and "+ Add Step"."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[StepRow] = []
        self._suggestions: Mapping[str, Sequence[str]] = {}
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton("+ Add Step")
        self.add_button.clicked.connect(lambda: self.add_step())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._rows_layout)
        layout.addWidget(self.add_button)

    def add_step(self, prefix: str = "pageview", value: str = "") -> StepRow:
        row = StepRow(len(self.rows) + 1, prefix, value, self._suggestions)
        row.removeRequested.connect(lambda: self._remove(row))
        self.rows.append(row)
        self._rows_layout.addWidget(row)
        self._update()
        row.value.setFocus()
        return row

    def set_suggestions(self, suggestions: Mapping[str, Sequence[str]]) -> None:
        """Values to complete, by step kind (the shell's prefix): pages, event names."""
        self._suggestions = suggestions
        for row in self.rows:
            row.set_suggestions(suggestions)

    def set_steps(self, steps: tuple[Step, ...]) -> None:
        for row in list(self.rows):
            self._remove(row)
        for step in steps:
            prefix, _colon, value = step_text(step).partition(":")
            self.add_step(prefix, value)

    def steps(self) -> tuple[Step, ...]:
        """The steps as typed; FunnelError names the step that is wrong."""
        steps = []
        for number, row in enumerate(self.rows, start=1):
            try:
                steps.append(row.step())
            except FunnelError as exc:
                raise FunnelError(f"Step {number}: {exc}") from None
        return tuple(steps)

    def _remove(self, row: StepRow) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        for number, left in enumerate(self.rows, start=1):
            left.set_number(number)
        self._update()

    def _update(self) -> None:
        self.add_button.setEnabled(len(self.rows) < MAX_STEPS)
