"""Runs `run_gui` in a process of its own and plays a user's part in it.

`run_gui` ends by quitting the Qt application, which also shuts the web engine down for
good; in the test process that would break every later test using it, so these scenarios run
here, as `python -m tests.ui.gui_driver SCENARIO CACHE [FILES...]`, and print what they saw
as JSON on the last line.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.ui.application import run_gui
from app.ui.main_window import MainWindow

POLL_MS = 20
GIVE_UP_MS = 20_000
GAVE_UP = 99


def visible(kind: type[QWidget]) -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def when(condition: Callable[[], bool]) -> None:
    """Poll `condition` inside the event loop `run_gui` runs; leave with 99 if it never holds."""
    timer = QTimer(QApplication.instance())
    timer.setInterval(POLL_MS)
    timer.timeout.connect(lambda: condition() and timer.stop())
    timer.start()
    QTimer.singleShot(GIVE_UP_MS, lambda: QApplication.exit(GAVE_UP))


def accept_cache_error(seen: dict) -> bool:
    boxes = visible(QMessageBox)
    if boxes:
        box = boxes[0]
        assert isinstance(box, QMessageBox)
        seen["message"] = box.informativeText()
        box.accept()
    return bool(boxes)


def close_when_listed(seen: dict, expected: int) -> bool:
    windows = visible(MainWindow)
    window = windows[0] if windows else None
    if not isinstance(window, MainWindow) or window.tasks.busy \
            or window.sessions.rowCount() < expected:
        return False
    seen["rows"] = window.sessions.rowCount()
    window.close()
    return True


def close_when_a_link_opened(seen: dict) -> bool:
    """Say "listening" once the window is up (a second start may come now), then wait for
    a player that a link opened and has sought to its moment."""
    windows = visible(MainWindow)
    window = windows[0] if windows else None
    if not isinstance(window, MainWindow) or not window.browsing:
        return False
    if "listening" not in seen:
        seen["listening"] = True
        print("listening", flush=True)
    players = window.players()
    if not players or players[0].controller.offset_ms == 0:
        return False
    seen["player"] = {"session": players[0].info.id,
                      "offset_ms": players[0].session_offset_ms()}
    window.close()
    return True


def main(scenario: str, cache: str, files: list[str]) -> int:
    QApplication(sys.argv[:1])
    seen: dict = {}
    if scenario == "cache-error":
        when(lambda: accept_cache_error(seen))
    elif scenario == "second-start":
        when(lambda: close_when_a_link_opened(seen))
    else:
        when(lambda: close_when_listed(seen, len(files)))
    code = run_gui(cache, [Path(f) for f in files])
    seen["code"] = code
    seen["application"] = QApplication.applicationName()
    seen["workers"] = [t.name for t in threading.enumerate() if t.name.startswith("tapeview-")]
    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
