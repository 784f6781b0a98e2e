"""What an import ends with: a summary of the files, rejected ones first."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.import_controller import ImportOutcome

STATUS_TEXT = {"imported": "Imported", "duplicate": "Already cached", "rejected": "Rejected"}


class ImportSummaryDialog(QDialog):
    """Every file of an import and what became of it, rejected files first.

    Not modal: the user can look at the new sessions while reading why others were refused.
    """

    def __init__(self, outcome: ImportOutcome, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import finished")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 360)
        heading = QLabel(_heading(outcome))
        heading.setWordWrap(True)
        self.files = QTreeWidget()
        self.files.setRootIsDecorated(False)
        self.files.setHeaderLabels(["Result", "File", "Message"])
        self.files.setWordWrap(True)
        for result in sorted(outcome.results, key=lambda r: r.ok):
            item = QTreeWidgetItem([STATUS_TEXT.get(result.status, result.status),
                                    result.path.name, result.message])
            item.setToolTip(1, str(result.path))
            item.setToolTip(2, "\n".join([result.message, *result.notes]))
            self.files.addTopLevelItem(item)
        header = self.files.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.files)
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str, str]]:
        """(result, file, message) per file as shown, for tests and screen readers."""
        return [(item.text(0), item.text(1), item.text(2))
                for item in map(self.files.topLevelItem, range(self.files.topLevelItemCount()))]


def _heading(outcome: ImportOutcome) -> str:
    rejected = len(outcome.rejected)
    text = outcome.summary()
    if rejected:
        text += (f" {rejected:,} file{'' if rejected == 1 else 's'} could not be imported; "
                 "the cache is unchanged for them.")
    return text
