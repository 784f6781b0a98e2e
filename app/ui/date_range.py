"""From/to day pickers where "any" means no limit, read as local-midnight milliseconds."""

from __future__ import annotations

from datetime import datetime, time

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel

ANY_DATE = QDate(2000, 1, 1)  # the edits' minimum, shown as "any"


class DateRange:
    """Two date edits, "From … to …", laid out in a row."""

    def __init__(self) -> None:
        self.from_edit, self.to_edit = _date_edit("From"), _date_edit("To")
        self.layout = QHBoxLayout()
        self.layout.setContentsMargins(0, 0, 0, 0)
        for label, edit in (("From", self.from_edit), ("to", self.to_edit)):
            self.layout.addWidget(QLabel(label))
            self.layout.addWidget(edit)

    def after_ms(self) -> int | None:
        return _day_start(self.from_edit.date())

    def before_ms(self) -> int | None:
        """The end of the "to" day (exclusive)."""
        return _day_start(self.to_edit.date(), next_day=True)


def _date_edit(what: str) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setMinimumDate(ANY_DATE)
    edit.setSpecialValueText("any")  # shown at the minimum: no limit
    edit.setDate(ANY_DATE)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setToolTip(f"{what} this day (local time); 'any': no limit")
    return edit


def _day_start(date: QDate, next_day: bool = False) -> int | None:
    """The local midnight starting `date` (or the day after) in ms; None for "any"."""
    if date == ANY_DATE:
        return None
    day = date.addDays(1) if next_day else date
    return int(datetime.combine(day.toPython(), time()).timestamp() * 1000)
