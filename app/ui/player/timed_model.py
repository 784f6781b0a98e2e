"""The table model behind each of the inspector's lists: entries in time order, filtered, with
the row playback has reached marked and the rows still to come dimmed.

A session can hold 100,000 entries, so the model keeps the entries as they came from the
worker and shows a list of row numbers into them: filtering is one list comprehension, and
finding where playback is one bisection.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

from app.core.display import offset

Index = QModelIndex | QPersistentModelIndex
NO_INDEX = QModelIndex()
FUTURE_ALPHA = 120  # how visible the rows playback has not reached yet are (of 255)
CURRENT_ALPHA = 70


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[Any], str]
    sample: str | None  # the widest text expected, to size the column; None: it stretches
    align_right: bool = False


def time_column() -> Column:
    return Column("Time", lambda entry: offset(entry.offset_ms), "00:00.0", align_right=True)


class TimedTableModel(QAbstractTableModel):
    """Subclasses name their columns and may colour rows, explain them and describe them."""

    columns: ClassVar[tuple[Column, ...]] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[Any] = []
        self._rows: list[int] = []  # indexes into _entries of the rows shown
        self._offsets: list[int] = []  # the shown rows' offsets, for bisection
        self._accept: Callable[[Any], bool] | None = None
        self.position_ms = 0
        self.current_row = -1  # the last shown row at or before the playhead
        self._bold = QFont()
        self._bold.setBold(True)

    # -- content -------------------------------------------------------------------------------

    @property
    def total(self) -> int:
        """Entries held, shown or not."""
        return len(self._entries)

    @property
    def entries(self) -> list[Any]:
        return self._entries

    def set_entries(self, entries: list[Any],
                    accept: Callable[[Any], bool] | None = None) -> None:
        self._entries = entries
        self._accept = accept
        self._refilter()

    def set_filter(self, accept: Callable[[Any], bool] | None) -> None:
        """Show only the entries `accept` takes (all of them for None)."""
        self._accept = accept
        self._refilter()

    def _refilter(self) -> None:
        self.beginResetModel()
        accept = self._accept
        self._rows = list(range(len(self._entries))) if accept is None else \
            [number for number, entry in enumerate(self._entries) if accept(entry)]
        self._offsets = [self._entries[number].offset_ms for number in self._rows]
        self.current_row = bisect.bisect_right(self._offsets, self.position_ms) - 1
        self.endResetModel()

    def entry(self, row: int) -> Any:
        return self._entries[self._rows[row]]

    def set_position(self, offset_ms: int) -> bool:
        """Follow the playhead; True when the current row changed."""
        self.position_ms = offset_ms
        row = bisect.bisect_right(self._offsets, offset_ms) - 1
        if row == self.current_row:
            return False
        first, last = sorted((row, self.current_row))
        self.current_row = row
        # Every row between the two moved from past to future or back: its colour changed.
        self.dataChanged.emit(self.index(max(0, first), 0),
                              self.index(max(0, last), len(self.columns) - 1))
        return True

    # -- for subclasses ------------------------------------------------------------------------

    def colour(self, _entry: Any) -> QColor | None:
        """The text colour of an entry's row (None: the palette's)."""
        return None

    def tint(self, _entry: Any) -> QColor | None:
        """A background for rows that must stand out (errors, warnings)."""
        return None

    def tooltip(self, _entry: Any) -> str | None:
        return None

    def details(self, entry: Any) -> str:
        """Everything about an entry, for the details box under the list."""
        return "\t".join(column.text(entry) for column in self.columns)

    # -- QAbstractTableModel -------------------------------------------------------------------

    def rowCount(self, parent: Index = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), self.columns[index.column()]
        entry = self._entries[self._rows[row]]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(entry)
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = self.colour(entry)
            if row <= self.current_row:
                return colour
            colour = QColor(colour or QGuiApplication.palette().color(QPalette.ColorRole.Text))
            colour.setAlpha(FUTURE_ALPHA)
            return colour
        if role == Qt.ItemDataRole.BackgroundRole:
            if row == self.current_row:
                colour = QGuiApplication.palette().color(QPalette.ColorRole.Highlight)
                colour.setAlpha(CURRENT_ALPHA)
                return colour
            return self.tint(entry)
        if role == Qt.ItemDataRole.FontRole and row == self.current_row:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(entry)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
