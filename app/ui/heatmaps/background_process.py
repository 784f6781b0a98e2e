"""The page under the window's heatmap, drawn by a process of its own.

Drawing a whole page takes the browser engine seconds of steps that each wait for its answer
(`background`). In the window's process those waits would turn the GUI's event loop from
inside a callback; a child process draws the page offscreen instead and leaves the image and
the measured boxes in a folder. So the GUI thread never waits, Cancel kills the child, and a
page that hangs the engine hangs only the child.

    python -m app.ui.heatmaps.background_process FOLDER

reads FOLDER/request.json and writes FOLDER/page.png and FOLDER/page.json; on failure it
exits 1 with the reason as its last ``tapeview: ...`` line on stderr.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
from PySide6.QtCore import QObject, QProcess, Signal
from PySide6.QtGui import QImage

from app.core.heatmaps.placement import Box
from app.core.search.conditions import UrlRule
from app.ui.tasks import TaskManager, describe_error

REQUEST, IMAGE, RESULT = "request.json", "page.png", "page.json"
# Sessions offered to the child, in order: the first with a snapshot of the page is drawn.
MAX_CANDIDATES = 50
ERROR_PREFIX = "tapeview: "


@dataclass(frozen=True)
class BackgroundRequest:
    cache_url: str
    session_ids: tuple[str, ...]
    url: str
    rule: UrlRule
    layouts: Mapping[int, Sequence[str]]  # `placement.layouts_needed`


@dataclass(frozen=True)
class Background:
    """A drawn page, read back: the image at page size as RGB, and the boxes measured."""

    rgb: np.ndarray  # (height, width, 3) uint8, page px
    width: int
    height: int
    session_id: str
    offset_ms: int
    boxes: dict[str, Box]
    measured: dict[int, dict[str, Box]]


def write_request(folder: Path, request: BackgroundRequest) -> None:
    (folder / REQUEST).write_bytes(orjson.dumps({
        "cache_url": request.cache_url, "session_ids": list(request.session_ids),
        "url": request.url, "rule": request.rule,
        "layouts": {str(width): list(selectors)
                    for width, selectors in request.layouts.items()}}))


def read_result(folder: Path) -> Background:
    """The child's page (any thread: QImage needs no GUI thread)."""
    from app.ui.heatmaps.png import page_rgb

    result = orjson.loads((folder / RESULT).read_bytes())
    image = QImage(str(folder / IMAGE))
    if image.isNull():
        raise OSError(f"the drawn page {folder / IMAGE} could not be read")
    width, height = int(result["width"]), int(result["height"])
    return Background(page_rgb(image, width, height), width, height, result["session_id"],
                      int(result["offset_ms"]), _boxes(result["boxes"]),
                      {int(w): _boxes(found) for w, found in result["measured"].items()})


def _boxes(rows: list[list[object]]) -> dict[str, Box]:
    return {str(row[0]): Box(*map(float, row[1:5])) for row in rows}  # type: ignore[arg-type]


def _draw(folder: Path) -> str:
    from app.core.cache.database import Cache
    from app.ui.heatmaps.background import render_background
    from app.ui.render_commands import headless_app

    request = orjson.loads((folder / REQUEST).read_bytes())
    headless_app()
    cache = Cache(request["cache_url"])
    try:
        page = render_background(cache, request["session_ids"], request["url"],
                                 request["rule"], {int(width): selectors for width, selectors
                                                   in request["layouts"].items()})
    finally:
        cache.close()
    if not page.image.save(str(folder / IMAGE), "PNG", 90):  # 90: little compression
        raise OSError(f"cannot write {folder / IMAGE}")
    (folder / RESULT).write_bytes(orjson.dumps({
        "width": page.width, "height": page.height, "session_id": page.session_id,
        "offset_ms": page.offset_ms, "boxes": _box_rows(page.boxes),
        "measured": {str(width): _box_rows(boxes) for width, boxes in page.measured.items()}}))
    return f"drew {page.width}x{page.height} px from session {page.session_id}"


def _box_rows(boxes: Mapping[str, Box]) -> list[list[object]]:
    return [[selector, box.left, box.top, box.width, box.height]
            for selector, box in boxes.items()]


def main(argv: Sequence[str] | None = None) -> int:
    from app.ui.render_commands import run_command

    arguments = list(sys.argv[1:] if argv is None else argv)
    if len(arguments) != 1:
        print(f"{ERROR_PREFIX}usage: python -m {__spec__.name if __spec__ else __name__} "
              "FOLDER", file=sys.stderr)
        return 2
    return run_command(lambda: _draw(Path(arguments[0])))


class BackgroundRenderer(QObject):
    """Draws backgrounds one at a time in a child process; a new request replaces the one
    running. Results and failures come back by signal on the GUI thread."""

    finished = Signal(object)  # Background
    failed = Signal(str)  # why, for the user

    def __init__(self, tasks: TaskManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._process: QProcess | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._generation = 0

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self, request: BackgroundRequest) -> None:
        self.cancel()
        self._generation += 1
        generation = self._generation
        folder = tempfile.TemporaryDirectory(prefix="tapeview-heatmap-")
        self._folder = folder
        path = Path(folder.name)
        request = BackgroundRequest(request.cache_url, request.session_ids[:MAX_CANDIDATES],
                                    request.url, request.rule, request.layouts)
        self._tasks.compute("Draw the page", lambda _cancel, _progress: write_request(
            path, request), lambda _none: self._launch(generation, path),
            lambda error: self._fail(generation, describe_error(error)))

    def cancel(self) -> None:
        """Stop drawing (kill the child); nothing is reported for it."""
        self._generation += 1
        process, self._process = self._process, None
        if process is not None:
            process.finished.disconnect()
            process.finished.connect(process.deleteLater)
            process.kill()
        self._drop_folder()

    def _drop_folder(self) -> None:
        """The request's folder goes when its answer has been read, or it was cancelled."""
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def _launch(self, generation: int, folder: Path) -> None:
        if generation != self._generation:
            return
        process = QProcess(self)
        process.setProgram(sys.executable)
        process.setArguments(["-m", "app.ui.heatmaps.background_process", str(folder)])
        process.setStandardOutputFile(QProcess.nullDevice())
        process.finished.connect(lambda code, _status: self._exited(generation, folder, code))
        self._process = process
        process.start()

    def _exited(self, generation: int, folder: Path, code: int) -> None:
        process, self._process = self._process, None
        if process is None or generation != self._generation:
            return
        errors = bytes(process.readAllStandardError().data()).decode("utf-8", "replace")
        process.deleteLater()
        if code != 0:
            reasons = [line[len(ERROR_PREFIX):] for line in errors.splitlines()
                       if line.startswith(ERROR_PREFIX)]
            self._fail(generation, reasons[-1] if reasons else
                       f"the page could not be drawn (the drawing process ended with code "
                       f"{code})")
            return
        self._tasks.compute("Read the drawn page", lambda _cancel, _progress: read_result(
            folder), lambda background: self._done(generation, background),
            lambda error: self._fail(generation, describe_error(error)))

    def _done(self, generation: int, background: Background) -> None:
        if generation == self._generation:
            self._drop_folder()
            self.finished.emit(background)

    def _fail(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self._drop_folder()
            self.failed.emit(message)


if __name__ == "__main__":
    sys.exit(main())
