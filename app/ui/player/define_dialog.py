"""Define an event from a click in the event feed: the dialog opens filled in from the click,
so defining takes two clicks (the row's "Define event…", then "Define")."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.analytics.events import IndexedEvent
from app.core.definitions.rules import NAME_LENGTH, DefinitionError, DefinitionRule
from app.core.definitions.store import DefinitionInfo, define_event
from app.core.definitions.suggest import suggest_from_click
from app.core.tasks import Cancelled
from app.ui import formatting
from app.ui.tasks import Task, TaskContext, TaskManager

TEXT_MATCHES = (("is", "exact"), ("contains", "contains"))
URL_MATCHES = (("same page", "simple"), ("exact URL", "exact"), ("URL contains", "substring"))
ERROR_STYLE = "color: #d93025"


class DefineEventDialog(QDialog):
    """Name and rule, prefilled; a live description of what will be found.

    Defining searches every cached session on the cache worker (seconds on a big cache) with
    a progress bar; Cancel stops it, and a stopped definition leaves nothing behind.
    """

    defined = Signal(object)  # DefinitionInfo
    cancelled = Signal()  # stopped while searching: nothing was defined

    def __init__(self, tasks: TaskManager, event: IndexedEvent,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Define an Event")
        self.setMinimumWidth(560)
        self._tasks = tasks
        self._task: Task | None = None
        suggestion = suggest_from_click(event)

        self.name_edit = QLineEdit(suggestion.name)
        self.name_edit.setMaxLength(NAME_LENGTH)
        self.selector_box, self.selector_edit = self._part(
            "Clicked element", suggestion.selector,
            "A CSS selector: clicks on a matching element or inside one count")
        self.text_box, self.text_edit = self._part(
            "With text", suggestion.text, "The element's visible text (case and spacing "
            "do not matter)")
        self.text_match = _choices(TEXT_MATCHES)
        self.url_box, self.url_edit = self._part(
            "Only on page", suggestion.url, "Count only clicks on this page", checked=False)
        self.url_match = _choices(URL_MATCHES)
        self.url_match.setToolTip("How the page's URL is compared: the same page whatever its "
                                  "query string, the exact URL, or a part of it")
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.hide()

        self.define_button = QPushButton("Define")
        self.define_button.clicked.connect(self._define)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.define_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.rejected.connect(self.reject)

        grid = QGridLayout()
        grid.addWidget(QLabel("Name"), 0, 0)
        grid.addWidget(self.name_edit, 0, 1, 1, 2)
        grid.addWidget(self.selector_box, 1, 0)
        grid.addWidget(self.selector_edit, 1, 1, 1, 2)
        grid.addWidget(self.text_box, 2, 0)
        grid.addWidget(self.text_edit, 2, 1)
        grid.addWidget(self.text_match, 2, 2)
        grid.addWidget(self.url_box, 3, 0)
        grid.addWidget(self.url_edit, 3, 1)
        grid.addWidget(self.url_match, 3, 2)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.description)
        layout.addWidget(self.progress)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.define_button.setDefault(True)  # once in the dialog: Enter in any field defines

        for edit in (self.name_edit, self.selector_edit, self.text_edit, self.url_edit):
            edit.textChanged.connect(self._update)
        for box in (self.selector_box, self.text_box, self.url_box):
            box.toggled.connect(self._update)
        for choice in (self.text_match, self.url_match):
            choice.currentIndexChanged.connect(self._update)
        self._update()

    def _part(self, label: str, value: str | None, tip: str,
              checked: bool = True) -> tuple[QCheckBox, QLineEdit]:
        box = QCheckBox(label)
        box.setChecked(checked and bool(value))
        box.setToolTip(tip)
        edit = QLineEdit(value or "")
        edit.setToolTip(tip)
        box.toggled.connect(edit.setEnabled)
        edit.setEnabled(box.isChecked())
        return box, edit

    # -- the rule ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None

    def rule(self) -> DefinitionRule:
        """The rule as the ticked parts say; raises DefinitionError when it cannot work."""
        def part(box: QCheckBox, edit: QLineEdit) -> str | None:
            return edit.text() if box.isChecked() else None

        return DefinitionRule(selector=part(self.selector_box, self.selector_edit),
                              text=part(self.text_box, self.text_edit),
                              text_match=self.text_match.currentData(),
                              url=part(self.url_box, self.url_edit),
                              url_match=self.url_match.currentData())

    def _update(self) -> None:
        try:
            rule = self.rule()
        except DefinitionError as exc:
            self._say(formatting.sentence(str(exc)), error=True)
            self.define_button.setEnabled(False)
            return
        if not self.name_edit.text().strip():
            self._say("The event needs a name.", error=True)
            self.define_button.setEnabled(False)
            return
        self._say(f"Finds each {rule.describe()}, in every cached session and in those "
                  "synced or imported later.")
        self.define_button.setEnabled(not self.running)

    def _say(self, text: str, error: bool = False) -> None:
        self.description.setText(text)
        self.description.setStyleSheet(ERROR_STYLE if error else "")

    # -- defining ------------------------------------------------------------------------------

    def _define(self) -> None:
        try:
            rule = self.rule()
        except DefinitionError:
            return  # the button is disabled then; Enter in a field may still get here
        name = self.name_edit.text()

        def work(context: TaskContext) -> DefinitionInfo | None:
            try:
                return define_event(context.cache, name, rule, context.progress, context.cancel)
            except Cancelled:
                return None  # rolled back; the dialog is told, so it can close

        self._set_running(True)
        self._task = self._tasks.run(f"Define “{name}”", work, self._done, self._failed,
                                     self._progressed)

    def _set_running(self, running: bool) -> None:
        for widget in (self.name_edit, self.selector_box, self.text_box, self.url_box,
                       self.text_match, self.url_match):
            widget.setEnabled(not running)
        for box, edit in ((self.selector_box, self.selector_edit),
                          (self.text_box, self.text_edit), (self.url_box, self.url_edit)):
            edit.setEnabled(not running and box.isChecked())
        self.define_button.setEnabled(not running)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(True)
        self.progress.setVisible(running)
        self.progress.setRange(0, 0)  # busy until the first report says how much there is

    def _progressed(self, done: int, total: int, message: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self._say(message)

    def _done(self, info: DefinitionInfo | None) -> None:
        self._task = None
        if info is None:
            self.cancelled.emit()
            super().reject()
            return
        self.defined.emit(info)
        self.accept()

    def _failed(self, error: Exception) -> None:
        self._task = None
        self._set_running(False)
        self._update()
        if isinstance(error, DefinitionError):  # a name in use: say so here, keep the dialog
            self._say(formatting.sentence(str(error)), error=True)
            self.name_edit.setFocus()
            self.name_edit.selectAll()
        else:
            self._say("The event could not be defined.", error=True)
            self._tasks.report_error("Define an event", error)

    def reject(self) -> None:
        """Cancel stops a running definition first; the dialog closes once it has stopped."""
        if self._task is None:
            super().reject()
            return
        self._task.cancel()
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(False)
        self._say("Cancelling…")


def _choices(choices: tuple[tuple[str, str], ...]) -> QComboBox:
    box = QComboBox()
    for label, value in choices:
        box.addItem(label, value)
    return box
