"""Who was recorded: the visitor's identity and properties, and their other sessions, each
one click away from its own replay tab."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.cache.queries import SessionInfo
from app.core.cache.visitors import VisitorSessions
from app.core.replay.inspection import identity_properties
from app.ui import formatting
from app.ui.player.timed_model import NO_INDEX, Index
from app.ui.row_tables import configure_row_table, message_or_table

LOADING = "Looking for this visitor's other sessions…"
NO_OTHERS = "This is the only session of this visitor in the cache."
NO_VISITOR = "The cache knows no visitor for this session."
OPEN_TIP = "Click to replay this session in a tab of its own"
KEY_LIMIT = 40
ABOUT_MAX_HEIGHT = 320  # beyond this, the visitor's properties scroll: the sessions stay


class OtherSessionsModel(QAbstractTableModel):
    """A visitor's other sessions, newest first (a few hundred at most)."""

    columns = ("Started", "Length", "Pages", "Errors", "Landing page")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.sessions: list[SessionInfo] = []

    def set_sessions(self, sessions: list[SessionInfo]) -> None:
        self.beginResetModel()
        self.sessions = sessions
        self.endResetModel()

    def rowCount(self, parent: Index = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self.sessions)

    def columnCount(self, parent: Index = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info = self.sessions[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (formatting.local_time(info.start_ms)[:16],  # to the minute
                    formatting.duration(info.duration_ms), f"{info.page_count:,}",
                    f"{info.error_count:,}", _without_scheme(info.landing_page),
                    )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{info.landing_page or info.id}\n{formatting.device(info)}\n{OPEN_TIP}"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (1, 2, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class VisitorPanel(QWidget):
    sessionRequested = Signal(object)  # the SessionInfo to replay

    def __init__(self, info: SessionInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self._recorded: dict[str, Any] = {}  # what identify() said in this recording
        self._cached: VisitorSessions | None = None
        self.name_label = QLabel()
        font = QFont(self.name_label.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.name_label.setFont(font)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self._about = QWidget()
        about_layout = QVBoxLayout(self._about)
        about_layout.addWidget(self.name_label)
        about_layout.addLayout(self.form)
        self._scroll = _FittingScrollArea()
        self._scroll.setWidget(self._about)

        self.sessions_title = QLabel("Other sessions")
        self.sessions = OtherSessionsModel(self)
        self.view = QTableView()
        self.view.setModel(self.sessions)
        self._configure_view()
        self.stack, self.message = message_or_table(self.view, LOADING)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._scroll)
        layout.addWidget(self.sessions_title)
        layout.addWidget(self.stack, stretch=1)
        self.view.clicked.connect(self._open)
        self.view.activated.connect(self._open)
        self._show_about()

    def _configure_view(self) -> None:
        view = self.view
        configure_row_table(view, 6, fit_width=True)
        view.setAlternatingRowColors(True)
        view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a URL's host and its end
        view.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        header = view.horizontalHeader()
        metrics = view.fontMetrics()
        for number, sample in enumerate(("0000-00-00 00:00", "0:00:00", "Pages", "Errors")):
            header.resizeSection(number, metrics.horizontalAdvance(sample) + 16)
        header.setSectionResizeMode(len(OtherSessionsModel.columns) - 1,
                                    QHeaderView.ResizeMode.Stretch)

    # -- content -------------------------------------------------------------------------------

    def show_identity(self, identity: dict[str, Any]) -> None:
        """What identify() said in the recording (the cache's visitor row may say more)."""
        self._recorded = identity
        self._show_about()

    def show_visitor(self, result: VisitorSessions) -> None:
        self._cached = result
        self._show_about()
        self.sessions.set_sessions(result.others)
        count = result.visitor.session_count if result.visitor else 1
        self.sessions_title.setText(f"Other sessions ({len(result.others):,})"
                                    if count - 1 <= len(result.others)
                                    else f"Other sessions (newest {len(result.others):,} of "
                                         f"{count - 1:,})")
        if result.others:
            self.stack.setCurrentWidget(self.view)
        else:
            self.message.setText(NO_OTHERS if result.visitor else NO_VISITOR)
            self.stack.setCurrentWidget(self.message)

    def _show_about(self) -> None:
        info = self.info
        visitor = self._cached.visitor if self._cached else None
        name = (visitor.name if visitor else None) or info.visitor_name \
            or _text(self._recorded.get("name"))
        email = (visitor.email if visitor else None) or info.visitor_email \
            or _text(self._recorded.get("email"))
        uid = (visitor.uid if visitor else None) or info.visitor
        identified = visitor.identified if visitor else bool(name or email or self._recorded)
        self.name_label.setText(name or email or ("Identified visitor" if identified
                                                  else "Anonymous visitor"))
        fields: dict[str, str | None] = {"E-mail": email, "Visitor id": uid}
        if visitor is not None:
            fields["Sessions"] = f"{visitor.session_count:,}"
            if visitor.first_seen_ms is not None and visitor.session_count > 1:
                fields["First seen"] = formatting.local_time(visitor.first_seen_ms)
        properties = identity_properties(self._recorded)
        properties.update(visitor.properties if visitor else {})
        for key, value in sorted(properties.items()):
            # Keys come from the recording: a long one must not widen the panel.
            fields[str(key)[:KEY_LIMIT]] = value if isinstance(value, str) else \
                json.dumps(value, ensure_ascii=False, default=str)
        fields.update({"Device": formatting.device(info), "Country": info.country,
                       "Referrer": info.referrer})
        while self.form.rowCount():
            self.form.removeRow(0)
        for label, value in fields.items():
            if value:
                self.form.addRow(f"{label}:", _value_field(value))
        # A hidden tab lays nothing out: the box around the form would keep its old height.
        self._about.layout().invalidate()
        self._scroll.updateGeometry()

    def _open(self, index: QModelIndex) -> None:
        if index.isValid():
            self.sessionRequested.emit(self.sessions.sessions[index.row()])


class _FittingScrollArea(QScrollArea):
    """As tall as its content up to ABOUT_MAX_HEIGHT; beyond that the content scrolls."""

    def __init__(self) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def sizeHint(self) -> QSize:
        content = self.widget().sizeHint()
        return QSize(content.width(), min(content.height(), ABOUT_MAX_HEIGHT))


def _without_scheme(url: str | None) -> str:
    """A landing page as people say it (the tooltip has it whole)."""
    return url.partition("://")[2] or url if url else formatting.MISSING


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _value_field(text: str) -> QLineEdit:
    """Read-only, frameless, selectable: long ids and URLs neither widen the panel nor get
    cut off for good (the cursor scrolls them)."""
    field = QLineEdit(text)
    field.setReadOnly(True)
    field.setFrame(False)
    field.setCursorPosition(0)
    field.setToolTip(text)
    palette = field.palette()
    palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
    field.setPalette(palette)
    return field
