"""Writing what a tab shows to a file: to the path given, or where a save dialog says (the
dialog does not block), the file written on the compute thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget

from app.ui.tasks import TaskManager, describe_error


def export_file(parent: QWidget, tasks: TaskManager, path: Path | None, title: str,
                name_filter: str, suggested: str, write: Callable[[Path], str],
                done: Callable[[str], None], failed: Callable[[str], None],
                ) -> QFileDialog | None:
    """`write(path)` (it says what it wrote) on the compute thread: `done(what)` or
    `failed(why)` on the GUI thread. Without `path`, the dialog asking for it."""
    def start(chosen: Path) -> None:
        tasks.compute(title, lambda _cancel, _progress: write(chosen), done,
                      lambda error: failed(f"{title} failed: {describe_error(error)}"))

    if path is not None:
        start(path)
        return None
    dialog = QFileDialog(parent, title)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setNameFilter(name_filter)
    dialog.setDefaultSuffix(Path(suggested).suffix.lstrip("."))
    dialog.selectFile(suggested)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.fileSelected.connect(lambda chosen: start(Path(chosen)))
    dialog.open()
    return dialog
