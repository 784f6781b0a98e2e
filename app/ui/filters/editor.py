"""The popover that adds or changes one filter condition, one form per kind of condition.

A form builds its condition with the core's constructors, so whatever the core refuses (an
empty URL, a range that ends before it starts) is refused here with the core's message,
shown in the popover rather than raised. What a form offers to pick from (browsers, custom
and defined events) is read from the cache on the worker while the popover is open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QDateTime, QPoint, Qt, QTime, Signal
from PySide6.QtGui import QFont, QPalette, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.core.analytics.events import KINDS as EVENT_KINDS
from app.core.definitions.store import list_definitions
from app.core.search.choices import attribute_values, custom_event_names
from app.core.search.conditions import (
    DEVICE_TYPES,
    HAS_ERRORS,
    HAS_RAGE_CLICKS,
    Attribute,
    AttributeIs,
    Condition,
    DefinedEvent,
    DurationBetween,
    EventRule,
    PerformedEvent,
    StartedBetween,
    VisitedUrl,
    VisitorMatches,
)
from app.core.search.errors import FilterError
from app.ui.filters.summary import EVENT_KIND_TITLES
from app.ui.tasks import TaskManager

ERROR_STYLE = "color: #c62828"
EDITOR_WIDTH = 380
LIST_ROWS = 7  # rows of values shown before the list scrolls
DAY_MS = 86_400_000
DEFAULT_LOOKBACK_DAYS = 7


class ConditionForm(QWidget):
    """The fields of one kind of condition."""

    # What the form needs from the cache, read on the worker (None: nothing).
    chooser: Callable[[Session], Any] | None = None

    def set_choices(self, choices: Any) -> None:
        """Offer what `chooser` read."""

    def set_condition(self, condition: Condition) -> None:
        """Show an existing condition, to change it."""

    def condition(self) -> Condition:
        """The condition as filled in; FilterError says what is missing or wrong."""
        raise NotImplementedError


class StartedForm(ConditionForm):
    """A date range: from, until, or both, in local time."""

    def __init__(self) -> None:
        super().__init__()
        today = QDateTime.currentDateTime()
        today.setTime(QTime(0, 0))
        self.after_check = QCheckBox("From")
        self.after_check.setChecked(True)
        self.after_edit = self._moment_edit(today.addDays(-DEFAULT_LOOKBACK_DAYS))
        self.before_check = QCheckBox("Until")
        self.before_edit = self._moment_edit(today.addDays(1))
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for row, (check, edit) in enumerate(((self.after_check, self.after_edit),
                                             (self.before_check, self.before_edit))):
            layout.addWidget(check, row, 0)
            layout.addWidget(edit, row, 1)
            edit.setEnabled(check.isChecked())
            check.toggled.connect(edit.setEnabled)
        layout.setColumnStretch(1, 1)

    @staticmethod
    def _moment_edit(moment: QDateTime) -> QDateTimeEdit:
        edit = QDateTimeEdit(moment)
        edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        edit.setCalendarPopup(True)
        return edit

    def set_condition(self, condition: Condition) -> None:
        assert isinstance(condition, StartedBetween)
        for check, edit, ms in ((self.after_check, self.after_edit, condition.after_ms),
                                (self.before_check, self.before_edit, condition.before_ms)):
            check.setChecked(ms is not None)
            if ms is not None:
                edit.setDateTime(QDateTime.fromMSecsSinceEpoch(ms))

    def condition(self) -> Condition:
        return StartedBetween(
            self.after_edit.dateTime().toMSecsSinceEpoch() if self.after_check.isChecked()
            else None,
            self.before_edit.dateTime().toMSecsSinceEpoch() if self.before_check.isChecked()
            else None)


class DurationForm(ConditionForm):
    """At least and/or at most a length, as h:mm:ss (the list's Duration column)."""

    def __init__(self) -> None:
        super().__init__()
        self.min_check = QCheckBox("At least")
        self.min_check.setChecked(True)
        self.min_edit = self._length_edit(QTime(0, 1))
        self.max_check = QCheckBox("At most")
        self.max_edit = self._length_edit(QTime(0, 10))
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for row, (check, edit) in enumerate(((self.min_check, self.min_edit),
                                             (self.max_check, self.max_edit))):
            layout.addWidget(check, row, 0)
            layout.addWidget(edit, row, 1)
            edit.setEnabled(check.isChecked())
            check.toggled.connect(edit.setEnabled)
        layout.addWidget(_hint("hours:minutes:seconds"), 2, 1)
        layout.setColumnStretch(1, 1)

    @staticmethod
    def _length_edit(length: QTime) -> QTimeEdit:
        edit = QTimeEdit(length)
        edit.setDisplayFormat("H:mm:ss")
        return edit

    def set_condition(self, condition: Condition) -> None:
        assert isinstance(condition, DurationBetween)
        for check, edit, ms in ((self.min_check, self.min_edit, condition.min_ms),
                                (self.max_check, self.max_edit, condition.max_ms)):
            check.setChecked(ms is not None)
            if ms is not None:
                edit.setTime(QTime(0, 0).addMSecs(min(ms, DAY_MS - 1)))

    def condition(self) -> Condition:
        return DurationBetween(
            self.min_edit.time().msecsSinceStartOfDay() if self.min_check.isChecked() else None,
            self.max_edit.time().msecsSinceStartOfDay() if self.max_check.isChecked() else None)


URL_RULES = (("simple", "is the page", "Any query, #fragment, www. or trailing / — "
              "/checkout is that path on any site"),
             ("exact", "is exactly", "The whole URL, query and fragment included"),
             ("substring", "contains", "The text anywhere in the URL"))


class UrlForm(ConditionForm):
    """A page the session visited, by one of the URL rules (simple, exact, substring)."""

    def __init__(self) -> None:
        super().__init__()
        self.rule_combo = QComboBox()
        for rule, title, _help in URL_RULES:
            self.rule_combo.addItem(f"URL {title}", rule)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("/checkout or shop.example/checkout")
        self.rule_help = _hint("")
        self.rule_help.setWordWrap(True)
        self.rule_combo.currentIndexChanged.connect(
            lambda index: self.rule_help.setText(URL_RULES[index][2]))
        self.rule_help.setText(URL_RULES[0][2])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.rule_combo)
        layout.addWidget(self.url_edit)
        layout.addWidget(self.rule_help)
        self.setFocusProxy(self.url_edit)

    def set_condition(self, condition: Condition) -> None:
        assert isinstance(condition, VisitedUrl)
        self.rule_combo.setCurrentIndex(self.rule_combo.findData(condition.rule))
        self.url_edit.setText(condition.url)

    def condition(self) -> Condition:
        return VisitedUrl(self.rule_combo.currentData(), self.url_edit.text().strip())


@dataclass(frozen=True)
class EventChoices:
    custom: list[str]
    defined: list[str]


def read_event_choices(session: Session) -> EventChoices:
    return EventChoices(custom_event_names(session),
                        [info.name for info in list_definitions(session)])


class EventForm(ConditionForm):
    """An event the session holds: a built-in kind, a custom event by name or a defined
    event, in one list grouped as such."""

    chooser = staticmethod(read_event_choices)

    def __init__(self) -> None:
        super().__init__()
        self.event_combo = QComboBox()
        self.event_combo.setMaxVisibleItems(16)
        for kind in EVENT_KINDS:
            self.event_combo.addItem(EVENT_KIND_TITLES[kind], EventRule(kind))
        self._defined: set[str] | None = None  # until the choices are read
        self._wanted: EventRule | DefinedEvent | None = None
        self.status = _hint("Reading the custom and defined events…")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.event_combo)
        layout.addWidget(self.status)

    def set_choices(self, choices: EventChoices) -> None:
        self._defined = set(choices.defined)
        self._add_group("Custom events", [(name, EventRule("custom", name))
                                          for name in choices.custom])
        self._add_group("Defined events", [(name, DefinedEvent(name))
                                           for name in choices.defined])
        self.status.setText(f"{len(choices.custom)} custom and {len(choices.defined)} "
                            "defined events in the cache")
        if self._wanted is not None:
            self._select(self._wanted)

    def _add_group(self, title: str, items: list[tuple[str, EventRule | DefinedEvent]]) -> None:
        if not items:
            return
        self.event_combo.insertSeparator(self.event_combo.count())
        self.event_combo.addItem(title)
        header = self.event_combo.model()
        assert isinstance(header, QStandardItemModel)
        heading = header.item(self.event_combo.count() - 1)
        heading.setEnabled(False)
        font = QFont(heading.font())
        font.setBold(True)
        heading.setFont(font)
        for text, event in items:
            self.event_combo.addItem(f"   {text}", event)

    def set_condition(self, condition: Condition) -> None:
        assert isinstance(condition, PerformedEvent)
        self._wanted = condition.event
        self._select(condition.event)

    def _select(self, event: EventRule | DefinedEvent) -> None:
        index = self.event_combo.findData(event)
        if index < 0 and self._defined is not None:
            gone = isinstance(event, DefinedEvent)
            self.event_combo.addItem(f"{event.name}{' (no longer defined)' if gone else ''}",
                                     event)
            index = self.event_combo.count() - 1
        if index >= 0:
            self.event_combo.setCurrentIndex(index)

    def condition(self) -> Condition:
        event = self.event_combo.currentData()
        if isinstance(event, DefinedEvent) and self._defined is not None \
                and event.name not in self._defined:
            raise FilterError(f"no event is defined as {event.name!r} (any more): choose "
                              "another event, or define it again")
        return PerformedEvent(event)


class AttributeForm(ConditionForm):
    """Any of some device types, OSes, browsers or countries: ticked from what the cache
    holds, or typed (a value no cached session has yet)."""

    def __init__(self, attribute: Attribute) -> None:
        super().__init__()
        self.attribute = attribute
        self.values_list = QListWidget()
        self.values_list.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.values_list)
        self.add_edit: QLineEdit | None = None
        self.add_button: QPushButton | None = None
        self.status: QLabel | None = None
        if attribute == "device":
            self._add_values(DEVICE_TYPES)
            self._fit_rows(len(DEVICE_TYPES))
        else:
            self._fit_rows(LIST_ROWS)
            self.add_edit = QLineEdit()
            self.add_edit.setPlaceholderText({"os": "Another OS, such as iOS",
                                              "browser": "Another browser, such as Firefox",
                                              "country": "Another two-letter code, such "
                                                         "as CZ"}[attribute])
            self.add_edit.returnPressed.connect(self._add_typed)
            self.add_button = QPushButton("Add")
            self.add_button.setAutoDefault(False)  # Enter applies the whole filter
            self.add_button.clicked.connect(self._add_typed)
            row = QHBoxLayout()
            row.addWidget(self.add_edit, stretch=1)
            row.addWidget(self.add_button)
            layout.addLayout(row)
            self.status = _hint("Reading the values in the cache…")
            layout.addWidget(self.status)
            self.chooser = lambda session: attribute_values(session, attribute)

    def _fit_rows(self, rows: int) -> None:
        """As tall as `rows` values (with their check boxes), then scrolling."""
        indicator = self.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorHeight)
        row = max(self.fontMetrics().height(), indicator) + 4
        self.values_list.setFixedHeight(row * rows + 2 * self.values_list.frameWidth() + 4)

    def set_choices(self, choices: list[str]) -> None:
        assert self.status is not None
        self._add_values(choices)
        self.status.setText("No cached session records one; type a value above.")
        self.status.setVisible(not choices)

    def _add_values(self, values: tuple[str, ...] | list[str], checked: bool = False) -> None:
        present = {self.values_list.item(row).text().lower()
                   for row in range(self.values_list.count())}
        for value in values:
            if value.lower() in present:
                if checked:
                    self._item(value).setCheckState(Qt.CheckState.Checked)
                continue
            present.add(value.lower())
            item = QListWidgetItem(value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.values_list.addItem(item)

    def _item(self, value: str) -> QListWidgetItem:
        return next(self.values_list.item(row) for row in range(self.values_list.count())
                    if self.values_list.item(row).text().lower() == value.lower())

    def _add_typed(self) -> None:
        assert self.add_edit is not None
        value = self.add_edit.text().strip()
        if value:
            self._add_values([value.upper() if self.attribute == "country" else value],
                             checked=True)
            self.add_edit.clear()

    def checked(self) -> list[str]:
        return [item.text() for row in range(self.values_list.count())
                if (item := self.values_list.item(row)).checkState() == Qt.CheckState.Checked]

    def set_condition(self, condition: Condition) -> None:
        assert isinstance(condition, AttributeIs)
        self._add_values(condition.values, checked=True)

    def condition(self) -> Condition:
        return AttributeIs(self.attribute, tuple(self.checked()))


class VisitorForm(ConditionForm):
    def __init__(self) -> None:
        super().__init__()
        self.text_edit = QLineEdit()
        self.text_edit.setPlaceholderText("Visitor id, name or e-mail contains…")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text_edit)
        self.setFocusProxy(self.text_edit)

    def set_condition(self, condition: Condition) -> None:
        assert isinstance(condition, VisitorMatches)
        self.text_edit.setText(condition.text)

    def condition(self) -> Condition:
        return VisitorMatches(self.text_edit.text().strip())


@dataclass(frozen=True)
class FilterKind:
    """An entry of the "+ Filter" menu: a form to fill in, or a condition added as it is."""

    key: str
    title: str
    form: Callable[[], ConditionForm] | None = None
    fixed: Condition | None = None


FILTER_KINDS = (
    FilterKind("started", "Date range", StartedForm),
    FilterKind("duration", "Duration", DurationForm),
    FilterKind("url", "Visited URL", UrlForm),
    FilterKind("event", "Performed event", EventForm),
    FilterKind("device", "Device type", lambda: AttributeForm("device")),
    FilterKind("os", "Operating system", lambda: AttributeForm("os")),
    FilterKind("browser", "Browser", lambda: AttributeForm("browser")),
    FilterKind("country", "Country", lambda: AttributeForm("country")),
    FilterKind("visitor", "Visitor", VisitorForm),
    FilterKind("errors", "Has errors", fixed=HAS_ERRORS),
    FilterKind("rage_clicks", "Has rage clicks", fixed=HAS_RAGE_CLICKS),
)
KIND_BY_KEY = {kind.key: kind for kind in FILTER_KINDS}


def kind_of(condition: Condition) -> FilterKind:
    """The menu entry that makes conditions like `condition`."""
    match condition:
        case StartedBetween():
            return KIND_BY_KEY["started"]
        case DurationBetween():
            return KIND_BY_KEY["duration"]
        case VisitedUrl():
            return KIND_BY_KEY["url"]
        case _ if condition == HAS_ERRORS:
            return KIND_BY_KEY["errors"]
        case _ if condition == HAS_RAGE_CLICKS:
            return KIND_BY_KEY["rage_clicks"]
        case PerformedEvent():
            return KIND_BY_KEY["event"]
        case AttributeIs(attribute):
            return KIND_BY_KEY[attribute]
        case VisitorMatches():
            return KIND_BY_KEY["visitor"]
    raise TypeError(f"not a filter condition: {condition!r}")


class FilterEditor(QDialog):
    """A popover under a chip (or the "+ Filter" button) with one condition's form.

    It closes when the condition is applied, on Escape or on a click elsewhere; a condition
    the core refuses keeps it open with the reason.
    """

    applied = Signal(object)  # the condition built

    def __init__(self, tasks: TaskManager, kind: FilterKind, condition: Condition | None = None,
                 problem: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        assert kind.form is not None
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.form = kind.form()
        heading = QLabel(kind.title)
        font = QFont(heading.font())
        font.setBold(True)
        heading.setFont(font)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button.setText("Add filter" if condition is None else "Apply")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        # A popup has no window frame: a border of its own sets it off from the list.
        frame = QFrame()
        frame.setObjectName("filterEditor")
        frame.setStyleSheet("QFrame#filterEditor { border: 1px solid palette(dark); }")
        layout = QVBoxLayout(frame)
        layout.addWidget(heading)
        layout.addWidget(self.form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        self.setFixedWidth(EDITOR_WIDTH)
        self.show_error(problem)
        if condition is not None:
            self.form.set_condition(condition)
        if self.form.chooser is not None:
            self._read_choices(tasks, self.form.chooser)

    def _read_choices(self, tasks: TaskManager, chooser: Callable[[Session], Any]) -> None:
        def read(context: Any) -> Any:
            with context.cache.read_session() as session:
                return chooser(session)

        def show(choices: Any) -> None:
            if shiboken6.isValid(self.form):  # not closed meanwhile
                self.form.set_choices(choices)

        tasks.run("Read what the filter can choose from", read, show)

    def show_error(self, message: str | None) -> None:
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))
        self.adjustSize()

    def popup_at(self, anchor: QWidget) -> None:
        """Show just under `anchor`, kept on its screen."""
        self.adjustSize()
        spot = anchor.mapToGlobal(QPoint(0, anchor.height() + 2))
        screen = anchor.screen().availableGeometry()
        spot.setX(max(screen.left(), min(spot.x(), screen.right() - self.width())))
        if spot.y() + self.height() > screen.bottom():
            spot.setY(anchor.mapToGlobal(QPoint(0, 0)).y() - self.height() - 2)
        self.move(spot)
        self.show()
        self.form.setFocus()

    def accept(self) -> None:
        try:
            condition = self.form.condition()
        except FilterError as exc:
            self.show_error(str(exc))
            return
        self.applied.emit(condition)
        super().accept()


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label
