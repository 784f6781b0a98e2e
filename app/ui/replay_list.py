"""A titled list of sessions to replay from a moment: who clicked a hot spot, who dropped off
a funnel. A double-click on a row, or the button, asks for that replay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.row_tables import configure_row_table, message_or_table


@dataclass(frozen=True)
class ReplayRow:
    cells: tuple[str, ...]
    session_id: str
    offset_ms: int  # from the session's start: where its replay begins
    tip: str = ""


class ReplayList(QWidget):
    replayRequested = Signal(str, int)  # a session id, the offset (ms) to start it at

    def __init__(self, title: str, columns: Sequence[str], hint: str, button: str) -> None:
        super().__init__()
        self.rows: list[ReplayRow] = []
        self.title = QLabel(title)
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels(list(columns))
        configure_row_table(self.table, 6)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.cellDoubleClicked.connect(lambda row, _column: self.replay(row))
        self.stack, self.hint = message_or_table(self.table, hint)
        self.button = QPushButton(button)
        self.button.setEnabled(False)
        self.button.clicked.connect(lambda: self.replay())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.stack, stretch=1)
        layout.addWidget(self.button)

    def show_rows(self, title: str, rows: Sequence[ReplayRow], empty: str) -> None:
        """`rows` under `title`; `empty` in place of the table when there are none."""
        self.rows = list(rows)
        self.title.setText(title)
        self.table.setRowCount(len(rows))
        for number, row in enumerate(rows):
            for column, text in enumerate(row.cells):
                item = QTableWidgetItem(text)
                item.setToolTip(row.tip)
                self.table.setItem(number, column, item)
        self.table.resizeColumnsToContents()
        self.hint.setText(empty)
        self.stack.setCurrentWidget(self.table if rows else self.hint)
        if rows:
            self.table.selectRow(0)
        self.button.setEnabled(bool(rows))

    def replay(self, row: int | None = None) -> None:
        row = self.table.currentRow() if row is None else row
        if 0 <= row < len(self.rows):
            self.replayRequested.emit(self.rows[row].session_id, self.rows[row].offset_ms)
