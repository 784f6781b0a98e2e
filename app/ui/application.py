"""`tapeview` without a command: the Qt application around the main window."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__
from app.ui.main_window import TITLE, MainWindow
from app.ui.single_instance import InstanceServer, hand_over, instance_name

EXIT_CACHE_ERROR = 2  # the same code the sub-commands use when the cache cannot be opened


def run_gui(cache_location: str | None, files: list[Path], links: Sequence[str] = ()) -> int:
    """Show the main window on the cache, import `files` into it, open the session `links`,
    and run until it closes. When the app already runs on this cache, hand them to it."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(TITLE)
    app.setOrganizationName(TITLE)
    app.setApplicationVersion(__version__)

    name = instance_name(cache_location)
    if hand_over(name, [*links, *(str(path.absolute()) for path in files)]):
        print("Tapeview is already running on this cache: passed on to it.", file=sys.stderr)
        return 0
    window = MainWindow(cache_location)
    instance = InstanceServer(name, window)
    instance.received.connect(window.handle_arguments)
    instance.listen()
    failures: list[str] = []

    def cache_failed(message: str) -> None:
        failures.append(message)
        box = QMessageBox(QMessageBox.Icon.Critical, TITLE, "Tapeview cannot open the cache.",
                          QMessageBox.StandardButton.Ok, window)
        box.setInformativeText(message)
        box.finished.connect(lambda _result: app.exit(EXIT_CACHE_ERROR))
        box.open()

    window.cacheFailed.connect(cache_failed)
    window.show()
    window.start(files, links)
    code = app.exec()
    instance.close()
    window.close()  # joins the cache worker even when the loop was left by app.exit()
    return EXIT_CACHE_ERROR if failures else code
