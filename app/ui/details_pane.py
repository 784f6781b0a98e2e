"""The details pane: everything the cache knows about the selected session.

Values sit in frameless read-only line edits rather than labels: ids and URLs can be long and
must stay selectable and copyable without widening the pane.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.cache.queries import SessionInfo
from app.ui import formatting

PLACEHOLDER = "Select a session to see its details."


class DetailsPane(QStackedWidget):
    """Shows one `SessionInfo`, or a hint to select one."""

    replayRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(280)
        self._session: SessionInfo | None = None
        self._placeholder = QLabel(PLACEHOLDER)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._details = self._build_details()
        self.addWidget(self._placeholder)
        self.addWidget(self._details)

    @property
    def session(self) -> SessionInfo | None:
        return self._session

    def value(self, label: str) -> str:
        """The text shown for a field (by its label), for tests and accessibility checks."""
        return self._fields[label].text()

    def pages(self) -> list[str]:
        return [self._pages.item(row).text() for row in range(self._pages.count())]

    def show_session(self, info: SessionInfo | None) -> None:
        self._session = info
        if info is None:
            self.setCurrentWidget(self._placeholder)
            return
        values = {
            "Session": info.id,
            "Project": f"{info.organization} / {info.project}",
            "Start": formatting.local_time(info.start_ms),
            "Duration": formatting.duration(info.duration_ms),
            "Active time": formatting.duration(info.active_ms),
            "Visitor": _visitor(info),
            "Device": formatting.device(info),
            "Viewport": formatting.viewport(info),
            "Country": info.country or formatting.MISSING,
            "Events": formatting.count(info.event_count),
            "Interactions": f"{info.click_count:,} clicks, {info.input_count:,} inputs",
            "Errors": formatting.count(info.error_count),
            "Windows": formatting.count(info.window_count),
            "Referrer": info.referrer or formatting.MISSING,
            "Landing page": info.landing_page or formatting.MISSING,
            "Exit page": info.exit_page or formatting.MISSING,
            "Source": info.source,
            "Size": (f"{formatting.data_size(info.stored_size)} stored "
                     f"({formatting.data_size(info.raw_size)} raw)"),
        }
        for label, text in values.items():
            field = self._fields[label]
            field.setText(text)
            field.setCursorPosition(0)  # show where long URLs begin
            field.setToolTip(text)
        self._fields["Start"].setToolTip(formatting.utc_time(info.start_ms))
        self._pages.clear()
        for number, page in enumerate(info.pages, 1):
            item = QListWidgetItem(f"{number}. {page}")
            item.setToolTip(page)
            self._pages.addItem(item)
        self._pages_title.setText(f"Pages ({info.page_count:,})")
        self.setCurrentWidget(self._details)

    def copy_session_id(self) -> None:
        if self._session is not None:
            QGuiApplication.clipboard().setText(self._session.id)

    def _build_details(self) -> QWidget:
        content = QWidget()
        layout = QVBoxLayout(content)
        title = QLabel("Session details")
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        self.replay_button = QPushButton("Replay")
        self.replay_button.setToolTip("Watch this session (or double-click it in the list)")
        self.replay_button.clicked.connect(self.replayRequested)
        heading = QHBoxLayout()
        heading.addWidget(title, stretch=1)
        heading.addWidget(self.replay_button)
        layout.addLayout(heading)

        # The id gets a row of its own: it is long, and people copy it into tickets.
        self._fields: dict[str, QLineEdit] = {"Session": _value_field()}
        session_id = self._fields["Session"]
        session_id.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        session_id.setAccessibleName("Session id")
        layout.addWidget(self._with_copy_button(session_id))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for label in ("Project", "Start", "Duration", "Active time", "Visitor", "Device",
                      "Viewport", "Country", "Events", "Interactions", "Errors", "Windows",
                      "Referrer", "Landing page", "Exit page", "Source", "Size"):
            self._fields[label] = _value_field()
            form.addRow(f"{label}:", self._fields[label])
        layout.addLayout(form)

        self._pages_title = QLabel("Pages")
        layout.addWidget(self._pages_title)
        self._pages = QListWidget()
        self._pages.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        layout.addWidget(self._pages, stretch=1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        return scroll

    def _with_copy_button(self, field: QLineEdit) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(field, stretch=1)
        copy = QToolButton()
        copy.setText("Copy")
        copy.setToolTip("Copy the session id to the clipboard")
        copy.clicked.connect(self.copy_session_id)
        layout.addWidget(copy)
        return row


def _value_field() -> QLineEdit:
    field = QLineEdit()
    field.setReadOnly(True)
    field.setFrame(False)
    palette = field.palette()
    palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
    field.setPalette(palette)
    return field


def _visitor(info: SessionInfo) -> str:
    """Name and e-mail when identified, with the visitor id they were identified by."""
    who = info.visitor_name or ""
    if info.visitor_email:
        who = f"{who} <{info.visitor_email}>" if who else info.visitor_email
    if not who:
        return info.visitor or formatting.MISSING
    return f"{who} ({info.visitor})" if info.visitor else who
