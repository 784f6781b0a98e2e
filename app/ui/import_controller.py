"""Importing recordings from the GUI: files picked, dropped, or named on the command line.

All of it runs on the cache worker, even finding the recordings inside a dropped folder,
because that reads the disk too. One import runs at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, Signal

from app.core.demo import DEFAULT_DEMO_COUNT, load_demo_sessions
from app.core.importing import ImportResult, import_files
from app.ui.tasks import Task, TaskContext, TaskManager

RECORDING_SUFFIXES = (".json", ".jsonl", ".gz")
FILE_DIALOG_FILTERS = ("rrweb recordings (*.json *.jsonl *.gz)", "All files (*)")


@dataclass(frozen=True)
class ImportOutcome:
    results: list[ImportResult]
    requested: int  # files found to import; fewer results means the user cancelled

    @property
    def cancelled(self) -> bool:
        return len(self.results) < self.requested

    @property
    def rejected(self) -> list[ImportResult]:
        return [result for result in self.results if not result.ok]

    def summary(self) -> str:
        """One line for the status bar: what happened to every file."""
        if not self.requested:
            return "No recordings found to import."
        counts = {status: sum(r.status == status for r in self.results)
                  for status in ("imported", "duplicate", "rejected")}
        parts = [f"{counts['imported']:,} imported"]
        if counts["duplicate"]:
            parts.append(f"{counts['duplicate']:,} already in the cache")
        if counts["rejected"]:
            parts.append(f"{counts['rejected']:,} rejected")
        if self.cancelled:
            parts.append(f"{self.requested - len(self.results):,} skipped (cancelled)")
        return "Import: " + ", ".join(parts) + "."


def paths_from_mime(mime: QMimeData) -> list[Path]:
    """The local files and folders in a drop (web links and other data are ignored)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def expand_folders(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders replaced by the recordings in them (reads the disk: worker)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.name.endswith(RECORDING_SUFFIXES)))
        else:
            files.append(path)
    return files


class ImportController(QObject):
    """Starts imports on the worker, relays their progress, and reports their outcome."""

    started = Signal()
    progressed = Signal(int, int, str)  # files done, files in all, what happens now
    finished = Signal(object)  # ImportOutcome
    stopped = Signal()  # after `finished`, or after a failure that was reported instead

    def __init__(self, tasks: TaskManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._task: Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self, paths: Sequence[Path]) -> bool:
        """Import files and folders; False (nothing started) while another import runs."""
        requested = list(paths)

        def work(context: TaskContext) -> ImportOutcome:
            files = expand_folders(requested)
            results = import_files(context.cache, files, progress=context.progress,
                                   cancel=context.cancel)
            return ImportOutcome(results, len(files))

        return self._start(work)

    def start_demo(self, count: int = DEFAULT_DEMO_COUNT) -> bool:
        """Generate and import the demo sessions, like an import of `count` files."""

        def work(context: TaskContext) -> ImportOutcome:
            results = load_demo_sessions(context.cache, count, context.progress, context.cancel)
            return ImportOutcome(results, count)

        return self._start(work)

    def _start(self, work: Callable[[TaskContext], ImportOutcome]) -> bool:
        if self._task is not None:
            return False
        self._task = self._tasks.run("Import recordings", work, self._done, self._failed,
                                     self.progressed.emit)
        self.started.emit()
        return True

    def cancel(self) -> None:
        """Stop after the file being imported (each file is one transaction)."""
        if self._task is not None:
            self._task.cancel()

    def _done(self, outcome: ImportOutcome) -> None:
        self._task = None
        self.finished.emit(outcome)
        self.stopped.emit()

    def _failed(self, error: Exception) -> None:
        self._task = None
        self._tasks.report_error("Import recordings", error)
        self.stopped.emit()
