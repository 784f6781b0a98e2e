"""What a new user sees first: an empty cache, and the ways to fill it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

TITLE = "No sessions yet"
EXPLANATION = ("Import rrweb recordings to browse and replay them (JSON event arrays, JSONL, "
               "PostHog or Highlight exports, gzip-compressed or not), or connect to a Tapeview "
               "server to sync your projects' sessions; its dialog can also start a demo "
               "server on this computer.")
DROP_HINT = "You can also drop recording files or folders onto this window."
COLUMN_WIDTH = 560


class EmptyState(QWidget):
    importRequested = Signal()
    demoRequested = Signal()
    connectRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel(TITLE)
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        explanation = QLabel(EXPLANATION)
        hint = QLabel(DROP_HINT)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.import_button = QPushButton("Import recordings…")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.importRequested)
        self.demo_button = QPushButton("Load demo sessions")
        self.demo_button.setToolTip("A dozen generated visits to an example shop, to try "
                                    "Tapeview without recordings of your own")
        self.demo_button.clicked.connect(self.demoRequested)
        self.connect_button = QPushButton("Connect to a server…")
        self.connect_button.setToolTip("Sync the sessions of your projects from a Tapeview "
                                       "server, or start a demo server on this computer")
        self.connect_button.clicked.connect(self.connectRequested)

        for label in (title, explanation, hint):
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column = QWidget()
        column.setMaximumWidth(COLUMN_WIDTH)
        column_layout = QVBoxLayout(column)
        column_layout.setSpacing(12)
        column_layout.addWidget(title)
        column_layout.addWidget(explanation)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.demo_button)
        buttons.addWidget(self.connect_button)
        buttons.addStretch(1)
        column_layout.addLayout(buttons)
        column_layout.addWidget(hint)
        # Centre the column; it takes up to COLUMN_WIDTH, the margins get the rest.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column, stretch=10)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addLayout(row)
        layout.addStretch(3)
