"""How Tapeview's lists of rows look and behave: one row chosen at a time, fixed row heights
(the view never measures rows, however many are loaded), no grid, no row numbers."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QStackedWidget, QTableView


def configure_row_table(view: QTableView, row_padding: int, *, fit_width: bool = False) -> None:
    """`fit_width`: no horizontal scroll bar (a side panel's list fits its width)."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setShowGrid(False)
    view.setWordWrap(False)
    if fit_width:
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    rows = view.verticalHeader()
    rows.hide()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(view.fontMetrics().height() + row_padding)
    view.horizontalHeader().setHighlightSections(False)


def message_or_table(view: QTableView, message: str) -> tuple[QStackedWidget, QLabel]:
    """A stack showing either a message ("Loading…", "No requests") or the table."""
    label = QLabel(message)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    stack = QStackedWidget()
    stack.addWidget(label)
    stack.addWidget(view)
    return stack, label
