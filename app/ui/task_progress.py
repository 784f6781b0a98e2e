"""Long work in the status bar: what is happening, how far it is, and a Cancel button."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class TaskProgress(QWidget):
    """Shown while an import or a sync runs; hidden by its owner when the work stops."""

    cancelRequested = Signal()

    def __init__(self, busy_text: str, cancel_tip: str, cancelling_text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._busy_text, self._cancelling_text = busy_text, cancelling_text
        self._message = QLabel()
        self._bar = QProgressBar()
        self._bar.setMaximumWidth(200)
        self._bar.setTextVisible(True)
        self._bar.setFormat("%v / %m")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip(cancel_tip)
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._message)
        layout.addWidget(self._bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    @property
    def message(self) -> str:
        return self._message.text()

    def start(self) -> None:
        self._message.setText(self._busy_text)
        self._bar.setRange(0, 0)  # busy until the first report says how much there is
        self.cancel_button.setEnabled(True)
        self.show()

    def update_progress(self, done: int, total: int, message: str) -> None:
        """`total` 0: not known yet (the bar shows it is busy)."""
        self._message.setText(message)
        self._bar.setRange(0, max(total, 0))
        self._bar.setValue(done)

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self._message.setText(self._cancelling_text)
        self.cancelRequested.emit()
